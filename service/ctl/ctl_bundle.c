/* SPDX-License-Identifier: GPL-2.0-or-later */
/* uchctl support-bundle: one archive an admin attaches to a ticket, as
 * Forklift's must-gather and sosreport make.  Everything is gathered
 * into a temporary folder, then tar makes the archive:
 *   versions.txt        uchctl's version, uname, os-release
 *   capabilities.json   the tools found and their versions (probe.c)
 *   check.txt           uchctl check --quick
 *   health.json, volumes.json   uchd's answers, when it runs
 *   journal.txt         uchd's units and the workers' (journalctl)
 *   units.txt           the unit files (systemctl cat)
 *   uchd.conf           /etc/uch/uchd.conf
 *   df.txt, lsblk.txt
 *   jobs/ID/            state.json, request.json, job.log of every job
 * A job's files never hold a secret (uchd writes inline secrets as
 * "***" and keeps them in RUNTIME/jobs/ID/secrets, which is left out);
 * nor does anything else taken (the API token is not). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check/probe.h"
#include "ctl/ctl_bundle.h"
#include "ctl/ctl_commands.h"
#include "jobs/job.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/jsonutil.h"
#include "util/spawn.h"

#define DEFAULT_STATE_DIR "/var/lib/uch"
#define DEFAULT_CONF "/etc/uch/uchd.conf"

/* DIR/NAME opened for appending, 0600. */
static FILE *open_in(const char *dir, const char *name)
{
  _cleanup_free_ char *path = NULL;
  int fd;

  if (asprintf(&path, "%s/%s", dir, name) < 0)
    return NULL;
  fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  return fd < 0 ? NULL : fdopen(fd, "a");
}

static int write_text(const char *dir, const char *name, const char *text,
                      size_t len)
{
  _cleanup_fclose_ FILE *f = open_in(dir, name);

  if (!f || fwrite(text, 1, len, f) != len)
    return -1;
  return fflush(f) == 0 ? 0 : -1;
}

static int copy_file(const char *from, const char *dir, const char *name)
{
  _cleanup_free_ char *data = NULL;
  size_t len;

  if (read_file(from, &data, &len) < 0)
    return -1;
  return write_text(dir, name, data, len);
}

/* Runs argv with stdout and stderr into DIR/NAME, after a line with the
 * command and before one with how it ended: what a missing tool or a
 * failure was is in the bundle too.  0 when it exited 0. */
static int run_into(const struct argv *a, const char *dir, const char *name)
{
  _cleanup_free_ char *path = NULL, *line = argv_join(a);
  struct spawn s;
  int status = 0, ok = -1;
  pid_t pid;

  if (asprintf(&path, "%s/%s", dir, name) < 0)
    return -1;
  {
    _cleanup_fclose_ FILE *f = open_in(dir, name);
    if (!f)
      return -1;
    fprintf(f, "$ %s\n", line ? line : a->v[0]);
  }
  spawn_init(&s, a);
  if (spawn_open(&s, 0, "/dev/null", O_RDONLY, 0) < 0 ||
      spawn_open(&s, 1, path, O_WRONLY | O_APPEND, 0) < 0 ||
      spawn_open(&s, 2, path, O_WRONLY | O_APPEND, 0) < 0)
    return -1;
  s.close_others = true;
  _cleanup_fclose_ FILE *f = NULL;
  if ((pid = spawn_start(&s)) < 0) {
    if ((f = open_in(dir, name)))
      fprintf(f, "%s\n", s.error);
    return -1;
  }
  if (spawn_wait(pid, &status) < 0)
    return -1;
  if ((f = open_in(dir, name))) {
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
      ok = 0;
    else if (WIFEXITED(status))
      fprintf(f, "(exit status %d)\n", WEXITSTATUS(status));
    else
      fprintf(f, "(killed by signal %d)\n", WTERMSIG(status));
  }
  return ok;
}

typedef int argv_fn(struct argv *a);

static void run_named(argv_fn *build, const char *dir, const char *name)
{
  _cleanup_argv_ struct argv a = { 0 };

  if (build(&a) == 0)
    (void)run_into(&a, dir, name);
}

/* systemctl cat; without a systemd to ask, the files themselves. */
static void units(const char *dir)
{
  static const char *const dirs[] = { "/etc/systemd/system",
                                      "/usr/lib/systemd/system",
                                      "/usr/local/lib/systemd/system", NULL };
  _cleanup_argv_ struct argv a = { 0 };

  if (bundle_units_argv(&a) < 0 || run_into(&a, dir, "units.txt") == 0)
    return;
  for (const char *const *d = dirs; *d; d++)
    for (const char *const *u = bundle_units; *u; u++) {
      _cleanup_free_ char *path = NULL, *data = NULL;
      size_t len;
      if (asprintf(&path, "%s/%s", *d, *u) < 0 ||
          read_file(path, &data, &len) < 0)
        continue;
      _cleanup_fclose_ FILE *f = open_in(dir, "units.txt");
      if (f)
        fprintf(f, "\n# %s\n%s", path, data);
    }
}

static void versions(const char *dir)
{
  _cleanup_fclose_ FILE *f = open_in(dir, "versions.txt");
  _cleanup_free_ char *osr = NULL;
  struct utsname u;
  size_t len;

  if (!f)
    return;
  fprintf(f, "uchctl %s\n", UCH_VERSION);
  if (uname(&u) == 0)
    fprintf(f, "%s %s %s %s %s\n", u.sysname, u.nodename, u.release,
            u.version, u.machine);
  if (read_file("/etc/os-release", &osr, &len) == 0)
    fprintf(f, "\n/etc/os-release:\n%s", osr);
}

static void capabilities(const char *dir, const char *state_dir)
{
  struct probe_env env = { .state_dir = state_dir, .runtime_dir = "/run/uch" };
  _cleanup_json_ json_object *caps = probe_capabilities(&env);
  const char *s;

  if (!caps)
    return;
  s = json_object_to_json_string_ext(caps, JSON_C_TO_STRING_PRETTY |
                                     JSON_C_TO_STRING_NOSLASHESCAPE);
  (void)write_text(dir, "capabilities.json", s, strlen(s));
  (void)write_text(dir, "capabilities.json", "\n", 1);
}

/* uchd's answers, when it can be reached; else why not. */
static void from_uchd(struct ctl_ctx *x, const char *dir, const char *path,
                      const char *name)
{
  struct ctl_response r;

  if (ctl_request(&x->client, "GET", path, NULL, 0, &r) < 0) {
    _cleanup_fclose_ FILE *f = open_in(dir, name);
    if (f)
      fprintf(f, "{\"uchctl_error\": \"cannot reach uchd at %s\"}\n",
              x->client.where);
    return;
  }
  (void)write_text(dir, name, r.body, r.len);
  ctl_response_free(&r);
}

/* Every job's state.json, request.json and job.log, nothing else of its
 * folder (its secrets live in the runtime dir, never here). */
static void jobs(const char *dir, const char *state_dir)
{
  static const char *const files[] = { "state.json", "request.json",
                                       "job.log", NULL };
  _cleanup_free_ char *jobs_dir = NULL, *out = NULL;
  _cleanup_closedir_ DIR *d = NULL;
  struct dirent *e;

  if (asprintf(&jobs_dir, "%s/jobs", state_dir) < 0 ||
      asprintf(&out, "%s/jobs", dir) < 0 || mkdir(out, 0700) < 0 ||
      !(d = opendir(jobs_dir)))
    return;
  while ((e = readdir(d))) {
    _cleanup_free_ char *job_out = NULL;
    if (!job_id_valid(e->d_name))   /* ".", "..", ".new-*" */
      continue;
    if (asprintf(&job_out, "%s/%s", out, e->d_name) < 0 ||
        mkdir(job_out, 0700) < 0)
      continue;
    for (const char *const *n = files; *n; n++) {
      _cleanup_free_ char *from = NULL;
      if (asprintf(&from, "%s/%s/%s", jobs_dir, e->d_name, *n) >= 0)
        (void)copy_file(from, job_out, *n);
    }
  }
}

static char *self_path(void)
{
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);

  if (n <= 0)
    return strdup("uchctl");
  buf[n] = '\0';
  return strdup(buf);
}

int cmd_support_bundle(struct ctl_ctx *x)
{
  const char *state_dir = x->o->state_dir ? x->o->state_dir
                                          : DEFAULT_STATE_DIR;
  const char *tmp = getenv("TMPDIR");
  _cleanup_free_ char *work = NULL, *root = NULL, *out = NULL, *self = NULL;
  _cleanup_argv_ struct argv check = { 0 }, tar = { 0 };
  char name[128], host[65] = "";
  int rc = CTL_EXIT_FAILED;

  gethostname(host, sizeof host - 1);
  bundle_name(name, sizeof name, host, time(NULL));
  if (asprintf(&work, "%s/uchctl-bundle-XXXXXX", tmp && *tmp ? tmp : "/tmp")
      < 0 || !mkdtemp(work)) {
    fprintf(stderr, "uchctl: cannot make a temporary folder: %s\n",
            strerror(errno));
    return CTL_EXIT_FAILED;
  }
  umask(077);                        /* the bundle is root's to hand out */
  {
    /* absolute: tar changes folder before it writes */
    char cwd[PATH_MAX];
    const char *o = x->o->output;
    if ((o && o[0] == '/' ? asprintf(&out, "%s", o)
         : !getcwd(cwd, sizeof cwd) ? -1
         : o ? asprintf(&out, "%s/%s", cwd, o)
         : asprintf(&out, "%s/%s.tar.gz", cwd, name)) < 0)
      out = NULL;
  }
  if (!out || asprintf(&root, "%s/%s", work, name) < 0 ||
      mkdir(root, 0700) < 0)
    goto out;
  if (!x->o->json)
    fprintf(stderr, "gathering %s...\n", name);

  versions(root);
  capabilities(root, state_dir);
  self = self_path();
  if (self && bundle_check_argv(&check, self, state_dir) == 0)
    (void)run_into(&check, root, "check.txt");
  from_uchd(x, root, "/v1/health", "health.json");
  from_uchd(x, root, "/v1/volumes", "volumes.json");
  run_named(bundle_journal_argv, root, "journal.txt");
  units(root);
  if (access(DEFAULT_CONF, R_OK) == 0)
    (void)copy_file(DEFAULT_CONF, root, "uchd.conf");
  run_named(bundle_df_argv, root, "df.txt");
  run_named(bundle_lsblk_argv, root, "lsblk.txt");
  jobs(root, state_dir);

  if (bundle_tar_argv(&tar, out, work, name) < 0 ||
      run_into(&tar, work, "tar.log") < 0) {
    _cleanup_free_ char *log = NULL, *logpath = NULL;
    size_t len;
    fprintf(stderr, "uchctl: cannot write %s\n", out);
    if (asprintf(&logpath, "%s/tar.log", work) >= 0 &&
        read_file(logpath, &log, &len) == 0)
      fputs(log, stderr);
    unlink(out);
    goto out;
  }
  chmod(out, 0600);
  printf("%s\n", out);
  rc = CTL_EXIT_OK;
out:
  if (rc != CTL_EXIT_OK && !out)
    fprintf(stderr, "uchctl: %s\n", strerror(errno));
  else if (rc != CTL_EXIT_OK && !root)
    fprintf(stderr, "uchctl: cannot gather into %s: %s\n", work,
            strerror(errno));
  rm_rf(work);
  return rc;
}
