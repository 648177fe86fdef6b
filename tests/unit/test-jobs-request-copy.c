/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The copy and sync requests as the code past the parser sees them
 * (struct copy_request, struct sync_request): every value typed, the
 * defaults applied once, and each error of their parse naming its
 * field.  request_load() is the worker's parse (no look at the host);
 * test-jobs-request and the corpus run request_validate() on the same
 * code. */
#include <stdio.h>
#include <string.h>

#include "jobs/job-request.h"
#include "jobs/request.h"
#include "util/cleanup.h"
#include "util/jsonutil.h"
#include "tap.h"

static struct job_request *load(const char *text, struct uch_error *err)
{
  _cleanup_json_ json_object *o = json_tokener_parse(text);
  struct job_request *r = NULL;

  if (!o) {
    snprintf(err->field, sizeof err->field, "(not JSON)");
    return NULL;
  }
  if (request_load(o, &r, err) < 0)
    return NULL;
  return r;
}

/* The field a refused request names, or "ok". */
static const char *field_of(const char *text)
{
  static struct uch_error err;
  _cleanup_(job_request_freep) struct job_request *r = NULL;

  memset(&err, 0, sizeof err);
  r = load(text, &err);
  return r ? "ok" : err.field;
}

#define DST "\"destination\": {\"path\": \"/d\"}"
#define COPY(disk) "{\"type\": \"copy\", \"disks\": [" disk "]}"
#define SYNC(disk) "{\"type\": \"sync\", \"disks\": [" disk "]}"

static void copy_defaults(void)
{
  struct uch_error err = { 0 };
  _cleanup_(job_request_freep) struct job_request *r =
    load(COPY("{\"source\": {\"path\": \"/s\"}, " DST "}"), &err);
  const struct copy_disk_request *d;

  ok(r != NULL, "a copy of one disk: %s", err.message);
  if (!(r != NULL))
    return;
  is_int(r->kind, JOB_COPY, "kind copy");
  is_int((int)r->u.copy.n_disks, 1, "one disk");
  ok(!r->u.copy.verify, "verify: false by default");
  ok(!r->u.copy.limits.bandwidth && !r->u.copy.limits.cpu_percent &&
     !r->u.copy.limits.io_weight, "no limits by default");
  d = &r->u.copy.disks[0];
  is_int(d->source.kind, SOURCE_PATH, "a path source");
  is_str(d->source.path, "/s", "its path");
  is_str(d->destination.path, "/d", "the destination's path");
  ok(!d->destination.volume.id, "no volume");
  is_int(d->destination.format, FORMAT_RAW, "format: raw by default");
  ok(!d->destination.is_zero, "is_zero: false by default");
  is_int(d->changes.kind, CHANGES_NONE, "no changes: a whole copy");
}

static void copy_values(void)
{
  struct uch_error err = { 0 };
  _cleanup_(job_request_freep) struct job_request *r = load(
    "{\"type\": \"copy\", \"verify\": true, \"limits\": {\"bandwidth\": "
    "\"50M\", \"cpu\": 150, \"io\": 20}, \"disks\": ["
    "{\"source\": {\"nbd\": \"nbd://h:10810/x\"}, \"destination\": "
    "{\"path\": \"/d0\", \"format\": \"qcow2\", \"is_zero\": true}},"
    "{\"source\": {\"volume\": \"vol-1\", \"wait_s\": 30}, \"destination\": "
    "{\"volume\": \"vol-2\", \"wait_s\": 5}},"
    "{\"source\": {\"nbd\": \"nbd://h/y\"}, \"destination\": {\"path\": "
    "\"/d2\"}, \"changes\": {\"bitmap\": \"b1\"}},"
    "{\"source\": {\"path\": \"/s3\"}, \"destination\": {\"path\": \"/d3\"}, "
    "\"changes\": {\"extents\": [[1048576, 4096], [0, 512]]}}]}", &err);
  const struct copy_disk_request *d;

  ok(r != NULL, "a copy with every option: %s", err.message);
  if (!(r != NULL))
    return;
  ok(r->u.copy.verify, "verify");
  is_str(r->u.copy.limits.bandwidth, "50M", "limits.bandwidth");
  is_int(r->u.copy.limits.cpu_percent, 150, "limits.cpu");
  is_int(r->u.copy.limits.io_weight, 20, "limits.io");
  ok(job_request_limits(r) == &r->u.copy.limits, "a copy's limits");
  is_int((int)r->u.copy.n_disks, 4, "four disks");
  d = r->u.copy.disks;
  is_int(d[0].source.kind, SOURCE_NBD, "an nbd source");
  is_str(d[0].source.nbd, "nbd://h:10810/x", "its URI");
  is_int(d[0].destination.format, FORMAT_QCOW2, "qcow2");
  ok(d[0].destination.is_zero, "is_zero");
  is_int(d[1].source.kind, SOURCE_VOLUME, "a volume source");
  is_str(d[1].source.volume.id, "vol-1", "its id");
  is_int((int)d[1].source.volume.wait_s, 30, "its wait_s");
  ok(!d[1].destination.path, "a volume destination has no path");
  is_str(d[1].destination.volume.id, "vol-2", "the destination volume");
  is_int((int)d[1].destination.volume.wait_s, 5, "its wait_s");
  is_int(d[1].destination.format, FORMAT_RAW, "a volume is raw");
  is_int(d[2].changes.kind, CHANGES_BITMAP, "changes: a bitmap");
  is_str(d[2].changes.bitmap, "b1", "its name");
  is_int(d[3].changes.kind, CHANGES_EXTENTS, "changes: extents");
  ok(d[3].changes.n_extents == 2 &&
     d[3].changes.extents[0].offset == 1048576 &&
     d[3].changes.extents[0].length == 4096 &&
     d[3].changes.extents[1].offset == 0 &&
     d[3].changes.extents[1].length == 512, "as given, in order");
}

static void nbdkit_values(void)
{
  struct uch_error err = { 0 };
  _cleanup_(job_request_freep) struct job_request *r = load(COPY(
    "{\"source\": {\"nbdkit\": {\"plugin\": \"ssh\", \"path\": \"/p\", "
    "\"host\": \"h\", \"port\": 2222, \"verify_remote_host\": false, "
    "\"user\": null, \"password\": \"***\"}}, " DST "},"
    "{\"source\": {\"nbdkit\": {\"plugin\": \"file\", \"file\": \"/f\"}}, "
    "\"destination\": {\"path\": \"/d1\"}},"
    "{\"source\": {\"nbdkit\": {\"plugin\": \"vddk\", \"server\": \"esx\", "
    "\"vm\": \"moref=vm-1\", \"file\": \"[ds] a.vmdk\", \"config_entries\": "
    "{\"vixDiskLib.nfc.ReadTimeoutMsecs\": 60000}}}, "
    "\"destination\": {\"path\": \"/d2\"}}"), &err);
  const struct rq_nbdkit *k;

  ok(r != NULL, "nbdkit sources: %s", err.message);
  if (!(r != NULL))
    return;
  k = &r->u.copy.disks[0].source.nbdkit;
  is_int(r->u.copy.disks[0].source.kind, SOURCE_NBDKIT, "an nbdkit source");
  is_int(k->plugin, PLUGIN_SSH, "plugin ssh");
  is_str(k->plugin_name, "ssh", "by nbdkit's name");
  is_int((int)k->n_params, 4, "four keys: null is absent, the password "
         "is no key");
  ok(k->n_params == 4 && strcmp(k->params[0].key, "path") == 0 &&
     k->params[0].type == PARAM_STRING &&
     strcmp(k->params[0].s, "/p") == 0, "path first, as the request has it");
  ok(k->n_params == 4 && strcmp(k->params[1].key, "host") == 0,
     "then host");
  ok(k->n_params == 4 && k->params[2].type == PARAM_INT &&
     k->params[2].n == 2222, "port: an integer");
  ok(k->n_params == 4 && k->params[3].type == PARAM_BOOL &&
     !k->params[3].b, "verify_remote_host: a boolean");
  ok(k->password, "a password secret");
  ok(!k->file, "file: the file plugin's only");
  k = &r->u.copy.disks[1].source.nbdkit;
  is_int(k->plugin, PLUGIN_FILE, "plugin file");
  is_str(k->file, "/f", "its file, for the conflict check");
  ok(!k->password, "no password");
  k = &r->u.copy.disks[2].source.nbdkit;
  is_int(k->plugin, PLUGIN_VDDK, "plugin vddk");
  is_int((int)k->n_params, 3, "config_entries are no key");
  ok(k->n_vddk_config == 1 &&
     strcmp(k->vddk_config[0].name, "vixDiskLib.nfc.ReadTimeoutMsecs") == 0 &&
     k->vddk_config[0].value == 60000, "the config entry, typed");
}

static void sync_values(void)
{
  struct uch_error err = { 0 };
  _cleanup_(job_request_freep) struct job_request *r = load(
    "{\"type\": \"sync\", \"interval_s\": 60, \"limits\": {\"io\": 7}, "
    "\"inplace\": {\"name\": \"g\"}, \"disks\": ["
    "{\"source\": {\"nbd\": \"nbd+unix:///?socket=/s\", \"bitmap\": \"b0\"}, "
    DST "}]}", &err);
  _cleanup_(job_request_freep) struct job_request *plain = load(
    SYNC("{\"source\": {\"path\": \"/s\"}, " DST "}"), &err);

  ok(r && plain, "sync requests: %s", err.message);
  if (!(r && plain))
    return;
  is_int(r->kind, JOB_SYNC, "kind sync");
  is_int((int)r->u.sync.interval_s, 60, "interval_s");
  is_int(r->u.sync.limits.io_weight, 7, "limits.io");
  ok(job_request_limits(r) == &r->u.sync.limits, "a sync's limits");
  ok(r->u.sync.has_inplace, "inplace");
  is_str(r->u.sync.inplace.name, "g", "its guest");
  is_int((int)r->u.sync.n_disks, 1, "one disk");
  is_str(r->u.sync.disks[0].source.nbd, "nbd+unix:///?socket=/s",
         "the source URI, without the bitmap");
  is_str(r->u.sync.disks[0].source.bitmap, "b0", "the source's bitmap");
  is_int(r->u.sync.disks[0].changes.kind, CHANGES_NONE,
         "changes come with each pass");
  is_int((int)plain->u.sync.interval_s, 0,
         "no interval_s: passes on request only");
  ok(!plain->u.sync.has_inplace, "no inplace");
  ok(!plain->u.sync.disks[0].source.bitmap, "no bitmap");
  is_int(plain->u.sync.disks[0].destination.format, FORMAT_RAW, "raw");
}

/* Each error of the copy and sync parse, with the field it names. */
/* "link": typed, the round trip absent unless given (0 is a LAN) */
static void link_values(void)
{
  struct uch_error err = { 0 };
  _cleanup_(job_request_freep) struct job_request *r = NULL, *n = NULL,
                                                  *z = NULL;

  r = load("{\"type\": \"copy\", \"link\": {\"bandwidth\": \"200M\", "
           "\"rtt_ms\": 100}, \"disks\": [{\"source\": {\"nbd\": "
           "\"nbd://h/\"}, " DST "}]}", &err);
  ok(r != NULL, "a copy with a link: %s", err.message);
  if (r) {
    is_str(r->u.copy.link.bandwidth, "200M", "link.bandwidth");
    is_int(r->u.copy.link.bandwidth_bits, 200ULL << 20, "its bits");
    ok(r->u.copy.link.has_rtt && r->u.copy.link.rtt_ms == 100,
       "link.rtt_ms");
  }
  n = load(COPY("{\"source\": {\"nbd\": \"nbd://h/\"}, " DST "}"), &err);
  ok(n && !n->u.copy.link.has_rtt && !n->u.copy.link.bandwidth,
     "no link: measured, bandwidth unknown");
  z = load("{\"type\": \"copy\", \"link\": {\"rtt_ms\": 0}, \"disks\": "
           "[{\"source\": {\"nbd\": \"nbd://h/\"}, " DST "}]}", &err);
  ok(z && z->u.copy.link.has_rtt && z->u.copy.link.rtt_ms == 0,
     "rtt_ms 0 is given, not absent");
  is_str(field_of("{\"type\": \"copy\", \"link\": {\"rtt_ms\": -1}, "
                  "\"disks\": [{\"source\": {\"path\": \"/s\"}, " DST
                  "}]}"), "link.rtt_ms", "a negative rtt_ms");
  is_str(field_of("{\"type\": \"copy\", \"link\": {\"bandwidth\": "
                  "\"fast\"}, \"disks\": [{\"source\": {\"path\": "
                  "\"/s\"}, " DST "}]}"), "link.bandwidth", "a bad bandwidth");
  is_str(field_of("{\"type\": \"copy\", \"link\": [], \"disks\": "
                  "[{\"source\": {\"path\": \"/s\"}, " DST "}]}"),
         "link", "link not an object");
}

/* "source_wait_s": 0 (serve at once) unless given, 0 to
 * COPY_SOURCE_WAIT_S_MAX, an integer; a copy's field, not a sync's */
static void source_wait_values(void)
{
  struct uch_error err = { 0 };
  _cleanup_(job_request_freep) struct job_request *r = NULL, *n = NULL;

  r = load("{\"type\": \"copy\", \"source_wait_s\": 60, \"disks\": "
           "[{\"source\": {\"nbd\": \"nbds://h:10809/a\"}, " DST "}]}",
           &err);
  ok(r && r->u.copy.source_wait_s == 60, "source_wait_s given: 60 s (%s)",
     err.message);
  n = load(COPY("{\"source\": {\"nbd\": \"nbd://h/\"}, " DST "}"), &err);
  ok(n && n->u.copy.source_wait_s == 0,
     "source_wait_s absent: 0, the source must serve at once");
  is_str(field_of("{\"type\": \"copy\", \"source_wait_s\": -1, \"disks\": "
                  "[{\"source\": {\"path\": \"/s\"}, " DST "}]}"),
         "source_wait_s", "a negative source_wait_s");
  is_str(field_of("{\"type\": \"copy\", \"source_wait_s\": 3601, "
                  "\"disks\": [{\"source\": {\"path\": \"/s\"}, " DST
                  "}]}"), "source_wait_s", "more than an hour");
  is_str(field_of("{\"type\": \"copy\", \"source_wait_s\": \"5\", "
                  "\"disks\": [{\"source\": {\"path\": \"/s\"}, " DST
                  "}]}"), "source_wait_s", "a string");
  is_str(field_of("{\"type\": \"sync\", \"source_wait_s\": 5, \"disks\": "
                  "[{\"source\": {\"path\": \"/s\"}, " DST "}]}"),
         "source_wait_s", "not a sync's field");
}

static void errors(void)
{
  static const struct {
    const char *request, *field;
  } bad[] = {
    { "{\"type\": \"copy\", \"verify\": 1, \"disks\": [{\"source\": "
      "{\"path\": \"/s\"}, " DST "}]}", "verify" },
    { "{\"type\": \"copy\", \"x\": 1, \"disks\": []}", "x" },
    { "{\"type\": \"copy\", \"disks\": []}", "disks" },
    { "{\"type\": \"copy\", \"disks\": [1]}", "disks[0]" },
    { COPY("{" DST "}"), "disks[0].source" },
    { COPY("{\"source\": {\"path\": \"/s\"}}"), "disks[0].destination" },
    { COPY("{\"source\": {\"path\": \"/s\"}, " DST ", \"y\": 1}"),
      "disks[0].y" },
    { COPY("{\"source\": {\"path\": \"s\"}, " DST "}"),
      "disks[0].source.path" },
    { COPY("{\"source\": {\"nbd\": \"nbd://h:99999/x\"}, " DST "}"),
      "disks[0].source.nbd" },
    { COPY("{\"source\": {\"path\": \"/s\", \"nbd\": \"nbd://h\"}, " DST "}"),
      "disks[0].source" },
    { COPY("{\"source\": {\"path\": \"/s\", \"wait_s\": 3}, " DST "}"),
      "disks[0].source.wait_s" },
    { COPY("{\"source\": {\"volume\": \"v\", \"wait_s\": -1}, " DST "}"),
      "disks[0].source.wait_s" },
    { COPY("{\"source\": {\"nbdkit\": {\"plugin\": \"zip\"}}, " DST "}"),
      "disks[0].source.nbdkit.plugin" },
    { COPY("{\"source\": {\"nbdkit\": {\"plugin\": \"file\"}}, " DST "}"),
      "disks[0].source.nbdkit.file" },
    { COPY("{\"source\": {\"nbdkit\": {\"plugin\": \"file\", \"file\": "
           "\"/f\", \"host\": \"h\"}}, " DST "}"),
      "disks[0].source.nbdkit.host" },
    { COPY("{\"source\": {\"nbdkit\": {\"plugin\": \"ssh\", \"host\": \"h\", "
           "\"path\": \"/p\", \"port\": \"22\"}}, " DST "}"),
      "disks[0].source.nbdkit.port" },
    { COPY("{\"source\": {\"nbdkit\": {\"plugin\": \"ssh\", \"host\": \"h\", "
           "\"path\": \"-o\"}}, " DST "}"),
      "disks[0].source.nbdkit.path" },
    { COPY("{\"source\": {\"nbdkit\": {\"plugin\": \"file\", \"file\": "
           "\"/f\", \"password\": \"p\"}}, " DST "}"),
      "disks[0].source.nbdkit.password" },
    { COPY("{\"source\": {\"nbdkit\": {\"plugin\": \"vddk\", \"server\": "
           "\"e\", \"vm\": \"moref=v\", \"file\": \"f\", \"config_entries\": "
           "{\"a\": 1}}}, " DST "}"),
      "disks[0].source.nbdkit.config_entries.a" },
    { COPY("{\"source\": {\"path\": \"/s\"}, \"destination\": {\"path\": "
           "\"/d\", \"format\": \"vmdk\"}}"), "disks[0].destination.format" },
    { COPY("{\"source\": {\"path\": \"/s\"}, \"destination\": {\"volume\": "
           "\"v\", \"format\": \"qcow2\"}}"), "disks[0].destination.format" },
    { COPY("{\"source\": {\"path\": \"/s\"}, \"destination\": {\"path\": "
           "\"/d\", \"volume\": \"v\"}}"), "disks[0].destination" },
    { COPY("{\"source\": {\"path\": \"/s\"}, \"destination\": {\"path\": "
           "\"/d\", \"is_zero\": \"yes\"}}"), "disks[0].destination.is_zero" },
    { COPY("{\"source\": {\"path\": \"/s\"}, " DST ", \"changes\": {}}"),
      "disks[0].changes" },
    { COPY("{\"source\": {\"path\": \"/s\"}, " DST ", \"changes\": "
           "{\"extents\": [[-1, 5]]}}"), "disks[0].changes.extents[0]" },
    { COPY("{\"source\": {\"path\": \"/s\"}, " DST ", \"changes\": "
           "{\"extents\": [[0, 0]]}}"), "disks[0].changes.extents[0]" },
    { COPY("{\"source\": {\"path\": \"/s\"}, \"destination\": {\"path\": "
           "\"/d\", \"format\": \"qcow2\"}, \"changes\": {\"bitmap\": "
           "\"b\"}}"), "disks[0].changes" },
    { "{\"type\": \"copy\", \"limits\": {\"bandwidth\": \"fast\"}, "
      "\"disks\": [{\"source\": {\"path\": \"/s\"}, " DST "}]}",
      "limits.bandwidth" },
    { "{\"type\": \"copy\", \"limits\": {\"cpu\": 0}, "
      "\"disks\": [{\"source\": {\"path\": \"/s\"}, " DST "}]}",
      "limits.cpu" },
    { "{\"type\": \"copy\", \"limits\": {\"io\": 10001}, "
      "\"disks\": [{\"source\": {\"path\": \"/s\"}, " DST "}]}",
      "limits.io" },
    { SYNC("{\"source\": {\"path\": \"/s\", \"bitmap\": \"b\"}, " DST "}"),
      "disks[0].source.bitmap" },
    { SYNC("{\"source\": {\"nbd\": \"nbd://h\", \"bitmap\": \"a b\"}, "
           DST "}"), "disks[0].source.bitmap" },
    { SYNC("{\"source\": {\"path\": \"/s\"}, \"destination\": {\"path\": "
           "\"/d\", \"format\": \"qcow2\"}}"), "disks[0].destination.format" },
    { SYNC("{\"source\": {\"path\": \"/s\"}, " DST ", \"changes\": "
           "{\"bitmap\": \"b\"}}"), "disks[0].changes" },
    { "{\"type\": \"sync\", \"interval_s\": 60, \"disks\": [{\"source\": "
      "{\"path\": \"/s\"}, " DST "}]}", "interval_s" },
    { "{\"type\": \"sync\", \"interval_s\": 0, \"disks\": [{\"source\": "
      "{\"path\": \"/s\"}, " DST "}]}", "interval_s" },
    { "{\"type\": \"sync\", \"inplace\": {}, \"disks\": [{\"source\": "
      "{\"path\": \"/s\"}, " DST "}]}", "inplace.name" },
  };

  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    is_str(field_of(bad[i].request), bad[i].field,
           "bad request %zu refused, naming its field", i);
}

int main(void)
{
  copy_defaults();
  copy_values();
  nbdkit_values();
  sync_values();
  link_values();
  source_wait_values();
  errors();
  return tap_done();
}
