/* The convert job: one virt-v2v run, its messages turned into phase,
 * per-disk percent and warnings, its own error line into the job's
 * error, and the files it wrote into the result. */
#ifndef UCH_CONVERT_JOB_H
#define UCH_CONVERT_JOB_H

#include <json-c/json.h>

#include "runner.h"

/* Returns 0, or -1 with f set (or on cancel). */
int convert_job_run(struct runner *r, json_object *result,
                    struct job_failure *f);

/* The full path of PROGRAM found on $PATH (or in EXTRA_DIR when not
 * NULL), malloc'd, or NULL. */
char *convert_find_program(const char *program, const char *extra_dir);

#endif
