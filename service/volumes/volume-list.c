/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Listing volumes with sd-device (works from /sys alone, without a
 * running udev), and matching them to the ids they are asked for by. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-device.h>

#include "util/cleanup.h"
#include "volumes/volumes.h"

const char *volume_by_id_dir(void)
{
  const char *d = getenv(VOLUME_BY_ID_ENV);
  return d && *d ? d : VOLUME_BY_ID_DEFAULT;
}

bool volume_serial_matches(const char *serial, const char *id)
{
  size_t n = strlen(id);

  if (!serial || !*serial)
    return false;
  if (strcmp(serial, id) == 0)
    return true;
  return n > VOLUME_SERIAL_MAX && strlen(serial) == VOLUME_SERIAL_MAX &&
         strncmp(serial, id, VOLUME_SERIAL_MAX) == 0;
}

static bool ends_with_id(const char *name, const char *id, size_t idlen)
{
  size_t n = strlen(name);

  if (n == idlen && strncmp(name, id, idlen) == 0)
    return true;
  return n > idlen && strncmp(name + n - idlen, id, idlen) == 0 &&
         (name[n - idlen - 1] == '-' || name[n - idlen - 1] == '_');
}

/* "virtio-<first 20>", "scsi-0QEMU_QEMU_HARDDISK_<id>", or the id itself;
 * never a partition's name ("...-part1"). */
bool volume_by_id_name_matches(const char *name, const char *id)
{
  size_t n = strlen(id);

  if (strstr(name, "-part"))
    return false;
  if (ends_with_id(name, id, n))
    return true;
  return n > VOLUME_SERIAL_MAX && ends_with_id(name, id, VOLUME_SERIAL_MAX);
}

static void volume_free(struct volume *v)
{
  free(v->path);
  free(v->serial);
  for (size_t i = 0; i < v->n_ids; i++)
    free(v->ids[i]);
  free(v->ids);
}

void volume_list_free(struct volume_list *l)
{
  for (size_t i = 0; i < l->n; i++)
    volume_free(&l->v[i]);
  free(l->v);
  l->v = NULL;
  l->n = 0;
}

static int add_id(struct volume *v, const char *name)
{
  char **ids = realloc(v->ids, (v->n_ids + 1) * sizeof *ids);

  if (!ids)
    return -1;
  v->ids = ids;
  if (!(ids[v->n_ids] = strdup(name)))
    return -1;
  v->n_ids++;
  return 0;
}

static int add_by_id_names(struct volume_list *l, const char *dir)
{
  _cleanup_closedir_ DIR *d = opendir(dir);
  struct dirent *e;
  char path[PATH_MAX];
  struct stat st;

  if (!d)
    return errno == ENOENT ? 0 : -1;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.')
      continue;
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    if (stat(path, &st) < 0 || !S_ISBLK(st.st_mode))
      continue;
    for (size_t i = 0; i < l->n; i++)
      if (l->v[i].devnum == st.st_rdev && add_id(&l->v[i], e->d_name) < 0)
        return -1;
  }
  return 0;
}

static bool sysattr_true(sd_device *dev, const char *attr)
{
  const char *s = NULL;
  return sd_device_get_sysattr_value(dev, attr, &s) >= 0 && s && s[0] == '1';
}

static const char *device_serial(sd_device *dev)
{
  const char *s = NULL;

  if (sd_device_get_sysattr_value(dev, "serial", &s) >= 0 && s && *s)
    return s;
  if (sd_device_get_property_value(dev, "ID_SERIAL_SHORT", &s) >= 0 && s &&
      *s)
    return s;
  return NULL;
}

static bool devnum_in(dev_t dev, const dev_t *v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (v[i] == dev)
      return true;
  return false;
}

static int add_device(struct volume_list *l, sd_device *dev,
                      const dev_t *sys, size_t n_sys)
{
  const char *devtype = NULL, *name = NULL, *size = NULL, *serial;
  struct volume v = { 0 };
  dev_t devnum;

  if (sd_device_get_devtype(dev, &devtype) < 0 || !devtype ||
      strcmp(devtype, "disk") != 0 ||
      sd_device_get_devname(dev, &name) < 0 ||
      sd_device_get_devnum(dev, &devnum) < 0 ||
      sd_device_get_sysattr_value(dev, "size", &size) < 0)
    return 0;
  v.size = strtoull(size, NULL, 10) * 512;    /* sysfs counts sectors */
  if (v.size == 0)
    return 0;                                  /* an empty loop device */
  serial = device_serial(dev);
  v.devnum = devnum;
  v.read_only = sysattr_true(dev, "ro");
  v.mounted = devnum_in(devnum, sys, n_sys);
  if (!(v.path = strdup(name)) || (serial && !(v.serial = strdup(serial)))) {
    volume_free(&v);
    return -1;
  }
  struct volume *nv = realloc(l->v, (l->n + 1) * sizeof *nv);
  if (!nv) {
    volume_free(&v);
    return -1;
  }
  nv[l->n++] = v;
  l->v = nv;
  return 0;
}

static int by_path(const void *a, const void *b)
{
  return strcmp(((const struct volume *)a)->path,
                ((const struct volume *)b)->path);
}

int volumes_list(const char *by_id_dir, struct volume_list *out)
{
  sd_device_enumerator *e = NULL;
  _cleanup_free_ dev_t *sys = NULL;
  size_t n_sys = 0;
  int r;

  out->v = NULL;
  out->n = 0;
  if (system_disks("/proc/self/mountinfo", "/proc/swaps", &sys, &n_sys) < 0)
    return -1;
  if ((r = sd_device_enumerator_new(&e)) < 0 ||
      (r = sd_device_enumerator_add_match_subsystem(e, "block", 1)) < 0 ||
      /* without a running udev (a container, early boot) no device is
       * "initialized"; /sys alone says all we need */
      (r = sd_device_enumerator_allow_uninitialized(e)) < 0) {
    sd_device_enumerator_unref(e);
    errno = -r;
    return -1;
  }
  for (sd_device *d = sd_device_enumerator_get_device_first(e); d;
       d = sd_device_enumerator_get_device_next(e))
    if (add_device(out, d, sys, n_sys) < 0) {
      sd_device_enumerator_unref(e);
      volume_list_free(out);
      return -1;
    }
  sd_device_enumerator_unref(e);
  if (out->n > 1)
    qsort(out->v, out->n, sizeof *out->v, by_path);
  if (add_by_id_names(out, by_id_dir) < 0) {
    volume_list_free(out);
    return -1;
  }
  return 0;
}

const struct volume *volume_find(const struct volume_list *l, const char *id)
{
  for (size_t i = 0; i < l->n; i++)
    if (volume_serial_matches(l->v[i].serial, id))
      return &l->v[i];
  for (size_t i = 0; i < l->n; i++)
    for (size_t k = 0; k < l->v[i].n_ids; k++)
      if (volume_by_id_name_matches(l->v[i].ids[k], id))
        return &l->v[i];
  return NULL;
}

json_object *volume_to_json(const struct volume *v)
{
  json_object *o = json_object_new_object(), *ids = json_object_new_array();

  json_object_object_add(o, "path", json_object_new_string(v->path));
  json_object_object_add(o, "serial", v->serial
                           ? json_object_new_string(v->serial) : NULL);
  for (size_t i = 0; i < v->n_ids; i++)
    json_object_array_add(ids, json_object_new_string(v->ids[i]));
  json_object_object_add(o, "ids", ids);
  json_object_object_add(o, "size", json_object_new_int64((int64_t)v->size));
  json_object_object_add(o, "read_only", json_object_new_boolean(v->read_only));
  json_object_object_add(o, "mounted", json_object_new_boolean(v->mounted));
  return o;
}
