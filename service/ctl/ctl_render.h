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
/* PATH SIZE SERIAL RO USED-BY, one row per volume of GET /v1/volumes;
 * USED-BY is "system" for a mounted one, else the job using it. */
char *render_volumes_table(json_object *volumes);
/* State, times, progress (total and per disk), error, result. */
char *render_job_summary(json_object *job);
/* "ID: running (copying) 42.5%"; final jobs "ID: succeeded". */
char *render_job_status_line(json_object *job);
/* A JSON value as indented "key: value" lines; a whole number under a
 * key that is a byte count ("size", "bytes", "..._bytes") in KiB, MiB,
 * GiB as well: "free_bytes: 12.3 GiB (13207024640)". */
void render_tree(FILE *f, json_object *o, int indent);
/* What a disk's source or destination is, in a few words:
 * the URI, the path, "nbdkit ssh", "volume ID". */
char *render_endpoint(json_object *endpoint);

#endif
