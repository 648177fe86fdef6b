/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/hostport.h"

int host_port_split(const char *s, char **host, char **port)
{
  const char *h = s, *h_end, *colon, *p;
  char *end;
  long n;

  if (*h == '[') {
    h_end = strchr(h, ']');
    if (!h_end || h_end[1] != ':')
      goto invalid;
    h++;
    colon = h_end + 1;
  } else {
    /* an unbracketed IPv6 address would be ambiguous */
    colon = strchr(h, ':');
    if (!colon || strchr(colon + 1, ':'))
      goto invalid;
    h_end = colon;
  }
  p = colon + 1;
  if (h_end == h || *p < '0' || *p > '9')
    goto invalid;
  errno = 0;
  n = strtol(p, &end, 10);
  if (errno || *end || n < 1 || n > 65535)
    goto invalid;
  *host = strndup(h, h_end - h);
  *port = strdup(p);
  if (!*host || !*port) {
    free(*host);
    free(*port);
    *host = *port = NULL;
    return -1;
  }
  return 0;

invalid:
  errno = EINVAL;
  return -1;
}
