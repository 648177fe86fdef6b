/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "convert/v2v-options.h"
#include "jobs/request.h"
#include "util/cleanup.h"

int v2v_help_argv(struct argv *a, const char *program)
{
  const char *const list[] = { program, "--help", NULL };
  return argv_addv(a, list);
}

struct help_seen {
  bool memsize, smp;
};

static void on_help_line(struct child *ch, const char *line)
{
  struct help_seen *h = ch->opaque;

  if (strstr(line, "--memsize"))
    h->memsize = true;
  if (strstr(line, "--smp"))
    h->smp = true;
}

/* Whether PROGRAM has --memsize and --smp: 2.2 has neither, and an
 * unknown option would fail the whole conversion after the copy. */
static int appliance_flags(struct runner *r, const char *program,
                           bool *both, struct job_failure *f)
{
  _cleanup_argv_ struct argv a = { 0 };
  struct help_seen h = { 0 };
  struct child *ch;

  if (v2v_help_argv(&a, program) < 0 ||
      !(ch = child_spawn(&r->kids, "virt-v2v", &a, -1))) {
    failure_set(f, "tool_failed", "%s --help: cannot run: %s", program,
                strerror(errno));
    return -1;
  }
  ch->on_line = on_help_line;
  ch->opaque = &h;
  if (child_wait(&r->kids, ch) < 0) {
    child_stop(&r->kids, ch);
    failure_set(f, "cancelled", "cancelled");
    return -1;
  }
  child_release(&r->kids, ch);
  *both = h.memsize && h.smp;
  return 0;
}

static int luks_key_files(struct runner *r, size_t n,
                          struct v2v_options_run *o, struct job_failure *f)
{
  struct stat st;

  if (n == 0)
    return 0;
  if (!(o->keys = calloc(n, sizeof *o->keys))) {
    failure_set(f, "internal", "out of memory");
    return -1;
  }
  o->n_keys = n;
  for (size_t i = 0; i < n; i++) {
    char field[64];
    snprintf(field, sizeof field, "options.luks_keys[%zu].key_file", i);
    if (!(o->keys[i] = secret_path(r->rt_dir, field))) {
      failure_set(f, "internal", "out of memory");
      return -1;
    }
    /* Stored by the submitter; gone only if someone removed it. */
    if (stat(o->keys[i], &st) < 0) {
      failure_set(f, "internal", "options.luks_keys[%zu].key_file: the "
                  "job's copy of the key is missing: %s", i, strerror(errno));
      return -1;
    }
  }
  return 0;
}

int v2v_options_prepare(struct runner *r, const char *program,
                        const struct v2v_options *opts,
                        struct v2v_options_run *o,
                        struct v2v_files *files, struct job_failure *f)
{
  unsigned mem = opts->memsize_mib, smp = opts->smp;
  bool both = false;
  char buf[32];

  if (luks_key_files(r, opts->n_luks_keys, o, f) < 0)
    return -1;
  files->luks_keys = (const char *const *)o->keys;
  files->n_luks_keys = o->n_keys;
  if (!mem && !smp)
    return 0;
  if (appliance_flags(r, program, &both, f) < 0)
    return -1;
  files->appliance_flags = both;
  if (both)
    return 0;
  if (smp) {
    failure_set(f, "missing_dependency", "options.smp: %s on this host has "
                "no --smp option (virt-v2v 2.2 sizes the appliance itself); "
                "leave smp out", program);
    return -1;
  }
  /* libguestfs reads it when virt-v2v makes its handle; virt-v2v may
   * raise it further for the conversion. */
  snprintf(buf, sizeof buf, "%u", mem);
  if (setenv("LIBGUESTFS_MEMSIZE", buf, 1) < 0) {
    failure_set(f, "internal", "setenv: %s", strerror(errno));
    return -1;
  }
  runner_log(r, "appliance memory: LIBGUESTFS_MEMSIZE=%s (%s has no "
             "--memsize)", buf, program);
  return 0;
}

void v2v_options_free(struct v2v_options_run *o)
{
  for (size_t i = 0; i < o->n_keys; i++)
    free(o->keys[i]);
  free(o->keys);
  o->keys = NULL;
  o->n_keys = 0;
}
