/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convert/nic-pin.h"
#include "util/cleanup.h"
#include "util/jsonutil.h"

size_t nic_pin_count(const struct v2v_options *o)
{
  size_t n = 0;

  for (size_t i = 0; i < o->n_macs; i++)
    if (o->macs[i].kind == V2V_MAC_IP)
      n++;
  return n;
}

size_t nic_pin_unquote(const char **value)
{
  const char *v = *value;
  size_t len = strlen(v);

  if (len >= 2 && (v[0] == '"' || v[0] == '\'') && v[len - 1] == v[0]) {
    (*value)++;
    return len - 2;
  }
  return len;
}

bool nic_pin_addr_matches(const char *value, const char *address)
{
  size_t len = nic_pin_unquote(&value), alen = strlen(address);
  char end;

  if (alen == 0 || len < alen || strncmp(value, address, alen) != 0)
    return false;
  end = len == alen ? '\0' : value[alen];
  return end == '\0' || end == '/' || end == ',';
}

bool nic_pin_iface_name(const char *name, char out[16])
{
  size_t len = strcspn(name, ":");

  if (len == 0 || len > 15)
    return false;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = name[i];
    /* the kernel refuses '/', ':' and blanks; globs and quotes would
     * be no single name in a rule */
    if (!isalnum(c) && c != '-' && c != '_' && c != '.')
      return false;
  }
  memcpy(out, name, len);
  out[len] = '\0';
  return strcmp(out, "lo") != 0 && strcmp(out, ".") != 0 &&
         strcmp(out, "..") != 0;
}

char *nic_pin_rules(const struct nic_pin_rule *rules, size_t n)
{
  _cleanup_free_ char *text = NULL;
  size_t size = 0;
  FILE *f = open_memstream(&text, &size);

  if (!f)
    return NULL;
  fputs("# Written by UCH when this guest was converted (uch-inspect\n"
        "# --pin-nics): each NIC keeps the name its static network\n"
        "# configuration names, found by the NIC's MAC address, which the\n"
        "# migration kept.\n", f);
  for (size_t i = 0; i < n; i++) {
    char mac[32];
    size_t j;

    for (j = 0; rules[i].mac[j] && j < sizeof mac - 1; j++)
      mac[j] = tolower((unsigned char)rules[i].mac[j]);
    mac[j] = '\0';
    fprintf(f, "SUBSYSTEM==\"net\", ACTION==\"add\", ATTR{address}==\"%s\", "
            "NAME=\"%s\"\n", mac, rules[i].name);
  }
  if (fclose(f) != 0)
    return NULL;
  return steal_ptr(text);
}

/* {"mac", "address"}: an options.macs[] entry with an ip, as the
 * request to uch-inspect and the result's nics name it */
static json_object *nic_entry(const struct v2v_mac *m)
{
  json_object *nic = json_object_new_object();

  json_object_object_add(nic, "mac", json_object_new_string(m->mac));
  json_object_object_add(nic, "address", json_object_new_string(m->address));
  return nic;
}

int nic_pin_write_request(const char *file, char *const *paths,
                          const char *const *formats, size_t n,
                          const struct v2v_options *o)
{
  _cleanup_json_ json_object *doc = json_object_new_object();
  json_object *drives = json_object_new_array();
  json_object *nics = json_object_new_array();

  json_object_object_add(doc, "drives", drives);
  json_object_object_add(doc, "nics", nics);
  for (size_t i = 0; i < n; i++) {
    json_object *d = json_object_new_object();
    json_object_object_add(d, "path", json_object_new_string(paths[i]));
    json_object_object_add(d, "format", json_object_new_string(formats[i]));
    json_object_array_add(drives, d);
  }
  for (size_t i = 0; i < o->n_macs; i++)
    if (o->macs[i].kind == V2V_MAC_IP)
      json_object_array_add(nics, nic_entry(&o->macs[i]));
  return json_write_path(file, doc, 0600);
}

json_object *nic_pin_unpinned(const struct v2v_options *o, const char *why)
{
  json_object *list = json_object_new_array();

  for (size_t i = 0; list && i < o->n_macs; i++) {
    json_object *nic;

    if (o->macs[i].kind != V2V_MAC_IP)
      continue;
    nic = nic_entry(&o->macs[i]);
    json_object_object_add(nic, "pinned", json_object_new_boolean(false));
    json_object_object_add(nic, "reason", json_object_new_string(why));
    json_object_array_add(list, nic);
  }
  return list;
}

int nic_pin_argv(struct argv *a, const char *helper, const char *rt_dir)
{
  if (argv_add(a, helper) < 0 || argv_add(a, "--pin-nics") < 0 ||
      argv_add(a, rt_dir) < 0)
    return -1;
  return 0;
}
