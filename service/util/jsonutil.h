/* SPDX-License-Identifier: GPL-2.0-or-later */
/* json-c helpers shared by uchd, uch-job and uchctl. */
#ifndef UCH_JSONUTIL_H
#define UCH_JSONUTIL_H

#include <json-c/json.h>

json_object *json_read_path(const char *path);
/* Pretty, atomically replaced, mode 0644 (state) or 0600. */
int json_write_path(const char *path, json_object *o, int mode);
/* Lookup helpers returning NULL/default when absent or of another type. */
const char *json_get_string(json_object *o, const char *key);
json_object *json_get(json_object *o, const char *key);

#endif
