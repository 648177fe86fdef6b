/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "convert/v2v-block.h"
#include "runner/volume-wait.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "volumes/volume-open.h"

void v2v_drive_name(size_t i, char out[8])
{
  snprintf(out, 8, "sd%c", (char)('a' + i % 26));
}

static int oom(struct job_failure *f)
{
  failure_set(f, "internal", "out of memory");
  return -1;
}

static int resolve(struct runner *r, const struct convert_block_device *d,
                   size_t i, char **dev, struct job_failure *f)
{
  const char *path = d->path;

  if (!path) {
    if (volume_open(r, &d->volume, true, dev, f) < 0)
      return -1;
  } else {
    if (!(*dev = strdup(path)))
      return oom(f);
    if (block_destination_check(path, f) < 0)
      return -1;
  }
  if (access(*dev, W_OK) < 0) {
    failure_set(f, "destination", "output.block.devices[%zu]: %s: %s", i,
                *dev, strerror(errno));
    return -1;
  }
  return 0;
}

int v2v_block_prepare(struct runner *r, const struct convert_request *req,
                      struct v2v_block *b, struct job_failure *f)
{
  if (req->output.kind != CONVERT_OUT_BLOCK)
    return 0;
  b->name = req->name;
  b->n = req->output.n_devices;
  b->req = req->output.devices;
  if (!b->name || b->n > 26) {
    failure_set(f, "invalid_request", "output.block needs a name and at "
                "most 26 devices");
    return -1;
  }
  if (!(b->devices = calloc(b->n, sizeof *b->devices)) ||
      !(b->links = calloc(b->n, sizeof *b->links)) ||
      asprintf(&b->dir, "%s/block", r->rt_dir) < 0) {
    b->dir = NULL;
    return oom(f);
  }
  if (mkdir_p(b->dir, 0700) < 0) {
    failure_set(f, "internal", "%s: %s", b->dir, strerror(errno));
    return -1;
  }
  for (size_t i = 0; i < b->n; i++) {
    char drive[8];

    if (resolve(r, &b->req[i], i, &b->devices[i], f) < 0)
      return -1;
    v2v_drive_name(i, drive);
    if (asprintf(&b->links[i], "%s/%s-%s", b->dir, b->name, drive) < 0) {
      b->links[i] = NULL;
      return oom(f);
    }
    if (symlink(b->devices[i], b->links[i]) < 0) {
      failure_set(f, "internal", "%s: %s", b->links[i], strerror(errno));
      return -1;
    }
    runner_log(r, "disk %zu goes to %s (%s)", i + 1, b->devices[i],
               b->links[i]);
  }
  return 0;
}

/* The XML with every link's path replaced by its device. */
static char *xml_with_devices(const struct v2v_block *b, const char *xml)
{
  _cleanup_free_ char *out = NULL;
  size_t len;
  FILE *m = open_memstream(&out, &len);
  const char *p = xml;

  if (!m)
    return NULL;
  while (*p) {
    size_t i;
    for (i = 0; i < b->n; i++) {
      size_t l = strlen(b->links[i]);
      /* NAME-sda is a prefix of NAME-sdaa only past 26 disks: no */
      if (strncmp(p, b->links[i], l) == 0) {
        fputs(b->devices[i], m);
        p += l;
        break;
      }
    }
    if (i == b->n)
      fputc(*p++, m);
  }
  if (fclose(m) != 0)
    return NULL;
  {
    char *ret = out;
    out = NULL;
    return ret;
  }
}

static bool is_link(const struct v2v_block *b, const char *name)
{
  for (size_t i = 0; i < b->n; i++)
    if (strcmp(strrchr(b->links[i], '/') + 1, name) == 0)
      return true;
  return false;
}

int v2v_block_result(struct runner *r, struct v2v_block *b, int copied,
                     json_object *result, struct job_failure *f)
{
  _cleanup_free_ char *xml_name = NULL, *xml_path = NULL, *xml = NULL;
  _cleanup_free_ char *dest = NULL, *fixed = NULL;
  _cleanup_closedir_ DIR *d = NULL;
  json_object *disks = json_object_new_array();
  struct dirent *e;
  struct stat st;
  size_t len;

  json_object_object_add(result, "disks", disks);
  for (size_t i = 0; i < b->n; i++)
    if (lstat(b->links[i], &st) < 0 || !S_ISLNK(st.st_mode)) {
      failure_set(f, "convert_failed", "virt-v2v did not write %s through "
                  "its link %s", b->devices[i], b->links[i]);
      return -1;
    }
  if (asprintf(&xml_name, "%s.xml", b->name) < 0 ||
      !(d = opendir(b->dir)))
    return oom(f);
  while ((e = readdir(d)))
    if (e->d_name[0] != '.' && !is_link(b, e->d_name) &&
        strcmp(e->d_name, xml_name) != 0) {
      failure_set(f, "convert_failed", "the guest has more disks than "
                  "output.block.devices (%zu): virt-v2v wrote %s", b->n,
                  e->d_name);
      return -1;
    }
  if (asprintf(&xml_path, "%s/%s", b->dir, xml_name) < 0 ||
      asprintf(&dest, "%s/%s", r->job_dir, xml_name) < 0)
    return oom(f);
  if (read_file(xml_path, &xml, &len) < 0 ||
      !(fixed = xml_with_devices(b, xml)) ||
      write_file_atomic(dest, fixed, strlen(fixed), 0644) < 0) {
    failure_set(f, "internal", "%s: %s", xml_path, strerror(errno));
    return -1;
  }
  for (size_t i = 0; i < b->n && (copied <= 0 || i < (size_t)copied); i++) {
    json_object *o = json_object_new_object();
    json_object_object_add(o, "path", json_object_new_string(b->devices[i]));
    if (b->req[i].volume.id)
      json_object_object_add(o, "volume",
                             json_object_new_string(b->req[i].volume.id));
    json_object_array_add(disks, o);
  }
  json_object_object_add(result, "metadata", json_object_new_string(dest));
  return 0;
}

void v2v_block_free(struct v2v_block *b)
{
  for (size_t i = 0; i < b->n; i++) {
    if (b->links && b->links[i])
      unlink(b->links[i]);
    free(b->links ? b->links[i] : NULL);
    free(b->devices ? b->devices[i] : NULL);
  }
  free(b->links);
  free(b->devices);
  free(b->dir);
  memset(b, 0, sizeof *b);
}
