/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `uchctl check`: the facts of probe.h (and of hostcheck.h) judged as
 * ok, warn or fail, each with a line a person can act on.  Pure: the
 * same capabilities always give the same verdicts, so tests feed them
 * made-up facts. */
#ifndef UCH_PREFLIGHT_H
#define UCH_PREFLIGHT_H

#include <stdbool.h>
#include <json-c/json.h>

struct preflight_opts {
  bool vddk_required;   /* a VDDK libdir was named: its absence fails */
  bool quick;           /* the appliance check was skipped */
};

/* Appends {"name", "status": "ok"|"warn"|"fail", "message"} to CHECKS
 * for each fact of CAPS (probe_capabilities()). */
void preflight_judge(json_object *caps, const struct preflight_opts *o,
                     json_object *checks);
/* One verdict. */
void preflight_add(json_object *checks, const char *name, const char *status,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* No check failed. */
bool preflight_passed(json_object *checks);
/* "1.5 GiB", "512 MiB" */
void preflight_bytes(char out[32], long long bytes);

#endif
