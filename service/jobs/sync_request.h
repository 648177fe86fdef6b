/* SPDX-License-Identifier: GPL-2.0-or-later */
/* How uchd asks a running sync job for another pass without moving any
 * data itself: one small file, RUNTIME/jobs/ID/requests/next.json
 * ({"action": "sync"|"cutover", "body": {...}, "requested_at": T}),
 * which the worker sees through inotify on that directory.  At most one
 * request waits; a cutover the worker took is left as requests/cutover,
 * so nothing is accepted after it. */
#ifndef UCH_SYNC_REQUEST_H
#define UCH_SYNC_REQUEST_H

#include <json-c/json.h>
#include <stdbool.h>

#define SYNC_REQUESTS_DIR "requests"

/* JOB_RT_DIR/requests (free it). */
char *sync_request_dir(const char *job_rt_dir);

/* Leaves a request for the worker, atomically (written, fsynced, then
 * linked into place).  -1 with errno ENOENT: the worker has not made
 * the directory yet (or is gone); EEXIST: a request is already waiting;
 * EALREADY: the cutover was already asked for. */
int sync_request_post(const char *job_rt_dir, const char *action,
                      json_object *body);

/* The source appliance's digest for a verified pass (POST
 * /v1/jobs/ID/digest), left as requests/digest.json ({"action":
 * "digest", "body": {...}, "requested_at": T}) the same way; EEXIST
 * when one is already waiting (a cutover taken does not refuse it). */
int sync_request_post_digest(const char *job_rt_dir, json_object *body);

/* The waiting digest, taken (removed); NULL with errno ENOENT when
 * there is none, EINVAL when it was unreadable (then removed too). */
json_object *sync_request_take_digest(const char *job_rt_dir);

/* The waiting request, taken (next.json removed, or kept as "cutover"
 * for a cutover); NULL with errno ENOENT when there is none. */
json_object *sync_request_take(const char *job_rt_dir);

/* Whether the request waiting (not taken) is a cutover: a rehearsal
 * running then stops, so that the cutover does not wait for it. */
bool sync_request_cutover_waiting(const char *job_rt_dir);

#endif
