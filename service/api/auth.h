/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The bearer token every TCP request needs (the Unix socket's file mode
 * is its access control). */
#ifndef UCH_API_AUTH_H
#define UCH_API_AUTH_H

#include <stdbool.h>

/* Reads the token file; creates it (0600, 32 random bytes as hex) when
 * missing.  NULL with errno on failure. */
char *token_load_or_create(const char *path);
/* "Bearer TOKEN" compared in constant time (for equal lengths). */
bool auth_header_ok(const char *header, const char *token);

#endif
