/* SPDX-License-Identifier: GPL-2.0-or-later */
/* An nbdkit SOURCE: the plugin, the keys each plugin takes, and its
 * password (inline or from a file), which becomes a secret. */
#include <assert.h>
#include <string.h>

#include "jobs/request_check.h"
#include "util/jsonutil.h"

enum key_kind {
  K_STRING,    /* non-empty, no control characters */
  K_HOST,
  K_ABS,       /* absolute path on this host */
  K_BOOL,
  K_PORT,      /* 1..65535 */
  K_SECONDS,   /* 1..86400 */
  K_HTTP_URL,
  K_NBD_URI,
  K_MOREF,     /* "moref=vm-123" */
  K_VDDK_COMPRESSION,   /* nbdkit-vddk-plugin's compression= */
  K_VDDK_CONFIG,        /* {VixDiskLib config entry: integer}, below */
};

struct plugin_key {
  const char *name;
  enum key_kind kind;
  bool required;
};

struct plugin {
  const char *name;
  enum nbdkit_plugin kind;
  bool takes_password;
  struct plugin_key keys[12];   /* ends at the first NULL name */
};

static const struct plugin plugins[] = {
  { "file", PLUGIN_FILE, false, {
      { "file", K_ABS, true },
      } },
  { "ssh", PLUGIN_SSH, true, {
      { "host", K_HOST, true },
      { "path", K_STRING, true },
      { "user", K_STRING, false },
      { "port", K_PORT, false },
      { "identity", K_ABS, false },
      { "known_hosts", K_ABS, false },
      { "verify_remote_host", K_BOOL, false },
      } },
  { "curl", PLUGIN_CURL, true, {
      { "url", K_HTTP_URL, true },
      { "user", K_STRING, false },
      { "sslverify", K_BOOL, false },
      { "cainfo", K_ABS, false },
      { "timeout", K_SECONDS, false },
      } },
  { "nbd", PLUGIN_NBD, false, {
      { "uri", K_NBD_URI, true },
      } },
  { "vddk", PLUGIN_VDDK, true, {
      { "server", K_HOST, true },
      { "file", K_STRING, true },
      { "vm", K_MOREF, true },
      { "libdir", K_ABS, false },
      { "user", K_STRING, false },
      { "thumbprint", K_STRING, false },
      { "snapshot", K_STRING, false },
      { "transports", K_STRING, false },
      { "config", K_ABS, false },
      { "compression", K_VDDK_COMPRESSION, false },
      { "config_entries", K_VDDK_CONFIG, false },
      } },
};

/* The VixDiskLib config entries a user may tune (VDDK's names, so they
 * are pasted from VMware's documentation), each an integer in range;
 * the worker writes them to a config file it passes as config=.  The
 * NFC AIO buffers: size in 64 KiB units (VDDK's default 4, at most 16,
 * 1 MiB) and count (default 4); the NFC timeouts in milliseconds. */
static const struct vddk_entry {
  const char *name;
  int64_t min, max;
} vddk_entries[] = {
  { "vixDiskLib.nfcAio.Session.BufSizeIn64KB", 1, 16 },
  { "vixDiskLib.nfcAio.Session.BufCount", 1, 64 },
  { "vixDiskLib.nfc.ReadTimeoutMsecs", 1000, 3600000 },
  { "vixDiskLib.nfc.WriteTimeoutMsecs", 1000, 3600000 },
};

static const char *const vddk_compressions[] = { "none", "zlib", "fastlz",
                                                 "skipz", NULL };

static int parse_vddk_config(struct rq_ctx *c, json_object *nbdkit,
                             const char *field, struct rq_nbdkit *out)
{
  json_object *entries = NULL;
  const char *file = NULL;
  char f[FIELD_MAX];
  int64_t n;

  if (get_object(c, nbdkit, field, "config_entries", false, &entries) < 0)
    return -1;
  if (!entries)
    return 0;
  field_key(f, field, "config_entries");
  if (json_object_object_length(entries) == 0)
    return rq_fail(c, f, "must name at least one entry");
  if (get_abs_path(c, nbdkit, field, "config", false, &file) < 0)
    return -1;
  if (file)
    return rq_fail(c, f, "give either \"config\" (a file) or "
                   "\"config_entries\", not both");
  json_object_object_foreach(entries, key, val) {
    const struct vddk_entry *e = NULL;
    (void)val;
    for (size_t i = 0; i < sizeof vddk_entries / sizeof vddk_entries[0]; i++)
      if (strcmp(vddk_entries[i].name, key) == 0)
        e = &vddk_entries[i];
    if (!e) {
      char g[FIELD_MAX];
      field_key(g, f, key);
      return rq_fail(c, g, "is not a VDDK config entry UCH passes (known: "
                     "vixDiskLib.nfcAio.Session.BufSizeIn64KB, "
                     "vixDiskLib.nfcAio.Session.BufCount, "
                     "vixDiskLib.nfc.ReadTimeoutMsecs, "
                     "vixDiskLib.nfc.WriteTimeoutMsecs)");
    }
    if (get_int(c, entries, f, key, true, e->min, e->max, &n) < 0)
      return -1;
    /* the keys of an object are distinct, and each is a known entry */
    if (out->n_vddk_config < VDDK_MAX_CONFIG)
      out->vddk_config[out->n_vddk_config++] =
        (struct rq_vddk_entry){ e->name, n };
  }
  return 0;
}

/* compression= is for the NBD transports only (VDDK ignores it on the
 * others): refuse it where the transports asked for cannot use it. */
static int check_vddk_compression(struct rq_ctx *c, json_object *nbdkit,
                                  const char *field)
{
  const char *comp = NULL, *tr = NULL;
  char f[FIELD_MAX];

  if (get_enum(c, nbdkit, field, "compression", false, vddk_compressions,
               &comp) < 0 ||
      get_string(c, nbdkit, field, "transports", false, &tr) < 0)
    return -1;
  if (!comp || strcmp(comp, "none") == 0 || !tr)
    return 0;
  for (const char *p = tr; *p; ) {
    size_t len = strcspn(p, ":");
    if ((len == 3 && strncmp(p, "nbd", 3) == 0) ||
        (len == 6 && strncmp(p, "nbdssl", 6) == 0))
      return 0;
    p += len;
    if (*p == ':')
      p++;
  }
  field_key(f, field, "compression");
  return rq_fail(c, f, "needs the nbd or nbdssl transport, and transports "
                 "is \"%.64s\"", tr);
}

static const struct plugin *plugin_find(const char *name)
{
  for (size_t i = 0; i < sizeof plugins / sizeof plugins[0]; i++)
    if (strcmp(plugins[i].name, name) == 0)
      return &plugins[i];
  return NULL;
}

static const struct plugin_key *key_find(const struct plugin *p,
                                         const char *name)
{
  for (const struct plugin_key *k = p->keys; k->name; k++)
    if (strcmp(k->name, name) == 0)
      return k;
  return NULL;
}

static bool http_url_valid(const char *url)
{
  const char *host;

  if (strncmp(url, "http://", 7) == 0)
    host = url + 7;
  else if (strncmp(url, "https://", 8) == 0)
    host = url + 8;
  else
    return false;
  return *host != '\0' && *host != '/' && *host != ':' &&
         !strpbrk(url, " \t\"<>\\");
}

/* "USER:PASSWORD@" in the authority: it would show in the job's request,
 * its log and nbdkit's argv. */
static bool http_url_has_password(const char *url)
{
  const char *a = strstr(url, "://");
  const char *at;
  size_t n;

  if (!a)
    return false;
  a += 3;
  n = strcspn(a, "/?#");
  at = memrchr(a, '@', n);
  return at && memchr(a, ':', at - a);
}

/* The rules of a string key's kind, for its value s. */
static int check_string_key(struct rq_ctx *c, const char *f,
                            const struct plugin_key *k, const char *s)
{
  switch (k->kind) {
  case K_HOST:
    if (!host_valid(s))
      return rq_fail(c, f, "must be a host name or IP address "
                     "(IPv6 in brackets)");
    break;
  case K_HTTP_URL:
    if (http_url_has_password(s))
      return rq_fail(c, f, "must not hold a password (USER:PASSWORD@): "
                     "give \"user\" and \"password_file\"");
    if (!http_url_valid(s))
      return rq_fail(c, f, "must be an http:// or https:// URL");
    break;
  case K_NBD_URI:
    /* Same rules as {"nbd": URI}; source has them. */
    return check_nbd_uri(c, s, f);
  case K_MOREF:
    if (strncmp(s, "moref=", 6) != 0 || s[6] == '\0')
      return rq_fail(c, f, "must be \"moref=ID\" (for example "
                     "\"moref=vm-123\")");
    break;
  default:
    break;
  }
  return 0;
}

/* Checks plugin key k of `o`, filling *v (v->key NULL when absent). */
static int parse_key(struct rq_ctx *c, json_object *o, const char *field,
                     const struct plugin_key *k, struct rq_nbdkit *out,
                     struct rq_nbdkit_param *v)
{
  char f[FIELD_MAX];
  const char *s = NULL;
  bool b = false;
  int64_t n = 0;

  field_key(f, field, k->name);
  v->key = NULL;
  switch (k->kind) {
  case K_BOOL:
    if (get_bool(c, o, field, k->name, k->required, &b) < 0)
      return -1;
    if (json_get(o, k->name))
      *v = (struct rq_nbdkit_param){ k->name, PARAM_BOOL, .b = b };
    return 0;
  case K_PORT:
  case K_SECONDS:
    if (get_int(c, o, field, k->name, k->required, 1,
                k->kind == K_PORT ? 65535 : 86400, &n) < 0)
      return -1;
    if (json_get(o, k->name))
      *v = (struct rq_nbdkit_param){ k->name, PARAM_INT, .n = n };
    return 0;
  case K_ABS:
    if (get_abs_path(c, o, field, k->name, k->required, &s) < 0)
      return -1;
    break;
  case K_VDDK_COMPRESSION:
    if (check_vddk_compression(c, o, field) < 0 ||
        get_string(c, o, field, k->name, false, &s) < 0)
      return -1;
    break;
  case K_VDDK_CONFIG:
    return parse_vddk_config(c, o, field, out);
  default:
    if (get_string(c, o, field, k->name, k->required, &s) < 0)
      return -1;
    if (s && (s[0] == '-' || s[0] == '+'))
      /* A plugin parameter starting with "+" or "-" would be read by
       * nbdkit as a file reference or an option. */
      return rq_fail(c, f, "must not start with \"%c\"", s[0]);
    if (s && check_string_key(c, f, k, s) < 0)
      return -1;
    break;
  }
  if (s)
    *v = (struct rq_nbdkit_param){ k->name, PARAM_STRING, .s = s };
  return 0;
}

static int parse_password(struct rq_ctx *c, json_object *nbdkit,
                          const char *field, const struct plugin *p,
                          bool *given)
{
  char f[FIELD_MAX], ff[FIELD_MAX];
  const char *password = NULL, *file = NULL;
  json_object *v = NULL, *vf = NULL;
  /* null is as good as absent, as for every optional field. */
  bool has_inline = json_object_object_get_ex(nbdkit, "password", &v) && v;
  bool has_file = json_object_object_get_ex(nbdkit, "password_file", &vf) &&
                  vf;

  field_key(f, field, "password");
  field_key(ff, field, "password_file");
  if ((has_inline || has_file) && !p->takes_password)
    return rq_fail(c, has_inline ? f : ff, "the %s plugin takes no password",
                   p->name);
  if (has_inline && has_file)
    return rq_fail(c, ff, "give either \"password\" or \"password_file\", "
                   "not both");
  *given = has_inline || has_file;
  if (has_inline) {
    if (!json_object_is_type(v, json_type_string))
      return rq_fail(c, f, "must be a string");
    password = json_object_get_string(v);
    if (*password == '\0')
      return rq_fail(c, f, "must not be empty");
    if (strlen(password) != (size_t)json_object_get_string_len(v))
      return rq_fail(c, f, "must not contain a NUL byte");
    return take_inline_secret(c, f, password);
  }
  if (get_abs_path(c, nbdkit, field, "password_file", false, &file) < 0)
    return -1;
  if (file)
    /* Stored under the same name as an inline password, so that the
     * worker finds it in one place. */
    return take_file_secret(c, ff, file, f);
  return 0;
}

int parse_nbdkit(struct rq_ctx *c, json_object *nbdkit, const char *field,
                 struct rq_nbdkit *out)
{
  struct rq_nbdkit_param vals[sizeof plugins[0].keys /
                              sizeof plugins[0].keys[0]];
  const struct plugin *p;
  const char *name = NULL;
  char f[FIELD_MAX];
  size_t i;

  memset(out, 0, sizeof *out);
  if (get_string(c, nbdkit, field, "plugin", true, &name) < 0)
    return -1;
  p = plugin_find(name);
  field_key(f, field, "plugin");
  if (!p)
    return rq_fail(c, f, "\"%.64s\" is not supported (supported: file, ssh, "
                   "curl, nbd, vddk)", name);
  json_object_object_foreach(nbdkit, key, val) {
    (void)val;
    if (strcmp(key, "plugin") == 0 || strcmp(key, "password") == 0 ||
        strcmp(key, "password_file") == 0 || key_find(p, key))
      continue;
    field_key(f, field, key);
    return rq_fail(c, f, "unknown key for the %s plugin", p->name);
  }
  /* checked in the table's order (which error comes first), passed on
   * in the request's */
  for (i = 0; p->keys[i].name; i++)
    if (parse_key(c, nbdkit, field, &p->keys[i], out, &vals[i]) < 0)
      return -1;
  if (parse_password(c, nbdkit, field, p, &out->password) < 0)
    return -1;
  out->plugin = p->kind;
  out->plugin_name = p->name;
  json_object_object_foreach(nbdkit, k2, v2) {
    const struct plugin_key *k = key_find(p, k2);
    (void)v2;
    if (!k || !vals[k - p->keys].key)
      continue;
    assert(out->n_params < NBDKIT_MAX_PARAMS);
    out->params[out->n_params++] = vals[k - p->keys];
    if (p->kind == PLUGIN_FILE && strcmp(k2, "file") == 0)
      out->file = vals[k - p->keys].s;
  }
  return 0;
}
