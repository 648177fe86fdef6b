/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-journal.h>

#include "util/cleanup.h"
#include "util/log.h"

static const char *log_ident = "uch";
static bool to_journal;
static int log_level = LOG_INFO;

/* systemd sets JOURNAL_STREAM=dev:ino for a service's stderr; only trust
 * it when it names the stream we actually hold. */
static bool stderr_is_journal(void)
{
  const char *e = getenv("JOURNAL_STREAM");
  unsigned long long dev, ino;
  struct stat st;

  if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
    return false;
  if (fstat(STDERR_FILENO, &st) < 0)
    return false;
  return st.st_dev == dev && st.st_ino == ino;
}

void log_init(const char *ident)
{
  log_ident = ident;
  to_journal = stderr_is_journal();
  if (getenv("UCH_DEBUG"))
    log_level = LOG_DEBUG;
}

static void log_v(int prio, const char *job_id, const char *fmt, va_list ap)
{
  _cleanup_free_ char *msg = NULL;

  if (prio > log_level)
    return;
  if (vasprintf(&msg, fmt, ap) < 0)
    return;
  if (to_journal) {
    if (job_id)
      sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%d", prio,
                      "SYSLOG_IDENTIFIER=%s", log_ident, "JOB_ID=%s", job_id,
                      NULL);
    else
      sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%d", prio,
                      "SYSLOG_IDENTIFIER=%s", log_ident, NULL);
    return;
  }
  if (job_id)
    fprintf(stderr, "%s: [%s] %s\n", log_ident, job_id, msg);
  else
    fprintf(stderr, "%s: %s\n", log_ident, msg);
}

void log_msg(int prio, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  log_v(prio, NULL, fmt, ap);
  va_end(ap);
}

void log_job(int prio, const char *job_id, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  log_v(prio, job_id, fmt, ap);
  va_end(ap);
}
