/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Logging: to the journal when stderr is connected to it (under
 * systemd), to stderr otherwise. */
#ifndef UCH_LOG_H
#define UCH_LOG_H

#include <syslog.h>

void log_init(const char *ident);
/* Messages about one job carry JOB_ID= in the journal and "[id]" on stderr. */
void log_job(int prio, const char *job_id, const char *fmt, ...)
  __attribute__((format(printf, 3, 4)));
void log_msg(int prio, const char *fmt, ...)
  __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_ERR, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
