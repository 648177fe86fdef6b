#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Reading VMware's CBT answers (module_utils/uch_vmware.cbt_extents, what
# uch_vmware_vm's changes action runs) against the shape the vSphere
# API documents: QueryChangedDiskAreas' response as vCenter writes it
# on the wire (a DiskChangeInfo: startOffset, length, changedArea[] of
# DiskChangeExtent start/length), deserialized by pyVmomi; answers that
# cover part of the disk each (asked again from startOffset + length);
# areas merged; no answer accepted that skips a part, goes backwards,
# covers nothing or holds an area outside itself; the 65536-extent
# limit of a sync pass met by joining the closest; the /folder URL of a
# disk's flat extent; a pass's disk from a changes answer.
source "$UCH_TOP/tests/lib/functions.sh"
/usr/bin/python3 -c 'import pyVmomi' 2>/dev/null || skip "python3-pyvmomi not installed"
require ansible-playbook

PYTHONPATH=$UCH_TOP/ansible:$UCH_TOP/tests/lib /usr/bin/python3 - <<'PY' || die "a CBT answer check failed"
import bisect
import io
from pyVmomi import SoapAdapter, vim
from ansible.errors import AnsibleFilterError
from ansible_collections.uch.appliance.plugins.module_utils.uch_vmware import (
    CbtError, cbt_extents, merge_extents, extents_bytes, folder_url)
from ansible_collections.uch.appliance.plugins.filter.uch_vmware import (
    uch_vmware_pass_disk, uch_vmware_sync_disk)
from tap import check, finish

MIB = 1 << 20
ENV = ('<?xml version="1.0" encoding="UTF-8"?>'
       '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"'
       ' xmlns:xsd="http://www.w3.org/2001/XMLSchema"'
       ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>'
       '<QueryChangedDiskAreasResponse xmlns="urn:vim25"><returnval>%s</returnval>'
       '</QueryChangedDiskAreasResponse></soapenv:Body></soapenv:Envelope>')


def wire(start, length, areas):
    """A DiskChangeInfo as vCenter sends it, read back by pyVmomi."""
    body = '<startOffset>%d</startOffset><length>%d</length>' % (start, length)
    body += ''.join('<changedArea><start>%d</start><length>%d</length></changedArea>' % a
                    for a in areas)
    stub = SoapAdapter.SoapStubAdapter('localhost', version='vim.version.version11')
    d = SoapAdapter.SoapResponseDeserializer(stub)
    return d.Deserialize(io.BytesIO((ENV % body).encode()), vim.VirtualMachine.DiskChangeInfo)


def answers(*parts):
    """query(offset) answering PARTS in turn, each (start, length, areas),
    checking it is asked from where the last one ended."""
    asked = []
    it = iter(parts)

    def query(offset):
        asked.append(offset)
        return wire(*next(it))
    return query, asked


info = wire(0, 8 * MIB, [(0, 65536), (2 * MIB, 3 * 65536)])
check("pyVmomi reads the documented response as a DiskChangeInfo",
      (type(info).__name__, info.startOffset, info.length,
       [(a.start, a.length) for a in info.changedArea]),
      ('vim.VirtualMachine.DiskChangeInfo', 0, 8 * MIB, [(0, 65536), (2 * MIB, 196608)]))

q, asked = answers((0, 8 * MIB, [(0, 65536), (2 * MIB, 3 * 65536)]))
check("one answer for the whole disk", cbt_extents(q, 8 * MIB),
      ([[0, 65536], [2 * MIB, 196608]], 1))

q, asked = answers((0, 4 * MIB, [(4 * MIB - 65536, 65536)]),
                   (4 * MIB, 4 * MIB, [(4 * MIB, 65536), (7 * MIB, MIB)]))
ext, n = cbt_extents(q, 8 * MIB)
check("two partial answers: asked again from startOffset + length", asked, [0, 4 * MIB])
check("... areas across the boundary merged", ext, [[4 * MIB - 65536, 131072], [7 * MIB, MIB]])
check("... and counted", (n, extents_bytes(ext)), (2, 131072 + MIB))

q, asked = answers((0, 8 * MIB, []))
check("nothing changed: no extents (a pass with an empty list)", cbt_extents(q, 8 * MIB), ([], 1))

q, asked = answers((0, 16 * MIB, [(0, MIB)]))
check("an answer past the end of the disk ends the loop", cbt_extents(q, 8 * MIB), ([[0, MIB]], 1))

dicts = iter([{'startOffset': 0, 'length': MIB,
               'changedArea': [{'start': 0, 'length': 512}, {'start': 256, 'length': 1024}]}])
check("dicts of the same fields, overlapping areas merged",
      cbt_extents(lambda off: next(dicts), MIB), ([[0, 1280]], 1))


def refused(what, parts, capacity=8 * MIB, want=None):
    q, asked = answers(*parts)
    try:
        cbt_extents(q, capacity)
    except CbtError as e:
        check(what, want is None or want in str(e), True)
        return
    check(what, "accepted", "refused")


refused("an answer that does not start where the last ended",
        [(0, 4 * MIB, []), (5 * MIB, 3 * MIB, [])], want="starts at 5242880")
refused("an answer that covers nothing", [(0, 0, [])], want="no progress")
refused("an area outside the answer", [(0, 4 * MIB, [(4 * MIB, 65536)])], want="is not within")
refused("an area of length 0", [(0, 8 * MIB, [(0, 0)])], want="is not within")
refused("a disk of no capacity", [], capacity=0, want="capacity")

many = [[i * 4096, 512] for i in range(70000)]
joined = merge_extents(many, 1 << 40)
check("70000 areas joined to at most 65536", len(joined) <= 65536, True)
starts = [s for s, _ln in joined]


def covered(a, length):
    k = bisect.bisect_right(starts, a) - 1
    return k >= 0 and a + length <= joined[k][0] + joined[k][1]


check("... still covering every area", all(covered(a, ln) for a, ln in many), True)
check("areas clipped to the capacity", merge_extents([[0, 10], [90, 20], [200, 5]], 100),
      [[0, 10], [90, 10]])

check("the /folder URL of a disk's flat extent",
      folder_url('vc.example.com', 443, 'DC 1', '[ds 1] web01/web01.vmdk'),
      'https://vc.example.com:443/folder/web01/web01-flat.vmdk?dcPath=DC%201&dsName=ds%201')
check("... a vCenter by its IPv6 address, in brackets",
      folder_url('fd00::5', 8989, 'DC0', '[ds] a.vmdk'),
      'https://[fd00::5]:8989/folder/a-flat.vmdk?dcPath=DC0&dsName=ds')
try:
    folder_url('vc', 443, 'DC0', 'web01.vmdk')
    check("a file that is not a datastore path", "accepted", "refused")
except CbtError:
    check("a file that is not a datastore path is refused", True, True)

check("a pass's disk: the extents and the snapshot's changeId",
      uch_vmware_pass_disk({'key': 2000, 'extents': [[0, 512]], 'change_id': '52 aa/3'}),
      {'changed_extents': [[0, 512]], 'change_id': '52 aa/3'})
try:
    uch_vmware_pass_disk({'key': 2000, 'change_id': '52 aa/3'})
    check("a disk without its changes read", "accepted", "refused")
except AnsibleFilterError:
    check("a disk without its changes read is refused", True, True)
check("the sync job's disk: the flat extent over /folder, the password by file",
      uch_vmware_sync_disk(({'key': 2000, 'url': 'https://vc:443/folder/a-flat.vmdk?dcPath=DC0&dsName=ds'},
                            {'destination': {'volume': 'v1'}}), 'root', '/etc/uch/vc.pw', False),
      {'source': {'nbdkit': {'plugin': 'curl', 'url': 'https://vc:443/folder/a-flat.vmdk?dcPath=DC0&dsName=ds',
                             'user': 'root', 'password_file': '/etc/uch/vc.pw', 'sslverify': False}},
       'destination': {'volume': 'v1'}})
finish()
PY
