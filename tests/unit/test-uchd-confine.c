/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The confinement policy (uchd/confine.c): every path field of every
 * good request in tests/requests/ has a role (a field without a rule
 * would be refused); every absolute path in those requests is judged;
 * roots, symlinks (dangling ones too), uchd's own files, and the roots
 * uchd refuses to start with. */
#include <dirent.h>
#include <endian.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jobs/convert-disks.h"
#include "jobs/request.h"
#include "uchd/confine.h"
#include "uchd/image-refs.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/jsonutil.h"
#include "tap.h"

static char tmp[] = "/tmp/test-uchd-confine.XXXXXX";

static char *p(const char *name)
{
  static char buf[8][512];
  static int i;
  i = (i + 1) % 8;
  snprintf(buf[i], sizeof buf[i], "%s/%s", tmp, name);
  return buf[i];
}

/* The paths the validator asked about, each with its role. */
struct seen {
  char paths[64][512];
  size_t n;
  int unknown;               /* fields with no rule */
  char last_unknown[128];
};

static int record(void *opaque, enum job_kind kind, const char *field,
                  const char *path, struct uch_error *err)
{
  struct seen *s = opaque;
  int role = confine_role_of(kind, field);

  (void)err;
  if (role == CONFINE_UNKNOWN) {
    s->unknown++;
    snprintf(s->last_unknown, sizeof s->last_unknown, "%s", field);
  }
  if (s->n < 64)
    snprintf(s->paths[s->n++], sizeof s->paths[0], "%s", path);
  return 0;
}

static char *subst(const char *s)
{
  size_t tl = strlen(tmp), n = strlen(s), o = 0;
  char *out = malloc(n * (tl / 3 + 1) + 1);

  for (size_t i = 0; i < n;) {
    if (strncmp(s + i, "@T@", 3) == 0) {
      memcpy(out + o, tmp, tl);
      o += tl;
      i += 3;
    } else
      out[o++] = s[i++];
  }
  out[o] = '\0';
  return out;
}

static bool was_seen(const struct seen *s, const char *path)
{
  for (size_t i = 0; i < s->n; i++)
    if (strcmp(s->paths[i], path) == 0)
      return true;
  return false;
}

/* Every string in o under our temp dir (a local path) was asked about. */
static void all_seen(json_object *o, const struct seen *s, const char *name,
                     size_t *missed)
{
  if (json_object_is_type(o, json_type_object)) {
    json_object_object_foreach(o, k, v) {
      (void)k;
      all_seen(v, s, name, missed);
    }
  } else if (json_object_is_type(o, json_type_array)) {
    for (size_t i = 0; i < json_object_array_length(o); i++)
      all_seen(json_object_array_get_idx(o, i), s, name, missed);
  } else if (json_object_is_type(o, json_type_string)) {
    const char *v = json_object_get_string(o), *at = strstr(v, tmp);
    if (at && !was_seen(s, at)) {
      (*missed)++;
      printf("#   %s: %s not judged\n", name, v);
    }
  }
}

static void corpus(const char *top)
{
  _cleanup_free_ char *dir = NULL;
  _cleanup_closedir_ DIR *d = NULL;
  struct dirent *e;
  size_t n = 0, unknown = 0, missed = 0;

  if (asprintf(&dir, "%s/tests/requests/good", top) < 0 || !(d = opendir(dir)))
    exit(1);
  while ((e = readdir(d))) {
    _cleanup_free_ char *path = NULL, *raw = NULL, *body = NULL;
    _cleanup_json_ json_object *req = NULL, *san = NULL;
    struct secrets sec = { 0 };
    struct uch_error err = { 0 };
    struct seen s = { 0 };
    size_t len;

    if (!strstr(e->d_name, ".json"))
      continue;
    if (asprintf(&path, "%s/%s", dir, e->d_name) < 0 ||
        read_file(path, &raw, &len) < 0)
      exit(1);
    body = subst(raw);
    req = request_parse(body, strlen(body), &err);
    if (!req || request_validate_paths(req, &san, &sec, record, &s,
                                       &err) < 0) {
      ok(0, "good/%s valid: %s", e->d_name, err.message);
      continue;
    }
    secrets_free(&sec);
    n++;
    if (s.unknown) {
      unknown++;
      printf("#   %s: no rule for %s\n", e->d_name, s.last_unknown);
    }
    all_seen(req, &s, e->d_name, &missed);
  }
  ok(n >= 30, "%zu good requests", n);
  is_int(unknown, 0, "every path field of every good request has a role");
  is_int(missed, 0, "every local path of every good request is judged");
}

static void roles(void)
{
  is_int(confine_role_of(JOB_COPY, "disks[3].destination.path"),
         CONFINE_DESTINATION, "copy destination");
  is_int(confine_role_of(JOB_EXPORT, "disks[0].source.path"), CONFINE_EXPORT,
         "an export's source is an export");
  is_int(confine_role_of(JOB_COPY, "disks[0].source.path"), CONFINE_SOURCE,
         "a copy's source");
  is_int(confine_role_of(JOB_CONVERT, "input.vmx.ssh.path"), CONFINE_REMOTE,
         "a path on the ESXi host is not ours");
  is_int(confine_role_of(JOB_SYNC, "inplace.options.luks_keys[2].key_file"),
         CONFINE_SECRET, "sync's inplace LUKS key");
  is_int(confine_role_of(JOB_COPY, "disks[0].source.nbdkit.libdir"),
         CONFINE_LIBRARY, "VDDK's libdir");
  is_int(confine_role_of(JOB_COPY, "disks[0].source.nbd?socket"),
         CONFINE_SOURCE, "an NBD URI's socket is read from");
  is_int(confine_role_of(JOB_INSPECT, "disks[1].source.nbd?tls-psk-file"),
         CONFINE_SECRET, "an NBD URI's PSK file is a secret");
  is_int(confine_role_of(JOB_SYNC, "disks[0].source.nbdkit.uri?socket"),
         CONFINE_SOURCE, "the nbd plugin's URI's socket");
  is_int(confine_role_of(JOB_COPY, "disks[0].source.nbd"), CONFINE_UNKNOWN,
         "the URI itself is no path");
  is_int(confine_role_of(JOB_EXPORT, "disks[0].destination.path"),
         CONFINE_UNKNOWN, "a field without a rule");
}

static struct confine policy(char *img, char *sec)
{
  struct confine c;
  struct uch_error err = { 0 };
  char *r_img[] = { img }, *r_sec[] = { sec };
  char **roots[CONFINE_ROLES] = { r_img, r_img, r_img, r_sec, r_sec };
  size_t n[CONFINE_ROLES] = { 1, 1, 1, 1, 1 };

  if (confine_init(&c, roots, n, p("state"), p("run"),
                   (const char *const[3]){ p("token"), NULL, NULL },
                   p("by-id"), &err) < 0) {
    printf("# %s\n", err.message);
    exit(1);
  }
  return c;
}

static bool allowed(const struct confine *c, int role, const char *path,
                    struct uch_error *err)
{
  memset(err, 0, sizeof *err);
  return confine_check(c, role, "f", path, err) == 0;
}

static void checks(void)
{
  struct confine c = policy(p("images"), p("secrets"));
  struct uch_error err;

  ok(allowed(&c, CONFINE_DESTINATION, p("images/new.img"), &err),
     "a new file in the root");
  ok(allowed(&c, CONFINE_SOURCE, p("images/a.img"), &err),
     "a file in the root");
  ok(!allowed(&c, CONFINE_SOURCE, p("outside/secret"), &err) &&
     strcmp(err.code, "forbidden_path") == 0 && strcmp(err.field, "f") == 0,
     "a file outside: %s", err.message);
  ok(!allowed(&c, CONFINE_DESTINATION, p("images/link"), &err) &&
     strstr(err.message, "-> ") && strstr(err.message, "outside/secret"),
     "a link out of the root is what it names: %s", err.message);
  ok(!allowed(&c, CONFINE_DESTINATION, p("images/dangling"), &err) &&
     strstr(err.message, "outside/new"),
     "a dangling link is the file it would make: %s", err.message);
  ok(allowed(&c, CONFINE_DESTINATION, p("images/inside-link"), &err),
     "a link within the root");
  ok(!allowed(&c, CONFINE_SECRET, p("images/a.img"), &err) &&
     strstr(err.message, "secret_root"), "roots are per role: %s",
     err.message);
  ok(!allowed(&c, CONFINE_SECRET, p("secrets/token-link"), &err) &&
     strstr(err.message, "API token file"), "the token, by a link: %s",
     err.message);
  ok(!allowed(&c, CONFINE_SECRET, p("secrets/token-hard"), &err) &&
     strstr(err.message, "API token file"), "the token, by a hard link: %s",
     err.message);
  ok(!allowed(&c, CONFINE_ROLES, p("images/a.img"), &err) &&
     strstr(err.message, "no confinement rule"), "no role, no way: %s",
     err.message);
  confine_free(&c);

  /* roots that hold the state and runtime dirs: those stay out */
  c = policy(tmp, tmp);
  ok(allowed(&c, CONFINE_SOURCE, p("outside/secret"), &err), "a wide root");
  ok(!allowed(&c, CONFINE_DESTINATION, p("state/jobs/j1/state.json"), &err) &&
     strstr(err.message, "state dir"), "a job's state: %s", err.message);
  ok(!allowed(&c, CONFINE_DESTINATION, p("run/jobs/j1/secrets/x"), &err) &&
     strstr(err.message, "runtime dir"), "the runtime dir: %s", err.message);
  confine_free(&c);

  /* a root inside the state dir: that folder only */
  c = policy(p("state/images"), p("secrets"));
  ok(allowed(&c, CONFINE_DESTINATION, p("state/images/x.img"), &err),
     "a root inside the state dir");
  ok(!allowed(&c, CONFINE_DESTINATION, p("state/images/../jobs/x"), &err),
     "not beside it");
  confine_free(&c);
}

/* A qcow2 v3 header as qemu-img writes one: 104 bytes, then header
 * extensions (a data file's name when `data`), the end marker, then
 * the backing file's name (when `backing`). */
static void qcow2(const char *name, const char *backing, const char *data)
{
  unsigned char h[4096] = { 0 };
  uint32_t v32;
  uint64_t v64;
  size_t off = 104;
  int fd;

#define PUT32(at, v) (v32 = htobe32(v), memcpy(h + (at), &v32, 4))
#define PUT64(at, v) (v64 = htobe64(v), memcpy(h + (at), &v64, 8))
  PUT32(0, 0x514649fbu);
  PUT32(4, 3);
  PUT32(20, 16);                       /* cluster bits */
  PUT64(24, 1 << 20);                  /* size */
  PUT32(100, 104);                     /* header length */
  if (data) {
    PUT32(off, 0x44415441u);
    PUT32(off + 4, strlen(data));
    memcpy(h + off + 8, data, strlen(data));
    off += 8 + ((strlen(data) + 7) & ~(size_t)7);
  }
  off += 8;                            /* the end marker, zeroes */
  if (backing) {
    PUT64(8, off);
    PUT32(16, strlen(backing));
    memcpy(h + off, backing, strlen(backing));
  }
#undef PUT32
#undef PUT64
  fd = open(p(name), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0 || write(fd, h, sizeof h) != (ssize_t)sizeof h)
    exit(1);
  close(fd);
}

static void image_refs(void)
{
  struct confine c = policy(p("images"), p("secrets"));
  struct image_refs refs;
  struct uch_error err;
  char why[160];
  int fd;

  is_int(image_ref_kind("json:{\"file\":{}}"), IMAGE_REF_JSON, "json:");
  is_int(image_ref_kind("nbd://h:10809/x"), IMAGE_REF_PROTOCOL, "nbd://");
  is_int(image_ref_kind("nbd:h:10809"), IMAGE_REF_PROTOCOL, "nbd:h:p");
  is_int(image_ref_kind("file:/x"), IMAGE_REF_PROTOCOL, "file:");
  is_int(image_ref_kind("base.img"), IMAGE_REF_FILE, "a relative file");
  is_int(image_ref_kind("./a:b.img"), IMAGE_REF_FILE,
         "a ':' after a '/' is a file's");
  _cleanup_free_ char *rel = image_ref_path("/a/b/top.qcow2", "base.img");
  is_str(rel, "/a/b/base.img", "relative: from the image's folder");

  qcow2("images/both.qcow2", "base.img", "/data/file");
  fd = open(p("images/both.qcow2"), O_RDONLY | O_CLOEXEC);
  ok(image_refs_read(fd, &refs, why, sizeof why) == 1 && refs.backing &&
     strcmp(refs.backing, "base.img") == 0 && refs.data_file &&
     strcmp(refs.data_file, "/data/file") == 0, "backing and data file read");
  image_refs_free(&refs);
  close(fd);
  fd = open(p("images/a.img"), O_RDONLY | O_CLOEXEC);
  ok(image_refs_read(fd, &refs, why, sizeof why) == 0 && !refs.backing,
     "no qcow2: nothing");
  close(fd);

  qcow2("images/json.qcow2", "json:{\"file\":{\"driver\":\"file\","
        "\"filename\":\"/etc/shadow\"}}", NULL);
  ok(!allowed(&c, CONFINE_SOURCE, p("images/json.qcow2"), &err) &&
     strcmp(err.code, "forbidden_path") == 0 &&
     strstr(err.message, "backing file is a json: name"),
     "a json: backing refused: %s", err.message);
  qcow2("images/nbd.qcow2", "nbd://10.0.0.1:10809/x", NULL);
  ok(!allowed(&c, CONFINE_DESTINATION, p("images/nbd.qcow2"), &err) &&
     strstr(err.message, "a protocol name"),
     "a destination's nbd: backing refused: %s", err.message);
  qcow2("images/http.qcow2", "http://10.0.0.1/x.img", NULL);
  ok(!allowed(&c, CONFINE_EXPORT, p("images/http.qcow2"), &err) &&
     strstr(err.message, "a protocol name"), "an http: backing refused");
  qcow2("images/in.qcow2", "a.img", NULL);
  ok(allowed(&c, CONFINE_SOURCE, p("images/in.qcow2"), &err),
     "a relative backing in the root: %s", err.message);
  qcow2("images/out.qcow2", "../outside/secret", NULL);
  ok(!allowed(&c, CONFINE_SOURCE, p("images/out.qcow2"), &err) &&
     strstr(err.message, "whose backing file: ") &&
     strstr(err.message, "outside/secret is not under a folder allowed for "
            "files a job reads"),
     "a backing outside the source roots: %s", err.message);
  qcow2("images/token.qcow2", p("token"), NULL);
  ok(!allowed(&c, CONFINE_SOURCE, p("images/token.qcow2"), &err) &&
     strstr(err.message, "API token file"), "the token as a backing: %s",
     err.message);
  qcow2("images/chain.qcow2", "out.qcow2", NULL);
  ok(!allowed(&c, CONFINE_SOURCE, p("images/chain.qcow2"), &err) &&
     strstr(err.message, "outside/secret"),
     "down a chain of images: %s", err.message);
  qcow2("images/loop.qcow2", "loop.qcow2", NULL);
  ok(!allowed(&c, CONFINE_SOURCE, p("images/loop.qcow2"), &err) &&
     strstr(err.message, "a chain of more than"),
     "an image its own backing: %s", err.message);
  qcow2("images/data.qcow2", NULL, p("outside/data"));
  ok(!allowed(&c, CONFINE_DESTINATION, p("images/data.qcow2"), &err) &&
     strstr(err.message, "whose data file: ") &&
     strstr(err.message, "files a job writes"),
     "a data file outside the destination roots: %s", err.message);
  confine_free(&c);
}

/* A file of `len` bytes: `text` at 0 (and `at512` at 512 when given). */
static void put_file(const char *name, const void *text, size_t len,
                     const char *at512)
{
  unsigned char buf[8192] = { 0 };
  int fd;

  memcpy(buf, text, len);
  if (at512)
    memcpy(buf + 512, at512, strlen(at512));
  fd = open(p(name), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0 || write(fd, buf, sizeof buf) != (ssize_t)sizeof buf)
    exit(1);
  close(fd);
}

/* A QED header (block/qed.h, little-endian) naming `backing`. */
static void qed(const char *name, const char *backing)
{
  unsigned char h[512] = { 0 };
  uint32_t v32;
  uint64_t v64;

#define PUT32(at, v) (v32 = htole32(v), memcpy(h + (at), &v32, 4))
#define PUT64(at, v) (v64 = htole64(v), memcpy(h + (at), &v64, 8))
  memcpy(h, "QED", 4);
  PUT32(4, 65536);                     /* cluster size */
  PUT32(8, 4);                         /* table size */
  PUT32(12, 1);                        /* header size, clusters */
  PUT64(16, backing ? 1 : 0);          /* features: a backing file */
  PUT64(48, 1 << 20);                  /* image size */
  if (backing) {
    PUT32(56, 128);
    PUT32(60, strlen(backing));
    memcpy(h + 128, backing, strlen(backing));
  }
#undef PUT32
#undef PUT64
  put_file(name, h, sizeof h, NULL);
}

static int count_ref(void *opaque, enum vmdk_ref kind, const char *name)
{
  (void)name;
  ((int *)opaque)[kind]++;
  return 0;
}

/* The images other than qcow2 whose header names files qemu opens when
 * it probes their format: a VMDK descriptor, a sparse VMDK's parent
 * hint, a QED's backing. */
static void other_formats(void)
{
  struct confine c = policy(p("images"), p("secrets"));
  struct image_refs refs;
  struct uch_error err;
  char why[160];
  int fd, n[2] = { 0, 0 };
  static const char shadow[] =
    "# Disk DescriptorFile\nversion=1\nCID=fffffffe\nparentCID=ffffffff\n"
    "createType=\"monolithicFlat\"\n\n# Extent description\n"
    "RW 8 FLAT \"/etc/shadow\" 0\n";
  static const char probed[] =                 /* no VMware comment */
    "  \nversion=1\ncreateType=\"twoGbMaxExtentFlat\"\n"
    "RW 8 FLAT \"a.img\" 0\n\tRDONLY 8 FLAT \"../outside/secret\" 0\n";
  static const char inside[] =
    "# Disk DescriptorFile\nversion=1\ncreateType=\"monolithicFlat\"\n"
    "RW 2048 FLAT \"a.img\" 0\nRW 8 ZERO\n";
  static const char parent[] =
    "# Disk DescriptorFile\nversion=1\nparentFileNameHint=\"nbd://h/x\"\n"
    "createType=\"monolithicFlat\"\nRW 2048 FLAT \"a.img\" 0\n";

  ok(vmdk_is_descriptor(probed, strlen(probed)),
     "version= after blank lines: qemu probes a vmdk");
  ok(!vmdk_is_descriptor("hello\nversion=1\n", 16),
     "text before version=: no vmdk");
  ok(vmdk_descriptor_refs(probed, false, count_ref, n) == 0 &&
     n[VMDK_EXTENT] == 2 && n[VMDK_PARENT] == 0, "two extents found");
  n[0] = n[1] = 0;
  ok(vmdk_descriptor_refs(parent, true, count_ref, n) == 0 &&
     n[VMDK_EXTENT] == 0 && n[VMDK_PARENT] == 1,
     "embedded: the parent, no extent");

  put_file("images/shadow.vmdk", shadow, strlen(shadow), NULL);
  fd = open(p("images/shadow.vmdk"), O_RDONLY | O_CLOEXEC);
  ok(image_refs_read(fd, &refs, why, sizeof why) == 1 &&
     strcmp(refs.format, "vmdk") == 0 && refs.n_extents == 1 &&
     strcmp(refs.extents[0], "/etc/shadow") == 0, "a descriptor's extent read");
  image_refs_free(&refs);
  close(fd);
  {
    /* an OVA member: the descriptor at 1024, 160 bytes of it */
    char buf[4096] = "not an image";
    memcpy(buf + 1024, shadow, strlen(shadow));
    put_file("images/member", buf, sizeof buf, NULL);
    fd = open(p("images/member"), O_RDONLY | O_CLOEXEC);
    ok(image_refs_read(fd, &refs, why, sizeof why) == 0,
       "no image at 0");
    ok(image_refs_read_at(fd, 1024, strlen(shadow), &refs, why,
                          sizeof why) == 1 && refs.n_extents == 1 &&
       strcmp(refs.extents[0], "/etc/shadow") == 0,
       "a member's descriptor read at its offset");
    image_refs_free(&refs);
    close(fd);
  }
  ok(!allowed(&c, CONFINE_SOURCE, p("images/shadow.vmdk"), &err) &&
     strcmp(err.code, "forbidden_path") == 0 &&
     strstr(err.message, "is a vmdk image whose extent: /etc/shadow is not "
            "under a folder allowed for files a job reads"),
     "/etc/shadow as a FLAT extent refused: %s", err.message);
  put_file("images/probed.vmdk", probed, strlen(probed), NULL);
  ok(!allowed(&c, CONFINE_DESTINATION, p("images/probed.vmdk"), &err) &&
     strstr(err.message, "outside/secret is not under a folder allowed for "
            "files a job writes"),
     "a destination's extent judged as written: %s", err.message);
  put_file("images/inside.vmdk", inside, strlen(inside), NULL);
  ok(allowed(&c, CONFINE_SOURCE, p("images/inside.vmdk"), &err),
     "extents in the root: %s", err.message);
  put_file("images/parent.vmdk", parent, strlen(parent), NULL);
  ok(!allowed(&c, CONFINE_SOURCE, p("images/parent.vmdk"), &err) &&
     strstr(err.message, "vmdk image whose backing file is 'nbd://h/x', a "
            "protocol name"), "a parentFileNameHint judged: %s", err.message);
  put_file("images/sparse.vmdk", "KDMV\1\0\0\0", 8,
           "# Disk DescriptorFile\nversion=1\n"
           "parentFileNameHint=\"../outside/secret\"\n"
           "RW 2048 SPARSE \"sparse.vmdk\"\n");
  ok(!allowed(&c, CONFINE_SOURCE, p("images/sparse.vmdk"), &err) &&
     strstr(err.message, "whose backing file: ") &&
     strstr(err.message, "outside/secret is not under"),
     "a sparse vmdk's parent judged: %s", err.message);

  qed("images/out.qed", "../outside/secret");
  ok(!allowed(&c, CONFINE_SOURCE, p("images/out.qed"), &err) &&
     strstr(err.message, "is a qed image whose backing file: ") &&
     strstr(err.message, "outside/secret is not under"),
     "a QED's backing outside the roots: %s", err.message);
  qed("images/json.qed", "json:{}");
  ok(!allowed(&c, CONFINE_EXPORT, p("images/json.qed"), &err) &&
     strstr(err.message, "qed image whose backing file is a json: name"),
     "a QED's json: backing: %s", err.message);
  qed("images/in.qed", "a.img");
  ok(allowed(&c, CONFINE_SOURCE, p("images/in.qed"), &err),
     "a QED's backing in the root: %s", err.message);
  qed("images/plain.qed", NULL);
  ok(allowed(&c, CONFINE_DESTINATION, p("images/plain.qed"), &err),
     "a QED without backing: %s", err.message);
  confine_free(&c);
}

/* A submit's pass: a secret refused at once, a disk path put off. */
static void pass(void)
{
  struct confine c = policy(p("images"), p("secrets"));
  struct confine_pass cp = { .c = &c };
  struct uch_error err = { 0 };

  ok(confine_pass_path(&cp, JOB_COPY, "disks[0].destination.path",
                       p("outside/x"), &err) == 0 && cp.n == 1,
     "a destination outside is put off");
  ok(confine_pass_path(&cp, JOB_COPY, "disks[0].source.nbdkit.password_file",
                       p("outside/secret"), &err) < 0 &&
     strcmp(err.field, "disks[0].source.nbdkit.password_file") == 0,
     "a secret outside is refused at once: %s", err.message);
  memset(&err, 0, sizeof err);
  ok(confine_pass_check(&cp, &err) < 0 &&
     strcmp(err.field, "disks[0].destination.path") == 0,
     "then the put-off path: %s", err.message);
  confine_pass_free(&cp);
  confine_free(&c);
}

static const char *served_file;
static int served_asked;

static bool served(void *opaque, const char *real)
{
  (void)opaque;
  served_asked++;
  return served_file && strcmp(real, served_file) == 0;
}

/* An NBD URI's socket= and tls-psk-file=: judged, the refusal naming
 * the request's field; a running export's own files let through. */
static void uri_files(void)
{
  struct confine c = policy(p("images"), p("secrets"));
  struct uch_error err = { 0 };
  char own_sock[512], own_psk[512];

  snprintf(own_sock, sizeof own_sock, "%s", p("run/jobs/e1/nbd.sock"));
  snprintf(own_psk, sizeof own_psk, "%s", p("run/jobs/e1/tls.psk"));
  ok(confine_request_path(&c, JOB_COPY, "disks[0].source.nbd?socket",
                          p("images/x.sock"), &err) == 0,
     "a socket under source_root");
  ok(confine_request_path(&c, JOB_COPY, "disks[0].source.nbd?socket",
                          p("outside/x.sock"), &err) < 0 &&
     strcmp(err.field, "disks[0].source.nbd") == 0 &&
     strncmp(err.message, "disks[0].source.nbd: ", 21) == 0 &&
     strstr(err.message, "files a job reads"),
     "a socket outside: %s", err.message);
  ok(confine_request_path(&c, JOB_INSPECT, "disks[0].source.nbd?socket",
                          own_sock, &err) < 0 &&
     strstr(err.message, "runtime dir"),
     "a socket in the runtime dir: %s", err.message);
  c.served = served;
  served_file = own_sock;
  ok(confine_request_path(&c, JOB_INSPECT, "disks[0].source.nbd?socket",
                          own_sock, &err) == 0,
     "a running export's own socket");
  ok(confine_request_path(&c, JOB_COPY,
                          "disks[0].source.nbd?tls-psk-file", own_psk,
                          &err) < 0 && strstr(err.message, "runtime dir"),
     "not another file beside it: %s", err.message);
  served_file = own_psk;
  ok(confine_request_path(&c, JOB_COPY,
                          "disks[0].source.nbd?tls-psk-file", own_psk,
                          &err) == 0, "a running export's own PSK file");
  served_asked = 0;
  ok(confine_request_path(&c, JOB_COPY, "disks[0].source.path", own_psk,
                          &err) < 0 && served_asked == 0,
     "only a URI's files may be an export's: %s", err.message);
  confine_free(&c);
}

static void bad_roots(void)
{
  static const struct { const char *root, *words; } cases[] = {
    { "state", "is uchd's state dir" },
    { "state/jobs", "where uchd keeps its own files" },
    { "state/destinations/x", "where uchd keeps its own files" },
    { "run/x", "runtime dir" },
    { "images/../state", "is uchd's state dir" },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    struct confine c;
    struct uch_error err = { 0 };
    char *r[] = { p(cases[i].root) };
    char **roots[CONFINE_ROLES] = { NULL, r };
    size_t n[CONFINE_ROLES] = { 0, 1 };
    int rc = confine_init(&c, roots, n, p("state"), p("run"),
                          (const char *const[3]){ NULL, NULL, NULL },
                          p("by-id"), &err);
    ok(rc < 0 && strcmp(err.field, "destination_root") == 0 &&
       strstr(err.message, cases[i].words), "root %s refused: %s",
       cases[i].root, err.message);
    confine_free(&c);
  }
}

int main(void)
{
  const char *top = getenv("UCH_TOP");
  static const struct { const char *name, *data; int mode; } files[] = {
    { "disk.img", "not really a disk image\n", 0644 },
    { "password", "s3cret\n", 0600 },
    { "psk", "uch:00112233445566778899aabbccddeeff\n", 0600 },
    { "public", "not-a-secret\n", 0644 },
    { "images/a.img", "x", 0644 },
    { "outside/secret", "y", 0600 },
    { "token", "0123456789abcdef0123\n", 0600 },
  };

  if (!mkdtemp(tmp))
    return 1;
  mkdir(p("images"), 0755);
  mkdir(p("secrets"), 0755);
  mkdir(p("outside"), 0755);
  mkdir(p("state"), 0755);
  mkdir(p("state/images"), 0755);
  mkdir(p("run"), 0755);
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
    if (write_file_atomic(p(files[i].name), files[i].data,
                          strlen(files[i].data), files[i].mode) < 0)
      return 1;
  if (symlink(p("outside/secret"), p("images/link")) < 0 ||
      symlink(p("outside/new"), p("images/dangling")) < 0 ||
      symlink("a.img", p("images/inside-link")) < 0 ||
      symlink(p("token"), p("secrets/token-link")) < 0 ||
      link(p("token"), p("secrets/token-hard")) < 0)
    return 1;

  roles();
  corpus(top ? top : ".");
  checks();
  pass();
  image_refs();
  other_formats();
  uri_files();
  bad_roots();
  rm_rf(tmp);
  return tap_done();
}
