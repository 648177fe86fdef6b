/* SPDX-License-Identifier: GPL-2.0-or-later */
/* uchd's listeners: one libmicrohttpd daemon each, driven by sd-event
 * through MHD's epoll fd and a timer re-armed from MHD_get_timeout. */
#ifndef UCHD_LISTEN_H
#define UCHD_LISTEN_H

#include "uchd/uchd.h"

/* Socket activation when sd_listen_fds() gives any, else --unix and
 * every --listen.  -1 with a message logged on failure. */
int listeners_open(struct uchd *d);
void listeners_close(struct uchd *d);

/* Binds and listens on a Unix socket (mode 0660), replacing a stale one. */
int unix_socket_open(const char *path);
/* Binds and listens on HOST:PORT. */
int tcp_socket_open(const char *host_port);

#endif
