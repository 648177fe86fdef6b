/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Workers as transient systemd units (uch-job-ID.service), for uchd
 * running as a systemd service: each job gets its own cgroup with the
 * CPU and IO limits of its request, and its unit's journal carries
 * JOB_ID.  Without systemd uchd keeps posix_spawn + setsid (spawn.c). */
#ifndef UCHD_WORKER_UNIT_H
#define UCHD_WORKER_UNIT_H

#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>

#include "util/argv.h"

/* One property of StartTransientUnit, in the few D-Bus types we use. */
enum unit_prop_type { PROP_STRING = 's', PROP_U64 = 't', PROP_U32 = 'u',
                      PROP_BOOL = 'b', PROP_INT = 'i',
                      PROP_FIELDS = 'y',   /* aay: journal fields */
                      PROP_EXEC = 'x',
                      PROP_STRV = 'a',     /* as: Environment= */
                      PROP_DEVICES = 'd',  /* a(ss): DeviceAllow=, v holds
                                              node, access, node, ... */
                      PROP_LIST = 'l' };   /* (bas): SystemCallFilter=,
                                              u 1 allow / 0 deny, v names */
struct unit_prop {
  const char *name;
  enum unit_prop_type type;
  char *s;                 /* PROP_STRING */
  uint64_t u;              /* PROP_U64, PROP_U32 */
  struct argv v;           /* PROP_FIELDS, PROP_STRV, PROP_EXEC (argv;
                              v.v[0] the path) */
};
struct unit_props {
  char *unit;              /* "uch-job-ID.service" */
  struct unit_prop p[40];
  unsigned n;
};

/* "limits": {"cpu": PERCENT, "io": WEIGHT} of a (copy or sync) request:
 * CPU as percent of one core (1-100000, CPUQuota=), IO as a weight
 * (1-10000, IOWeight=).  0 when not set, or request NULL. */
struct worker_limits {
  uint64_t cpu_percent;
  uint64_t io_weight;
};
struct job_request;
void worker_limits_from_request(const struct job_request *request,
                                struct worker_limits *l);

/* Whether an environment entry ("NAME=value") of uchd's goes to its
 * workers: all but what systemd gave uchd alone (its notify socket,
 * watchdog, listening sockets, invocation, journal stream, exec pid). */
bool worker_env_keep(const char *entry);
/* The worker's environment: `base` (uchd's) with what worker_env_keep()
 * keeps, and, when `tls_conf` is not NULL, TLS_PRIORITY_ENV=tls_conf
 * in place of any value of it (util/tls-priority.h: uch-job's libnbd
 * reads an nbds:// source itself, and its gnutls reads the overrides
 * only when it loads).  The strings are copies. */
int worker_env_build(struct argv *env, char *const *base,
                     const char *tls_conf);

/* The capabilities a worker keeps, as uchd.service's
 * CapabilityBoundingSet= (appliance/uchd.service): the same set, so
 * uchd, under ProtectProc=invisible, still sees its workers' /proc
 * (a process is visible to one whose capabilities include its own).
 * CAP_SYS_ADMIN for uchd's StartTransientUnit, CAP_DAC_* and
 * CAP_FOWNER for files and devices of other owners. */
#define WORKER_CAPABILITIES                                                 \
  ((1ULL << 21) /* CAP_SYS_ADMIN */ | (1ULL << 1) /* CAP_DAC_OVERRIDE */ |  \
   (1ULL << 2) /* CAP_DAC_READ_SEARCH */ | (1ULL << 3) /* CAP_FOWNER */)

/* Fills *p with the unit name and every property uchd sets; env (NULL
 * for none) is uchd's environment, whose kept entries become the unit's
 * Environment=: a transient unit inherits nothing from uchd, and
 * workers need what the setsid path gives them (PATH, LIBGUESTFS_*,
 * VIRTIO_WIN, TMPDIR). */
int worker_unit_props(struct unit_props *p, const char *job_id,
                      const struct argv *worker_argv, const char *log_path,
                      const struct worker_limits *l, char *const *env);
void worker_unit_props_free(struct unit_props *p);

/* True when uchd runs as a systemd service (booted with systemd and
 * started by it), so workers become transient units. */
bool worker_units_wanted(void);

struct uchd;
struct job;
/* Starts j's worker as uch-job-ID.service and watches its main process
 * by pidfd.  -1 (errno, logged) when systemd would not start it. */
int worker_spawn_unit(struct uchd *d, struct job *j);

#endif
