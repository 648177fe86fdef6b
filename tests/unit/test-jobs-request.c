/* SPDX-License-Identifier: GPL-2.0-or-later */
/* request_parse + request_validate: every request shape, the sanitised
 * copy, secrets, and a table of bad requests with the field each names.
 * "@T@" in a request stands for a temp dir holding disk.img, password
 * (0600), psk (0600) and public (0644). */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jobs/job-request.h"
#include "jobs/request.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/jsonutil.h"
#include "tap.h"

static char tmp[] = "/tmp/test-jobs-request.XXXXXX";

static char *subst(const char *s)
{
  size_t n = strlen(s) + 1, tl = strlen(tmp);
  for (const char *p = s; (p = strstr(p, "@T@")); p += 3)
    n += tl;
  char *out = malloc(n), *o = out;
  while (*s) {
    if (strncmp(s, "@T@", 3) == 0) {
      memcpy(o, tmp, tl);
      o += tl;
      s += 3;
    }
    else
      *o++ = *s++;
  }
  *o = '\0';
  return out;
}

/* 0 and the sanitised copy when accepted; -1 and *err otherwise. */
static int check(const char *text, json_object **sanitized,
                 struct secrets *secrets, struct uch_error *err)
{
  _cleanup_free_ char *body = subst(text);
  _cleanup_json_ json_object *req = request_parse(body, strlen(body), err);

  *sanitized = NULL;
  if (!req)
    return -1;
  return request_validate(req, sanitized, secrets, err);
}

static void good(const char *text)
{
  struct uch_error err = { 0 };
  struct secrets s = { 0 };
  _cleanup_json_ json_object *san = NULL;
  int r = check(text, &san, &s, &err);

  ok(r == 0 && san, "accepted: %.70s", text);
  if (r < 0)
    printf("#   %s\n", err.message);
  secrets_free(&s);
}

static void bad(const char *text, const char *field)
{
  struct uch_error err = { 0 };
  struct secrets s = { 0 };
  _cleanup_json_ json_object *san = NULL;
  int r = check(text, &san, &s, &err);

  ok(r < 0 && !san && s.n == 0, "rejected: %.70s", text);
  is_str(err.field, field, "  field %s (%s)", field, err.message);
  is_str(err.code, "invalid_request", "  code");
  ok(err.message[0] != '\0', "  has a message");
  secrets_free(&s);
}

static void make_files(void)
{
  ok(mkdtemp(tmp) != NULL, "temp dir");
  _cleanup_free_ char *disk = subst("@T@/disk.img");
  _cleanup_free_ char *pw = subst("@T@/password");
  _cleanup_free_ char *psk = subst("@T@/psk");
  _cleanup_free_ char *pub = subst("@T@/public");
  ok(write_file_atomic(disk, "\0\0\0\0", 4, 0644) == 0, "disk.img");
  ok(write_file_atomic(pw, "s3cret\n", 7, 0600) == 0, "password file");
  ok(write_file_atomic(psk, "alice:0123abcd\n", 15, 0600) == 0, "psk file");
  ok(write_file_atomic(pub, "open\n", 5, 0644) == 0, "public file");
}

static void test_good(void)
{
  good("{\"type\":\"copy\",\"disks\":[{\"source\":{\"path\":\"@T@/disk.img\"},"
       "\"destination\":{\"path\":\"/var/tmp/out.img\"}}]}");
  good("{\"type\":\"copy\",\"id\":\"vm-1.disk_0\",\"verify\":true,"
       "\"labels\":{\"owner\":\"ops\",\"app.example/x\":\"\"},"
       "\"disks\":[{\"source\":{\"nbd\":\"nbd://host.example:10809/sda\"},"
       "\"destination\":{\"path\":\"/d/a.qcow2\",\"format\":\"qcow2\","
       "\"is_zero\":true}},"
       "{\"source\":{\"nbd\":\"nbd+unix:///?socket=/run/x.sock\"},"
       "\"destination\":{\"path\":\"/d/b\",\"format\":\"raw\"}}]}");
  good("{\"type\":\"copy\",\"disks\":[{\"source\":{\"nbd\":\"nbds://[::1]/\"},"
       "\"destination\":{\"path\":\"/d/a\"}}]}");
  good("{\"type\":\"copy\",\"disks\":[{\"source\":{\"nbdkit\":{\"plugin\":"
       "\"file\",\"file\":\"/dev/sda\"}},\"destination\":{\"path\":\"/d\"}}]}");
  good("{\"type\":\"copy\",\"disks\":[{\"source\":{\"nbdkit\":{\"plugin\":"
       "\"ssh\",\"host\":\"esx.example\",\"path\":\"/vmfs/a-flat.vmdk\","
       "\"user\":\"root\",\"port\":22,\"identity\":\"/root/.ssh/id\","
       "\"known_hosts\":\"/root/.ssh/kh\",\"verify_remote_host\":false,"
       "\"password_file\":\"@T@/password\"}},"
       "\"destination\":{\"path\":\"/d\"}}]}");
  good("{\"type\":\"copy\",\"disks\":[{\"source\":{\"nbdkit\":{\"plugin\":"
       "\"curl\",\"url\":\"https://x.example/a.img\",\"user\":\"u\","
       "\"sslverify\":true,\"cainfo\":\"/etc/ca.pem\",\"timeout\":60,"
       "\"password\":\"pw\"}},\"destination\":{\"path\":\"/d\"}}]}");
  good("{\"type\":\"copy\",\"disks\":[{\"source\":{\"nbdkit\":{\"plugin\":"
       "\"nbd\",\"uri\":\"nbds+unix:///e?socket=/s\"}},"
       "\"destination\":{\"path\":\"/d\"}}]}");
  good("{\"type\":\"copy\",\"disks\":[{\"source\":{\"nbdkit\":{\"plugin\":"
       "\"vddk\",\"server\":\"vc.example\",\"file\":\"[ds1] vm/vm.vmdk\","
       "\"vm\":\"moref=vm-42\",\"libdir\":\"/opt/vddk\",\"user\":\"admin\","
       "\"thumbprint\":\"AA:BB\",\"snapshot\":\"snapshot-1\","
       "\"transports\":\"nbd:nbdssl\",\"config\":\"/etc/vddk.conf\","
       "\"password\":\"x\"}},\"destination\":{\"path\":\"/d\"}}]}");
  good("{\"type\":\"export\",\"disks\":[{\"source\":{\"path\":"
       "\"@T@/disk.img\"}}],\"listen\":{\"unix\":true}}");
  good("{\"type\":\"export\",\"id\":\"e1\",\"labels\":{},\"until\":"
       "\"client-done\",\"disks\":[{\"source\":{\"path\":\"@T@/disk.img\"},"
       "\"name\":\"a\"},{\"source\":{\"path\":\"@T@/disk.img\"},\"name\":"
       "\"b\"}],\"listen\":{\"tcp\":\"0.0.0.0:10809\",\"tls_psk_file\":"
       "\"@T@/psk\",\"tls_username\":\"alice\",\"advertise\":\"uch.example\"}}");
  good("{\"type\":\"export\",\"until\":\"cancel\",\"disks\":[{\"source\":"
       "{\"path\":\"@T@/disk.img\"}}],\"listen\":{\"tcp\":\"[::]:1\"}}");
  good(" {\"type\":\"copy\",\"id\":null,\"disks\":[{\"source\":{\"nbd\":"
       "\"nbd://h\"},\"destination\":{\"path\":\"/d\"}}]}\r\n\t ");
}

static void test_sanitized_and_secrets(void)
{
  struct uch_error err = { 0 };
  struct secrets s = { 0 };
  _cleanup_json_ json_object *san = NULL;
  const char *req =
    "{\"type\":\"copy\",\"disks\":["
    "{\"source\":{\"nbdkit\":{\"plugin\":\"ssh\",\"host\":\"h\",\"path\":"
    "\"/a\",\"password\":\"hunter2\"}},\"destination\":{\"path\":\"/d0\"}},"
    "{\"source\":{\"nbdkit\":{\"plugin\":\"curl\",\"url\":\"http://h/\","
    "\"password_file\":\"@T@/password\"}},\"destination\":{\"path\":\"/d1\"}}"
    "]}";

  is_int(check(req, &san, &s, &err), 0, "two secrets: accepted");
  json_object *d0 = json_object_array_get_idx(json_get(san, "disks"), 0);
  json_object *d1 = json_object_array_get_idx(json_get(san, "disks"), 1);
  is_str(json_get_string(json_get(json_get(d0, "source"), "nbdkit"),
                         "password"), "***", "inline password is ***");
  _cleanup_free_ char *pwfile = subst("@T@/password");
  is_str(json_get_string(json_get(json_get(d1, "source"), "nbdkit"),
                         "password_file"), pwfile,
         "password_file kept as given");
  ok(strstr(json_object_to_json_string(san), "hunter2") == NULL,
     "no secret in the sanitised copy");
  ok(json_get(san, "verify") == NULL, "no defaults added");
  is_int(s.n, 2, "two secrets");
  if (s.n == 2) {
    is_str(s.v[0].field, "disks[0].source.nbdkit.password", "inline field");
    is_str(s.v[0].value, "hunter2", "inline value");
    is_int(s.v[0].len, 7, "inline length");
    is_str(s.v[1].field, "disks[1].source.nbdkit.password",
           "file secret stored under the password field");
    is_str(s.v[1].value, "s3cret\n", "file content as is");
  }

  /* Store, then look at the files. */
  _cleanup_free_ char *rt = subst("@T@/run/jobs/j1");
  is_int(secrets_store(&s, rt), 0, "secrets_store");
  _cleanup_free_ char *p0 = secret_path(rt, s.v[0].field);
  _cleanup_free_ char *want = subst(
    "@T@/run/jobs/j1/secrets/disks.0.source.nbdkit.password");
  is_str(p0, want, "secret_path writes [i] as .i");
  struct stat st;
  ok(stat(rt, &st) == 0 && (st.st_mode & 0777) == 0700, "runtime dir 0700");
  _cleanup_free_ char *sd = subst("@T@/run/jobs/j1/secrets");
  ok(stat(sd, &st) == 0 && (st.st_mode & 0777) == 0700, "secrets/ 0700");
  ok(stat(p0, &st) == 0 && (st.st_mode & 0777) == 0600, "secret file 0600");
  _cleanup_free_ char *data = NULL;
  size_t len = 0;
  ok(read_file(p0, &data, &len) == 0 && len == 7 &&
     memcmp(data, "hunter2", 7) == 0, "secret file holds the value only");
  secrets_free(&s);
  is_int(s.n, 0, "secrets_free empties");

  /* The export PSK. */
  json_object_put(san);
  is_int(check("{\"type\":\"export\",\"disks\":[{\"source\":{\"path\":"
               "\"@T@/disk.img\"}}],\"listen\":{\"tcp\":\"h:1\","
               "\"tls_psk_file\":\"@T@/psk\"}}", &san, &s, &err), 0,
         "export with psk accepted");
  ok(s.n == 1 && strcmp(s.v[0].field, "listen.tls_psk_file") == 0 &&
     strcmp(s.v[0].value, "alice:0123abcd\n") == 0, "psk is a secret");
  secrets_free(&s);
}

#define COPY_PRE "{\"type\":\"copy\",\"disks\":[{\"source\":"
#define COPY_DST ",\"destination\":{\"path\":\"/d\"}}]}"
#define NBDKIT(x) COPY_PRE "{\"nbdkit\":{" x "}}" COPY_DST
#define EXPORT_PRE "{\"type\":\"export\",\"disks\":[{\"source\":{\"path\":" \
  "\"@T@/disk.img\"}}],\"listen\":"

static void test_bad(void)
{
  bad("", "");
  bad("[]", "");
  bad("{\"type\":\"copy\"} x", "");
  bad("{\"type\":\"copy\"", "");
  bad("{\"type\":\"\xff\"}", "");
  bad("{'type':'copy'}", "");
  bad("{}", "type");
  bad("{\"type\":7}", "type");
  bad("{\"type\":\"snapshot\"}", "type");
  bad("{\"type\":\"inspect\"}", "disks");
  bad("{\"type\":\"copy\\u0000x\",\"disks\":[{\"source\":{\"nbd\":"
      "\"nbd://h\"},\"destination\":{\"path\":\"/d\"}}]}", "type");
  bad("{\"type\":\"copy\",\"id\":\"a/b\"," "\"disks\":[]}", "id");
  bad("{\"type\":\"copy\",\"id\":\"..\"}", "id");
  bad("{\"type\":\"copy\",\"labels\":{\"a\":1}}", "labels.a");
  bad("{\"type\":\"copy\",\"bogus\":1}", "bogus");
  bad("{\"type\":\"copy\",\"verify\":\"yes\"}", "verify");
  bad("{\"type\":\"copy\"}", "disks");
  bad("{\"type\":\"copy\",\"disks\":[]}", "disks");
  bad("{\"type\":\"copy\",\"disks\":{}}", "disks");
  bad("{\"type\":\"copy\",\"disks\":[1]}", "disks[0]");
  bad(COPY_PRE "{}" COPY_DST, "disks[0].source");
  bad(COPY_PRE "{\"nbd\":\"nbd://h\",\"path\":\"/x\"}" COPY_DST,
      "disks[0].source");
  bad(COPY_PRE "{\"nbd\":\"http://h\"}" COPY_DST, "disks[0].source.nbd");
  bad(COPY_PRE "{\"nbd\":\"nbd+unix:///x\"}" COPY_DST,
      "disks[0].source.nbd");
  bad(COPY_PRE "{\"path\":\"disk.img\"}" COPY_DST, "disks[0].source.path");
  bad(COPY_PRE "{\"path\":\"@T@/missing\"}" COPY_DST,
      "disks[0].source.path");
  bad(COPY_PRE "{\"path\":\"@T@\"}" COPY_DST, "disks[0].source.path");
  bad(COPY_PRE "{\"path\":\"@T@/../x\"}" COPY_DST, "disks[0].source.path");
  bad(COPY_PRE "{\"path\":\"/x\\u0000y\"}" COPY_DST, "disks[0].source.path");
  bad(COPY_PRE "{\"path\":\"@T@/disk.img\"},\"destination\":{}}]}",
      "disks[0].destination.path");
  bad(COPY_PRE "{\"path\":\"@T@/disk.img\"},\"destination\":{\"path\":"
      "\"/d\",\"format\":\"vmdk\"}}]}", "disks[0].destination.format");
  bad(COPY_PRE "{\"path\":\"@T@/disk.img\"}}]}", "disks[0].destination");
  bad(NBDKIT("\"plugin\":\"nope\""), "disks[0].source.nbdkit.plugin");
  bad(NBDKIT("\"file\":\"/x\""), "disks[0].source.nbdkit.plugin");
  bad(NBDKIT("\"plugin\":\"file\""), "disks[0].source.nbdkit.file");
  bad(NBDKIT("\"plugin\":\"file\",\"file\":\"/x\",\"host\":\"h\""),
      "disks[0].source.nbdkit.host");
  bad(NBDKIT("\"plugin\":\"ssh\",\"host\":\"h\",\"path\":\"/p\","
             "\"port\":0"), "disks[0].source.nbdkit.port");
  bad(NBDKIT("\"plugin\":\"ssh\",\"host\":\"h\",\"path\":\"/p\","
             "\"port\":65536"), "disks[0].source.nbdkit.port");
  bad(NBDKIT("\"plugin\":\"ssh\",\"host\":\"h\",\"path\":\"/p\","
             "\"port\":\"22\""), "disks[0].source.nbdkit.port");
  bad(NBDKIT("\"plugin\":\"ssh\",\"host\":\"h\",\"path\":\"/p\","
             "\"password\":\"a\",\"password_file\":\"@T@/password\""),
      "disks[0].source.nbdkit.password_file");
  bad(NBDKIT("\"plugin\":\"ssh\",\"host\":\"h\",\"path\":\"/p\","
             "\"password_file\":\"@T@/public\""),
      "disks[0].source.nbdkit.password_file");
  bad(NBDKIT("\"plugin\":\"ssh\",\"host\":\"h\",\"path\":\"/p\","
             "\"password_file\":\"@T@\""),
      "disks[0].source.nbdkit.password_file");
  bad(NBDKIT("\"plugin\":\"ssh\",\"host\":\"h\",\"path\":\"/p\","
             "\"password\":\"\""), "disks[0].source.nbdkit.password");
  bad(NBDKIT("\"plugin\":\"ssh\",\"host\":\"-oProxyCommand=x\","
             "\"path\":\"/p\""), "disks[0].source.nbdkit.host");
  bad(NBDKIT("\"plugin\":\"curl\",\"url\":\"ftp://h/x\""),
      "disks[0].source.nbdkit.url");
  bad(NBDKIT("\"plugin\":\"file\",\"file\":\"/x\",\"password\":\"p\""),
      "disks[0].source.nbdkit.password");
  bad(NBDKIT("\"plugin\":\"vddk\",\"server\":\"s\",\"file\":\"f\","
             "\"vm\":\"vm-1\""), "disks[0].source.nbdkit.vm");
  /* VDDK's tunables: compression and the VixDiskLib config entries */
#define VDDK_PRE "\"plugin\":\"vddk\",\"server\":\"s\",\"file\":\"f\"," \
                 "\"vm\":\"moref=vm-1\","
  good(COPY_PRE "{\"nbdkit\":{" VDDK_PRE "\"compression\":\"zlib\","
       "\"transports\":\"nbdssl:nbd\",\"config_entries\":"
       "{\"vixDiskLib.nfcAio.Session.BufSizeIn64KB\":16,"
       "\"vixDiskLib.nfcAio.Session.BufCount\":4,"
       "\"vixDiskLib.nfc.ReadTimeoutMsecs\":60000}}}" COPY_DST);
  good(COPY_PRE "{\"nbdkit\":{" VDDK_PRE "\"compression\":\"none\","
       "\"transports\":\"san\"}}" COPY_DST);
  bad(NBDKIT(VDDK_PRE "\"compression\":\"gzip\""),
      "disks[0].source.nbdkit.compression");
  bad(NBDKIT(VDDK_PRE "\"compression\":\"zlib\",\"transports\":\"san:hotadd\""),
      "disks[0].source.nbdkit.compression");
  bad(NBDKIT(VDDK_PRE "\"config_entries\":"
             "{\"vixDiskLib.nfcAio.Session.BufSizeIn64KB\":32}"),
      "disks[0].source.nbdkit.config_entries."
      "vixDiskLib.nfcAio.Session.BufSizeIn64KB");
  bad(NBDKIT(VDDK_PRE "\"config_entries\":"
             "{\"vixDiskLib.nfcAio.Session.BufCount\":\"4\"}"),
      "disks[0].source.nbdkit.config_entries.vixDiskLib.nfcAio.Session.BufCount");
  bad(NBDKIT(VDDK_PRE "\"config_entries\":{\"vixDiskLib.transport.LogLevel\":4}"),
      "disks[0].source.nbdkit.config_entries.vixDiskLib.transport.LogLevel");
  bad(NBDKIT(VDDK_PRE "\"config_entries\":{}"),
      "disks[0].source.nbdkit.config_entries");
  bad(NBDKIT(VDDK_PRE "\"config_entries\":[1]"),
      "disks[0].source.nbdkit.config_entries");
  bad(NBDKIT(VDDK_PRE "\"config\":\"/etc/vddk.conf\",\"config_entries\":"
             "{\"vixDiskLib.nfcAio.Session.BufCount\":4}"),
      "disks[0].source.nbdkit.config_entries");
  bad(NBDKIT("\"plugin\":\"curl\",\"url\":\"https://h/x\",\"compression\":\"zlib\""),
      "disks[0].source.nbdkit.compression");
  bad(NBDKIT("\"plugin\":\"nbd\",\"uri\":\"nbd:/x\""),
      "disks[0].source.nbdkit.uri");
  bad(EXPORT_PRE "{\"unix\":false}}", "listen.unix");
  bad(EXPORT_PRE "{}}", "listen");
  bad(EXPORT_PRE "{\"unix\":true,\"tcp\":\"h:1\"}}", "listen.tcp");
  bad(EXPORT_PRE "{\"tcp\":\"h\"}}", "listen.tcp");
  bad(EXPORT_PRE "{\"tcp\":\"h:0\"}}", "listen.tcp");
  bad(EXPORT_PRE "{\"tcp\":\"h:1\",\"tls_psk_file\":\"psk\"}}",
      "listen.tls_psk_file");
  bad(EXPORT_PRE "{\"tcp\":\"h:1\",\"tls_psk_file\":\"@T@/public\"}}",
      "listen.tls_psk_file");
  bad(EXPORT_PRE "{\"unix\":true},\"until\":\"never\"}", "until");
  bad(EXPORT_PRE "{\"unix\":true},\"idle_s\":5}", "idle_s");
  bad(EXPORT_PRE "{\"unix\":true},\"until\":\"client-done\",\"idle_s\":5}",
      "idle_s");
  bad(EXPORT_PRE "{\"unix\":true},\"until\":\"disks-done\",\"idle_s\":0}",
      "idle_s");
  bad(EXPORT_PRE "{\"unix\":true},\"until\":\"disks-done\",\"idle_s\":\"5\"}",
      "idle_s");
  bad(EXPORT_PRE "{\"unix\":true},\"port_wait_s\":5}", "port_wait_s");
  bad(EXPORT_PRE "{\"tcp\":\"h:1\"},\"port_wait_s\":-1}", "port_wait_s");
  bad(EXPORT_PRE "{\"tcp\":\"h:1\"},\"port_wait_s\":3601}", "port_wait_s");
  bad(EXPORT_PRE "{\"tcp\":\"h:1\"},\"port_wait_s\":\"5\"}", "port_wait_s");
  bad("{\"type\":\"export\",\"disks\":[{\"source\":{\"path\":\"@T@/disk.img\"},"
      "\"name\":\"a\"},{\"source\":{\"path\":\"@T@/disk.img\"},\"name\":\"a\"}],"
      "\"listen\":{\"unix\":true}}", "disks[1].name");
  bad("{\"type\":\"export\",\"disks\":[{\"source\":{\"path\":\"@T@/disk.img\"},"
      "\"name\":\"disk1\"},{\"source\":{\"path\":\"@T@/disk.img\"}}],"
      "\"listen\":{\"unix\":true}}", "disks[0].name");
  bad("{\"type\":\"export\",\"disks\":[{\"source\":{\"path\":\"@T@/disk.img\"}},"
      "{\"source\":{\"path\":\"@T@/disk.img\"},\"name\":\"disk0\"}],"
      "\"listen\":{\"unix\":true}}", "disks[1].name");
  good("{\"type\":\"export\",\"disks\":[{\"source\":{\"path\":\"@T@/disk.img\"}},"
       "{\"source\":{\"path\":\"@T@/disk.img\"},\"name\":\"disk7\"},"
       "{\"source\":{\"path\":\"@T@/disk.img\"}}],\"listen\":{\"unix\":true}}");
  bad("{\"type\":\"export\",\"disks\":[{\"source\":{\"nbd\":\"nbd://h\"}}],"
      "\"listen\":{\"unix\":true}}", "disks[0].source.nbd");
  bad("{\"type\":\"export\",\"verify\":true}", "verify");
}

static void parse_message(const char *body, size_t len, const char *want)
{
  struct uch_error err = { 0 };
  json_object *o = request_parse(body, len, &err);

  ok(!o && strstr(err.message, want), "parse error says \"%s\" (%s)", want,
     err.message);
  json_object_put(o);
}

static void test_parse_messages(void)
{
  parse_message("", 0, "empty");
  parse_message("{\"a\":\"\xc3\x28\"}", 10, "invalid utf-8 string at byte 7");
  parse_message("{\"a\":1} {}", 10, "data after the JSON object, at byte 8");
  parse_message("{\"a\":1}\0", 8, "data after the JSON object, at byte 7");
  parse_message("{\"a\":", 5, "ends early");
  parse_message("{\"a\":tru}", 9, "at byte 8");
  parse_message("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]", 37, "deeper than 32");
  parse_message("42", 2, "must be a JSON object, not int");
}

static void test_limits(void)
{
  char deep[200] = "";
  for (int i = 0; i < 40; i++)
    strcat(deep, "[");
  bad(deep, "");

  /* 65 disks. */
  char *big = malloc(65 * 80 + 64), *p = big;
  p += sprintf(p, "{\"type\":\"copy\",\"disks\":[");
  for (int i = 0; i < 65; i++)
    p += sprintf(p, "%s{\"source\":{\"nbd\":\"nbd://h\"},"
                 "\"destination\":{\"path\":\"/d\"}}", i ? "," : "");
  sprintf(p, "]}");
  bad(big, "disks");
  free(big);
}

/* The convert secrets: each file's content under its field's path. */
static void test_convert_secrets(void)
{
  struct uch_error err = { 0 };
  struct secrets s = { 0 };
  _cleanup_json_ json_object *san = NULL;
  const char *req =
    "{\"type\":\"convert\",\"name\":\"w\",\"input\":{\"vcenter\":{"
    "\"url\":\"vpx://root@vc/DC/esx\",\"vm\":\"w\","
    "\"password_file\":\"@T@/password\"}},"
    "\"output\":{\"openstack\":{\"server_id\":\"a\",\"credentials\":"
    "{\"clouds_yaml\":\"@T@/psk\",\"cloud\":\"c\"}}},"
    "\"options\":{\"luks_keys\":[{\"device\":\"/dev/sda2\","
    "\"key_file\":\"@T@/password\"}]}}";

  is_int(check(req, &san, &s, &err), 0, "convert with three secrets: accepted");
  is_int(s.n, 3, "three secrets");
  if (s.n == 3) {
    is_str(s.v[0].field, "input.vcenter.password_file", "vCenter password field");
    is_str(s.v[0].value, "s3cret", "vCenter password without its newline");
    is_int(s.v[0].len, 6, "... and its length");
    is_str(s.v[1].field, "output.openstack.credentials.clouds_yaml",
           "clouds.yaml field");
    is_str(s.v[2].field, "options.luks_keys[0].key_file", "LUKS key field");
    is_str(s.v[2].value, "s3cret\n", "LUKS key as is (virt-v2v reads it whole)");
  }
  secrets_free(&s);
}

/* request_load: the worker's parse of an accepted request, typed with
 * its defaults, without reading secrets or looking at files again. */
static void test_typed_export(void)
{
  struct uch_error err = { 0 };
  struct job_request *r = NULL;
  _cleanup_free_ char *body = subst(
    "{\"type\":\"export\",\"id\":\"e1\",\"disks\":["
    "{\"source\":{\"path\":\"@T@/gone.img\"}},"
    "{\"source\":{\"volume\":\"vol-1\",\"wait_s\":5},\"name\":\"b\"}],"
    "\"listen\":{\"tcp\":\"0.0.0.0:10809\","
    "\"tls_psk_file\":\"@T@/gone.psk\",\"open_firewall\":true},"
    "\"until\":\"client-done\"}");
  _cleanup_json_ json_object *req = request_parse(body, strlen(body), &err);

  is_int(request_load(req, &r, &err), 0, "an accepted export loads: %s",
         err.message);
  if (!r)
    return;
  is_int(r->kind, JOB_EXPORT, "kind");
  is_str(r->id, "e1", "id");
  const struct export_request *e = &r->u.export;
  is_int(e->n_disks, 2, "two disks");
  is_str(e->disks[0].name, "disk0", "the default name");
  ok(e->disks[0].path && !e->disks[0].volume.id, "disk 0 by path");
  is_str(e->disks[1].name, "b", "a name given");
  is_str(e->disks[1].volume.id, "vol-1", "disk 1 by volume");
  is_int(e->disks[1].volume.wait_s, 5, "its wait_s");
  is_int(e->listen.kind, LISTEN_TCP, "TCP");
  is_str(e->listen.tcp, "0.0.0.0:10809", "listen.tcp");
  is_str(e->listen.tls_username, "uch", "the default TLS user");
  ok(e->listen.tls_psk_file && e->listen.open_firewall && !e->listen.advertise,
     "a PSK file (not read: it is gone), open_firewall, no advertise");
  is_int(e->until, UNTIL_CLIENT_DONE, "until");
  job_request_free(r);

  /* at submit the same request is checked against the host */
  json_object *san = NULL;
  struct secrets s = { 0 };
  ok(request_validate(req, &san, &s, &err) < 0 &&
     strcmp(err.field, "disks[0].source.path") == 0,
     "validated at submit, the missing file is refused: %s", err.message);
  secrets_free(&s);

  json_object *u = json_tokener_parse(
    "{\"type\":\"export\",\"disks\":[{\"source\":{\"path\":\"/x\"}}],"
    "\"listen\":{\"unix\":true}}");
  ok(request_load(u, &r, &err) == 0 && r->u.export.listen.kind == LISTEN_UNIX &&
     r->u.export.until == UNTIL_CANCEL && !r->id,
     "unix, until cancel by default, no id");
  job_request_free(r);
  json_object_put(u);
  u = json_tokener_parse(
    "{\"type\":\"export\",\"disks\":[{\"source\":{\"path\":\"/x\"}}],"
    "\"listen\":{\"unix\":true},\"until\":\"disks-done\"}");
  ok(request_load(u, &r, &err) == 0 && r->u.export.until == UNTIL_DISKS_DONE &&
     r->u.export.idle_s == EXPORT_IDLE_S_DEFAULT,
     "until disks-done, idle_s %d s by default", EXPORT_IDLE_S_DEFAULT);
  job_request_free(r);
  json_object_put(u);
  u = json_tokener_parse(
    "{\"type\":\"export\",\"disks\":[{\"source\":{\"path\":\"/x\"}}],"
    "\"listen\":{\"unix\":true},\"until\":\"disks-done\",\"idle_s\":30}");
  ok(request_load(u, &r, &err) == 0 && r->u.export.until == UNTIL_DISKS_DONE &&
     r->u.export.idle_s == 30 && r->u.export.port_wait_s == 0,
     "until disks-done, idle_s given; port_wait_s 0 by default");
  job_request_free(r);
  json_object_put(u);
  u = json_tokener_parse(
    "{\"type\":\"export\",\"disks\":[{\"source\":{\"path\":\"/x\"}}],"
    "\"listen\":{\"tcp\":\"0.0.0.0:10809\"},\"port_wait_s\":35}");
  ok(request_load(u, &r, &err) == 0 && r->u.export.port_wait_s == 35,
     "over TCP, port_wait_s given");
  job_request_free(r);
  json_object_put(u);
  u = json_tokener_parse("{\"type\":\"export\",\"listen\":{\"unix\":true}}");
  ok(request_load(u, &r, &err) < 0 && !r && strcmp(err.field, "disks") == 0,
     "an invalid one is refused naming its field");
  json_object_put(u);
}

static void test_typed_inspect(void)
{
  struct uch_error err = { 0 };
  struct job_request *r = NULL;
  json_object *req = json_tokener_parse(
    "{\"type\":\"inspect\",\"disks\":["
    "{\"source\":{\"path\":\"/gone.img\"}},"
    "{\"source\":{\"nbd\":\"nbd+unix:///x?socket=/s\"}},"
    "{\"source\":{\"volume\":\"vol-2\"}}]}");

  is_int(request_load(req, &r, &err), 0, "an accepted inspect loads: %s",
         err.message);
  if (r) {
    const struct inspect_request *in = &r->u.inspect;
    is_int(r->kind, JOB_INSPECT, "kind");
    is_int(in->n_disks, 3, "three disks");
    ok(in->sources[0].kind == SOURCE_PATH &&
       strcmp(in->sources[0].path, "/gone.img") == 0, "a path");
    ok(in->sources[1].kind == SOURCE_NBD &&
       strcmp(in->sources[1].nbd, "nbd+unix:///x?socket=/s") == 0, "an URI");
    ok(in->sources[2].kind == SOURCE_VOLUME &&
       strcmp(in->sources[2].volume.id, "vol-2") == 0 &&
       in->sources[2].volume.wait_s == 0, "a volume, wait_s 0 by default");
  }
  job_request_free(r);
  json_object_put(req);
}

static void test_typed_inplace(void)
{
  struct uch_error err = { 0 };
  struct job_request *r = NULL;
  json_object *req = json_tokener_parse(
    "{\"type\":\"inplace\",\"name\":\"web1\",\"disks\":["
    "{\"path\":\"/gone.img\"},{\"path\":\"/b.qcow2\",\"format\":\"qcow2\"},"
    "{\"volume\":\"vol-3\",\"wait_s\":9}],\"firmware\":\"uefi\","
    "\"memory_mib\":2048,\"macs\":[{\"mac\":\"52:54:00:01:02:03\","
    "\"network\":\"n1\"}],\"options\":{\"root\":\"first\"}}");

  is_int(request_load(req, &r, &err), 0, "an accepted inplace loads: %s",
         err.message);
  if (r) {
    const struct inplace_request *in = &r->u.inplace;
    is_int(in->n_disks, 3, "three disks");
    ok(in->disks[0].format == FORMAT_RAW && in->disks[1].format == FORMAT_QCOW2,
       "raw by default, qcow2 given");
    ok(in->disks[2].volume.id && in->disks[2].volume.wait_s == 9 &&
       !in->disks[2].path, "a volume");
    is_str(in->guest.name, "web1", "name");
    ok(in->guest.memory_mib == 2048 && in->guest.vcpus == 0 &&
       in->guest.firmware == FIRMWARE_UEFI, "memory, no vcpus, uefi");
    ok(in->guest.n_nics == 1 && strcmp(in->guest.nics[0].mac,
                                       "52:54:00:01:02:03") == 0 &&
       strcmp(in->guest.nics[0].network, "n1") == 0 &&
       !in->guest.nics[0].bridge, "a NIC");
    ok(in->guest.options.root == V2V_ROOT_FIRST && in->guest.options.n_macs == 0,
       "options typed for convert's code: root first");
  }
  job_request_free(r);
  json_object_put(req);

  req = json_tokener_parse(
    "{\"type\":\"sync\",\"disks\":[{\"source\":{\"path\":\"/x\"},"
    "\"destination\":{\"path\":\"/y\"}}],\"inplace\":{\"name\":\"g\"}}");
  ok(request_load(req, &r, &err) == 0 && r->u.sync.has_inplace &&
     strcmp(r->u.sync.inplace.name, "g") == 0 &&
     r->u.sync.inplace.firmware == FIRMWARE_BIOS,
     "a sync request's inplace step, bios by default: %s", err.message);
  job_request_free(r);
  json_object_put(req);
}

/* A convert request as the parser types it; `text` is accepted (files
 * need not be there).  NULL and a failed test when it is not. */
static struct job_request *load_convert(const char *text, json_object **req)
{
  struct uch_error err = { 0 };
  struct job_request *r = NULL;

  *req = json_tokener_parse(text);
  if (request_load(*req, &r, &err) < 0) {
    ok(0, "loads: %s", err.message);
    return NULL;
  }
  return r;
}

static void load_fails(const char *text, const char *field, const char *msg)
{
  struct uch_error err = { 0 };
  struct job_request *r = NULL;
  _cleanup_json_ json_object *req = json_tokener_parse(text);

  ok(request_load(req, &r, &err) < 0 && !r, "refused: %.60s", text);
  is_str(err.field, field, "  naming %s", field);
  ok(strstr(err.message, msg) != NULL, "  saying %s (%s)", msg, err.message);
  job_request_free(r);
}

static void test_typed_convert(void)
{
  json_object *req = NULL;
  struct job_request *r;
  char big[8192];
  size_t n;

  r = load_convert("{\"type\":\"convert\",\"input\":{\"disk\":{\"path\":\"/d/g.img\"}},"
                   "\"output\":{\"local\":{\"dir\":\"/out\"}}}", &req);
  if (r) {
    const struct convert_request *c = &r->u.convert;
    ok(r->kind == JOB_CONVERT, "kind convert");
    ok(c->input.kind == CONVERT_IN_DISK && strcmp(c->input.path, "/d/g.img") == 0,
       "disk input and its path");
    ok(c->input.format == V2V_FORMAT_DEFAULT, "format left to virt-v2v by default");
    ok(c->output.kind == CONVERT_OUT_LOCAL && strcmp(c->output.dir, "/out") == 0 &&
       c->output.format == V2V_FORMAT_DEFAULT &&
       c->output.allocation == V2V_ALLOC_DEFAULT, "local output, defaults");
    ok(!c->name && c->options.root == V2V_ROOT_DEFAULT && c->options.n_macs == 0 &&
       c->options.memsize_mib == 0 && c->options.smp == 0 &&
       c->options.n_luks_keys == 0 && c->options.n_extra_args == 0,
       "no name, every option at its default");
  }
  job_request_free(r);
  json_object_put(req);

  r = load_convert("{\"type\":\"convert\",\"name\":\"web\","
                   "\"input\":{\"disk\":{\"path\":\"/d/g.qcow2\",\"format\":\"qcow2\"}},"
                   "\"output\":{\"local\":{\"dir\":\"/out\",\"format\":\"raw\","
                   "\"allocation\":\"sparse\"}},"
                   "\"options\":{\"root\":\"/dev/vg/root\",\"memsize_mib\":2048,\"smp\":2,"
                   "\"macs\":[{\"mac\":\"52:54:00:00:00:01\",\"bridge\":\"br0\"},"
                   "{\"mac\":\"52:54:00:00:00:02\",\"ip\":{\"address\":\"10.0.0.5\","
                   "\"gateway\":\"10.0.0.1\",\"prefix\":24,"
                   "\"nameservers\":[\"10.0.0.2\"]}}],"
                   "\"luks_keys\":[{\"device\":\"/dev/sda2\",\"key_file\":\"/k\"}],"
                   "\"extra_args\":[\"-v\",\"--compressed\"]}}", &req);
  if (r) {
    const struct convert_request *c = &r->u.convert;
    const struct v2v_options *o = &c->options;
    ok(c->input.format == V2V_FORMAT_QCOW2 && c->output.format == V2V_FORMAT_RAW &&
       c->output.allocation == V2V_ALLOC_SPARSE, "formats and allocation as enums");
    is_str(c->name, "web", "name");
    ok(o->root == V2V_ROOT_DEVICE && strcmp(o->root_device, "/dev/vg/root") == 0,
       "root a device");
    ok(o->memsize_mib == 2048 && o->smp == 2, "appliance size");
    ok(o->n_macs == 2 && o->macs[0].kind == V2V_MAC_BRIDGE &&
       strcmp(o->macs[0].name, "br0") == 0 && o->macs[1].kind == V2V_MAC_IP &&
       strcmp(o->macs[1].address, "10.0.0.5") == 0 &&
       strcmp(o->macs[1].gateway, "10.0.0.1") == 0 &&
       o->macs[1].prefix == 24 && o->macs[1].n_nameservers == 1,
       "MAC mappings typed, a bridge and a static IP");
    ok(o->n_luks_keys == 1 && strcmp(o->luks_devices[0], "/dev/sda2") == 0,
       "a LUKS key's device (its file is the job's secret)");
    ok(o->n_extra_args == 2 && strcmp(o->extra_args[1], "--compressed") == 0,
       "extra args in order");
  }
  job_request_free(r);
  json_object_put(req);

  r = load_convert("{\"type\":\"convert\",\"name\":\"g\",\"input\":{\"vmx\":{\"ssh\":"
                   "{\"host\":\"esx1\",\"path\":\"/vmfs/g.vmx\",\"port\":22,"
                   "\"key_file\":\"/k\"}}},\"output\":{\"block\":{\"devices\":["
                   "{\"path\":\"/dev/sdx\"},{\"volume\":\"vol-1\",\"wait_s\":5}]}}}", &req);
  if (r) {
    const struct convert_request *c = &r->u.convert;
    ok(c->input.kind == CONVERT_IN_VMX_SSH && strcmp(c->input.ssh.host, "esx1") == 0 &&
       c->input.ssh.port == 22 && !c->input.ssh.user, "vmx over ssh");
    ok(c->output.kind == CONVERT_OUT_BLOCK && c->output.n_devices == 2 &&
       strcmp(c->output.devices[0].path, "/dev/sdx") == 0 &&
       !c->output.devices[1].path &&
       strcmp(c->output.devices[1].volume.id, "vol-1") == 0 &&
       c->output.devices[1].volume.wait_s == 5, "block devices, a path and a volume");
  }
  job_request_free(r);
  json_object_put(req);

  r = load_convert("{\"type\":\"convert\",\"input\":{\"vcenter\":{\"url\":\"vpx://vc/DC/h\","
                   "\"vm\":\"w\",\"password_file\":\"/pw\"}},\"output\":{\"openstack\":"
                   "{\"server_id\":\"s\",\"verify_server_certificate\":false,"
                   "\"credentials\":{\"env_file\":\"/e\"}}}}", &req);
  if (r) {
    const struct convert_request *c = &r->u.convert;
    ok(c->input.kind == CONVERT_IN_VCENTER && !c->input.vcenter.has_vddk &&
       strcmp(c->input.vcenter.vm, "w") == 0, "vCenter without VDDK");
    ok(c->output.kind == CONVERT_OUT_OPENSTACK &&
       c->output.openstack.verify_server_certificate == V2V_FALSE &&
       c->output.openstack.credentials == OPENSTACK_ENV_FILE &&
       !c->output.openstack.guest_id, "openstack output, verify false, env_file");
  }
  job_request_free(r);
  json_object_put(req);

  r = load_convert("{\"type\":\"convert\",\"input\":{\"ova\":{\"path\":\"/g.ova\"}},"
                   "\"output\":{\"kubevirt\":{\"dir\":\"/k\"}}}", &req);
  ok(r && r->u.convert.input.kind == CONVERT_IN_OVA &&
     r->u.convert.output.kind == CONVERT_OUT_KUBEVIRT &&
     strcmp(r->u.convert.output.dir, "/k") == 0, "ova into kubevirt");
  job_request_free(r);
  json_object_put(req);

  /* errors name their field */
  load_fails("{\"type\":\"convert\",\"input\":{\"disk\":{\"path\":\"/g\",\"format\":\"vmdk\"}},"
             "\"output\":{\"local\":{\"dir\":\"/o\"}}}", "input.disk.format", "must be one of");
  load_fails("{\"type\":\"convert\",\"input\":{\"disk\":{\"path\":\"/g\"}},"
             "\"output\":{\"local\":{\"dir\":\"/o\",\"allocation\":\"thin\"}}}",
             "output.local.allocation", "must be one of");
  load_fails("{\"type\":\"convert\",\"input\":{\"disk\":{\"path\":\"/g\"}},"
             "\"output\":{\"block\":{\"devices\":[{\"path\":\"/dev/sdx\"}]}}}",
             "name", "is required with output.block");
  load_fails("{\"type\":\"convert\",\"input\":{\"disk\":{\"path\":\"/g\"}},"
             "\"output\":{\"local\":{\"dir\":\"/o\"}},\"options\":{\"root\":\"ask\"}}",
             "options.root", "must be \"single\"");
  load_fails("{\"type\":\"convert\",\"input\":{\"disk\":{\"path\":\"/g\"}},"
             "\"output\":{\"openstack\":{\"server_id\":\"s\",\"credentials\":"
             "{\"clouds_yaml\":\"/c\"}}}}", "output.openstack.credentials.cloud",
             "is required with clouds_yaml");
  n = (size_t)snprintf(big, sizeof big, "{\"type\":\"convert\",\"input\":{\"disk\":"
                       "{\"path\":\"/g\"}},\"output\":{\"local\":{\"dir\":\"/o\"}},"
                       "\"options\":{\"macs\":[");
  for (int i = 0; i <= V2V_MAX_MACS; i++)
    n += (size_t)snprintf(big + n, sizeof big - n, "%s{\"mac\":\"52:54:00:00:00:%02x\","
                          "\"network\":\"n\"}", i ? "," : "", i);
  snprintf(big + n, sizeof big - n, "]}}");
  load_fails(big, "options.macs", "at most 64 MAC mappings");
  n = (size_t)snprintf(big, sizeof big, "{\"type\":\"convert\",\"input\":{\"disk\":"
                       "{\"path\":\"/g\"}},\"output\":{\"local\":{\"dir\":\"/o\"}},"
                       "\"options\":{\"extra_args\":[");
  for (int i = 0; i <= V2V_MAX_EXTRA_ARGS; i++)
    n += (size_t)snprintf(big + n, sizeof big - n, "%s\"-v\"", i ? "," : "");
  snprintf(big + n, sizeof big - n, "]}}");
  load_fails(big, "options.extra_args", "at most 16 arguments");
}

int main(void)
{
  make_files();
  test_good();
  test_sanitized_and_secrets();
  test_convert_secrets();
  test_bad();
  test_parse_messages();
  test_limits();
  test_typed_export();
  test_typed_inspect();
  test_typed_inplace();
  test_typed_convert();
  rm_rf(tmp);
  return tap_done();
}
