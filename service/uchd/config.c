/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "uchd/config.h"
#include "util/cleanup.h"
#include "util/hostport.h"

enum key_bit {
  K_STATE = 1, K_RUNTIME = 2, K_LISTEN = 4, K_UNIX = 8, K_MAX_JOBS = 16,
  K_TOKEN = 32, K_TLS_CERT = 64, K_TLS_KEY = 128, K_VOLUME_BY_ID = 256,
  K_VDDK_LIBDIR = 512,
};

static const struct {
  const char *name;
  unsigned bit;
  size_t offset;           /* of the char * field; 0 for special keys */
} keys[] = {
  { "state_dir", K_STATE, offsetof(struct uchd_config, state_dir) },
  { "runtime_dir", K_RUNTIME, offsetof(struct uchd_config, runtime_dir) },
  { "listen", K_LISTEN, 0 },
  { "unix", K_UNIX, offsetof(struct uchd_config, unix_path) },
  { "max_jobs", K_MAX_JOBS, 0 },
  { "token_file", K_TOKEN, offsetof(struct uchd_config, token_file) },
  { "tls_cert", K_TLS_CERT, offsetof(struct uchd_config, tls_cert) },
  { "tls_key", K_TLS_KEY, offsetof(struct uchd_config, tls_key) },
  { "volume_by_id_dir", K_VOLUME_BY_ID,
    offsetof(struct uchd_config, volume_by_id_dir) },
  { "vddk_libdir", K_VDDK_LIBDIR, offsetof(struct uchd_config, vddk_libdir) },
};

static int add_listen(struct uchd_config *c, const char *value,
                      struct uch_error *err)
{
  _cleanup_free_ char *host = NULL, *port = NULL;

  if (strcmp(value, "none") == 0) {
    c->listen_none = true;
    return 0;
  }
  if (host_port_split(value, &host, &port) < 0) {
    uch_error_set(err, "invalid_config", "listen",
                  "listen: '%s' is not HOST:PORT (or 'none')", value);
    return -1;
  }
  char **v = realloc(c->listen, (c->n_listen + 1) * sizeof *v);
  if (!v || !(v[c->n_listen] = strdup(value))) {
    if (v)
      c->listen = v;
    uch_error_set(err, "internal", "listen", "out of memory");
    return -1;
  }
  c->listen = v;
  c->n_listen++;
  return 0;
}

static int set_max_jobs(struct uchd_config *c, const char *value,
                        struct uch_error *err)
{
  char *end;
  errno = 0;
  long n = strtol(value, &end, 10);
  if (errno || end == value || *end || n < 1 || n > 1024) {
    uch_error_set(err, "invalid_config", "max_jobs",
                  "max_jobs: '%s' is not a number from 1 to 1024", value);
    return -1;
  }
  c->max_jobs = (int)n;
  return 0;
}

int config_set(struct uchd_config *c, const char *key, const char *value,
               bool from_cli, struct uch_error *err)
{
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
    if (strcmp(keys[i].name, key) != 0)
      continue;
    if (!from_cli && (c->cli_set & keys[i].bit))
      return 0;                         /* the command line wins */
    if (from_cli)
      c->cli_set |= keys[i].bit;
    if (*value == '\0') {
      uch_error_set(err, "invalid_config", key, "%s: empty value", key);
      return -1;
    }
    if (keys[i].bit == K_LISTEN)
      return add_listen(c, value, err);
    if (keys[i].bit == K_MAX_JOBS)
      return set_max_jobs(c, value, err);
    if ((keys[i].bit & (K_STATE | K_RUNTIME | K_UNIX | K_TOKEN | K_TLS_CERT |
                        K_TLS_KEY | K_VOLUME_BY_ID | K_VDDK_LIBDIR)) &&
        value[0] != '/') {
      uch_error_set(err, "invalid_config", key,
                    "%s: '%s' must be an absolute path", key, value);
      return -1;
    }
    char **field = (char **)((char *)c + keys[i].offset);
    free(*field);
    *field = strdup(value);
    return *field ? 0 : -1;
  }
  uch_error_set(err, "invalid_config", key, "unknown key '%s'", key);
  return -1;
}

static char *trim(char *s)
{
  while (*s == ' ' || *s == '\t')
    s++;
  size_t n = strlen(s);
  while (n > 0 && strchr(" \t\r\n", s[n - 1]))
    s[--n] = '\0';
  return s;
}

int config_load_file(struct uchd_config *c, const char *path,
                     struct uch_error *err)
{
  _cleanup_fclose_ FILE *f = fopen(path, "re");
  _cleanup_free_ char *line = NULL;
  size_t cap = 0;
  unsigned lineno = 0;

  if (!f) {
    uch_error_set(err, "invalid_config", "config", "%s: %s", path,
                  strerror(errno));
    return -1;
  }
  while (getline(&line, &cap, f) >= 0) {
    lineno++;
    char *s = trim(line);
    if (*s == '\0' || *s == '#')
      continue;
    char *eq = strchr(s, '=');
    if (!eq) {
      uch_error_set(err, "invalid_config", "config",
                    "%s line %u: expected 'key = value'", path, lineno);
      return -1;
    }
    *eq = '\0';
    char *key = trim(s), *value = trim(eq + 1);
    if (config_set(c, key, value, false, err) < 0) {
      char msg[sizeof err->message];
      memcpy(msg, err->message, sizeof msg);
      uch_error_set(err, "invalid_config", key, "%s line %u: %.400s", path,
                    lineno, msg);
      return -1;
    }
  }
  return 0;
}

int default_max_jobs(void)
{
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  unsigned long long kib = 0;
  _cleanup_fclose_ FILE *f = fopen("/proc/meminfo", "re");
  char line[256];

  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "MemTotal: %llu kB", &kib) == 1)
      break;
  long by_mem = (long)(kib / (2ULL * 1024 * 1024));
  long n = cores < by_mem ? cores : by_mem;
  return n < 1 ? 1 : (int)n;
}

static int set_default(char **field, const char *fmt, const char *arg)
{
  if (*field)
    return 0;
  return asprintf(field, fmt, arg) < 0 ? -1 : 0;
}

int config_finish(struct uchd_config *c, struct uch_error *err)
{
  if (set_default(&c->state_dir, "%s", "/var/lib/uch") < 0 ||
      set_default(&c->runtime_dir, "%s", "/run/uch") < 0 ||
      set_default(&c->unix_path, "%s/uchd.sock", c->runtime_dir) < 0 ||
      set_default(&c->token_file, "%s/api-token", c->state_dir) < 0)
    return -1;
  if (c->n_listen == 0 && !c->listen_none &&
      add_listen(c, "127.0.0.1:10808", err) < 0)
    return -1;
  if (c->listen_none) {
    for (size_t i = 0; i < c->n_listen; i++)
      free(c->listen[i]);
    c->n_listen = 0;
  }
  if (c->max_jobs == 0)
    c->max_jobs = default_max_jobs();
  if (!c->tls_cert != !c->tls_key) {
    uch_error_set(err, "invalid_config", c->tls_cert ? "tls_key" : "tls_cert",
                  "tls_cert and tls_key must be given together");
    return -1;
  }
  for (size_t i = 0; i < c->n_listen; i++)
    if (!listen_is_loopback(c->listen[i]) && !c->tls_cert) {
      uch_error_set(err, "invalid_config", "listen",
                    "listen: %s is not a loopback address; it needs "
                    "--tls-cert and --tls-key (refusing to serve the API "
                    "unencrypted)", c->listen[i]);
      return -1;
    }
  return 0;
}

void config_free(struct uchd_config *c)
{
  free(c->config_file);
  free(c->state_dir);
  free(c->runtime_dir);
  for (size_t i = 0; i < c->n_listen; i++)
    free(c->listen[i]);
  free(c->listen);
  free(c->unix_path);
  free(c->token_file);
  free(c->tls_cert);
  free(c->tls_key);
  free(c->volume_by_id_dir);
  free(c->vddk_libdir);
  memset(c, 0, sizeof *c);
}

bool listen_is_loopback(const char *host_port)
{
  _cleanup_free_ char *host = NULL, *port = NULL;

  if (host_port_split(host_port, &host, &port) < 0)
    return false;
  return strncmp(host, "127.", 4) == 0 || strcmp(host, "::1") == 0 ||
         strcmp(host, "localhost") == 0;
}
