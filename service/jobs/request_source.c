/* SOURCE and DEST objects of a copy request (docs/internals.md). */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "request_check.h"

static bool has_prefix(const char *s, const char *prefix)
{
  return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool nbd_uri_valid(const char *uri)
{
  static const char *const unix_schemes[] = { "nbd+unix://", "nbds+unix://",
                                              NULL };
  static const char *const tcp_schemes[] = { "nbd://", "nbds://", NULL };

  if (strpbrk(uri, " \t\"<>\\"))
    return false;
  for (size_t i = 0; unix_schemes[i]; i++)
    if (has_prefix(uri, unix_schemes[i]))
      /* nbd+unix:///EXPORT?socket=/PATH: no host, a socket. */
      return uri[strlen(unix_schemes[i])] == '/' &&
             (strstr(uri, "?socket=/") || strstr(uri, "&socket=/"));
  for (size_t i = 0; tcp_schemes[i]; i++)
    if (has_prefix(uri, tcp_schemes[i])) {
      const char *host = uri + strlen(tcp_schemes[i]);
      return *host != '\0' && *host != '/' && *host != ':' && *host != '?';
    }
  return false;
}

int check_nbd_uri(struct rq_ctx *c, const char *uri, const char *field)
{
  if (!nbd_uri_valid(uri))
    return rq_fail(c, field, "must be an NBD URI: nbd://HOST[:PORT][/EXPORT], "
                   "nbds://…, nbd+unix:///[EXPORT]?socket=/PATH or "
                   "nbds+unix://…");
  return 0;
}

static int get_nbd_uri(struct rq_ctx *c, json_object *o, const char *parent,
                       const char *key)
{
  char f[FIELD_MAX];
  const char *uri = NULL;

  if (get_string(c, o, parent, key, true, &uri) < 0)
    return -1;
  field_key(f, parent, key);
  return check_nbd_uri(c, uri, f);
}

/* A disk image to read: must exist now, as a file or block device. */
int check_image_path(struct rq_ctx *c, json_object *o, const char *parent,
                     const char *key)
{
  char f[FIELD_MAX];
  const char *path = NULL;
  struct stat st;

  if (get_abs_path(c, o, parent, key, true, &path) < 0)
    return -1;
  field_key(f, parent, key);
  if (stat(path, &st) < 0)
    return rq_fail(c, f, "%s: %m", path);
  if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
    return rq_fail(c, f, "%s is not a regular file or block device", path);
  return 0;
}

int check_source(struct rq_ctx *c, json_object *source, const char *field)
{
  static const char *const kinds[] = { "nbd", "path", "nbdkit", NULL };
  json_object *nbdkit = NULL;
  char f[FIELD_MAX];

  if (check_known_keys(c, source, field, kinds) < 0)
    return -1;
  if (json_object_object_length(source) != 1)
    return rq_fail(c, field, "must have exactly one of \"nbd\", \"path\" "
                   "or \"nbdkit\"");
  if (json_object_object_get_ex(source, "nbd", NULL))
    return get_nbd_uri(c, source, field, "nbd");
  if (json_object_object_get_ex(source, "path", NULL))
    return check_image_path(c, source, field, "path");
  if (get_object(c, source, field, "nbdkit", true, &nbdkit) < 0)
    return -1;
  field_key(f, field, "nbdkit");
  return check_nbdkit(c, nbdkit, f);
}

int check_destination(struct rq_ctx *c, json_object *dest,
                      const char *field)
{
  static const char *const keys[] = { "path", "format", "is_zero", NULL };
  static const char *const formats[] = { "raw", "qcow2", NULL };
  const char *s = NULL;
  bool b;

  if (check_known_keys(c, dest, field, keys) < 0 ||
      get_abs_path(c, dest, field, "path", true, &s) < 0 ||
      get_enum(c, dest, field, "format", false, formats, &s) < 0 ||
      get_bool(c, dest, field, "is_zero", false, &b) < 0)
    return -1;
  return 0;
}
