/* SPDX-License-Identifier: GPL-2.0-or-later */
/* "HOST:PORT" and "[V6ADDR]:PORT", as listen addresses are written in
 * requests, uchd's flags and the worker's export.  One parser for all. */
#ifndef UCH_HOSTPORT_H
#define UCH_HOSTPORT_H

/* Splits into a new host (brackets removed) and port (1..65535);
 * -1 with errno EINVAL when malformed. */
int host_port_split(const char *s, char **host, char **port);

#endif
