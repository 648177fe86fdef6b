/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Starting a worker as a transient unit through sd-bus
 * (StartTransientUnit), then watching its main process by pidfd like an
 * adopted worker: it is systemd's child, not ours. */
#include <errno.h>
#include <unistd.h>
#include <string.h>
#include <time.h>
#include <systemd/sd-bus.h>

#include "jobs/job-request.h"
#include "jobs/request.h"
#include "jobs/worker.h"
#include "uchd/store.h"
#include "uchd/worker-unit.h"
#include "uchd/workers.h"
#include "util/argv.h"
#include "util/cleanup.h"
#include "util/jsonutil.h"
#include "util/log.h"

#define SD_DEST "org.freedesktop.systemd1"
#define SD_PATH "/org/freedesktop/systemd1"

static int append_prop(sd_bus_message *m, const struct unit_prop *q)
{
  int r;

  switch (q->type) {
  case PROP_STRING:
    return sd_bus_message_append(m, "(sv)", q->name, "s", q->s);
  case PROP_U64:
    return sd_bus_message_append(m, "(sv)", q->name, "t", q->u);
  case PROP_U32:
    return sd_bus_message_append(m, "(sv)", q->name, "u", (uint32_t)q->u);
  case PROP_BOOL:
    return sd_bus_message_append(m, "(sv)", q->name, "b", (int)(q->u != 0));
  case PROP_INT:
    return sd_bus_message_append(m, "(sv)", q->name, "i", (int32_t)q->u);
  case PROP_DEVICES:
    /* DeviceAllow: a(ss), node and access */
    if ((r = sd_bus_message_open_container(m, 'r', "sv")) < 0 ||
        (r = sd_bus_message_append(m, "s", q->name)) < 0 ||
        (r = sd_bus_message_open_container(m, 'v', "a(ss)")) < 0 ||
        (r = sd_bus_message_open_container(m, 'a', "(ss)")) < 0)
      return r;
    for (size_t i = 0; i + 1 < q->v.n; i += 2)
      if ((r = sd_bus_message_append(m, "(ss)", q->v.v[i], q->v.v[i + 1])) < 0)
        return r;
    for (int i = 0; i < 3; i++)
      if ((r = sd_bus_message_close_container(m)) < 0)
        return r;
    return 0;
  case PROP_LIST:
    /* SystemCallFilter, RestrictAddressFamilies: (bas), allow or deny */
    if ((r = sd_bus_message_open_container(m, 'r', "sv")) < 0 ||
        (r = sd_bus_message_append(m, "s", q->name)) < 0 ||
        (r = sd_bus_message_open_container(m, 'v', "(bas)")) < 0 ||
        (r = sd_bus_message_open_container(m, 'r', "bas")) < 0 ||
        (r = sd_bus_message_append(m, "b", (int)(q->u != 0))) < 0 ||
        (r = sd_bus_message_append_strv(m, q->v.v)) < 0)
      return r;
    for (int i = 0; i < 3; i++)
      if ((r = sd_bus_message_close_container(m)) < 0)
        return r;
    return 0;
  case PROP_FIELDS:
    /* journal fields may be binary: an array of byte arrays */
    if ((r = sd_bus_message_open_container(m, 'r', "sv")) < 0 ||
        (r = sd_bus_message_append(m, "s", q->name)) < 0 ||
        (r = sd_bus_message_open_container(m, 'v', "aay")) < 0 ||
        (r = sd_bus_message_open_container(m, 'a', "ay")) < 0)
      return r;
    for (size_t i = 0; i < q->v.n; i++)
      if ((r = sd_bus_message_append_array(m, 'y', q->v.v[i],
                                           strlen(q->v.v[i]))) < 0)
        return r;
    for (int i = 0; i < 3; i++)
      if ((r = sd_bus_message_close_container(m)) < 0)
        return r;
    return 0;
  case PROP_STRV:
    if ((r = sd_bus_message_open_container(m, 'r', "sv")) < 0 ||
        (r = sd_bus_message_append(m, "s", q->name)) < 0 ||
        (r = sd_bus_message_open_container(m, 'v', "as")) < 0 ||
        (r = sd_bus_message_append_strv(m, q->v.v)) < 0)
      return r;
    for (int i = 0; i < 2; i++)
      if ((r = sd_bus_message_close_container(m)) < 0)
        return r;
    return 0;
  case PROP_EXEC:
    if ((r = sd_bus_message_open_container(m, 'r', "sv")) < 0 ||
        (r = sd_bus_message_append(m, "s", q->name)) < 0 ||
        (r = sd_bus_message_open_container(m, 'v', "a(sasb)")) < 0 ||
        (r = sd_bus_message_open_container(m, 'a', "(sasb)")) < 0 ||
        (r = sd_bus_message_open_container(m, 'r', "sasb")) < 0 ||
        (r = sd_bus_message_append(m, "s", q->v.v[0])) < 0 ||
        (r = sd_bus_message_append_strv(m, q->v.v)) < 0 ||
        (r = sd_bus_message_append(m, "b", 0)) < 0)
      return r;
    for (int i = 0; i < 4; i++)
      if ((r = sd_bus_message_close_container(m)) < 0)
        return r;
    return 0;
  }
  return -EINVAL;
}

static int start_unit(sd_bus *bus, const struct unit_props *p,
                      sd_bus_error *e)
{
  sd_bus_message *m = NULL, *reply = NULL;
  int r;

  r = sd_bus_message_new_method_call(bus, &m, SD_DEST, SD_PATH,
                                     SD_DEST ".Manager", "StartTransientUnit");
  if (r >= 0)
    r = sd_bus_message_append(m, "ss", p->unit, "fail");
  if (r >= 0)
    r = sd_bus_message_open_container(m, 'a', "(sv)");
  for (unsigned i = 0; r >= 0 && i < p->n; i++)
    r = append_prop(m, &p->p[i]);
  if (r >= 0)
    r = sd_bus_message_close_container(m);
  if (r >= 0)
    r = sd_bus_message_append(m, "a(sa(sv))", 0);
  if (r >= 0)
    r = sd_bus_call(bus, m, 0, e, &reply);
  sd_bus_message_unref(m);
  sd_bus_message_unref(reply);
  return r;
}

/* The unit's MainPID once systemd has forked it (Type=exec: the start
 * job ends after the exec).  0 when it already ended. */
static pid_t unit_main_pid(sd_bus *bus, const char *unit)
{
  _cleanup_free_ char *path = NULL;
  uint32_t pid = 0;

  if (sd_bus_path_encode(SD_PATH "/unit", unit, &path) < 0)
    return -1;
  for (int tries = 0; tries < 200; tries++) {
    if (sd_bus_get_property_trivial(bus, SD_DEST, path,
                                    SD_DEST ".Service", "MainPID", NULL,
                                    'u', &pid) < 0)
      return 0;           /* unit gone (collected): it ran and ended */
    if (pid > 0)
      return (pid_t)pid;
    nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
  }
  return 0;
}

static int on_gone(sd_event_source *s __attribute__((unused)), void *userdata)
{
  struct job *j = userdata;

  worker_ended(j->daemon, j, "ended before uchd could watch it");
  return 0;
}

int worker_spawn_unit(struct uchd *d, struct job *j)
{
  _cleanup_argv_ struct argv args = { 0 }, env = { 0 };
  _cleanup_free_ char *log_path = job_file(d->cfg.state_dir, j->id, "job.log");
  struct unit_props props;
  struct worker_limits limits;
  sd_bus_error e = SD_BUS_ERROR_NULL;
  sd_bus *bus = NULL;
  pid_t pid;
  int r;

  if (!log_path || worker_argv(&args, d->uch_job, d->cfg.state_dir,
                               d->cfg.runtime_dir, j->id) < 0)
    return -1;
  /* the request as its worker will parse it; one that does not parse
   * gets no limits (its worker fails on it, naming the field) */
  worker_limits_from_request(job_request_of(j), &limits);
  if (worker_env(d, &env) < 0 ||
      worker_unit_props(&props, j->id, &args, log_path, &limits,
                        env.v) < 0) {
    worker_unit_props_free(&props);
    return -1;
  }
  r = sd_bus_open_system(&bus);
  if (r >= 0)
    r = start_unit(bus, &props, &e);
  if (r < 0) {
    log_job(LOG_ERR, j->id, "cannot start unit %s: %s", props.unit,
            e.message ? e.message : strerror(-r));
    sd_bus_error_free(&e);
    sd_bus_flush_close_unref(bus);
    worker_unit_props_free(&props);
    errno = -r;
    return -1;
  }
  pid = unit_main_pid(bus, props.unit);
  sd_bus_flush_close_unref(bus);
  log_job(LOG_INFO, j->id, "started unit %s (worker %d)", props.unit,
          (int)pid);
  worker_unit_props_free(&props);
  if (pid > 0 && worker_watch_pid(d, j, pid) == 0)
    return 0;
  /* Ended before we could watch it: it wrote its final state, or
   * worker_ended() says it did not; from the loop, not from inside the
   * scheduler that called us. */
  j->pid = pid > 0 ? pid : 0;
  j->daemon = d;
  r = sd_event_add_defer(d->ev, &j->worker_src, on_gone, j);
  if (r < 0) {
    errno = -r;
    return -1;
  }
  sd_event_source_set_enabled(j->worker_src, SD_EVENT_ONESHOT);
  return 0;
}
