# -*- coding: utf-8 -*-
# Copyright: UCH project
# SPDX-License-Identifier: GPL-2.0-or-later
"""Filters for discover_vmware.yml: which VMs of a vCenter's inventory
(community.vmware.vmware_vm_info) a discovery takes, and the workloads
file's entries made from what community.vmware's info modules said of
each."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible.errors import AnsibleFilterError


def uch_vmware_select(vms, folder=None, names=None, tags=None):
    """The VMs of vmware_vm_info's list under FOLDER (a folder path such
    as /DC0/vm/prod, itself or below), whose name matches one of the
    regular expressions NAMES (all when none), carrying every tag of
    TAGS (names; needs vmware_vm_info's show_tag).  Sorted by name."""
    pats = []
    for n in names or []:
        try:
            pats.append(re.compile(n))
        except re.error as e:
            raise AnsibleFilterError('uch_discover_names: %r is not a regular '
                                     'expression: %s' % (n, e))
    folder = (folder or '').rstrip('/')
    out = []
    for vm in vms or []:
        f = (vm.get('folder') or '').rstrip('/')
        if folder and f != folder and not f.startswith(folder + '/'):
            continue
        if pats and not any(p.search(vm.get('guest_name') or '') for p in pats):
            continue
        if tags:
            have = set(t.get('name') for t in vm.get('tags') or [])
            if not set(tags) <= have:
                continue
        out.append(vm)
    return sorted(out, key=lambda v: v.get('guest_name') or '')


def _by_item(results, key):
    """A registered loop's results by the moid of their item."""
    out = {}
    for r in (results or {}).get('results', []):
        if r.get('failed'):
            raise AnsibleFilterError('%s: %s' % (r.get('item', {}).get('guest_name'),
                                                 r.get('msg')))
        out[r['item']['moid']] = r.get(key)
    return out


def _snapshots(snaps):
    """vmware_guest_snapshot_info's snapshots (a flat list already)."""
    return [{'name': s.get('name'), 'id': s.get('id'),
             'created': s.get('creation_time'), 'state': s.get('state')}
            for s in snaps or []]


CONTROLLER_PREFIX = (('sata', 'sata'), ('nvme', 'nvme'), ('ide', 'ide'))


def _disk_name(d):
    """scsiB-U (or sataB-U, nvmeB-U, ideB-U): the disk's place, stable
    and a valid wave disk name."""
    ctl = d.get('controller_type') or ''
    prefix = 'scsi'
    for key, p in CONTROLLER_PREFIX:
        if key in ctl.lower():
            prefix = p
    return '%s%s-%s' % (prefix, d.get('controller_bus_number'), d.get('unit_number'))


def uch_vmware_workloads(vms, disks, nics, boots, snaps, wave='wave',
                         vcenter=None):
    """The workloads file of a wave from a discovery: per VM (kind
    vmware) its disks (datastore path, size, controller, mode, sharing,
    backing), NICs (MAC, network, type), firmware, guest OS, power
    state, host and snapshots.  VMS is uch_vmware_select's list; DISKS,
    NICS, BOOTS, SNAPS the registered loops over it of
    vmware_guest_disk_info, vmware_guest_network (gather_network_info),
    vmware_guest_boot_info and vmware_guest_snapshot_info."""
    d_by = _by_item(disks, 'guest_disk_info')
    n_by = _by_item(nics, 'network_info')
    b_by = _by_item(boots, 'vm_boot_info')
    s_by = _by_item(snaps, 'guest_snapshots')
    out = []
    for vm in vms or []:
        moid = vm['moid']
        vdisks = []
        for _, d in sorted((d_by.get(moid) or {}).items(), key=lambda kv: int(kv[0])):
            size = d.get('capacity_in_bytes') or (d.get('capacity_in_kb') or 0) * 1024
            vdisks.append({
                'name': _disk_name(d),
                'size': size,
                'source': {'vmware': {
                    'datastore_path': d.get('backing_filename'),
                    'datastore': d.get('backing_datastore'),
                    'controller': d.get('controller_type'),
                    'bus': d.get('controller_bus_number'),
                    'unit': d.get('unit_number'),
                    'mode': d.get('backing_diskmode') or d.get('backing_disk_mode'),
                    'sharing': d.get('backing_sharing'),
                    'backing': d.get('backing_type'),
                    'thin': d.get('backing_thinprovisioned'),
                }},
            })
        vnics = [{'mac': n.get('mac_address'), 'network': n.get('network_name'),
                  'type': n.get('device_type'), 'connected': n.get('connected')}
                 for n in n_by.get(moid) or []]
        snap = s_by.get(moid) or {}
        boot = b_by.get(moid) or {}
        out.append({
            'name': vm.get('guest_name'),
            'kind': 'vmware',
            'vmware': {
                'moid': moid,
                'uuid': vm.get('uuid'),
                'datacenter': vm.get('datacenter'),
                'folder': vm.get('folder'),
                'cluster': vm.get('cluster'),
                'host': vm.get('esxi_hostname'),
                'power_state': vm.get('power_state'),
                'guest_id': vm.get('guest_fullname'),
                'firmware': boot.get('current_boot_firmware'),
                'secure_boot': boot.get('current_secure_boot_enabled'),
                # no community.vmware module reads
                # config.changeTrackingEnabled with Debian's pyVmomi
                # 6.7.1 (vmware_guest_info needs VmomiJSONEncoder)
                'cbt': None,
                'tags': [t.get('name') for t in vm.get('tags') or []],
                'nics': vnics,
                'snapshots': _snapshots(snap.get('snapshots')),
                'current_snapshot': (snap.get('current_snapshot') or {}).get('name'),
            },
            'disks': vdisks,
        })
    doc = {'wave': wave, 'vms': out}
    if vcenter:
        doc['vcenter'] = vcenter
    return doc


class FilterModule(object):
    def filters(self):
        return dict(uch_vmware_select=uch_vmware_select,
                    uch_vmware_workloads=uch_vmware_workloads)
