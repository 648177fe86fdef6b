/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The files a running export job hands out in its result: the Unix
 * socket of each `nbd+unix://` URI and the PSK file of its TLS
 * listener.  A job on the same appliance may name them in its source's
 * NBD URI (socket=, tls-psk-file=) though they lie in uchd's runtime
 * dir, which no request may name otherwise: the export was made to be
 * read, and the PSK stays where it is (the worker reads it there). */
#ifndef UCHD_EXPORT_FILES_H
#define UCHD_EXPORT_FILES_H

#include <stdbool.h>

/* Whether `real` (resolved) is one of those files of a running export
 * job of the struct uchd * `opaque`; a struct confine's `served`. */
bool export_serves(void *opaque, const char *real);

#endif
