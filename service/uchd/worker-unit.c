/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The properties of a worker's transient unit, built apart from sd-bus
 * so unit tests can compare them exactly. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "jobs/job-request.h"
#include "uchd/worker-unit.h"
#include "util/cleanup.h"
#include "util/tls-priority.h"

void worker_limits_from_request(const struct job_request *request,
                                struct worker_limits *l)
{
  const struct rq_limits *limits =
    request ? job_request_limits(request) : NULL;

  l->cpu_percent = limits ? limits->cpu_percent : 0;
  l->io_weight = limits ? limits->io_weight : 0;
}

static struct unit_prop *prop(struct unit_props *p, const char *name,
                              enum unit_prop_type type)
{
  struct unit_prop *q;

  if (p->n >= sizeof p->p / sizeof p->p[0]) {
    errno = E2BIG;
    return NULL;
  }
  q = &p->p[p->n++];
  memset(q, 0, sizeof *q);
  q->name = name;
  q->type = type;
  return q;
}

static int prop_string(struct unit_props *p, const char *name, const char *s)
{
  struct unit_prop *q = prop(p, name, PROP_STRING);

  if (!q || !(q->s = strdup(s)))
    return -1;
  return 0;
}

static int prop_u64(struct unit_props *p, const char *name, uint64_t u)
{
  struct unit_prop *q = prop(p, name, PROP_U64);

  if (!q)
    return -1;
  q->u = u;
  return 0;
}

static int prop_bool(struct unit_props *p, const char *name)
{
  struct unit_prop *q = prop(p, name, PROP_BOOL);

  if (!q)
    return -1;
  q->u = 1;
  return 0;
}

static int prop_list(struct unit_props *p, const char *name,
                     enum unit_prop_type type, uint64_t u,
                     const char *const *list)
{
  struct unit_prop *q = prop(p, name, type);

  if (!q)
    return -1;
  q->u = u;
  return argv_addv(&q->v, list);
}

/* The sandbox of uchd.service (appliance/uchd.service) that fits a
 * worker: not ProtectSystem=strict nor ProtectHome (a job writes where
 * its request says), nor PrivateTmp (libguestfs keeps its appliance in
 * /var/tmp for the next job), nor MemoryDenyWriteExecute (qemu's TCG
 * writes the code it runs), nor ProtectKernelModules (it hides
 * /usr/lib/modules, whose modules supermin puts in libguestfs's
 * appliance; loading one stays impossible: no CAP_SYS_MODULE, @module
 * filtered).  Devices: every block device (attached
 * volumes, read and written) and /dev/kvm; the pseudo devices
 * DevicePolicy=closed keeps. */
static int worker_sandbox(struct unit_props *p)
{
  static const char *const bools[] = {
    "NoNewPrivileges", "PrivateMounts", "ProtectKernelTunables",
    "ProtectKernelLogs", "ProtectControlGroups",
    "ProtectClock", "ProtectHostname", "RestrictRealtime",
    "RestrictSUIDSGID", "LockPersonality", NULL };
  static const char *const devices[] = { "block-*", "rw", "/dev/kvm", "rw",
                                         NULL };
  static const char *const native[] = { "native", NULL };
  static const char *const syscalls[] = {
    "@clock", "@cpu-emulation", "@debug", "@module", "@mount", "@obsolete",
    "@raw-io", "@reboot", "@swap", NULL };
  /* AF_NETLINK: udev's, waiting for a volume */
  static const char *const families[] = { "AF_UNIX", "AF_INET", "AF_INET6",
                                          "AF_NETLINK", NULL };
  struct unit_prop *q;

  for (const char *const *b = bools; *b; b++)
    if (prop_bool(p, *b) < 0)
      return -1;
  if (prop_u64(p, "CapabilityBoundingSet", WORKER_CAPABILITIES) < 0 ||
      /* the namespaces it may make: none */
      prop_u64(p, "RestrictNamespaces", 0) < 0 ||
      prop_string(p, "ProtectProc", "invisible") < 0 ||
      prop_string(p, "DevicePolicy", "closed") < 0 ||
      prop_list(p, "DeviceAllow", PROP_DEVICES, 0, devices) < 0 ||
      prop_list(p, "SystemCallArchitectures", PROP_STRV, 0, native) < 0 ||
      prop_list(p, "SystemCallFilter", PROP_LIST, 0, syscalls) < 0 ||
      prop_list(p, "RestrictAddressFamilies", PROP_LIST, 1, families) < 0)
    return -1;
  /* a call filtered fails, it does not kill the tool */
  if (!(q = prop(p, "SystemCallErrorNumber", PROP_INT)))
    return -1;
  q->u = EPERM;
  return 0;
}

bool worker_env_keep(const char *entry)
{
  static const char *const drop[] = { "NOTIFY_SOCKET=", "WATCHDOG_USEC=",
                                      "WATCHDOG_PID=", "LISTEN_FDS=",
                                      "LISTEN_PID=", "LISTEN_FDNAMES=",
                                      "INVOCATION_ID=", "JOURNAL_STREAM=",
                                      "SYSTEMD_EXEC_PID=", "MONITOR_",
                                      NULL };

  for (int d = 0; drop[d]; d++)
    if (strncmp(entry, drop[d], strlen(drop[d])) == 0)
      return false;
  return true;
}

int worker_env_build(struct argv *env, char *const *base,
                     const char *tls_conf)
{
  _cleanup_argv_ struct argv kept = { 0 };

  for (size_t i = 0; base && base[i]; i++)
    if (worker_env_keep(base[i]) && argv_add(&kept, base[i]) < 0)
      return -1;
  if (tls_conf)
    return tls_priority_env(env, kept.v, tls_conf);
  for (size_t i = 0; i < kept.n; i++)
    if (argv_add(env, kept.v[i]) < 0)
      return -1;
  return 0;
}

static int prop_env(struct unit_props *p, char *const *env)
{
  struct unit_prop *q;

  if (!env || !env[0])
    return 0;
  if (!(q = prop(p, "Environment", PROP_STRV)))
    return -1;
  for (size_t i = 0; env[i]; i++)
    if (worker_env_keep(env[i]) && argv_add(&q->v, env[i]) < 0)
      return -1;
  return 0;
}

int worker_unit_props(struct unit_props *p, const char *job_id,
                      const struct argv *worker_argv, const char *log_path,
                      const struct worker_limits *l, char *const *env)
{
  _cleanup_free_ char *desc = NULL;
  struct unit_prop *q;

  memset(p, 0, sizeof *p);
  if (asprintf(&p->unit, "uch-job-%s.service", job_id) < 0) {
    p->unit = NULL;
    return -1;
  }
  if (asprintf(&desc, "UCH job %s", job_id) < 0) {
    desc = NULL;
    return -1;
  }
  if (prop_string(p, "Description", desc) < 0 ||
      /* exec: the start fails (and we fall back) when uch-job is missing */
      prop_string(p, "Type", "exec") < 0)
    return -1;
  if (!(q = prop(p, "ExecStart", PROP_EXEC)) ||
      argv_addv(&q->v, (const char *const *)worker_argv->v) < 0)
    return -1;
  /* the same files as the setsid path: job.log gets stdout and stderr */
  if (prop_string(p, "StandardInput", "null") < 0 ||
      prop_string(p, "StandardOutputFileToAppend", log_path) < 0 ||
      prop_string(p, "StandardErrorFileToAppend", log_path) < 0)
    return -1;
  if (!(q = prop(p, "LogExtraFields", PROP_FIELDS)) ||
      argv_addf(&q->v, "JOB_ID=%s", job_id) < 0)
    return -1;
  /* The worker stops its own tools on SIGTERM; the rest of the cgroup
   * gets SIGKILL only after it.  A failed unit must not stay loaded:
   * job ids are never reused, units would pile up. */
  if (prop_string(p, "KillMode", "mixed") < 0 ||
      prop_string(p, "CollectMode", "inactive-or-failed") < 0)
    return -1;
  /* what a worker and its tools create (a qcow2 destination, sockets,
   * scratch files) is the service's alone; runner_open() sets the same
   * umask when uchd spawns the worker itself */
  if (!(q = prop(p, "UMask", PROP_U32)))
    return -1;
  q->u = 0077;
  if (l->cpu_percent &&
      prop_u64(p, "CPUQuotaPerSecUSec", l->cpu_percent * 10000) < 0)
    return -1;
  if (l->io_weight && prop_u64(p, "IOWeight", l->io_weight) < 0)
    return -1;
  if (worker_sandbox(p) < 0)
    return -1;
  return prop_env(p, env);
}

void worker_unit_props_free(struct unit_props *p)
{
  for (unsigned i = 0; i < p->n; i++) {
    free(p->p[i].s);
    argv_free(&p->p[i].v);
  }
  free(p->unit);
  memset(p, 0, sizeof *p);
}

bool worker_units_wanted(void)
{
  /* INVOCATION_ID: systemd started us as a unit (not a shell under a
   * systemd-booted machine, where setsid is what the user expects). */
  return sd_booted() > 0 && getenv("INVOCATION_ID") != NULL;
}
