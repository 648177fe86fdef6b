/* A new job on disk, all or nothing: STATE/jobs/.new-ID-XXXXXX is filled
 * (state.json, request.json), secrets go to RUNTIME/jobs/ID, then the
 * directory is renamed into place.  Any failure removes both again. */
#ifndef UCHD_CREATE_H
#define UCHD_CREATE_H

#include "error.h"
#include "request.h"
#include "uchd.h"

/* `request` is the sanitised request.  NULL with *err filled on failure
 * (code "conflict" when the id was taken meanwhile). */
struct job *job_create(struct uchd *d, const char *id, json_object *request,
                       const struct secrets *secrets, struct uch_error *err);

#endif
