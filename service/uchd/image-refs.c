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

#include "jobs/convert-disks.h"
#include "uchd/image-refs.h"

#define QCOW2_MAGIC 0x514649fbu             /* "QFI\xfb" */
#define EXT_END 0u
#define EXT_DATA_FILE 0x44415441u           /* "DATA" */
/* qemu refuses longer names (1023) and reads extensions from the first
 * cluster; 64 KiB is the default cluster size, and all we read */
#define NAME_MAX_LEN 1023
#define HEADER_MAX 65536
/* qemu's vmdk_read_desc() reads at most 1 MiB - 1 of a descriptor */
#define VMDK_DESC_MAX ((1 << 20) - 1)
/* vmdk_parent_open() looks for the parent in 10 KiB at 512 of a
 * sparse vmdk */
#define VMDK_EMBEDDED_AT 512
#define VMDK_EMBEDDED_LEN 10240
#define QED_F_BACKING_FILE 1u

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

static uint32_t le32(const unsigned char *p)
{
  uint32_t v;
  memcpy(&v, p, sizeof v);
  return le32toh(v);
}

static uint64_t le64(const unsigned char *p)
{
  uint64_t v;
  memcpy(&v, p, sizeof v);
  return le64toh(v);
}

/* qemu's block/qed.h: a little-endian header, the backing file's name
 * at backing_filename_offset when feature bit 0 is set. */
static int qed_refs(const unsigned char *h, size_t got,
                    struct image_refs *refs, char *why, size_t len)
{
  uint32_t boff, bsize;

  refs->format = "qed";
  if (got < 64)
    return fail(why, len, "a QED header cut short");
  boff = le32(h + 56);
  bsize = le32(h + 60);
  if (!(le64(h + 16) & QED_F_BACKING_FILE))
    return 1;
  if (boff > got || bsize > got - boff ||
      !(refs->backing = name_at(h + boff, bsize)))
    return fail(why, len, "a QED backing file name that cannot be read "
                "(not in the first 64 KiB, empty, over 1023 bytes or with "
                "a NUL byte)");
  return 1;
}

static int vmdk_ref(void *opaque, enum vmdk_ref kind, const char *name)
{
  struct image_refs *refs = opaque;
  char **v;

  if (kind == VMDK_PARENT) {
    free(refs->backing);
    return (refs->backing = strdup(name)) ? 0 : -1;
  }
  if (!(v = realloc(refs->extents, (refs->n_extents + 1) * sizeof *v)))
    return -1;
  refs->extents = v;
  return (v[refs->n_extents] = strdup(name)) ? (refs->n_extents++, 0) : -1;
}

/* A VMDK: a descriptor (text, read again whole as qemu reads it) names
 * its extents and parent, a sparse one (`KDMV`, `COWD`) its parent in
 * the descriptor qemu looks for at 512. */
static int vmdk_refs(int fd, uint64_t at, uint64_t size,
                     const unsigned char *h, size_t got, bool sparse,
                     struct image_refs *refs, char *why, size_t len)
{
  char *text;
  ssize_t n;
  int r;

  refs->format = "vmdk";
  if (!(text = calloc(1, VMDK_DESC_MAX + 1)))
    return fail(why, len, "out of memory");
  if (sparse) {
    size_t take = got > VMDK_EMBEDDED_AT ? got - VMDK_EMBEDDED_AT : 0;
    if (take > VMDK_EMBEDDED_LEN)
      take = VMDK_EMBEDDED_LEN;
    memcpy(text, h + VMDK_EMBEDDED_AT, take);
  } else if ((n = pread(fd, text, size < VMDK_DESC_MAX ? size
                                                       : VMDK_DESC_MAX,
                         (off_t)at)) < 0) {
    snprintf(why, len, "cannot read its descriptor: %s", strerror(errno));
    free(text);
    return -1;
  }
  r = vmdk_descriptor_refs(text, sparse, vmdk_ref, refs);
  free(text);
  return r < 0 ? fail(why, len, "out of memory") : 1;
}

int image_refs_read(int fd, struct image_refs *refs, char *why, size_t len)
{
  return image_refs_read_at(fd, 0, UINT64_MAX, refs, why, len);
}

int image_refs_read_at(int fd, uint64_t at, uint64_t size,
                       struct image_refs *refs, char *why, size_t len)
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
  got = pread(fd, h, size < HEADER_MAX ? size : HEADER_MAX, (off_t)at);
  if (got < 0) {
    snprintf(why, len, "cannot read its header: %s", strerror(errno));
    goto out;
  }
  if (got >= 4 && memcmp(h, "QED\0", 4) == 0) {
    ret = qed_refs(h, (size_t)got, refs, why, len);
    goto out;
  }
  if (got >= 4 && (memcmp(h, "KDMV", 4) == 0 || memcmp(h, "COWD", 4) == 0 ||
                   vmdk_is_descriptor((const char *)h, (size_t)got))) {
    ret = vmdk_refs(fd, at, size, h, (size_t)got,
                    h[0] == 'K' || h[0] == 'C', refs, why, len);
    goto out;
  }
  if (got < 4 || be32(h) != QCOW2_MAGIC) {
    ret = 0;
    goto out;
  }
  refs->format = "qcow2";
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
  for (size_t i = 0; i < refs->n_extents; i++)
    free(refs->extents[i]);
  free(refs->extents);
  memset(refs, 0, sizeof *refs);
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
