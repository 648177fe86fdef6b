/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The local disks a convert request reads and writes, for uchd's
 * conflict check (the job type's `disks`, jobs/job-types.c). */
#ifndef UCH_CONVERT_DISKS_H
#define UCH_CONVERT_DISKS_H

#include "jobs/job-types.h"

/* From the typed request: the
 * input file read (input.disk/libvirtxml/ova/vmx.path), the disks a
 * libvirt domain XML names and the .vmdk files a .vmx names with their
 * extents (each under the field of the XML or vmx, relative names from
 * its folder); written: output.block's devices, and the files virt-v2v
 * will write into output.local.dir or output.kubevirt.dir (NAME-sda ..
 * NAME-sdz and NAME.xml or NAME.yaml), NAME the request's or, without
 * one, the name virt-v2v gives the guest where it can be known before
 * (a disk's file name, the domain XML's <name>, the vmx's displayName,
 * the vCenter VM).  Remote inputs (vmx over SSH, vCenter) name no local
 * disk; an ova without a name names no output file. */
int convert_disks(const struct job_request *r, job_disk_fn *fn, void *opaque);

/* The one reader of a VMDK descriptor's text (here and for uchd's
 * confinement, uchd/image-refs.c): whether qemu takes `text` for a
 * descriptor (its vmdk_probe()), and the files it names, each as
 * written: every extent (`RW N FLAT "NAME" 0`; not for the descriptor
 * `embedded` in a sparse vmdk, whose extent is itself) and the parent
 * (`parentFileNameHint="NAME"`, a backing file).  fn's nonzero return
 * stops the walk and is returned; -1 when out of memory. */
enum vmdk_ref { VMDK_EXTENT, VMDK_PARENT };
typedef int vmdk_ref_fn(void *opaque, enum vmdk_ref kind, const char *name);
bool vmdk_is_descriptor(const char *text, size_t len);
int vmdk_descriptor_refs(const char *text, bool embedded, vmdk_ref_fn *fn,
                         void *opaque);

#endif
