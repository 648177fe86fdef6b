/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdlib.h>

#include "transfer/extents.h"

int extents_add(struct extents *e, uint64_t offset, uint64_t length,
                bool data)
{
  if (length == 0)
    return 0;
  if (data)
    e->allocated += length;
  if (e->n && e->v[e->n - 1].data == data &&
      e->v[e->n - 1].offset + e->v[e->n - 1].length == offset) {
    e->v[e->n - 1].length += length;
    return 0;
  }
  if (e->n == e->cap) {
    size_t cap = e->cap ? e->cap * 2 : 64;
    struct extent *v = realloc(e->v, cap * sizeof *v);
    if (!v)
      return -1;
    e->v = v;
    e->cap = cap;
  }
  e->v[e->n++] = (struct extent){ offset, length, data };
  return 0;
}

void extents_free(struct extents *e)
{
  free(e->v);
  *e = (struct extents){ 0 };
}

uint64_t extents_data_below(const struct extents *e, uint64_t pos)
{
  uint64_t sum = 0;

  for (size_t i = 0; i < e->n && e->v[i].offset < pos; i++) {
    if (!e->v[i].data)
      continue;
    uint64_t end = e->v[i].offset + e->v[i].length;
    sum += (end < pos ? end : pos) - e->v[i].offset;
  }
  return sum;
}

uint64_t extents_done_at_percent(const struct extents *e, int percent)
{
  if (percent >= 100)
    return e->allocated;
  if (percent <= 0)
    return 0;
  /* size * percent / 100 without overflow for any disk size */
  uint64_t pos = e->size / 100 * percent + e->size % 100 * percent / 100;
  return extents_data_below(e, pos);
}
