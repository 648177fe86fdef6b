/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/openstack_env.h"

/* One line (NUL-terminated, no newline): 1 a variable (*name and
 * *value point into LINE, which is modified), 0 nothing, -1 bad. */
static int parse_line(char *line, char **name, char **value)
{
  char *p = line, *eq, *v;
  size_t n;

  while (*p == ' ' || *p == '\t')
    p++;
  if (*p == '\0' || *p == '#')
    return 0;
  if (strncmp(p, "export ", 7) == 0)
    for (p += 7; *p == ' '; p++)
      ;
  if (strncmp(p, "OS_", 3) != 0 || !(eq = strchr(p, '=')))
    return -1;
  for (char *q = p + 3; q < eq; q++)
    if (!((*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9') || *q == '_'))
      return -1;
  if (eq == p + 3)
    return -1;
  *eq = '\0';
  v = eq + 1;
  n = strlen(v);
  while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t' || v[n - 1] == '\r'))
    v[--n] = '\0';
  if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
    bool single = v[0] == '\'';
    v[n - 1] = '\0';
    v++;
    /* a double-quoted value would be expanded by a shell: not here */
    if (!single && strpbrk(v, "$`\\\""))
      return -1;
    if (single && strchr(v, '\''))
      return -1;
  } else if (strpbrk(v, "$`\\\"' \t;&|<>()"))
    return -1;
  for (const unsigned char *c = (const unsigned char *)v; *c; c++)
    if (*c < 0x20 || *c == 0x7f)
      return -1;
  *name = p;
  *value = v;
  return 1;
}

int openstack_env_parse(const char *text, size_t len,
                        int (*set)(const char *name, const char *value,
                                   void *opaque),
                        void *opaque)
{
  _cleanup_free_ char *copy = malloc(len + 1);
  char *line, *next;
  int no = 0;

  if (!copy)
    return -1;
  memcpy(copy, text, len);
  copy[len] = '\0';
  for (line = copy; line; line = next) {
    char *name, *value;
    int r;

    no++;
    if ((next = strchr(line, '\n')))
      *next++ = '\0';
    if (strlen(line) != (size_t)((next ? next - 1 : copy + len) - line)) {
      explicit_bzero(copy, len);
      return no;                /* a NUL byte */
    }
    r = parse_line(line, &name, &value);
    if (r < 0 || (r > 0 && set && set(name, value, opaque) < 0)) {
      explicit_bzero(copy, len);
      return no;
    }
  }
  explicit_bzero(copy, len);
  return 0;
}
