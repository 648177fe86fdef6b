/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The other files a disk image makes its reader open when qemu probes
 * its format (virt-v2v -i disk, inspect, inplace) or is told it: a
 * qcow2's backing file and external data file, a QED's backing file, a
 * VMDK descriptor's extents and parent (parentFileNameHint, also in a
 * sparse vmdk's embedded descriptor), read from the header or the
 * descriptor's text (no tool run, nothing of the image's data read),
 * so that the confinement policy judges them as it judges the image.
 * (qcow version 1, which also has a backing file, is refused as a
 * qcow2 of a version qemu does not read.) */
#ifndef UCHD_IMAGE_REFS_H
#define UCHD_IMAGE_REFS_H

#include <stddef.h>
#include <stdint.h>

struct image_refs {
  const char *format;       /* "qcow2", "qed", "vmdk" */
  char *backing;            /* the backing file's name as written, or NULL */
  char *data_file;          /* the external data file's name, or NULL */
  char **extents;           /* a VMDK descriptor's extents, as written */
  size_t n_extents;
};

/* Reads the header of the image open as `fd`: 0 when it is none of
 * those formats (refs empty), 1 when it is one (refs filled, each name
 * as the image gives it), -1 with `why` (a phrase) for a header that
 * cannot be read or makes no sense. */
int image_refs_read(int fd, struct image_refs *refs, char *why, size_t len);
/* The same for the image of `size` bytes at `at` in fd (an OVA's
 * member). */
int image_refs_read_at(int fd, uint64_t at, uint64_t size,
                       struct image_refs *refs, char *why, size_t len);
void image_refs_free(struct image_refs *refs);

/* The kind of a reference qemu would open: a plain file name
 * (relative or absolute), or one qemu takes for something else, a
 * `json:{...}` block graph or a protocol (`nbd:`, `http://`, `file:`,
 * anything with a ':' before its first '/'), which is no file. */
enum image_ref_kind { IMAGE_REF_FILE, IMAGE_REF_JSON, IMAGE_REF_PROTOCOL };
enum image_ref_kind image_ref_kind(const char *name);

/* `name` as qemu finds it: absolute as is, relative from the folder of
 * the image `image` (as given, not resolved).  NULL when out of
 * memory. */
char *image_ref_path(const char *image, const char *name);

#endif
