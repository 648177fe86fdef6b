/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A qcow2's backing and data file names, from its header
 * (docs/interop/qcow2.txt in qemu: the header fields are big-endian;
 * version 3 adds a header length, then header extensions follow the
 * header, each type, length and data padded to 8 bytes, until type 0). */
#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "uchd/image-refs.h"

#define QCOW2_MAGIC 0x514649fbu             /* "QFI\xfb" */
#define EXT_END 0u
#define EXT_DATA_FILE 0x44415441u           /* "DATA" */
/* qemu refuses longer names (1023) and reads extensions from the first
 * cluster; 64 KiB is the default cluster size, and all we read */
#define NAME_MAX_LEN 1023
#define HEADER_MAX 65536

static uint32_t be32(const unsigned char *p)
{
  uint32_t v;
  memcpy(&v, p, sizeof v);
  return be32toh(v);
}

static uint64_t be64(const unsigned char *p)
{
  uint64_t v;
  memcpy(&v, p, sizeof v);
  return be64toh(v);
}

static int fail(char *why, size_t len, const char *what)
{
  snprintf(why, len, "%s", what);
  errno = EINVAL;
  return -1;
}

/* A name without NUL bytes, as a string. */
static char *name_at(const unsigned char *p, size_t n)
{
  if (n == 0 || n > NAME_MAX_LEN || memchr(p, '\0', n))
    return NULL;
  return strndup((const char *)p, n);
}

int image_refs_read(int fd, struct image_refs *refs, char *why, size_t len)
{
  unsigned char *h = NULL;
  ssize_t got;
  uint32_t version, hlen;
  uint64_t boff;
  uint32_t bsize;
  int ret = -1;

  memset(refs, 0, sizeof *refs);
  if (!(h = calloc(1, HEADER_MAX)))
    return fail(why, len, "out of memory");
  got = pread(fd, h, HEADER_MAX, 0);
  if (got < 0) {
    snprintf(why, len, "cannot read its header: %s", strerror(errno));
    goto out;
  }
  if (got < 4 || be32(h) != QCOW2_MAGIC) {
    ret = 0;
    goto out;
  }
  if (got < 72) {
    fail(why, len, "a qcow2 header cut short");
    goto out;
  }
  version = be32(h + 4);
  boff = be64(h + 8);
  bsize = be32(h + 16);
  if (version != 2 && version != 3) {
    snprintf(why, len, "qcow2 version %u, which qemu does not read", version);
    goto out;
  }
  hlen = version == 2 ? 72 : (got >= 104 ? be32(h + 100) : 0);
  if (hlen < 72 || hlen > (uint64_t)got) {
    fail(why, len, "a qcow2 header length that makes no sense");
    goto out;
  }
  if (boff || bsize) {
    if (boff > (uint64_t)got || bsize > (uint64_t)got - boff ||
        !(refs->backing = name_at(h + boff, bsize))) {
      fail(why, len, "a qcow2 backing file name that cannot be read "
           "(not in the first 64 KiB, empty, over 1023 bytes or with a "
           "NUL byte)");
      goto out;
    }
  }
  /* the header extensions, up to the end marker (or the backing name,
   * which follows them) */
  for (uint64_t off = hlen; off + 8 <= (uint64_t)got;) {
    uint32_t type = be32(h + off), elen = be32(h + off + 4);
    if (type == EXT_END)
      break;
    if (elen > (uint64_t)got - off - 8) {
      fail(why, len, "a qcow2 header extension that runs past 64 KiB");
      goto out;
    }
    if (type == EXT_DATA_FILE) {
      free(refs->data_file);
      if (!(refs->data_file = name_at(h + off + 8, elen))) {
        fail(why, len, "a qcow2 data file name that cannot be read");
        goto out;
      }
    }
    off += 8 + (((uint64_t)elen + 7) & ~7ull);
  }
  ret = 1;
out:
  free(h);
  if (ret < 0)
    image_refs_free(refs);
  return ret;
}

void image_refs_free(struct image_refs *refs)
{
  free(refs->backing);
  free(refs->data_file);
  refs->backing = refs->data_file = NULL;
}

enum image_ref_kind image_ref_kind(const char *name)
{
  const char *colon = strchr(name, ':'), *slash = strchr(name, '/');

  if (strncmp(name, "json:", 5) == 0)
    return IMAGE_REF_JSON;
  /* qemu's path_has_protocol(): a ':' before any '/' */
  if (colon && (!slash || colon < slash))
    return IMAGE_REF_PROTOCOL;
  return IMAGE_REF_FILE;
}

char *image_ref_path(const char *image, const char *name)
{
  const char *slash = strrchr(image, '/');
  char *out;

  if (name[0] == '/' || !slash)
    return strdup(name);
  return asprintf(&out, "%.*s/%s", (int)(slash - image), image, name) < 0
    ? NULL : out;
}
