/* SPDX-License-Identifier: GPL-2.0-or-later */
/* An error a person can act on: a machine code, the field it is about
 * (JSON path such as "disks[0].source.path", or empty), and words. */
#ifndef UCH_ERROR_H
#define UCH_ERROR_H

struct uch_error {
  char code[32];       /* invalid_request, conflict, not_found, ... */
  char field[128];
  char message[512];
};

void uch_error_set(struct uch_error *e, const char *code, const char *field,
                   const char *fmt, ...)
  __attribute__((format(printf, 4, 5)));

#endif
