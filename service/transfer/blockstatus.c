/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <libnbd.h>

#include "transfer/extents.h"
#include "util/timeutil.h"

/* Servers may answer less than asked; a request never exceeds this. */
#define BLOCK_STATUS_CHUNK (1ULL << 30)

struct walk {
  struct extents *e;
  uint64_t end;             /* requested range end */
  uint64_t next;            /* where the next request starts */
  int failed;
};

static int extent_cb(void *opaque, const char *metacontext, uint64_t offset,
                     uint32_t *entries, size_t nr, int *error)
{
  struct walk *w = opaque;
  (void)error;

  if (strcmp(metacontext, LIBNBD_CONTEXT_BASE_ALLOCATION) != 0)
    return 0;
  for (size_t i = 0; i + 1 < nr && offset < w->end; i += 2) {
    uint64_t len = entries[i];
    bool data = !(entries[i + 1] & (LIBNBD_STATE_HOLE | LIBNBD_STATE_ZERO));
    if (offset + len > w->end)
      len = w->end - offset;
    if (extents_add(w->e, offset, len, data) < 0) {
      w->failed = 1;
      return -1;
    }
    offset += len;
  }
  w->next = offset;
  return 0;
}

int uch_block_status(struct nbd_handle *nbd, uint64_t count, uint64_t off,
                     nbd_extent_callback cb, struct source_wait *w)
{
  double since = time_monotonic();
  int64_t cookie;

  if (!w)
    return nbd_block_status(nbd, count, off, cb, 0);
  w->stalled = w->stopped = false;
  cookie = nbd_aio_block_status(nbd, count, off, cb, NBD_NULL_COMPLETION, 0);
  if (cookie < 0)
    return -1;
  for (;;) {
    /* 1 once, then the command is retired */
    int done = nbd_aio_command_completed(nbd, cookie);

    if (done != 0)
      return done == 1 ? 0 : -1;
    if (nbd_poll(nbd, 1000) < 0)
      return -1;
    if (nbd_aio_peek_command_completed(nbd) == cookie)
      continue;                       /* answered in that poll */
    if (w->stop && w->stop(w->opaque)) {
      w->stopped = true;
      errno = ECANCELED;
      return -1;
    }
    if (w->stall_s && time_monotonic() - since >= w->stall_s) {
      w->stalled = true;
      errno = ETIMEDOUT;
      return -1;
    }
  }
}

int extents_from_nbd(struct nbd_handle *nbd, struct extents *e,
                     struct source_wait *wait, char *errbuf, size_t errlen)
{
  int64_t size = nbd_get_size(nbd);

  if (size < 0)
    goto nbd_error;
  e->size = size;
  if (nbd_can_meta_context(nbd, LIBNBD_CONTEXT_BASE_ALLOCATION) != 1)
    return extents_add(e, 0, size, true);
  for (uint64_t off = 0; off < (uint64_t)size;) {
    uint64_t left = size - off;
    struct walk w = { e, size, off, 0 };
    nbd_extent_callback cb = { .callback = extent_cb, .user_data = &w };

    if (uch_block_status(nbd, left < BLOCK_STATUS_CHUNK ? left
                                                        : BLOCK_STATUS_CHUNK,
                         off, cb, wait) < 0) {
      if (w.failed) {
        snprintf(errbuf, errlen, "out of memory");
        return -1;
      }
      if (wait && (wait->stalled || wait->stopped)) {
        if (wait->stalled)
          snprintf(errbuf, errlen, "no answer to block status for %u s "
                   "(stall_timeout)", wait->stall_s);
        else
          snprintf(errbuf, errlen, "cancelled");
        return -1;
      }
      goto nbd_error;
    }
    if (w.next <= off) {
      snprintf(errbuf, errlen, "block status made no progress at %llu",
               (unsigned long long)off);
      return -1;
    }
    off = w.next;
  }
  return 0;

nbd_error:
  snprintf(errbuf, errlen, "%s", nbd_get_error() ? nbd_get_error()
                                                 : strerror(errno));
  return -1;
}
