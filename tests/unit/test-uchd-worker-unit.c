/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The transient unit uchd asks systemd for: exact properties, limits
 * from the request, nothing when limits are absent. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "jobs/job-request.h"
#include "jobs/request.h"
#include "util/cleanup.h"
#include "tap.h"
#include "jobs/worker.h"
#include "uchd/worker-unit.h"

static int append(FILE *f, const struct unit_prop *q)
{
  switch (q->type) {
  case PROP_STRING:
    return fprintf(f, "%s=%s\n", q->name, q->s);
  case PROP_U64:
  case PROP_U32:
  case PROP_INT:
    return fprintf(f, "%s=%llu\n", q->name, (unsigned long long)q->u);
  case PROP_BOOL:
    return fprintf(f, "%s=%s\n", q->name, q->u ? "yes" : "no");
  case PROP_DEVICES:
  case PROP_LIST: {
    _cleanup_free_ char *s = argv_join(&q->v);
    if (!s)
      return -1;
    return fprintf(f, "%s=%s%s\n", q->name,
                   q->type == PROP_LIST && !q->u ? "~" : "", s);
  }
  case PROP_FIELDS:
  case PROP_STRV:
  case PROP_EXEC: {
    _cleanup_free_ char *s = argv_join(&q->v);
    if (!s)
      return -1;
    return fprintf(f, "%s=%s\n", q->name, s);
  }
  }
  return -1;
}

/* "Name=value" lines, in order. */
static char *props_text(const struct unit_props *p)
{
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);

  if (!f)
    return NULL;
  fprintf(f, "Unit=%s\n", p->unit);
  for (unsigned i = 0; i < p->n; i++)
    if (append(f, &p->p[i]) < 0) {
      fclose(f);
      free(buf);
      return NULL;
    }
  if (fclose(f) != 0) {
    free(buf);
    return NULL;
  }
  return buf;
}

#define DISKS "\"disks\": [{\"source\": {\"path\": \"/s\"}, " \
  "\"destination\": {\"path\": \"/d\"}}]"

static char *props_with_env(const char *request_json, char *const *env)
{
  _cleanup_argv_ struct argv args = { 0 };
  struct worker_limits l;
  struct unit_props p = { 0 };
  json_object *req = json_tokener_parse(request_json);
  _cleanup_(job_request_freep) struct job_request *typed = NULL;
  struct uch_error err = { 0 };
  char *text = NULL;

  if (request_load(req, &typed, &err) < 0)
    typed = NULL;
  worker_limits_from_request(typed, &l);
  if (worker_argv(&args, "/usr/libexec/uch/uch-job", "/var/lib/uch",
                  "/run/uch", "j-42") == 0 &&
      worker_unit_props(&p, "j-42", &args, "/var/lib/uch/jobs/j-42/job.log",
                        &l, env) == 0)
    text = props_text(&p);
  worker_unit_props_free(&p);
  json_object_put(req);
  return text;
}

static char *props_for(const char *request_json)
{
  return props_with_env(request_json, NULL);
}

static const char base[] =
  "Unit=uch-job-j-42.service\n"
  "Description=UCH job j-42\n"
  "Type=exec\n"
  "ExecStart=/usr/libexec/uch/uch-job --state-dir /var/lib/uch "
  "--runtime-dir /run/uch start j-42\n"
  "StandardInput=null\n"
  "StandardOutputFileToAppend=/var/lib/uch/jobs/j-42/job.log\n"
  "StandardErrorFileToAppend=/var/lib/uch/jobs/j-42/job.log\n"
  "LogExtraFields=JOB_ID=j-42\n"
  "KillMode=mixed\n"
  "CollectMode=inactive-or-failed\n"
  "UMask=63\n";  /* 0077 */
/* after the limits: the sandbox, as uchd.service's */
static const char sandbox[] =
  "NoNewPrivileges=yes\n"
  "PrivateMounts=yes\n"
  "ProtectKernelTunables=yes\n"
  "ProtectKernelLogs=yes\n"
  "ProtectControlGroups=yes\n"
  "ProtectClock=yes\n"
  "ProtectHostname=yes\n"
  "RestrictRealtime=yes\n"
  "RestrictSUIDSGID=yes\n"
  "LockPersonality=yes\n"
  "CapabilityBoundingSet=2097166\n"   /* SYS_ADMIN, DAC_*, FOWNER */
  "RestrictNamespaces=0\n"
  "ProtectProc=invisible\n"
  "DevicePolicy=closed\n"
  "DeviceAllow='block-*' rw /dev/kvm rw\n"
  "SystemCallArchitectures=native\n"
  "SystemCallFilter=~@clock @cpu-emulation @debug @module @mount @obsolete "
  "@raw-io @reboot @swap\n"
  "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK\n"
  "SystemCallErrorNumber=1\n";   /* EPERM */

int main(void)
{
  _cleanup_free_ char *none = props_for("{\"type\": \"copy\", " DISKS "}");
  _cleanup_free_ char *want0 = NULL;
  if (asprintf(&want0, "%s%s", base, sandbox) < 0)
    want0 = NULL;
  is_str(none, want0, "no limits: no CPU or IO properties; the sandbox");

  _cleanup_free_ char *both = props_for(
    "{\"type\": \"copy\", " DISKS ", \"limits\": {\"cpu\": 150, "
    "\"io\": 50}}");
  _cleanup_free_ char *want = NULL;
  if (asprintf(&want, "%sCPUQuotaPerSecUSec=1500000\nIOWeight=50\n%s", base,
               sandbox) < 0)
    want = NULL;
  is_str(both, want, "cpu 150%% is 1.5 s of CPU a second; io is IOWeight");

  _cleanup_free_ char *cpu = props_for(
    "{\"type\": \"sync\", " DISKS ", \"limits\": {\"cpu\": 25, "
    "\"bandwidth\": \"10M\"}}");
  ok(cpu && strstr(cpu, "CPUQuotaPerSecUSec=250000\n") &&
     !strstr(cpu, "IOWeight"), "cpu alone; bandwidth is not a unit property");

  /* what a transient unit would not get from uchd otherwise */
  char *const env[] = { "PATH=/usr/sbin:/usr/bin", "NOTIFY_SOCKET=/run/n",
                        "LIBGUESTFS_BACKEND_SETTINGS=force_tcg",
                        "WATCHDOG_USEC=1", "INVOCATION_ID=abc",
                        "JOURNAL_STREAM=8:9", "LISTEN_FDS=2",
                        "SYSTEMD_EXEC_PID=12",
                        "VIRTIO_WIN=/usr/share/virtio-win", NULL };
  _cleanup_free_ char *withenv = props_with_env("{\"type\": \"copy\", " DISKS "}",
                                                env);
  _cleanup_free_ char *wantenv = NULL;
  if (asprintf(&wantenv, "%s%sEnvironment=PATH=/usr/sbin:/usr/bin "
               "LIBGUESTFS_BACKEND_SETTINGS=force_tcg "
               "VIRTIO_WIN=/usr/share/virtio-win\n", base, sandbox) < 0)
    wantenv = NULL;
  is_str(withenv, wantenv, "uchd's environment without systemd's own "
         "variables becomes Environment=");
  ok(worker_env_keep("PATH=/bin") && !worker_env_keep("NOTIFY_SOCKET=x") &&
     !worker_env_keep("LISTEN_PID=1") && worker_env_keep("NOTIFY=x"),
     "worker_env_keep drops systemd's variables only");

  /* the worker's own environment, with our gnutls overrides or without */
  char *const uchd_env[] = { "PATH=/bin", "NOTIFY_SOCKET=/run/n",
                             "GNUTLS_SYSTEM_PRIORITY_FILE=/old", "HOME=/",
                             NULL };
  _cleanup_argv_ struct argv we = { 0 }, plain = { 0 };
  ok(worker_env_build(&we, uchd_env, "/run/uch/gnutls.conf") == 0 &&
     we.n == 3 && strcmp(we.v[0], "PATH=/bin") == 0 &&
     strcmp(we.v[1], "HOME=/") == 0 &&
     strcmp(we.v[2], "GNUTLS_SYSTEM_PRIORITY_FILE=/run/uch/gnutls.conf") == 0
     && we.v[3] == NULL,
     "worker env: systemd's dropped, our gnutls file in place of the old");
  ok(worker_env_build(&plain, uchd_env, NULL) == 0 && plain.n == 3 &&
     strcmp(plain.v[1], "GNUTLS_SYSTEM_PRIORITY_FILE=/old") == 0,
     "worker env without ours: as uchd has it, systemd's dropped");

  struct worker_limits l;
  _cleanup_free_ char *bad = props_for(
    "{\"type\": \"copy\", " DISKS ", \"limits\": {\"cpu\": \"9\"}}");
  is_str(bad, want0, "a request that does not parse: no limits; the sandbox");
  worker_limits_from_request(NULL, &l);
  ok(l.cpu_percent == 0 && l.io_weight == 0, "no request, no limits");

  /* PATCH cannot change a running unit's CPU or IO limits */
  struct uch_error err = { 0 };
  json_object *patch = json_tokener_parse("{\"limits\": {\"cpu\": 50}}");
  ok(request_limits_patch(patch, &err) < 0 &&
     strcmp(err.field, "limits.cpu") == 0, "PATCH limits.cpu refused");
  json_object_put(patch);
  memset(&err, 0, sizeof err);
  patch = json_tokener_parse("{\"limits\": {\"io\": 50}}");
  ok(request_limits_patch(patch, &err) < 0 &&
     strcmp(err.field, "limits.io") == 0, "PATCH limits.io refused");
  json_object_put(patch);
  patch = json_tokener_parse("{\"limits\": {\"bandwidth\": \"5M\"}}");
  ok(request_limits_patch(patch, &err) == 0, "PATCH bandwidth still fine");
  json_object_put(patch);
  return tap_done();
}
