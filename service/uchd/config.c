/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <getopt.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
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
  K_VDDK_LIBDIR = 512, K_STALL = 1024,
  K_ROOT = 2048,            /* + role: one bit each */
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
  { "stall_timeout", K_STALL, 0 },
  { "source_root", K_ROOT << CONFINE_SOURCE, 0 },
  { "destination_root", K_ROOT << CONFINE_DESTINATION, 0 },
  { "export_root", K_ROOT << CONFINE_EXPORT, 0 },
  { "secret_root", K_ROOT << CONFINE_SECRET, 0 },
  { "library_root", K_ROOT << CONFINE_LIBRARY, 0 },
};

static int push_str(char ***v, size_t *n, const char *value)
{
  char **nv = realloc(*v, (*n + 1) * sizeof *nv);

  if (!nv)
    return -1;
  *v = nv;
  if (!(nv[*n] = strdup(value)))
    return -1;
  (*n)++;
  return 0;
}

/* source_root = DIR, ...: repeatable, absolute */
static int add_root(struct uchd_config *c, int role, const char *key,
                    const char *value, struct uch_error *err)
{
  if (value[0] != '/') {
    uch_error_set(err, "invalid_config", key,
                  "%s: '%s' must be an absolute path", key, value);
    return -1;
  }
  if (push_str(&c->roots[role], &c->n_roots[role], value) < 0) {
    uch_error_set(err, "internal", key, "out of memory");
    return -1;
  }
  return 0;
}

static int set_stall(struct uchd_config *c, const char *value,
                     struct uch_error *err)
{
  char *end;
  errno = 0;
  long n = strtol(value, &end, 10);
  if (errno || end == value || *end || n < 1 || n > 86400) {
    uch_error_set(err, "invalid_config", "stall_timeout",
                  "stall_timeout: '%s' is not a number of seconds from 1 "
                  "to 86400", value);
    return -1;
  }
  c->stall_timeout_s = (int)n;
  return 0;
}

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
    if (keys[i].bit == K_STALL)
      return set_stall(c, value, err);
    for (int role = 0; role < CONFINE_ROLES; role++)
      if (keys[i].bit == (unsigned)K_ROOT << role)
        return add_root(c, role, key, value, err);
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

/* uchd.conf is read by inih (Debian's libinih, a well-known small INI
 * parser): `key = value` lines, `#` or `;` comments, no sections.  Our
 * reader hands inih one line at a time, counts them (for the errors),
 * strips their indentation (inih would take an indented line for the
 * continuation of the previous value) and refuses a line too long for
 * inih's buffer rather than let inih cut it in two. */
#define CONFIG_LINE_MAX 200     /* inih's INI_MAX_LINE, as Debian builds it */

struct config_read {
  FILE *f;
  const char *path;
  struct uchd_config *c;
  struct uch_error *err;
  unsigned lineno;
  bool failed;
};

static void config_fail(struct config_read *r, const char *key,
                        const char *fmt, ...)
  __attribute__((format(printf, 3, 4)));
static void config_fail(struct config_read *r, const char *key,
                        const char *fmt, ...)
{
  char msg[sizeof r->err->message];
  va_list ap;

  if (r->failed)
    return;                             /* the first error is the one */
  r->failed = true;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  uch_error_set(r->err, "invalid_config", key, "%s line %u: %.400s", r->path,
                r->lineno, msg);
}

static char *config_reader(char *str, int num, void *stream)
{
  struct config_read *r = stream;
  char buf[CONFIG_LINE_MAX * 4];
  size_t n;

  if (r->failed || !fgets(buf, sizeof buf, r->f))
    return NULL;
  r->lineno++;
  n = strlen(buf);
  if (n == sizeof buf - 1 && buf[n - 1] != '\n') {
    config_fail(r, "config", "longer than %d characters", num - 2);
    return NULL;
  }
  char *s = buf + strspn(buf, " \t");
  if (strlen(s) > (size_t)num - 1) {
    config_fail(r, "config", "longer than %d characters", num - 2);
    return NULL;
  }
  memcpy(str, s, strlen(s) + 1);
  return str;
}

static int config_handler(void *user, const char *section, const char *key,
                          const char *value)
{
  struct config_read *r = user;

  if (r->failed)
    return 0;
  if (*section) {
    config_fail(r, key, "section [%s]: uchd.conf has no sections", section);
    return 0;
  }
  if (config_set(r->c, key, value, false, r->err) < 0) {
    char msg[sizeof r->err->message];
    memcpy(msg, r->err->message, sizeof msg);
    config_fail(r, key, "%s", msg);
    return 0;
  }
  return 1;
}

int config_load_file(struct uchd_config *c, const char *path,
                     struct uch_error *err)
{
  _cleanup_fclose_ FILE *f = fopen(path, "re");
  struct config_read r = { .f = f, .path = path, .c = c, .err = err };
  int line;

  if (!f) {
    uch_error_set(err, "invalid_config", "config", "%s: %s", path,
                  strerror(errno));
    return -1;
  }
  line = ini_parse_stream(config_reader, &r, config_handler, &r);
  if (r.failed && (line <= 0 || (unsigned)line >= r.lineno))
    return -1;
  if (line > 0) {
    /* inih's own: a line that is not `key = value` (or `[section]`) */
    r.failed = false;
    r.lineno = (unsigned)line;
    config_fail(&r, "config", "expected 'key = value'");
    return -1;
  }
  if (line < 0 || ferror(f)) {
    uch_error_set(err, "invalid_config", "config", "%s: %s", path,
                  line == -2 ? "out of memory" : strerror(EIO));
    return -1;
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
  for (int role = 0; role < CONFINE_ROLES; role++) {
    const char *def = role == CONFINE_SECRET ? DEFAULT_SECRET_ROOT
      : role == CONFINE_LIBRARY
        ? (c->vddk_libdir ? c->vddk_libdir : DEFAULT_VDDK_LIBDIR)
        : DEFAULT_IMAGE_ROOT;
    if (c->n_roots[role] == 0 &&
        push_str(&c->roots[role], &c->n_roots[role], def) < 0)
      return -1;
  }
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
  for (int role = 0; role < CONFINE_ROLES; role++) {
    for (size_t i = 0; i < c->n_roots[role]; i++)
      free(c->roots[role][i]);
    free(c->roots[role]);
  }
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
