/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The bearer token every TCP request needs (the Unix socket's file mode
 * is its access control). */
#ifndef UCH_API_AUTH_H
#define UCH_API_AUTH_H

#include <stdbool.h>
#include <stddef.h>

/* The shortest token uchd accepts, in bytes. */
#define TOKEN_MIN 16

/* Reads the token file (its first line); creates it (0600, 32 random
 * bytes as hex) when missing.  A file readable by group or others, or a
 * token shorter than TOKEN_MIN, is refused.  NULL with errno on failure,
 * and `why` says what is wrong, naming the file. */
char *token_load_or_create(const char *path, char *why, size_t why_len);
/* "Bearer TOKEN" compared in constant time (for equal lengths). */
bool auth_header_ok(const char *header, const char *token);

#endif
