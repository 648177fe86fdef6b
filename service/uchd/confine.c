/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The confinement policy (see confine.h and docs/api.md, Confinement). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <libgen.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "jobs/job-request.h"
#include "uchd/confine.h"
#include "uchd/image-refs.h"
#include "util/cleanup.h"
#include "volumes/volumes.h"

/* Symlinks followed on the way to one that is not there: more than
 * the kernel's 40 is a loop. */
#define MAX_LINKS 40
/* Images below an image (backing files) judged; a longer chain is
 * refused (qemu's own limit is far beyond any real one). */
#define MAX_CHAIN 16

static const char *const role_keys[CONFINE_ROLES] = {
  [CONFINE_SOURCE] = "source_root",
  [CONFINE_DESTINATION] = "destination_root",
  [CONFINE_EXPORT] = "export_root",
  [CONFINE_SECRET] = "secret_root",
  [CONFINE_LIBRARY] = "library_root",
};

static const char *const role_words[CONFINE_ROLES] = {
  [CONFINE_SOURCE] = "files a job reads",
  [CONFINE_DESTINATION] = "files a job writes",
  [CONFINE_EXPORT] = "files an export serves",
  [CONFINE_SECRET] = "secret files (passwords, keys, PSKs, CA and host keys)",
  [CONFINE_LIBRARY] = "VDDK library folders",
};

const char *confine_role_key(enum confine_role role)
{
  return (unsigned)role < CONFINE_ROLES ? role_keys[role] : "?";
}

/* Fields by job type, indices written "#" (disks[3] is disks.#): every
 * path a request names is one of these.  A field with no rule is
 * refused, so a new path field cannot slip by unjudged. */
#define K(kind) (1u << (kind))
#define COPYISH (K(JOB_COPY) | K(JOB_SYNC))
#define ALL ((1u << JOB_KINDS) - 1)
static const struct rule {
  unsigned kinds;
  const char *field;         /* fnmatch pattern */
  int role;
} rules[] = {
  { COPYISH | K(JOB_INSPECT) | K(JOB_DIGEST), "disks.#.source.path",
    CONFINE_SOURCE },
  { K(JOB_EXPORT), "disks.#.source.path", CONFINE_EXPORT },
  /* an NBD URI's files: FIELD?PARAM (jobs/request.h); its socket is
   * what the job reads from */
  { COPYISH | K(JOB_INSPECT), "disks.#.source.nbd[?]tls-psk-file",
    CONFINE_SECRET },
  { COPYISH | K(JOB_INSPECT), "disks.#.source.nbd[?]socket", CONFINE_SOURCE },
  { COPYISH, "disks.#.source.nbdkit.file", CONFINE_SOURCE },
  { COPYISH, "disks.#.source.nbdkit.uri[?]tls-psk-file", CONFINE_SECRET },
  { COPYISH, "disks.#.source.nbdkit.uri[?]socket", CONFINE_SOURCE },
  { COPYISH, "disks.#.source.nbdkit.password_file", CONFINE_SECRET },
  { COPYISH, "disks.#.source.nbdkit.identity", CONFINE_SECRET },
  { COPYISH, "disks.#.source.nbdkit.known_hosts", CONFINE_SECRET },
  { COPYISH, "disks.#.source.nbdkit.cainfo", CONFINE_SECRET },
  { COPYISH, "disks.#.source.nbdkit.config", CONFINE_SECRET },
  { COPYISH, "disks.#.source.nbdkit.libdir", CONFINE_LIBRARY },
  { COPYISH, "disks.#.destination.path", CONFINE_DESTINATION },
  { K(JOB_EXPORT), "listen.tls_psk_file", CONFINE_SECRET },
  { K(JOB_INPLACE), "disks.#.path", CONFINE_DESTINATION },
  { K(JOB_CONVERT), "input.disk.path", CONFINE_SOURCE },
  { K(JOB_CONVERT), "input.libvirtxml.path", CONFINE_SOURCE },
  { K(JOB_CONVERT), "input.ova.path", CONFINE_SOURCE },
  { K(JOB_CONVERT), "input.vmx.path", CONFINE_SOURCE },
  { K(JOB_CONVERT), "input.vmx.ssh.path", CONFINE_REMOTE },
  { K(JOB_CONVERT), "input.vmx.ssh.key_file", CONFINE_SECRET },
  { K(JOB_CONVERT), "input.vcenter.password_file", CONFINE_SECRET },
  { K(JOB_CONVERT), "input.vcenter.vddk.libdir", CONFINE_LIBRARY },
  { K(JOB_CONVERT), "input.vcenter.vddk.config", CONFINE_SECRET },
  { K(JOB_CONVERT), "output.local.dir", CONFINE_DESTINATION },
  { K(JOB_CONVERT), "output.kubevirt.dir", CONFINE_DESTINATION },
  { K(JOB_CONVERT), "output.block.devices.#.path", CONFINE_DESTINATION },
  { K(JOB_CONVERT), "output.openstack.credentials.clouds_yaml",
    CONFINE_SECRET },
  { K(JOB_CONVERT), "output.openstack.credentials.env_file", CONFINE_SECRET },
  /* convert's and inplace's options, sync's inplace step's */
  { ALL, "*options.luks_keys.#.key_file", CONFINE_SECRET },
};

int confine_role_of(enum job_kind kind, const char *field)
{
  char norm[256], *o = norm;

  /* "disks[12].x" -> "disks.#.x" */
  for (const char *p = field; *p && o < norm + sizeof norm - 3; p++) {
    if (*p == '[') {
      *o++ = '.';
      *o++ = '#';
      p += strspn(p + 1, "0123456789") + 1;  /* on the ']' */
      continue;
    }
    *o++ = *p;
  }
  *o = '\0';
  for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
    if ((rules[i].kinds & K(kind)) && fnmatch(rules[i].field, norm, 0) == 0)
      return rules[i].role;
  return CONFINE_UNKNOWN;
}

/* `dir` (resolved) and `base` joined: "." and ".." taken lexically. */
static char *join(const char *dir, const char *base)
{
  char *out;

  if (strcmp(base, ".") == 0 || strcmp(base, "/") == 0)
    return strdup(dir);
  if (strcmp(base, "..") == 0) {
    const char *slash = strrchr(dir, '/');
    return slash && slash != dir ? strndup(dir, (size_t)(slash - dir))
                                 : strdup("/");
  }
  return asprintf(&out, "%s/%s", strcmp(dir, "/") ? dir : "", base) < 0
    ? NULL : out;
}

char *confine_resolve(const char *path)
{
  _cleanup_free_ char *cur = strdup(path);

  for (int links = 0; cur && links <= MAX_LINKS; links++) {
    _cleanup_free_ char *d = strdup(cur), *b = strdup(cur), *next = NULL;
    _cleanup_free_ char *dir = NULL;
    char real[PATH_MAX], target[PATH_MAX];
    const char *parent;
    ssize_t len;

    if (!d || !b)
      return NULL;
    if (realpath(cur, real))          /* there after all */
      return strdup(real);
    if (strcmp(cur, "/") == 0 || cur[0] != '/')
      return steal_ptr(cur);
    /* its folder resolved, there or not (then by the same rule) */
    parent = dirname(d);
    if (realpath(parent, real))
      dir = strdup(real);
    else
      dir = confine_resolve(parent);
    if (!dir)
      return NULL;
    len = readlinkat(AT_FDCWD, cur, target, sizeof target - 1);
    if (len < 0)                      /* not a link: not there yet */
      return join(dir, basename(b));
    target[len] = '\0';
    if (target[0] == '/')
      next = strdup(target);
    else if (asprintf(&next, "%s/%s", dir, target) < 0)
      next = NULL;
    free(cur);
    cur = steal_ptr(next);
  }
  return cur ? steal_ptr(cur) : NULL;   /* a loop: by its own name */
}

/* `path` is `dir` or below it (both resolved). */
static bool under(const char *path, const char *dir)
{
  size_t n = strlen(dir);

  if (n == 1 && dir[0] == '/')
    return true;
  return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static int add_root(struct confine_roots *r, const char *root)
{
  char **v = realloc(r->v, (r->n + 1) * sizeof *v);

  if (!v)
    return -1;
  r->v = v;
  if (!(r->v[r->n] = confine_resolve(root)))
    return -1;
  r->n++;
  return 0;
}

static char *resolved_or_null(const char *path)
{
  return path ? confine_resolve(path) : NULL;
}

/* What uchd keeps in its state dir: never inside a root. */
static const char *const state_own[] = { "jobs", "destinations", "check",
                                         NULL };

static int check_root(const struct confine *c, int role, const char *root,
                      struct uch_error *err)
{
  const char *key = role_keys[role];

  /* a root may hold them (they stay out of reach), not be them */
  if (under(root, c->runtime_dir)) {
    uch_error_set(err, "invalid_config", key, "%s: %s is in uchd's runtime "
                  "dir %s, which no job may use", key, root, c->runtime_dir);
    return -1;
  }
  if (strcmp(root, c->state_dir) == 0) {
    uch_error_set(err, "invalid_config", key, "%s: %s is uchd's state dir; "
                  "name the folders in it jobs may use", key, root);
    return -1;
  }
  if (!under(root, c->state_dir))
    return 0;
  for (size_t i = 0; state_own[i]; i++) {
    _cleanup_free_ char *own = NULL;
    if (asprintf(&own, "%s/%s", c->state_dir, state_own[i]) < 0)
      return -1;
    if (under(root, own) || under(own, root)) {
      uch_error_set(err, "invalid_config", key, "%s: %s is or holds %s, "
                    "where uchd keeps its own files", key, root, own);
      return -1;
    }
  }
  return 0;
}

int confine_init(struct confine *c, char **const roots[CONFINE_ROLES],
                 const size_t n_roots[CONFINE_ROLES], const char *state_dir,
                 const char *runtime_dir, const char *const never[3],
                 const char *by_id_dir, struct uch_error *err)
{
  memset(c, 0, sizeof *c);
  if (!(c->state_dir = confine_resolve(state_dir)) ||
      !(c->runtime_dir = confine_resolve(runtime_dir)) ||
      !(c->by_id_dir = strdup(by_id_dir)) ||
      !(c->mountinfo = strdup("/proc/self/mountinfo")) ||
      !(c->swaps = strdup("/proc/swaps")) ||
      !(c->sys_block = strdup("/sys/block")))
    goto oom;
  for (size_t i = 0; i < 3; i++)
    if (never[i] && !(c->never[i] = resolved_or_null(never[i])))
      goto oom;
  for (int role = 0; role < CONFINE_ROLES; role++)
    for (size_t i = 0; i < n_roots[role]; i++) {
      if (roots[role][i][0] != '/') {
        uch_error_set(err, "invalid_config", role_keys[role],
                      "%s: '%s' must be an absolute path", role_keys[role],
                      roots[role][i]);
        return -1;
      }
      if (add_root(&c->roots[role], roots[role][i]) < 0)
        goto oom;
      if (check_root(c, role, c->roots[role].v[c->roots[role].n - 1],
                     err) < 0)
        return -1;
    }
  return 0;

oom:
  uch_error_set(err, "internal", "", "out of memory");
  return -1;
}

void confine_free(struct confine *c)
{
  for (int role = 0; role < CONFINE_ROLES; role++) {
    for (size_t i = 0; i < c->roots[role].n; i++)
      free(c->roots[role].v[i]);
    free(c->roots[role].v);
  }
  for (size_t i = 0; i < 3; i++)
    free(c->never[i]);
  free(c->state_dir);
  free(c->runtime_dir);
  free(c->by_id_dir);
  free(c->mountinfo);
  free(c->swaps);
  free(c->sys_block);
  memset(c, 0, sizeof *c);
}

/* Under a root inside the state dir: a folder uchd was told jobs use. */
static bool in_state_root(const struct confine *c, const char *real)
{
  for (int role = 0; role < CONFINE_ROLES; role++)
    for (size_t i = 0; i < c->roots[role].n; i++)
      if (under(c->roots[role].v[i], c->state_dir) &&
          under(real, c->roots[role].v[i]))
        return true;
  return false;
}

static const char *const never_words[3] = {
  "uchd's API token file", "uchd's TLS key", "uchd's TLS certificate",
};

/* uchd's own: -1 and *err when `real` (or the file `st` describes, by
 * inode: a hard link) is one of its files. */
static int not_uchds(const struct confine *c, const char *field,
                     const char *path, const char *real,
                     const struct stat *st, struct uch_error *err)
{
  for (size_t i = 0; i < 3; i++) {
    struct stat nst;
    if (!c->never[i])
      continue;
    if (strcmp(real, c->never[i]) == 0 ||
        (st && S_ISREG(st->st_mode) && stat(c->never[i], &nst) == 0 &&
         nst.st_dev == st->st_dev && nst.st_ino == st->st_ino)) {
      uch_error_set(err, "forbidden_path", field, "%s is %s: never a "
                    "job's file", path, never_words[i]);
      return -1;
    }
  }
  if (under(real, c->runtime_dir)) {
    uch_error_set(err, "forbidden_path", field, "%s%s%s is in uchd's "
                  "runtime dir %s (jobs' sockets and secrets): never a "
                  "job's file", path, strcmp(path, real) ? " -> " : "",
                  strcmp(path, real) ? real : "", c->runtime_dir);
    return -1;
  }
  if (under(real, c->state_dir) && !in_state_root(c, real)) {
    uch_error_set(err, "forbidden_path", field, "%s%s%s is in uchd's "
                  "state dir %s (jobs' state, logs, checkpoints): never a "
                  "job's file", path, strcmp(path, real) ? " -> " : "",
                  strcmp(path, real) ? real : "", c->state_dir);
    return -1;
  }
  return 0;
}

static bool dev_in(const dev_t *v, size_t n, dev_t d)
{
  for (size_t i = 0; i < n; i++)
    if (v[i] == d)
      return true;
  return false;
}

static int read_line(const char *file, char *buf, size_t size)
{
  _cleanup_fclose_ FILE *f = fopen(file, "re");

  if (!f || !fgets(buf, (int)size, f))
    return -1;
  buf[strcspn(buf, "\n")] = '\0';
  return 0;
}

/* The loop device (its devnum) of c->sys_block whose backing file is
 * the file or device `st` describes, in use by the system; 0 when
 * none. */
static dev_t backed_loop_in_use(const struct confine *c, const struct stat *st,
                                const dev_t *sys, size_t n_sys)
{
  _cleanup_closedir_ DIR *d = opendir(c->sys_block);
  struct dirent *e;

  while (d && (e = readdir(d))) {
    char file[PATH_MAX], back[PATH_MAX], num[32];
    unsigned maj, min;
    struct stat bst;
    char *del;

    if (strncmp(e->d_name, "loop", 4) != 0)
      continue;
    snprintf(file, sizeof file, "%s/%s/loop/backing_file", c->sys_block,
             e->d_name);
    if (read_line(file, back, sizeof back) < 0)
      continue;
    /* the kernel says " (deleted)" after a file since removed */
    if ((del = strstr(back, " (deleted)")) && del[10] == '\0')
      *del = '\0';
    if (stat(back, &bst) < 0 ||
        (S_ISBLK(st->st_mode)
           ? !S_ISBLK(bst.st_mode) || bst.st_rdev != st->st_rdev
           : bst.st_dev != st->st_dev || bst.st_ino != st->st_ino))
      continue;
    snprintf(file, sizeof file, "%s/%s/dev", c->sys_block, e->d_name);
    if (read_line(file, num, sizeof num) < 0 ||
        sscanf(num, "%u:%u", &maj, &min) != 2)
      continue;
    if (dev_in(sys, n_sys, makedev(maj, min)))
      return makedev(maj, min);
  }
  return 0;
}

/* Mounted or swap, or under either (for a device); backing a loop
 * device that is (for a file): -1 and *err. */
static int not_in_use(const struct confine *c, const char *field,
                      const char *path, const struct stat *st,
                      struct uch_error *err)
{
  _cleanup_free_ dev_t *sys = NULL;
  size_t n_sys = 0;
  dev_t loop;

  if (!S_ISBLK(st->st_mode) && !S_ISREG(st->st_mode))
    return 0;
  if (system_disks(c->mountinfo, c->swaps, &sys, &n_sys) < 0) {
    uch_error_set(err, "internal", field, "cannot tell whether %s is "
                  "in use: reading %s: %s", path, c->mountinfo,
                  strerror(errno));
    return -1;
  }
  if (S_ISBLK(st->st_mode)) {
    dev_t whole = st->st_rdev;
    char sysf[PATH_MAX], num[32];
    unsigned maj, min;

    /* a partition counts as its disk */
    snprintf(sysf, sizeof sysf, "/sys/dev/block/%u:%u/../dev",
             major(st->st_rdev), minor(st->st_rdev));
    snprintf(num, sizeof num, "/sys/dev/block/%u:%u/partition",
             major(st->st_rdev), minor(st->st_rdev));
    if (access(num, F_OK) == 0 && read_line(sysf, num, sizeof num) == 0 &&
        sscanf(num, "%u:%u", &maj, &min) == 2)
      whole = makedev(maj, min);
    if (dev_in(sys, n_sys, whole)) {
      uch_error_set(err, "forbidden_path", field, "%s is in use by the "
                    "system (it, a partition of it or a device on it is "
                    "mounted or swap): never a job's disk", path);
      return -1;
    }
  }
  if ((loop = backed_loop_in_use(c, st, sys, n_sys))) {
    uch_error_set(err, "forbidden_path", field, "%s backs loop device "
                  "%u:%u, which the system uses (mounted or swap): never a "
                  "job's file", path, major(loop), minor(loop));
    return -1;
  }
  return 0;
}

/* A block device attached as a volume (it has a by-id name). */
static bool attached_volume(const struct confine *c, dev_t rdev)
{
  struct volume_list l = { 0 };
  bool found = false;

  if (volumes_list(c->by_id_dir, &l) < 0)
    return false;
  for (size_t i = 0; i < l.n && !found; i++)
    found = l.v[i].devnum == rdev && l.v[i].n_ids > 0;
  volume_list_free(&l);
  return found;
}

static void list_roots(const struct confine_roots *r, char *out, size_t size)
{
  size_t len = 0;

  out[0] = '\0';
  for (size_t i = 0; i < r->n && len < size; i++)
    len += (size_t)snprintf(out + len, size - len, "%s%s", i ? ", " : "",
                            r->v[i]);
  if (r->n == 0)
    snprintf(out, size, "none");
}

static int check_at(const struct confine *c, enum confine_role role,
                    const char *field, const char *path, int depth,
                    struct uch_error *err);

/* err's words without the "FIELD: " in front */
static const char *words_of(const struct uch_error *e)
{
  size_t n = strlen(e->field);

  return n && strncmp(e->message, e->field, n) == 0 &&
         strncmp(e->message + n, ": ", 2) == 0 ? e->message + n + 2
                                               : e->message;
}

/* One file an image (qcow2, QED, VMDK: `format`) names (`what`:
 * "backing file", "data file", "extent"):
 * a plain file name, resolved from the image's folder as qemu does,
 * and judged as `role` (below it, its own references too). */
static int check_ref(const struct confine *c, enum confine_role role,
                     const char *field, const char *image,
                     const char *format, const char *what, const char *name,
                     int depth, struct uch_error *err)
{
  _cleanup_free_ char *path = NULL;
  struct uch_error sub = { 0 };

  switch (image_ref_kind(name)) {
  case IMAGE_REF_JSON:
    uch_error_set(err, "forbidden_path", field, "%s is a %s image whose "
                  "%s is a json: name (%.80s): refused, as qemu would open "
                  "whatever it says; a %s must be a plain file under %s",
                  image, format, what, name, what, role_keys[role]);
    return -1;
  case IMAGE_REF_PROTOCOL:
    uch_error_set(err, "forbidden_path", field, "%s is a %s image whose "
                  "%s is '%.80s', a protocol name (nbd:, http:, file:, "
                  "...): refused, as qemu would open it; a %s must be a "
                  "plain file under %s", image, format, what, name, what,
                  role_keys[role]);
    return -1;
  case IMAGE_REF_FILE:
    break;
  }
  if (!(path = image_ref_path(image, name))) {
    uch_error_set(err, "internal", field, "out of memory");
    return -1;
  }
  if (depth >= MAX_CHAIN) {
    uch_error_set(err, "forbidden_path", field, "%s: a chain of more than "
                  "%d images (backing files, extents): refused", image,
                  MAX_CHAIN);
    return -1;
  }
  if (check_at(c, role, field, path, depth + 1, &sub) < 0) {
    /* the image the request names, then what is wrong down its chain */
    if (depth == 0)
      uch_error_set(err, sub.code, field, "%s is a %s image whose %s: %s",
                    image, format, what, words_of(&sub));
    else
      *err = sub;
    return -1;
  }
  return 0;
}

/* A tar header's octal number (or GNU's base-256 for large sizes). */
static uint64_t tar_number(const unsigned char *p, size_t n)
{
  uint64_t v = 0;

  if (p[0] & 0x80) {
    for (size_t i = 1; i < n; i++)
      v = (v << 8) | p[i];
    return v;
  }
  for (size_t i = 0; i < n && p[i] >= '0' && p[i] <= '7'; i++)
    v = (v << 3) | (uint64_t)(p[i] - '0');
  return v;
}

/* Whether a relative name climbs out of its folder ("..", "a/../.."). */
static bool climbs(const char *name)
{
  for (const char *p = name; p && *p; p = strchr(p, '/') ? strchr(p, '/') + 1
                                                          : NULL)
    if (p[0] == '.' && p[1] == '.' && (p[2] == '/' || p[2] == '\0'))
      return true;
  return false;
}

/* How one file an image names is judged: check_ref() for an image on
 * disk, ova_ref() for one inside an OVA. */
typedef int ref_judge(const struct confine *c, enum confine_role role,
                      const char *field, const char *image,
                      const char *format, const char *what,
                      const char *name, int depth, struct uch_error *err);

/* Every file of `refs` judged: the backing file (a VMDK's parent) as a
 * source, since it is read; the data file and a descriptor's extents
 * with the image's own role, since they are written when it is. */
static int judge_refs(const struct confine *c, enum confine_role role,
                      const char *field, const char *image,
                      const struct image_refs *refs, ref_judge *judge,
                      int depth, struct uch_error *err)
{
  int r = 0;

  if (refs->backing)
    r = judge(c, CONFINE_SOURCE, field, image, refs->format,
              "backing file", refs->backing, depth, err);
  if (r == 0 && refs->data_file)
    r = judge(c, role, field, image, refs->format, "data file",
              refs->data_file, depth, err);
  for (size_t i = 0; r == 0 && i < refs->n_extents; i++)
    r = judge(c, role, field, image, refs->format, "extent",
              refs->extents[i], depth, err);
  return r;
}

/* One name an OVA member's header gives (`image`: "OVA (member M)"):
 * relative inside the OVA, it names another member (virt-v2v opens
 * them through nbdkit's tar filter or from the folder it extracts
 * them to); a name climbing out of it or absolute is refused or judged
 * as check_ref() judges it. */
static int ova_ref(const struct confine *c, enum confine_role role,
                   const char *field, const char *image, const char *format,
                   const char *what, const char *name, int depth,
                   struct uch_error *err)
{
  if (image_ref_kind(name) == IMAGE_REF_FILE && name[0] != '/') {
    if (!climbs(name))
      return 0;
    uch_error_set(err, "forbidden_path", field, "%s is a %s image whose %s "
                  "is '%.80s', outside the OVA: refused; a name in an OVA "
                  "must stay in it", image, format, what, name);
    return -1;
  }
  return check_ref(c, role, field, image, format, what, name, depth, err);
}

/* An OVA virt-v2v unpacks before it opens anything (a zip, a
 * compressed tar): what it is into `what`. */
static bool compressed(int fd, char *what, size_t len)
{
  static const struct { const char *magic; size_t n; const char *name; }
  kinds[] = {
    { "PK\3\4", 4, "a zip archive" },
    { "\x1f\x8b", 2, "gzip-compressed" },
    { "\xfd" "7zXZ\0", 6, "xz-compressed" },
    { "BZh", 3, "bzip2-compressed" },
    { "\x28\xb5\x2f\xfd", 4, "zstd-compressed" },
  };
  unsigned char h[8];
  ssize_t n = pread(fd, h, sizeof h, 0);

  for (size_t i = 0; n > 0 && i < sizeof kinds / sizeof kinds[0]; i++)
    if ((size_t)n >= kinds[i].n && memcmp(h, kinds[i].magic, kinds[i].n) == 0) {
      snprintf(what, len, "%s", kinds[i].name);
      return true;
    }
  return false;
}

/* An OVA as a tar (OVF 1.x: ustar): the images in it are opened by
 * virt-v2v -i ova, so what their headers name is judged (ova_ref());
 * a link member (which extracting would make) is refused. */
static int ova_refs(const struct confine *c, enum confine_role role,
                    const char *field, const char *path, int fd, int depth,
                    struct uch_error *err)
{
  unsigned char h[512];
  uint64_t off = 0;

  for (int n = 0; n < 100000; n++) {
    char member[256], image[PATH_MAX + 300], why[160];
    struct image_refs refs;
    uint64_t size;
    int r = 0;

    if (pread(fd, h, sizeof h, (off_t)off) != (ssize_t)sizeof h ||
        memcmp(h + 257, "ustar", 5) != 0)
      return 0;                         /* the end, or no tar */
    size = tar_number(h + 124, 12);
    snprintf(member, sizeof member, "%.*s%s%.*s",
             (int)strnlen((char *)h + 345, 155), (char *)h + 345,
             h[345] ? "/" : "", (int)strnlen((char *)h, 100), (char *)h);
    snprintf(image, sizeof image, "%s (OVA member %s)", path, member);
    if (h[156] == '1' || h[156] == '2') {
      uch_error_set(err, "forbidden_path", field, "%s is an OVA whose "
                    "member %s is a link (to '%.80s'): refused, as "
                    "virt-v2v would follow it", path, member,
                    (char *)h + 157);
      return -1;
    }
    if (h[156] == '0' || h[156] == '\0') {
      r = image_refs_read_at(fd, off + 512, size, &refs, why, sizeof why);
      if (r < 0) {
        uch_error_set(err, "invalid_request", field, "%s: %s", image, why);
        return -1;
      }
      if (r == 1) {
        r = judge_refs(c, role, field, image, &refs, ova_ref, depth, err);
        image_refs_free(&refs);
        if (r < 0)
          return -1;
      }
    }
    off += 512 + ((size + 511) & ~(uint64_t)511);
  }
  return 0;
}

/* The files the image at `real` (`path` as given) makes qemu open,
 * judged: its backing file (a VMDK's parent) as a source (it is read),
 * its data file and a VMDK descriptor's extents as the image itself
 * (they are written when the image is).  Whether or not the job gives
 * the format: a request that lets qemu probe it (convert -i disk,
 * inspect, inplace without a format) opens what the header says. */
static int check_refs(const struct confine *c, enum confine_role role,
                      const char *field, const char *path, const char *real,
                      int depth, struct uch_error *err)
{
  _cleanup_close_ int fd = open(real, O_RDONLY | O_CLOEXEC | O_NONBLOCK |
                                O_NOCTTY);
  struct image_refs refs;
  char why[160];
  int r;

  if (fd < 0)          /* not ours to read: the job says so, naming it */
    return 0;
  r = image_refs_read(fd, &refs, why, sizeof why);
  if (r < 0) {
    uch_error_set(err, "invalid_request", field, "%s: %s", path, why);
    return -1;
  }
  if (r == 0 && strcmp(field, "input.ova.path") == 0 &&
      compressed(fd, why, sizeof why)) {
    uch_error_set(err, "invalid_request", field, "%s is %s: uchd cannot "
                  "judge the images in it before virt-v2v extracts them "
                  "(confinement), so refuses it; give the OVA as an "
                  "uncompressed tar", path, why);
    return -1;
  }
  if (r == 0)
    return ova_refs(c, role, field, path, fd, depth, err);
  r = judge_refs(c, role, field, path, &refs, check_ref, depth, err);
  image_refs_free(&refs);
  return r;
}

/* A disk (source, destination, export) that is there: its image
 * references judged too. */
static int disk_refs(const struct confine *c, enum confine_role role,
                     const char *field, const char *path, const char *real,
                     const struct stat *st, int depth, struct uch_error *err)
{
  if (!st || (!S_ISREG(st->st_mode) && !S_ISBLK(st->st_mode)) ||
      (role != CONFINE_SOURCE && role != CONFINE_DESTINATION &&
       role != CONFINE_EXPORT))
    return 0;
  return check_refs(c, role, field, path, real, depth, err);
}

int confine_check(const struct confine *c, enum confine_role role,
                  const char *field, const char *path, struct uch_error *err)
{
  return check_at(c, role, field, path, 0, err);
}

static int check_at(const struct confine *c, enum confine_role role,
                    const char *field, const char *path, int depth,
                    struct uch_error *err)
{
  _cleanup_free_ char *real = NULL;
  char roots[256];
  struct stat st;
  bool there;

  if ((unsigned)role >= CONFINE_ROLES) {
    uch_error_set(err, "forbidden_path", field, "uchd has no "
                  "confinement rule for this field, so refuses it (a bug: "
                  "please report it)");
    return -1;
  }
  if (!(real = confine_resolve(path))) {
    uch_error_set(err, "internal", field, "out of memory");
    return -1;
  }
  there = stat(real, &st) == 0;
  if (not_uchds(c, field, path, real, there ? &st : NULL, err) < 0)
    return -1;
  if (there && not_in_use(c, field, path, &st, err) < 0)
    return -1;
  for (size_t i = 0; i < c->roots[role].n; i++)
    if (under(real, c->roots[role].v[i]))
      return disk_refs(c, role, field, path, real, there ? &st : NULL,
                       depth, err);
  /* last, as listing the volumes takes a while (sd-device) */
  if (there && S_ISBLK(st.st_mode) && role != CONFINE_SECRET &&
      role != CONFINE_LIBRARY && attached_volume(c, st.st_rdev))
    return disk_refs(c, role, field, path, real, &st, depth, err);
  list_roots(&c->roots[role], roots, sizeof roots);
  uch_error_set(err, "forbidden_path", field, "%s%s%s is not under a "
                "folder allowed for %s (%s in uchd.conf: %s)%s", path,
                strcmp(path, real) ? " -> " : "",
                strcmp(path, real) ? real : "", role_words[role],
                role_keys[role], roots,
                there && S_ISBLK(st.st_mode) && role != CONFINE_SECRET &&
                role != CONFINE_LIBRARY
                  ? ", nor an attached volume" : "");
  return -1;
}

/* The file an NBD URI names (`field` FIELD?PARAM): a running export's
 * own socket or PSK file is the appliance reading its own export. */
static bool export_file(const struct confine *c, const char *field,
                        const char *path)
{
  _cleanup_free_ char *real = NULL;

  if (!strchr(field, '?') || !c->served)
    return false;
  real = confine_resolve(path);
  return real && c->served(c->served_opaque, real);
}

int confine_request_path(void *opaque, enum job_kind kind, const char *field,
                         const char *path, struct uch_error *err)
{
  const struct confine *c = opaque;
  int role = confine_role_of(kind, field);
  char base[256];

  if (role == CONFINE_REMOTE || export_file(c, field, path))
    return 0;
  /* the refusal names the request's field, without ?PARAM */
  snprintf(base, sizeof base, "%.*s", (int)strcspn(field, "?"), field);
  return confine_check(c, role, base, path, err);
}

struct disk_walk {
  const struct confine *c;
  enum job_kind kind;
  struct uch_error *err;
};

/* A volume is an attached device by its id, so always allowed; when
 * attached now and a qcow2 (which inspect opens as one), what its
 * header names is judged as a path's is.  One still attaching is
 * not there to read: the job opens it raw, or (inspect) as the format
 * its magic says then. */
static int check_volume_refs(const struct disk_walk *w, const char *field,
                             const char *volume, bool writes)
{
  struct volume_list l = { 0 };
  const struct volume *v;
  struct stat st;
  int r = 0;

  if (volumes_list(w->c->by_id_dir, &l) < 0)
    return 0;
  if ((v = volume_find(&l, volume)) && stat(v->path, &st) == 0)
    r = disk_refs(w->c, writes ? CONFINE_DESTINATION : CONFINE_SOURCE, field,
                  v->path, v->path, &st, 0, w->err);
  volume_list_free(&l);
  return r;
}

static int check_disk(void *opaque, const char *field, const char *path,
                      const char *volume, bool writes)
{
  struct disk_walk *w = opaque;

  if (!path)
    return volume ? check_volume_refs(w, field, volume, writes) : 0;
  return confine_request_path((void *)w->c, w->kind, field, path, w->err);
}

int confine_request_disks(const struct confine *c,
                          const struct job_request *r, struct uch_error *err)
{
  struct disk_walk w = { .c = c, .kind = r->kind, .err = err };

  return job_request_disks(r, check_disk, &w) ? -1 : 0;
}

int confine_pass_path(void *opaque, enum job_kind kind, const char *field,
                      const char *path, struct uch_error *err)
{
  struct confine_pass *p = opaque;
  int role = confine_role_of(kind, field);
  struct confine_path *v;

  if (role == CONFINE_REMOTE)
    return 0;
  if (role == CONFINE_SECRET || role == CONFINE_UNKNOWN)
    return confine_request_path((void *)p->c, kind, field, path, err);
  if (!(v = realloc(p->v, (p->n + 1) * sizeof *v))) {
    uch_error_set(err, "internal", field, "out of memory");
    return -1;
  }
  p->v = v;
  v[p->n] = (struct confine_path){ kind, strdup(field), strdup(path) };
  if (!v[p->n].field || !v[p->n].path) {
    free(v[p->n].field);
    free(v[p->n].path);
    uch_error_set(err, "internal", field, "out of memory");
    return -1;
  }
  p->n++;
  return 0;
}

int confine_pass_check(struct confine_pass *p, struct uch_error *err)
{
  for (size_t i = 0; i < p->n; i++)
    if (confine_request_path((void *)p->c, p->v[i].kind, p->v[i].field,
                             p->v[i].path, err) < 0)
      return -1;
  return 0;
}

void confine_pass_free(struct confine_pass *p)
{
  for (size_t i = 0; i < p->n; i++) {
    free(p->v[i].field);
    free(p->v[i].path);
  }
  free(p->v);
  p->v = NULL;
  p->n = 0;
}
