/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <assert.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>

#include "jobs/convert-disks.h"
#include "jobs/job-request.h"
#include "jobs/request.h"
#include "util/cleanup.h"
#include "util/fs.h"

/* Larger than any domain XML, .vmx or .vmdk descriptor; a bigger file's
 * disks are not looked for. */
#define DESCRIPTOR_MAX (1024 * 1024)

/* NAME taken from FILE's folder unless it is absolute (malloc'd). */
static char *beside(const char *file, const char *name)
{
  _cleanup_free_ char *d = strdup(file);
  char *out;

  if (name[0] == '/')
    return strdup(name);
  if (!d || asprintf(&out, "%s/%s", dirname(d), name) < 0)
    return NULL;
  return out;
}

/* A regular file of at most DESCRIPTOR_MAX bytes, read whole; NULL when
 * it is not one. */
static char *small_file(const char *path)
{
  struct stat st;
  char *text = NULL;
  size_t len;

  if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) ||
      st.st_size > DESCRIPTOR_MAX || read_file(path, &text, &len) < 0)
    return NULL;
  return text;
}

/* The disks of a libvirt domain XML (<disk><source file=|dev=>), which
 * virt-v2v -i libvirtxml reads, and its <name> into *name (malloc'd,
 * when asked).  A file that is not XML names no disk (virt-v2v will
 * fail on it). */
static int domain_xml_disks(const char *xml, const char *field,
                            job_disk_fn *fn, void *opaque, char **name)
{
  static const char *const attrs[] = { "file", "dev" };
  struct stat st;
  xmlDocPtr doc;
  xmlXPathContextPtr ctx = NULL;
  xmlXPathObjectPtr set = NULL, nm = NULL;
  int r = 0;

  if (stat(xml, &st) < 0 || !S_ISREG(st.st_mode) ||
      st.st_size > DESCRIPTOR_MAX ||
      !(doc = xmlReadFile(xml, NULL, XML_PARSE_NONET | XML_PARSE_NOERROR |
                                     XML_PARSE_NOWARNING)))
    return 0;
  if ((ctx = xmlXPathNewContext(doc))) {
    set = xmlXPathEvalExpression(BAD_CAST "/domain/devices/disk/source",
                                 ctx);
    nm = xmlXPathEvalExpression(BAD_CAST "string(/domain/name)", ctx);
  }
  if (name && nm && nm->stringval && nm->stringval[0])
    *name = strdup((const char *)nm->stringval);
  for (int i = 0; set && set->nodesetval && r == 0 &&
                  i < set->nodesetval->nodeNr; i++)
    for (size_t a = 0; a < 2 && r == 0; a++) {
      xmlChar *v = xmlGetProp(set->nodesetval->nodeTab[i],
                              BAD_CAST attrs[a]);
      _cleanup_free_ char *path = v && *v ? beside(xml, (const char *)v)
                                          : NULL;
      if (path)
        r = fn(opaque, field, path, NULL, false);
      xmlFree(v);
    }
  xmlXPathFreeObject(nm);
  xmlXPathFreeObject(set);
  xmlXPathFreeContext(ctx);
  xmlFreeDoc(doc);
  return r;
}

/* `KEY = "VALUE"` lines of a .vmx: VALUE of the line whose key `match`
 * accepts, copied into out (at most len bytes); the line's key too. */
static const char *vmx_value(const char *line, char *key, size_t klen,
                             char *out, size_t len)
{
  const char *eq = strchr(line, '='), *q1, *q2, *end = strchr(line, '\n');
  size_t k;

  if (!end)
    end = line + strlen(line);
  if (!eq || eq > end || !(q1 = memchr(eq, '"', (size_t)(end - eq))) ||
      !(q2 = memchr(q1 + 1, '"', (size_t)(end - q1 - 1))))
    return NULL;
  while (line < eq && (*line == ' ' || *line == '\t'))
    line++;
  for (k = (size_t)(eq - line); k > 0 && (line[k - 1] == ' ' ||
                                          line[k - 1] == '\t'); k--)
    ;
  if (k >= klen || (size_t)(q2 - q1 - 1) >= len)
    return NULL;
  memcpy(key, line, k);
  key[k] = '\0';
  memcpy(out, q1 + 1, (size_t)(q2 - q1 - 1));
  out[q2 - q1 - 1] = '\0';
  return out;
}

/* qemu's vmdk_probe() on the text: after comment and blank lines, a
 * `version=N` line (N 1 to 3) makes it a descriptor, whatever else it
 * holds; VMware's own start with "# Disk DescriptorFile" (taken as
 * one too). */
bool vmdk_is_descriptor(const char *text, size_t len)
{
  const char *p = text, *end = text + len;

  if (len >= 21 && strncmp(text, "# Disk DescriptorFile", 21) == 0)
    return true;
  while (p < end) {
    if (*p == '#') {
      while (p < end && *p != '\n')
        p++;
      p++;
      continue;
    }
    if (*p == ' ' || *p == '\n' || *p == '\r') {
      while (p < end && *p == ' ')
        p++;
      if (p < end && *p == '\r')
        p++;
      if (p == end || *p != '\n')
        return false;
      p++;
      continue;
    }
    return (size_t)(end - p) >= 10 && strncmp(p, "version=", 8) == 0 &&
           p[8] >= '1' && p[8] <= '3' &&
           (p[9] == '\n' || (p[9] == '\r' && p + 10 < end && p[10] == '\n'));
  }
  return false;
}

int vmdk_descriptor_refs(const char *text, bool embedded, vmdk_ref_fn *fn,
                         void *opaque)
{
  static const char hint[] = "parentFileNameHint=\"";
  const char *h = strstr(text, hint);
  int r = 0;

  /* qemu's vmdk_parent_open(): the first such text, even in a
   * comment, names the parent (a backing file) */
  if (h) {
    const char *q = strchr(h + sizeof hint - 1, '"');
    _cleanup_free_ char *name = q && q > h + sizeof hint - 1
      ? strndup(h + sizeof hint - 1, (size_t)(q - h - sizeof hint + 1)) : NULL;
    if (name)
      r = fn(opaque, VMDK_PARENT, name);
  }
  /* qemu's vmdk_parse_extents(): `ACCESS SECTORS TYPE "NAME" ...`, the
   * extents of a sparse vmdk's own descriptor are the file itself */
  for (const char *line = text; !embedded && line && *line && r == 0;
       line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
    const char *q1, *q2, *end = strchr(line, '\n');
    _cleanup_free_ char *name = NULL;
    size_t a;

    while (*line == ' ' || *line == '\t')
      line++;
    a = strncmp(line, "RW", 2) == 0 ? 2 : strncmp(line, "RDONLY", 6) == 0
      ? 6 : strncmp(line, "NOACCESS", 8) == 0 ? 8 : 0;
    if (!a || (line[a] != ' ' && line[a] != '\t'))
      continue;
    if (!end)
      end = line + strlen(line);
    if (!(q1 = memchr(line, '"', (size_t)(end - line))) ||
        !(q2 = memchr(q1 + 1, '"', (size_t)(end - q1 - 1))) || q2 == q1 + 1)
      continue;
    if (!(name = strndup(q1 + 1, (size_t)(q2 - q1 - 1))))
      return -1;
    r = fn(opaque, VMDK_EXTENT, name);
  }
  return r;
}

struct vmdk_walk {
  const char *vmdk, *field;
  job_disk_fn *fn;
  void *opaque;
};

static int vmdk_ref(void *opaque, enum vmdk_ref kind, const char *name)
{
  struct vmdk_walk *w = opaque;
  _cleanup_free_ char *path = beside(w->vmdk, name);

  (void)kind;
  return path ? w->fn(w->opaque, w->field, path, NULL, false) : 0;
}

/* A .vmdk descriptor's extents (`RW 4192256 VMFS "NAME-flat.vmdk"`)
 * and parent, relative to the descriptor; a binary (sparse,
 * streamOptimized) vmdk is its own data and names none. */
static int vmdk_extents(const char *vmdk, const char *field,
                        job_disk_fn *fn, void *opaque)
{
  _cleanup_free_ char *text = small_file(vmdk);
  struct vmdk_walk w = { vmdk, field, fn, opaque };

  if (!text || !vmdk_is_descriptor(text, strlen(text)))
    return 0;
  return vmdk_descriptor_refs(text, false, vmdk_ref, &w);
}

/* The disks of a .vmx, which virt-v2v -i vmx reads: every
 * DEV.fileName that is a .vmdk, with its extents; its displayName into
 * *name (malloc'd). */
static int vmx_disks(const char *vmx, const char *field, job_disk_fn *fn,
                     void *opaque, char **name)
{
  _cleanup_free_ char *text = small_file(vmx);
  int r = 0;

  for (char *line = text; line && *line && r == 0;
       line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
    char key[128], value[4096];
    _cleanup_free_ char *path = NULL;
    size_t kl, vl;

    if (!vmx_value(line, key, sizeof key, value, sizeof value) || !value[0])
      continue;
    kl = strlen(key);
    vl = strlen(value);
    if (strcasecmp(key, "displayName") == 0 && !*name) {
      *name = strdup(value);
      continue;
    }
    if (kl <= 9 || strcasecmp(key + kl - 9, ".fileName") != 0 || vl <= 5 ||
        strcasecmp(value + vl - 5, ".vmdk") != 0 ||
        !(path = beside(vmx, value)))
      continue;
    r = fn(opaque, field, path, NULL, false);
    if (r == 0)
      r = vmdk_extents(path, field, fn, opaque);
  }
  return r;
}

/* A disk's file name without its extension, as virt-v2v -i disk names
 * the guest (malloc'd). */
static char *disk_guest_name(const char *path)
{
  const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
  const char *dot = strrchr(base, '.');

  return dot && dot > base ? strndup(base, (size_t)(dot - base))
                           : strdup(base);
}

/* DIR/NAME-sda .. NAME-sdz and DIR/NAME.EXT: what virt-v2v -o local or
 * -o kubevirt writes. */
static int output_files(const char *dir, const char *name, const char *ext,
                        const char *field, job_disk_fn *fn, void *opaque)
{
  int r = 0;

  for (int i = 0; i <= CONVERT_MAX_BLOCK_DEVICES && r == 0; i++) {
    _cleanup_free_ char *path = NULL;
    if ((i < CONVERT_MAX_BLOCK_DEVICES
           ? asprintf(&path, "%s/%s-sd%c", dir, name, 'a' + i)
           : asprintf(&path, "%s/%s.%s", dir, name, ext)) < 0)
      return -1;
    r = fn(opaque, field, path, NULL, true);
  }
  return r;
}

int convert_disks(const struct job_request *r, job_disk_fn *fn, void *opaque)
{
  static const char *const fields[] = {
    [CONVERT_IN_DISK] = "input.disk.path",
    [CONVERT_IN_LIBVIRTXML] = "input.libvirtxml.path",
    [CONVERT_IN_OVA] = "input.ova.path", [CONVERT_IN_VMX] = "input.vmx.path",
  };
  _cleanup_free_ char *guest = NULL;
  const struct convert_request *c = &r->u.convert;
  char field[64];
  int ret = 0;

  assert(r->kind == JOB_CONVERT);
  switch (c->input.kind) {
  case CONVERT_IN_DISK:
  case CONVERT_IN_LIBVIRTXML:
  case CONVERT_IN_OVA:
  case CONVERT_IN_VMX:
    ret = fn(opaque, fields[c->input.kind], c->input.path, NULL, false);
    break;
  case CONVERT_IN_VMX_SSH:
  case CONVERT_IN_VCENTER:
    break;
  }
  if (ret == 0 && c->input.kind == CONVERT_IN_LIBVIRTXML)
    ret = domain_xml_disks(c->input.path, fields[c->input.kind], fn, opaque,
                           &guest);
  if (ret == 0 && c->input.kind == CONVERT_IN_VMX) {
    ret = vmx_disks(c->input.path, fields[c->input.kind], fn, opaque,
                    &guest);
    if (!guest)
      guest = disk_guest_name(c->input.path);
  }
  if (ret == 0 && c->input.kind == CONVERT_IN_DISK)
    guest = disk_guest_name(c->input.path);
  if (ret == 0 && c->input.kind == CONVERT_IN_VCENTER)
    guest = strdup(c->input.vcenter.vm);

  switch (c->output.kind) {
  case CONVERT_OUT_LOCAL:
  case CONVERT_OUT_KUBEVIRT: {
    const char *name = c->name ? c->name : guest;
    bool local = c->output.kind == CONVERT_OUT_LOCAL;
    if (ret == 0 && name && !strchr(name, '/'))
      ret = output_files(c->output.dir, name, local ? "xml" : "yaml",
                         local ? "output.local.dir" : "output.kubevirt.dir",
                         fn, opaque);
    break;
  }
  case CONVERT_OUT_BLOCK:
    for (size_t i = 0; ret == 0 && i < c->output.n_devices; i++) {
      const struct convert_block_device *d = &c->output.devices[i];
      snprintf(field, sizeof field, "output.block.devices[%zu].%s", i,
               d->path ? "path" : "volume");
      ret = fn(opaque, field, d->path, d->path ? NULL : d->volume.id, true);
    }
    break;
  case CONVERT_OUT_OPENSTACK:
    break;
  }
  return ret;
}
