# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright: UCH project
# GNU General Public License v2.0 or later, so v3.0 or later too (see COPYING)
"""VMware's Changed Block Tracking answers, as UCH's sync passes take
them, and the VM facts uch_vmware_cbt reads with pyVmomi.

QueryChangedDiskAreas answers a DiskChangeInfo (vSphere API reference,
"DiskChangeInfo"): startOffset and length, the part of the disk the
answer covers, and changedArea[], DiskChangeExtent {start, length}, the
areas within it that changed.  One answer may cover less than the disk;
the caller asks again from startOffset + length.  cbt_extents() walks
those answers and returns the sorted, merged [[OFFSET, LENGTH], ...]
that a sync pass's changed_extents takes; an answer that does not
continue where the last one ended, covers nothing, or has an area
outside what it covers is an error (CbtError), never silently dropped.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.uch.appliance.plugins.module_utils.uch_uri import uri_host

# a sync pass's changed_extents takes at most this many
EXTENTS_MAX = 65536


class CbtError(Exception):
    pass


def _get(obj, name):
    """A field of a pyVmomi data object or of a dict."""
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None)


def _int(obj, name, what):
    v = _get(obj, name)
    if isinstance(v, bool) or not isinstance(v, int):
        raise CbtError('%s: %s is %r, not an integer' % (what, name, v))
    return v


def cbt_extents(query, capacity, limit=EXTENTS_MAX):
    """All changed areas of a disk of CAPACITY bytes: query(offset)
    answers one DiskChangeInfo (a pyVmomi object or a dict of the same
    fields) from OFFSET.  Returns (extents, answers): [[off, len], ...]
    sorted and merged, and how many answers it took."""
    if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity <= 0:
        raise CbtError('the disk capacity is %r' % (capacity,))
    areas = []
    offset = 0
    answers = 0
    while offset < capacity:
        info = query(offset)
        answers += 1
        what = 'the answer from offset %d' % offset
        start = _int(info, 'startOffset', what)
        length = _int(info, 'length', what)
        if start != offset:
            raise CbtError('%s starts at %d' % (what, start))
        if length <= 0:
            raise CbtError('%s covers %d bytes: no progress' % (what, length))
        for i, a in enumerate(_get(info, 'changedArea') or []):
            aw = '%s, changedArea[%d]' % (what, i)
            a_start = _int(a, 'start', aw)
            a_len = _int(a, 'length', aw)
            if a_len <= 0 or a_start < start or a_start + a_len > start + length:
                raise CbtError('%s [%d, +%d] is not within [%d, +%d]'
                               % (aw, a_start, a_len, start, length))
            areas.append([a_start, a_len])
        offset = start + length
    return merge_extents(areas, capacity, limit), answers


def merge_extents(areas, capacity, limit=EXTENTS_MAX):
    """Sorted, touching or overlapping ones merged, clipped to CAPACITY;
    if more than LIMIT remain, the closest ones are joined (reading a
    gap costs bytes, not correctness) until LIMIT do."""
    out = []
    for start, length in sorted((a, b) for a, b in areas if a < capacity):
        end = min(start + length, capacity)
        if out and start <= out[-1][0] + out[-1][1]:
            out[-1][1] = max(out[-1][1], end - out[-1][0])
        else:
            out.append([start, end - start])
    gap = 1
    while len(out) > limit:
        joined = [out[0]]
        for start, length in out[1:]:
            last = joined[-1]
            if start - (last[0] + last[1]) <= gap:
                last[1] = start + length - last[0]
            else:
                joined.append([start, length])
        out = joined
        gap *= 2
    return out


def extents_bytes(extents):
    return sum(length for _start, length in extents)


def folder_url(hostname, port, datacenter, file_name):
    """The HTTPS /folder URL of a disk's flat extent, "[DS] dir/d.vmdk" ->
    https://HOST:PORT/folder/dir/d-flat.vmdk?dcPath=DC&dsName=DS (the
    data of a monolithic-flat or VMFS disk is in its -flat.vmdk)."""
    try:
        from urllib.parse import quote
    except ImportError:  # Python 2
        from urllib import quote
    if not file_name.startswith('[') or '] ' not in file_name:
        raise CbtError('%r is not a datastore path' % file_name)
    ds, path = file_name[1:].split('] ', 1)
    if path.endswith('.vmdk') and not path.endswith('-flat.vmdk'):
        path = path[:-len('.vmdk')] + '-flat.vmdk'
    return 'https://%s:%d/folder/%s?dcPath=%s&dsName=%s' % (
        uri_host(hostname), port, quote(path), quote(datacenter, safe=''), quote(ds, safe=''))
