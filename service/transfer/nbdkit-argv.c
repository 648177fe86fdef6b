/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transfer/tool-argv.h"
#include "util/jsonutil.h"

static int nbdkit_common(struct argv *a, const char *pidfile)
{
  static const char *const common[] = { "nbdkit", "--exit-with-parent", "-r",
                                        "-f", NULL };
  if (argv_addv(a, common) < 0 || argv_add(a, "-P") < 0 ||
      argv_add(a, pidfile) < 0)
    return -1;
  return 0;
}

/* "known_hosts" -> "known-hosts": nbdkit's spelling of the request keys. */
static int add_param(struct argv *a, const char *key, json_object *v)
{
  char name[64];
  size_t i;

  for (i = 0; key[i] && i < sizeof name - 1; i++)
    name[i] = key[i] == '_' ? '-' : key[i];
  name[i] = '\0';
  switch (json_object_get_type(v)) {
  case json_type_string:
    return argv_addf(a, "%s=%s", name, json_object_get_string(v));
  case json_type_boolean:
    return argv_addf(a, "%s=%s", name,
                     json_object_get_boolean(v) ? "true" : "false");
  case json_type_int:
    return argv_addf(a, "%s=%lld", name,
                     (long long)json_object_get_int64(v));
  default:
    return -1;
  }
}

/* --filter=NAME before the plugin ... */
static int add_filters(struct argv *a, const struct source_filters *f)
{
  if (f && f->retry && argv_add(a, "--filter=retry") < 0)
    return -1;
  if (f && f->rate_file && argv_add(a, "--filter=rate") < 0)
    return -1;
  return 0;
}

/* ... and their parameters after the plugin's. */
static int add_filter_params(struct argv *a, const struct source_filters *f)
{
  if (f && f->retry &&
      (argv_addf(a, "retries=%d", SOURCE_RETRIES) < 0 ||
       argv_addf(a, "retry-delay=%d", SOURCE_RETRY_DELAY) < 0))
    return -1;
  if (f && f->rate_file && argv_addf(a, "rate-file=%s", f->rate_file) < 0)
    return -1;
  return 0;
}

static int add_plugin(struct argv *a, json_object *source,
                      const char *password_file);

int nbdkit_filtered_source_argv(struct argv *a, json_object *source,
                                const struct source_filters *filters,
                                const char *sock, const char *pidfile,
                                const char *password_file)
{
  if (nbdkit_common(a, pidfile) < 0 || argv_add(a, "-U") < 0 ||
      argv_add(a, sock) < 0 || add_filters(a, filters) < 0 ||
      add_plugin(a, source, password_file) < 0 ||
      add_filter_params(a, filters) < 0)
    return -1;
  return 0;
}

/* PLUGIN key=value... */
static int add_plugin(struct argv *a, json_object *source,
                      const char *password_file)
{
  const char *path = json_get_string(source, "path");
  json_object *nbdkit = json_get(source, "nbdkit");
  const char *plugin = json_get_string(nbdkit, "plugin");

  if (path)
    return argv_add(a, "file") < 0 ? -1 : argv_addf(a, "file=%s", path);
  if (!plugin || argv_add(a, plugin) < 0)
    return -1;
  json_object_object_foreach(nbdkit, key, v) {
    if (strcmp(key, "plugin") == 0 || strcmp(key, "password") == 0 ||
        strcmp(key, "password_file") == 0)
      continue;
    if (add_param(a, key, v) < 0)
      return -1;
  }
  if (json_get(nbdkit, "password") || json_get(nbdkit, "password_file")) {
    if (!password_file)
      return -1;
    return argv_addf(a, "password=+%s", password_file);
  }
  return 0;
}

int nbdkit_export_argv(struct argv *a, const struct export_listen *l,
                       const char *pidfile, const char *export_dir)
{
  if (nbdkit_common(a, pidfile) < 0)
    return -1;
  if (l->unix_sock) {
    if (argv_add(a, "-U") < 0 || argv_add(a, l->unix_sock) < 0)
      return -1;
  } else {
    if (argv_add(a, "-i") < 0 || argv_add(a, l->addr) < 0 ||
        argv_add(a, "-p") < 0 || argv_add(a, l->port) < 0 ||
        argv_add(a, "--tls=require") < 0 ||
        argv_addf(a, "--tls-psk=%s", l->psk_file) < 0)
      return -1;
  }
  if (l->exit_after_last_client && argv_add(a, "--filter=exitlast") < 0)
    return -1;
  if (argv_add(a, "file") < 0 || argv_addf(a, "dir=%s", export_dir) < 0)
    return -1;
  return 0;
}

/* VixDiskLib's config file: one "KEY=VALUE" line per entry, in the
 * request's order. */
char *vddk_config_text(json_object *entries)
{
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);

  if (!f)
    return NULL;
  json_object_object_foreach(entries, key, v)
    fprintf(f, "%s=%lld\n", key, (long long)json_object_get_int64(v));
  if (fclose(f) != 0) {
    free(text);
    return NULL;
  }
  return text;
}

/* A copy of a vddk source with config=FILE in place of its
 * config_entries (FILE holds them). */
json_object *vddk_source_with_config(json_object *source, const char *file)
{
  json_object *copy = NULL, *nbdkit;

  if (json_object_deep_copy(source, &copy, NULL) < 0)
    return NULL;
  nbdkit = json_get(copy, "nbdkit");
  if (!nbdkit) {
    json_object_put(copy);
    return NULL;
  }
  json_object_object_del(nbdkit, "config_entries");
  json_object_object_add(nbdkit, "config", json_object_new_string(file));
  return copy;
}
