/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The job: its states, where its files live, and its JSON document
 * (state.json is exactly what GET /v1/jobs/{id} returns). */
#ifndef UCH_JOB_H
#define UCH_JOB_H

#include <stdbool.h>
#include <json-c/json.h>

enum job_state {
  JOB_QUEUED,
  JOB_RUNNING,
  JOB_SUCCEEDED,
  JOB_FAILED,
  JOB_CANCELLED,
};
#define JOB_STATE_COUNT 5

const char *job_state_name(enum job_state s);
int job_state_from_name(const char *name);       /* -1 when unknown */
static inline bool job_state_is_final(enum job_state s)
{
  return s >= JOB_SUCCEEDED;
}

/* Job types; "copy" and "export" are done here, the rest come later. */

/* [A-Za-z0-9._-]{1,64}, not "." or "..". */
bool job_id_valid(const char *id);
/* 16 random hex digits. */
int job_id_generate(char out[17]);

/* Layout, relative to --state-dir and --runtime-dir:
 *   STATE/jobs/ID/{state.json,request.json,job.log}
 *   RUNTIME/jobs/ID/   (0700: secrets, PSKs, sockets)             */
char *job_dir(const char *state_dir, const char *id);
char *job_file(const char *state_dir, const char *id, const char *name);
char *job_runtime_dir(const char *runtime_dir, const char *id);

struct job_request;
/* The first document of a job, state "queued", from its typed request
 * (parsed from the sanitised request, secrets already "***", which the
 * document references as "request"): its type, and each disk's source
 * and destination as the typed request kept them. */
json_object *jobdoc_from(const char *id, const struct job_request *r);
/* jobdoc_from() of `request` parsed as the worker parses it
 * (request_load); a request that does not parse (a request.json from
 * an older uchd) gets no disks, and its worker fails it naming why. */
json_object *jobdoc_new(const char *id, json_object *request);
enum job_state jobdoc_state(json_object *doc);     /* JOB_FAILED if garbled */
void jobdoc_set_state(json_object *doc, enum job_state s);
void jobdoc_set_phase(json_object *doc, const char *phase);
void jobdoc_set_error(json_object *doc, const char *code, const char *msg);
/* Worker identity, so a restarted uchd can find a live worker again and
 * not mistake a reused pid for it: pid and /proc starttime. */
void jobdoc_set_worker(json_object *doc, int pid, unsigned long long start);
bool jobdoc_get_worker(json_object *doc, int *pid, unsigned long long *start);

/* Returns the process start time (clock ticks since boot, field 22 of
 * /proc/PID/stat), or 0 when the process does not exist. */
unsigned long long proc_start_time(int pid);

#endif
