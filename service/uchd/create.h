/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A new job on disk, all or nothing: STATE/jobs/.new-ID-XXXXXX is filled
 * (state.json, request.json), secrets go to RUNTIME/jobs/ID, then the
 * directory is renamed into place.  Any failure removes both again. */
#ifndef UCHD_CREATE_H
#define UCHD_CREATE_H

#include "jobs/request.h"
#include "uchd/uchd.h"
#include "util/error.h"

/* `*request` is the sanitised request, typed (request_load()); the job
 * takes it over (*request set to NULL) on success.  NULL with *err
 * filled on failure (code "conflict" when the id was taken meanwhile). */
struct job *job_create(struct uchd *d, const char *id,
                       struct job_request **request,
                       const struct secrets *secrets, struct uch_error *err);

/* A failed or cancelled job (no worker) queued again with its request
 * and fresh secrets: a new first document (created_at kept, "restarts"
 * counted), state.json rewritten.  The worker resumes from the job's
 * checkpoints (transfer/resumable.h). */
int job_restart(struct uchd *d, struct job *j, struct job_request **request,
                const struct secrets *secrets, struct uch_error *err);

#endif
