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


def _static_ip(g):
    """A NIC's static address as its VMware Tools report it (uch_vmware_vm's
    guest_nics entry G): the first address whose origin is "manual", IPv4
    first, with the prefix, the default route's gateway through the NIC
    and the name servers; None when the guest has none (DHCP, no Tools:
    nothing to keep)."""
    addrs = [a for a in (g or {}).get('addresses') or [] if a.get('origin') == 'manual']
    if not addrs:
        return None
    a = sorted(addrs, key=lambda a: ':' in (a.get('address') or ''))[0]
    ip = {'address': a['address']}
    if a.get('prefix'):
        ip['prefix'] = a['prefix']
    if g.get('gateway'):
        ip['gateway'] = g['gateway']
    if g.get('nameservers'):
        ip['nameservers'] = list(g['nameservers'])
    return ip


def uch_vmware_workloads(vms, disks, nics, boots, snaps, wave='wave',
                         vcenter=None, states=None):
    """The workloads file of a wave from a discovery: per VM (kind
    vmware) its disks (datastore path, size, controller, mode, sharing,
    backing), NICs (MAC, network, type, and the static address its
    guest has there: _static_ip), firmware, guest OS, power
    state, host and snapshots.  VMS is uch_vmware_select's list; DISKS,
    NICS, BOOTS, SNAPS the registered loops over it of
    vmware_guest_disk_info, vmware_guest_network (gather_network_info),
    vmware_guest_boot_info and vmware_guest_snapshot_info; STATES the
    registered loop of uch_vmware_vm (action state): CBT, encryption,
    vTPM and VMware Tools, null where not read."""
    d_by = _by_item(disks, 'guest_disk_info')
    n_by = _by_item(nics, 'network_info')
    b_by = _by_item(boots, 'vm_boot_info')
    s_by = _by_item(snaps, 'guest_snapshots')
    st_by = _by_item(states, 'vm') if states else {}
    out = []
    for vm in vms or []:
        moid = vm['moid']
        vdisks = []
        for _key, d in sorted((d_by.get(moid) or {}).items(), key=lambda kv: int(kv[0])):
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
        guest = dict(((g.get('mac') or '').lower(), g)
                     for g in (st_by.get(moid) or {}).get('guest_nics') or [])
        vnics = []
        for n in n_by.get(moid) or []:
            nic = {'mac': n.get('mac_address'), 'network': n.get('network_name'),
                   'type': n.get('device_type'), 'connected': n.get('connected')}
            ip = _static_ip(guest.get((n.get('mac_address') or '').lower()))
            if ip:
                nic['ip'] = ip
            vnics.append(nic)
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
                # uch_vmware_vm's: no community.vmware module reads
                # config.changeTrackingEnabled with Debian's pyVmomi
                # 6.7.1 (vmware_guest_info needs VmomiJSONEncoder)
                'cbt': (st_by.get(moid) or {}).get('cbt'),
                'encrypted': (st_by.get(moid) or {}).get('encrypted'),
                'vtpm': (st_by.get(moid) or {}).get('vtpm'),
                'tools_running': (st_by.get(moid) or {}).get('tools_running'),
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


# VMware guest ids (prefixes) of the guests virt-v2v converts, and of
# those it does not (too old, or not Linux nor Windows); any other one
# is for virt-v2v's inspection to decide.
V2V_GUESTS = ('rhel', 'centos', 'oraclelinux', 'rockylinux', 'almalinux',
              'sles', 'opensuse', 'debian', 'ubuntu', 'fedora',
              'windows7', 'windows8', 'windows9', 'windows11', 'windows2019',
              'windows2022')
NOT_V2V_GUESTS = ('darwin', 'solaris', 'freebsd', 'netware', 'os2', 'dos',
                  'win31', 'win95', 'win98', 'winme', 'winnt', 'win2000',
                  'winxp', 'winnet', 'winvista', 'winlonghorn', 'vmkernel',
                  'unixware', 'openserver', 'eComStation'.lower())


def _inspect_reasons(job, add):
    """The reasons a UCH inspect job (docs/api.md, "inspect") of the
    VM's disks gives, as source checks: its own reasons when it says the
    guest is not convertible, a warning when it could not run."""
    if not job:
        return
    state = job.get('state')
    if state == 'failed':
        err = job.get('error') or {}
        add('inspect', 'warning', 'UCH inspect could not read the disks (%s): %s'
            % (err.get('code'), err.get('message')))
        return
    if state != 'succeeded':
        add('inspect', 'warning', 'UCH inspect is %s, not done' % state)
        return
    res = job.get('result') or {}
    if res.get('convertible') is False:
        for r in res.get('reasons') or ['not convertible (no reason given)']:
            add('inspect', 'blocked', 'UCH inspect: %s' % r)


def uch_vmware_checks(vm, plan='cold', datastores=None, inspection=None):
    """The source checks of one VM of discover_vmware's file, before
    anything moves: {"verdict": ok|warning|blocked, "reasons": [{check,
    level, message}]}, every reason found.  PLAN cold or warm.
    DATASTORES: vmware_datastore_info's list (name, accessible), to
    check the disks' datastores can be reached.  INSPECTION: a UCH
    inspect job of the VM's disks (as uch_job_info lists it), whose
    verdict joins the others."""
    if plan not in ('cold', 'warm'):
        raise AnsibleFilterError('uch_plan must be cold or warm, not %r' % (plan,))
    vw = vm.get('vmware') or {}
    reasons = []

    def add(check, level, msg):
        reasons.append({'check': check, 'level': level, 'message': msg})

    snaps = vw.get('snapshots') or []
    if snaps:
        add('snapshots', 'warning', '%d snapshot(s) (%s): the copy reads through '
            'every delta disk; delete or consolidate them first'
            % (len(snaps), ', '.join(str(s.get('name')) for s in snaps)))
    if plan == 'warm':
        if vw.get('cbt') is False:
            add('cbt', 'blocked', 'changed block tracking is off: a warm plan '
                'needs it (enable it, then take and remove a snapshot)')
        elif vw.get('cbt') is None:
            add('cbt', 'warning', 'changed block tracking state unknown '
                '(not readable here); a warm plan needs it on')
    if vw.get('encrypted'):
        add('encrypted', 'blocked', 'the VM is encrypted (VM encryption): its '
            'disks read as ciphertext outside vSphere; decrypt it first')
    if vw.get('vtpm'):
        add('vtpm', 'warning', 'the VM has a vTPM: its secrets (BitLocker or '
            'LUKS keys sealed to it) do not move; suspend them or keep '
            'recovery keys at hand')
    if plan == 'warm' and vw.get('power_state') == 'poweredOn' and \
            vw.get('tools_running') is False:
        add('tools', 'warning', 'VMware Tools are not running: the cutover '
            'cannot shut the guest down through them (a hard power-off '
            'only if the plan says so)')
    if plan == 'cold' and vw.get('power_state') == 'poweredOn':
        add('power', 'blocked', 'powered on: a cold plan converts a VM that '
            'is shut down (virt-v2v refuses a running one)')
    for d in vm.get('disks') or []:
        src = (d.get('source') or {}).get('vmware') or {}
        name = d.get('name')
        backing = src.get('backing') or ''
        if backing.startswith('RawDiskMapping'):
            add('rdm', 'blocked', 'disk %s is a raw device mapping (RDM): '
                'copy the LUN another way or migrate it to a virtual disk' % name)
        mode = src.get('mode') or ''
        if mode.startswith('independent'):
            add('independent', 'blocked' if plan == 'warm' else 'warning',
                'disk %s is independent (%s): snapshots and CBT leave it out%s'
                % (name, mode, '' if plan == 'warm' else
                   '; a cold copy reads it as it is'))
        if src.get('sharing') == 'sharingMultiWriter':
            add('shared', 'blocked', 'disk %s is shared (multi-writer): '
                'another VM may write it during the copy' % name)
        if datastores is not None:
            ds = [x for x in datastores if x.get('name') == src.get('datastore')]
            if not ds:
                add('datastore', 'blocked', 'disk %s: datastore %s not found'
                    % (name, src.get('datastore')))
            elif not ds[0].get('accessible', True):
                add('datastore', 'blocked', 'disk %s: datastore %s is not '
                    'accessible' % (name, src.get('datastore')))
    guest = (vw.get('guest_id') or '').lower()
    if guest.startswith(NOT_V2V_GUESTS):
        add('guest_os', 'blocked', 'guest OS %s: virt-v2v does not convert it'
            % vw.get('guest_id'))
    elif not guest.startswith(V2V_GUESTS):
        add('guest_os', 'warning', 'guest OS %s: not one virt-v2v is known to '
            'convert; its inspection decides' % (vw.get('guest_id') or 'unknown'))
    if vw.get('firmware') == 'efi' and vw.get('secure_boot'):
        add('firmware', 'warning', 'UEFI with Secure Boot: the destination '
            'needs Secure Boot firmware (OVMF) too')
    if not vm.get('disks'):
        add('disks', 'blocked', 'no disks')
    _inspect_reasons(inspection, add)
    levels = set(r['level'] for r in reasons)
    verdict = 'blocked' if 'blocked' in levels else 'warning' if levels else 'ok'
    return {'verdict': verdict, 'reasons': reasons}


def uch_vmware_with_checks(doc, plan='cold', datastores=None, inspections=None):
    """discover_vmware's file with each VM's source checks ("checks");
    INSPECTIONS: UCH inspect jobs of the VMs' disks by VM name."""
    out = dict(doc)
    out['plan'] = plan
    out['vms'] = [dict(vm, checks=uch_vmware_checks(vm, plan, datastores,
                                                    (inspections or {}).get(vm.get('name'))))
                  for vm in doc.get('vms') or []]
    return out


def uch_vmware_inspect_copy(disk, vm, vcenter, user, password_file, path, sslverify=True):
    """A copy job's disk that brings one disk of a discovered VM (DISK of
    VM, discover_vmware's entry; VCENTER {hostname, port}) to PATH on the
    appliance that inspects it: its flat extent over the vCenter's HTTPS
    /folder (nbdkit-curl, the session cookie), since UCH's inspect reads
    a path, NBD or a volume, not an nbdkit source."""
    from ansible_collections.uch.appliance.plugins.module_utils.uch_vmware import (
        CbtError, folder_url)
    src = ((disk.get('source') or {}).get('vmware') or {})
    try:
        url = folder_url(vcenter['hostname'], int(vcenter.get('port') or 443),
                         (vm.get('vmware') or {}).get('datacenter') or '',
                         src.get('datastore_path') or '')
    except CbtError as e:
        raise AnsibleFilterError('%s disk %s: %s' % (vm.get('name'), disk.get('name'), e))
    return {'source': {'nbdkit': {'plugin': 'curl', 'url': url, 'user': user,
                                  'password_file': password_file,
                                  'sslverify': bool(sslverify)}},
            'destination': {'path': path}}


def uch_vmware_inspect_disks(paths):
    """An inspect request's disks reading PATHS, in order."""
    return [{'source': {'path': p}} for p in paths or []]


def uch_vmware_sync_disk(pair, user, password_file, sslverify=True):
    """A sync job's disk from (a disk of uch_vmware_vm's answer, its
    entry in uch_vm.disks): the source is the disk's flat extent over the
    vCenter's HTTPS /folder (nbdkit-curl logs in with USER and the
    password in PASSWORD_FILE, on the appliance, and reads with the
    session cookie), the destination the entry's."""
    disk, want = pair
    if not disk.get('url'):
        raise AnsibleFilterError('disk %s (%s) has no datastore file to read over /folder'
                                 % (disk.get('key'), disk.get('label')))
    return {'source': {'nbdkit': {'plugin': 'curl', 'url': disk['url'], 'user': user,
                                  'password_file': password_file,
                                  'sslverify': bool(sslverify)}},
            'destination': want['destination']}


def uch_vmware_pass_disk(disk):
    """A sync pass's disk from a disk of uch_vmware_vm's changes answer:
    its changed areas and the snapshot's changeId as the marker."""
    if disk.get('extents') is None or not disk.get('change_id'):
        raise AnsibleFilterError('disk %s: no changed areas or changeId read' % disk.get('key'))
    return {'changed_extents': disk['extents'], 'change_id': disk['change_id']}


class FilterModule(object):
    def filters(self):
        return dict(uch_vmware_select=uch_vmware_select,
                    uch_vmware_workloads=uch_vmware_workloads,
                    uch_vmware_checks=uch_vmware_checks,
                    uch_vmware_with_checks=uch_vmware_with_checks,
                    uch_vmware_sync_disk=uch_vmware_sync_disk,
                    uch_vmware_inspect_copy=uch_vmware_inspect_copy,
                    uch_vmware_inspect_disks=uch_vmware_inspect_disks,
                    uch_vmware_pass_disk=uch_vmware_pass_disk)
