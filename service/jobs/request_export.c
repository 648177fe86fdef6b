/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The "export" request: local images served over NBD until cancelled,
 * until the client is done, or until every disk was read and no client
 * came back for idle_s. */
#include <stdio.h>
#include <string.h>

#include "jobs/request_check.h"

static int parse_export_disk(struct rq_ctx *c, json_object *disk,
                             const char *field, struct export_disk *out)
{
  static const char *const keys[] = { "source", "name", NULL };
  static const char *const source_keys[] = { "path", "volume", "wait_s",
                                             NULL };
  json_object *source = NULL;
  char f[FIELD_MAX];

  if (check_known_keys(c, disk, field, keys) < 0 ||
      get_object(c, disk, field, "source", true, &source) < 0)
    return -1;
  field_key(f, field, "source");
  out->source = source;
  if (check_known_keys(c, source, f, source_keys) < 0)
    return -1;
  if (json_object_object_get_ex(source, "volume", NULL)) {
    if (json_object_object_get_ex(source, "path", NULL))
      return rq_fail(c, f, "must have exactly one of \"path\" or "
                     "\"volume\"");
    if (parse_volume(c, source, f, &out->volume) < 0)
      return -1;
  } else if (json_object_object_get_ex(source, "wait_s", NULL)) {
    char g[FIELD_MAX];
    field_key(g, f, "wait_s");
    return rq_fail(c, g, "only goes with \"volume\"");
  } else if (check_image_path(c, source, f, "path") < 0 ||
             get_abs_path(c, source, f, "path", true, &out->path) < 0)
    return -1;
  return get_name(c, disk, field, "name", false, &out->name);
}

static int parse_listen(struct rq_ctx *c, json_object *req,
                        struct export_listen_request *out)
{
  static const char *const unix_keys[] = { "unix", NULL };
  static const char *const tcp_keys[] = { "tcp", "tls_psk_file",
                                          "tls_username", "advertise",
                                          "open_firewall", NULL };
  json_object *listen = NULL;
  const char *tcp = NULL, *psk = NULL, *s = NULL;
  bool is_unix = false, open_fw = false;

  if (get_object(c, req, "", "listen", true, &listen) < 0)
    return -1;
  if (json_object_object_get_ex(listen, "unix", NULL)) {
    if (check_known_keys(c, listen, "listen", unix_keys) < 0 ||
        get_bool(c, listen, "listen", "unix", true, &is_unix) < 0)
      return -1;
    if (!is_unix)
      return rq_fail(c, "listen.unix", "must be true (or use \"tcp\")");
    out->kind = LISTEN_UNIX;
    return 0;
  }
  if (!json_object_object_get_ex(listen, "tcp", NULL))
    return rq_fail(c, "listen", "needs \"unix\": true or \"tcp\": "
                   "\"HOST:PORT\"");
  if (check_known_keys(c, listen, "listen", tcp_keys) < 0 ||
      get_string(c, listen, "listen", "tcp", true, &tcp) < 0)
    return -1;
  if (!host_port_valid(tcp))
    return rq_fail(c, "listen.tcp", "must be HOST:PORT with PORT 1 to 65535 "
                   "(IPv6 as [ADDR]:PORT)");
  out->kind = LISTEN_TCP;
  out->tcp = tcp;
  out->tls_username = "uch";
  if (get_name(c, listen, "listen", "tls_username", false,
               &out->tls_username) < 0 ||
      get_string(c, listen, "listen", "advertise", false, &s) < 0)
    return -1;
  out->advertise = s;
  if (s && !host_valid(s))
    return rq_fail(c, "listen.advertise", "must be a host name or IP "
                   "address (IPv6 in brackets)");
  if (get_bool(c, listen, "listen", "open_firewall", false, &open_fw) < 0)
    return -1;
  out->open_firewall = open_fw;
  if (get_abs_path(c, listen, "listen", "tls_psk_file", false, &psk) < 0)
    return -1;
  out->tls_psk_file = psk != NULL;
  if (psk)
    return take_file_secret(c, "listen.tls_psk_file", psk,
                            "listen.tls_psk_file");
  return 0;
}

/* Two disks may not be served under one name; a disk without "name" is
 * served as "diskI" (I its index; the worker's default). */
static int check_export_names(struct rq_ctx *c, const char *const *names,
                              size_t n)
{
  char a[32], b[32], f[FIELD_MAX];

  for (size_t i = 0; i < n; i++) {
    snprintf(a, sizeof a, "disk%zu", i);
    const char *ni = names[i] ? names[i] : a;
    for (size_t j = 0; j < i; j++) {
      snprintf(b, sizeof b, "disk%zu", j);
      const char *nj = names[j] ? names[j] : b;
      if (strcmp(ni, nj) != 0)
        continue;
      if (names[i]) {
        snprintf(f, sizeof f, "disks[%zu].name", i);
        return rq_fail(c, f, "\"%s\" is already the name of disks[%zu]%s",
                       ni, j, names[j] ? "" : " (its default name)");
      }
      snprintf(f, sizeof f, "disks[%zu].name", j);
      return rq_fail(c, f, "\"%s\" is also the default name of disks[%zu]: "
                     "name that disk too", nj, i);
    }
  }
  return 0;
}

int parse_export(struct rq_ctx *c, json_object *req, struct job_request *out)
{
  static const char *const keys[] = { "type", "id", "labels", "disks",
                                      "listen", "until", "idle_s",
                                      "port_wait_s", NULL };
  static const char *const untils[] = { "cancel", "client-done",
                                        "disks-done", NULL };
  struct export_request *e = &out->u.export;
  const char *names[REQUEST_MAX_DISKS] = { NULL };
  json_object *disks;
  char f[FIELD_MAX];
  const char *until = NULL;
  size_t n;

  if (check_known_keys(c, req, "", keys) < 0 ||
      get_disks(c, req, &disks, &n) < 0)
    return -1;
  for (size_t i = 0; i < n; i++) {
    struct export_disk *d = &e->disks[i];
    field_index(f, "disks", i);
    if (parse_export_disk(c, json_object_array_get_idx(disks, i), f, d) < 0)
      return -1;
    names[i] = d->name;
    snprintf(d->default_name, sizeof d->default_name, "disk%zu", i);
    if (!d->name)
      d->name = d->default_name;
  }
  e->n_disks = n;
  if (check_export_names(c, names, n) < 0 ||
      parse_listen(c, req, &e->listen) < 0 ||
      get_enum(c, req, "", "until", false, untils, &until) < 0)
    return -1;
  e->until = !until || strcmp(until, "cancel") == 0 ? UNTIL_CANCEL
             : strcmp(until, "client-done") == 0 ? UNTIL_CLIENT_DONE
                                                  : UNTIL_DISKS_DONE;
  e->idle_s = EXPORT_IDLE_S_DEFAULT;
  if (json_object_object_get_ex(req, "idle_s", NULL) &&
      e->until != UNTIL_DISKS_DONE)
    return rq_fail(c, "idle_s", "only goes with \"until\": \"disks-done\"");
  if (json_object_object_get_ex(req, "port_wait_s", NULL) &&
      e->listen.kind != LISTEN_TCP)
    return rq_fail(c, "port_wait_s", "only goes with \"listen\": "
                   "{\"tcp\": ...}");
  if (get_int(c, req, "", "port_wait_s", false, 0, EXPORT_PORT_WAIT_S_MAX,
              &e->port_wait_s) < 0)
    return -1;
  return get_int(c, req, "", "idle_s", false, 1, 86400, &e->idle_s);
}
