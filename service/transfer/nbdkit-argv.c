/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transfer/tool-argv.h"

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
static int add_param(struct argv *a, const struct rq_nbdkit_param *p)
{
  char name[64];
  size_t i;

  for (i = 0; p->key[i] && i < sizeof name - 1; i++)
    name[i] = p->key[i] == '_' ? '-' : p->key[i];
  name[i] = '\0';
  switch (p->type) {
  case PARAM_STRING:
    return argv_addf(a, "%s=%s", name, p->s);
  case PARAM_BOOL:
    return argv_addf(a, "%s=%s", name, p->b ? "true" : "false");
  case PARAM_INT:
    return argv_addf(a, "%s=%lld", name, (long long)p->n);
  }
  return -1;
}

/* --filter=NAME before the plugin ... */
static int add_filters(struct argv *a, const struct source_filters *f)
{
  if (f && f->reconnect_filter &&
      argv_addf(a, "--filter=%s", f->reconnect_filter) < 0)
    return -1;
  if (f && f->rate_file && argv_add(a, "--filter=rate") < 0)
    return -1;
  return 0;
}

/* ... and their parameters after the plugin's. */
static int add_filter_params(struct argv *a, const struct source_filters *f)
{
  if (f && f->reconnect_filter &&
      (argv_addf(a, "retries=%d", SOURCE_RETRIES) < 0 ||
       argv_addf(a, "retry-delay=%d", SOURCE_RETRY_DELAY) < 0))
    return -1;
  if (f && f->rate_file && argv_addf(a, "rate-file=%s", f->rate_file) < 0)
    return -1;
  return 0;
}

static int add_plugin(struct argv *a, const struct nbdkit_source *source);

int nbdkit_filtered_source_argv(struct argv *a,
                                const struct nbdkit_source *source,
                                const struct source_filters *filters,
                                const char *sock, const char *pidfile)
{
  if (nbdkit_common(a, pidfile) < 0 || argv_add(a, "-U") < 0 ||
      argv_add(a, sock) < 0 || add_filters(a, filters) < 0 ||
      add_plugin(a, source) < 0 || add_filter_params(a, filters) < 0)
    return -1;
  return 0;
}

/* PLUGIN key=value... */
static int add_plugin(struct argv *a, const struct nbdkit_source *source)
{
  const struct rq_nbdkit *nbdkit = source->nbdkit;

  if (source->path)
    return argv_add(a, "file") < 0 ? -1
                                   : argv_addf(a, "file=%s", source->path);
  if (!nbdkit || argv_add(a, nbdkit->plugin_name) < 0)
    return -1;
  for (size_t i = 0; i < nbdkit->n_params; i++)
    if (add_param(a, &nbdkit->params[i]) < 0)
      return -1;
  if (nbdkit->n_vddk_config > 0 &&
      (!source->vddk_config ||
       argv_addf(a, "config=%s", source->vddk_config) < 0))
    return -1;
  if (nbdkit->password &&
      (!source->password_file ||
       argv_addf(a, "password=+%s", source->password_file) < 0))
    return -1;
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
  if (l->disksdone_filter &&
      argv_addf(a, "--filter=%s", l->disksdone_filter) < 0)
    return -1;
  if (l->zeroscan_filter &&
      argv_addf(a, "--filter=%s", l->zeroscan_filter) < 0)
    return -1;
  if (argv_add(a, "file") < 0 || argv_addf(a, "dir=%s", export_dir) < 0)
    return -1;
  if (!l->disksdone_filter)
    return 0;
  for (size_t i = 0; i < l->n_names; i++)
    if (argv_addf(a, "disksdone-export=%s", l->names[i]) < 0)
      return -1;
  if (argv_addf(a, "disksdone-idle=%lld", l->idle_s) < 0)
    return -1;
  return l->disksdone_state
           ? argv_addf(a, "disksdone-state=%s", l->disksdone_state)
           : 0;
}

/* VixDiskLib's config file: one "KEY=VALUE" line per entry, in the
 * request's order. */
char *vddk_config_text(const struct rq_nbdkit *nbdkit)
{
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);

  if (!f)
    return NULL;
  for (size_t i = 0; i < nbdkit->n_vddk_config; i++)
    fprintf(f, "%s=%lld\n", nbdkit->vddk_config[i].name,
            (long long)nbdkit->vddk_config[i].value);
  if (fclose(f) != 0) {
    free(text);
    return NULL;
  }
  return text;
}
