/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Jobs as text for people: the list table, the summary of one job, the
 * one-line status `wait` prints when not on a terminal.  Pure: JSON in,
 * malloc'd text out. */
#ifndef UCH_CTL_RENDER_H
#define UCH_CTL_RENDER_H

#include <stdint.h>
#include <stdio.h>
#include <json-c/json.h>

/* A byte count of the job document: 0 when absent or negative. */
uint64_t ctl_json_bytes(json_object *o, const char *key);

/* ID TYPE STATE PHASE PROGRESS CREATED, one row per job. */
char *render_jobs_table(json_object *jobs);
/* State, times, progress (total and per disk), error, result. */
char *render_job_summary(json_object *job);
/* "ID: running (copying) 42.5%"; final jobs "ID: succeeded". */
char *render_job_status_line(json_object *job);
/* A JSON value as indented "key: value" lines. */
void render_tree(FILE *f, json_object *o, int indent);
/* What a disk's source or destination is, in a few words:
 * the URI, the path, "nbdkit ssh", "volume ID". */
char *render_endpoint(json_object *endpoint);

#endif
