#!/usr/bin/python
# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright: UCH project
# GNU General Public License v2.0 or later, so v3.0 or later too (see COPYING)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: uch_vmware_vm
short_description: A vSphere VM's CBT, encryption and vTPM state, what changed between snapshots, snapshots removed, power off
version_added: "0.1.0"
description:
  - Reads with pyVmomi's property collector what community.vmware's
    modules cannot give under Debian's pyVmomi 6.7.1 (vmware_guest_info
    fails there) - change tracking, encryption, a vTPM, VMware Tools.
  - C(action=state) reads the VM; C(action=enable_cbt) turns change
    tracking on (ReconfigVM_Task, C(changed) only when it was off).
  - C(action=changes) reads the disks of the snapshot I(snapshot) of the VM -
    each disk's changeId and, for each disk named in I(since), the areas
    changed since that changeId (QueryChangedDiskAreas, asked again
    until the whole disk is covered), as a UCH sync pass's
    C(changed_extents).
  - C(action=remove_snapshots) removes the VM's snapshot named
    I(snapshot), or every one whose name starts with I(snapshot_prefix)
    (their children are kept; none there is no change), and
    returns their names in C(removed). community.vmware's
    vmware_guest_snapshot cannot remove one from the tests' vCenter
    under pyVmomi 6.7.1 (it reads the task's entity, which vcsim sets to
    the snapshot, not the VM).
  - C(action=pass) is a warm migration pass's whole vCenter part in one
    session (one login) - change tracking turned on with I(enable_cbt)
    (off and not asked to fails before anything is made), the VM
    powered off with I(power_off) (as C(action=power_off)), the
    snapshots named I(snapshot_prefix)... removed (the previous pass's),
    the snapshot I(snapshot) taken (no memory, not quiesced), then its
    disks and changes read as C(action=changes) does.  The snapshot
    stays for the pass to read the disks still; the next pass, or a
    C(remove_snapshots), removes it.
  - C(action=power_off) shuts the guest down through VMware Tools
    (ShutdownGuest) and waits up to I(timeout) seconds for the VM to be
    off; with I(hard) it powers the VM off (PowerOffVM_Task) instead.
    A guest whose Tools are not running fails, naming I(hard) - a hard
    power-off is for the plan to ask for, never a fallback.
    (community.vmware's vmware_guest_powerstate fails under pyVmomi
    6.7.1.)
  - Finds the VM by I(name) (unique in the inventory) or I(uuid) (BIOS
    uuid).
author: UCH project (!UNKNOWN)
options:
  hostname:
    description: The vCenter (or ESXi host).
    type: str
    required: true
  port:
    description: Its HTTPS port.
    type: int
    default: 443
  username:
    description: The user to log in as.
    type: str
    required: true
  password:
    description: The user's password.
    type: str
    required: true
  validate_certs:
    description: Check the server's TLS certificate.
    type: bool
    default: true
  name:
    description: The VM's name; one of I(name) and I(uuid) is required.
    type: str
  uuid:
    description: The VM's BIOS uuid.
    type: str
  action:
    description: C(state), C(enable_cbt), C(changes), C(remove_snapshots),
      C(power_off) or C(pass).
    type: str
    choices: [state, enable_cbt, changes, remove_snapshots, power_off, pass]
    default: state
  snapshot:
    description: With C(action=changes), the name of the VM's snapshot
      to read (unique among its snapshots); with
      C(action=remove_snapshots), the one to remove; with C(action=pass),
      the one to take.
    type: str
  description:
    description: With C(action=pass), the snapshot's description.
    type: str
    default: ''
  enable_cbt:
    description: With C(action=pass), turn change tracking on if it is
      off; without it a VM whose change tracking is off fails.
    type: bool
    default: false
  power_off:
    description: With C(action=pass), power the VM off (I(hard),
      I(timeout)) before the snapshot - the cutover pass.
    type: bool
    default: false
  since:
    description:
      - With C(action=changes), per disk device key (as a string) the
        changeId to read the changes since; C(*) for every area in use.
        A disk not named gets no C(extents).
    type: dict
    default: {}
  snapshot_prefix:
    description: With C(action=remove_snapshots) or C(action=pass), the
      prefix of the names of the snapshots to remove (at least 3
      characters); C(action=pass) never removes the one it takes.
    type: str
  hard:
    description: With C(action=power_off) or I(power_off), power off
      rather than shut the guest down.
    type: bool
    default: false
  timeout:
    description: With C(action=power_off) or I(power_off), seconds to
      wait for the VM to be off.
    type: int
    default: 600
notes:
  - Check mode is supported; C(enable_cbt), C(remove_snapshots) and
    C(power_off) then only say whether they would change; C(pass) says
    it would change and makes nothing.
requirements:
  - pyVmomi (Debian's python3-pyvmomi)
'''

EXAMPLES = r'''
- name: What web01's snapshot uch-1 changed since the last pass
  uch.appliance.uch_vmware_vm:
    hostname: vc.example.com
    username: administrator@vsphere.local
    password: "{{ vc_password }}"
    name: web01
    action: changes
    snapshot: uch-1
    since: {"2000": "52 de c0 d9 08 0f 6e 11-8c 71 6e 34 33 20 1b 6a/4"}

- name: A warm pass in one login - uch-1 removed, uch-2 taken, its changes
  uch.appliance.uch_vmware_vm:
    hostname: vc.example.com
    username: administrator@vsphere.local
    password: "{{ vc_password }}"
    name: web01
    action: pass
    snapshot_prefix: uch-
    snapshot: uch-2
    since: {"2000": "52 de c0 d9 08 0f 6e 11-8c 71 6e 34 33 20 1b 6a/4"}
'''

RETURN = r'''
vm:
  description: The VM as read - C(name), C(uuid), C(moid), C(power_state),
    C(cbt) (change tracking on), C(encrypted) (a crypto key), C(vtpm),
    C(tools_running), C(datacenter), C(snapshots) (names), and
    C(guest_nics), per NIC of the guest as its VMware Tools report it
    (none when they do not run) C(mac), C(addresses) (C(address),
    C(prefix), C(origin) - C(manual) for a static one, C(dhcp), ...),
    C(gateway) (the default route's, when through this NIC) and
    C(nameservers).
  returned: always
  type: dict
disks:
  description: Per disk of the snapshot (C(action=changes)) or of the VM,
    C(key), C(label), C(file) (C([DS] dir/disk.vmdk)), C(capacity) (bytes),
    C(change_id), C(url) (its flat extent over HTTPS /folder) and, when
    asked through I(since), C(extents) (C([[OFFSET, LENGTH], ...])),
    C(changed_bytes) and C(answers) (QueryChangedDiskAreas calls).
  returned: always
  type: list
  elements: dict
how:
  description: With C(action=power_off) or I(power_off), C(guest) or
    C(hard), when it powered the VM off.
  returned: with C(action=power_off) or I(power_off) when changed
  type: str
removed:
  description: The names of the snapshots removed.
  returned: with C(action=remove_snapshots) or C(action=pass)
  type: list
  elements: str
'''

import ssl
import time

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.uch.appliance.plugins.module_utils.uch_vmware import (
    CbtError, cbt_extents, extents_bytes, folder_url)

try:
    from pyVim.connect import SmartConnect, Disconnect
    from pyVim.task import WaitForTask
    from pyVmomi import vim, vmodl
    HAS_PYVMOMI = True
except ImportError:
    HAS_PYVMOMI = False


def find_vm(content, name, uuid):
    if uuid:
        vm = content.searchIndex.FindByUuid(None, uuid, True, False)
        return [vm] if vm else []
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
    try:
        return [v for v in view.view if v.name == name]
    finally:
        view.Destroy()


def walk_snapshots(tree):
    for s in tree or []:
        yield s
        for c in walk_snapshots(s.childSnapshotList):
            yield c


def datacenter_of(entity):
    e = entity
    while e is not None and not isinstance(e, vim.Datacenter):
        e = e.parent
    return e.name if e is not None else None


def guest_nics(guest):
    """The guest's NICs as VMware Tools report them (guest.net, and
    guest.ipStack's default routes and name servers)."""
    if not guest or guest.toolsRunningStatus != 'guestToolsRunning':
        return []
    gateways, stack_dns = {}, []
    for st in guest.ipStack or []:
        if st.dnsConfig:
            stack_dns += list(st.dnsConfig.ipAddress or [])
        for r in (st.ipRouteConfig.ipRoute if st.ipRouteConfig else None) or []:
            if r.prefixLength == 0 and r.gateway and r.gateway.ipAddress:
                gateways.setdefault(r.gateway.device or '0', r.gateway.ipAddress)
    out = []
    for i, n in enumerate(guest.net or []):
        addrs = [{'address': a.ipAddress, 'prefix': a.prefixLength, 'origin': a.origin}
                 for a in (n.ipConfig.ipAddress if n.ipConfig else None) or []]
        dns = list(n.dnsConfig.ipAddress or []) if n.dnsConfig else []
        out.append({'mac': n.macAddress, 'addresses': addrs,
                    'gateway': gateways.get(str(i)),
                    'nameservers': dns or stack_dns})
    return out


def disks_of(devices, p, datacenter):
    out = []
    for d in devices or []:
        if not isinstance(d, vim.vm.device.VirtualDisk):
            continue
        b = d.backing
        fname = getattr(b, 'fileName', None)
        out.append({
            'key': d.key,
            'label': d.deviceInfo.label if d.deviceInfo else None,
            'file': fname,
            'capacity': d.capacityInBytes or (d.capacityInKB or 0) * 1024,
            'change_id': getattr(b, 'changeId', None) or None,
            'url': folder_url(p['hostname'], p['port'], datacenter, fname)
            if fname and datacenter else None,
        })
    return out


def main():
    module = AnsibleModule(
        argument_spec=dict(
            hostname=dict(type='str', required=True),
            port=dict(type='int', default=443),
            username=dict(type='str', required=True),
            password=dict(type='str', required=True, no_log=True),
            validate_certs=dict(type='bool', default=True),
            name=dict(type='str'),
            uuid=dict(type='str'),
            action=dict(type='str', default='state',
                        choices=['state', 'enable_cbt', 'changes', 'remove_snapshots',
                                 'power_off', 'pass']),
            description=dict(type='str', default=''),
            enable_cbt=dict(type='bool', default=False),
            power_off=dict(type='bool', default=False),
            hard=dict(type='bool', default=False),
            timeout=dict(type='int', default=600),
            snapshot_prefix=dict(type='str'),
            snapshot=dict(type='str'),
            since=dict(type='dict', default={}),
        ),
        required_one_of=[('name', 'uuid')],
        mutually_exclusive=[('name', 'uuid')],
        required_if=[('action', 'changes', ('snapshot',)),
                     ('action', 'pass', ('snapshot',)),
                     ('action', 'remove_snapshots', ('snapshot', 'snapshot_prefix'), True)],
        supports_check_mode=True,
    )
    if not HAS_PYVMOMI:
        module.fail_json(msg=missing_required_lib('pyVmomi'))
    p = module.params
    ctx = None if p['validate_certs'] else ssl._create_unverified_context()
    try:
        si = SmartConnect(host=p['hostname'], port=p['port'], user=p['username'],
                          pwd=p['password'], sslContext=ctx)
    except vim.fault.InvalidLogin:
        module.fail_json(msg='cannot log in to %s as %s: wrong user or password'
                         % (p['hostname'], p['username']))
    except Exception as e:  # pylint: disable=broad-except
        module.fail_json(msg='cannot connect to %s:%d: %s' % (p['hostname'], p['port'], e))
    try:
        run(module, si.RetrieveContent(), p)
    finally:
        Disconnect(si)


def run(module, content, p):
    who = p['name'] or p['uuid']
    vms = find_vm(content, p['name'], p['uuid'])
    if len(vms) != 1:
        module.fail_json(msg='%s: %s' % (who, 'no such VM' if not vms
                                         else '%d VMs have that name: give uuid' % len(vms)))
    vm = vms[0]
    cfg = vm.config
    devices = cfg.hardware.device if cfg else []
    datacenter = datacenter_of(vm)
    snaps = list(walk_snapshots(vm.snapshot.rootSnapshotList if vm.snapshot else []))
    info = {
        'name': vm.name,
        'uuid': cfg.uuid if cfg else None,
        'moid': vm._moId,
        'power_state': str(vm.runtime.powerState),
        'cbt': bool(cfg and cfg.changeTrackingEnabled),
        'encrypted': bool(cfg and getattr(cfg, 'keyId', None)),
        'vtpm': any(isinstance(d, vim.vm.device.VirtualTPM) for d in devices or []),
        'tools_running': bool(vm.guest and vm.guest.toolsRunningStatus == 'guestToolsRunning'),
        'datacenter': datacenter,
        'snapshots': [s.name for s in snaps],
        'guest_nics': guest_nics(vm.guest),
    }
    out = {'changed': False, 'vm': info}
    if p['action'] == 'state':
        out['disks'] = disks_of(devices, p, datacenter)
        module.exit_json(**out)
    if p['action'] == 'power_off':
        power_off(module, vm, p, out)
        module.exit_json(**out)
    if p['action'] == 'enable_cbt':
        if not info['cbt']:
            out['changed'] = True
            if not module.check_mode:
                enable_cbt(module, vm, who, info)
        out['disks'] = disks_of(devices, p, datacenter)
        module.exit_json(**out)

    prefix = p['snapshot_prefix']
    if prefix is not None and len(prefix) < 3:
        module.fail_json(msg='snapshot_prefix: %r is shorter than 3 characters' % prefix)
    if p['action'] == 'remove_snapshots':
        remove_snapshots(module, who, snaps, out,
                         lambda n: n == p['snapshot'] or bool(prefix and n.startswith(prefix)))
        module.exit_json(**out)

    if p['action'] == 'pass':
        if module.check_mode:
            out['changed'] = True
            module.exit_json(**out)
        if not info['cbt']:
            if not p['enable_cbt']:
                module.fail_json(msg='%s: change tracking (CBT) is off: a warm migration reads what '
                                 'changed from it; turn it on (enable_cbt, uch_vmware_enable_cbt: '
                                 'true) or migrate cold' % who, vm=info)
            enable_cbt(module, vm, who, info)
            out['cbt_enabled'] = True
        if p['power_off']:
            power_off(module, vm, p, out)
        # the previous pass's snapshot (and a half-made one of this
        # name, from a pass that failed) go before this one is taken
        remove_snapshots(module, who, snaps, out,
                         lambda n: n == p['snapshot'] or bool(prefix and n.startswith(prefix)))
        task = vm.CreateSnapshot_Task(name=p['snapshot'], description=p['description'],
                                      memory=False, quiesce=False)
        wait_task(module, task, '%s: taking snapshot %s' % (who, p['snapshot']))
        out['changed'] = True
        snap = task.info.result or vm.snapshot.currentSnapshot
        info['snapshots'] = [s.name for s in walk_snapshots(vm.snapshot.rootSnapshotList)]
    else:
        named = [s for s in snaps if s.name == p['snapshot']]
        if len(named) != 1:
            module.fail_json(msg='%s: %s snapshot named %s' % (
                who, 'no' if not named else '%d, not one,' % len(named), p['snapshot']), vm=info)
        snap = named[0].snapshot
    out['disks'] = changes(module, vm, snap, p, datacenter, info)
    module.exit_json(**out)


def enable_cbt(module, vm, who, info):
    task = vm.ReconfigVM_Task(vim.vm.ConfigSpec(changeTrackingEnabled=True))
    wait_task(module, task, '%s: enabling change tracking' % who)
    info['cbt'] = True


def remove_snapshots(module, who, snaps, out, wanted):
    out.setdefault('removed', [])
    for s in snaps:
        if wanted(s.name):
            out['changed'] = True
            out['removed'].append(s.name)
            if not module.check_mode:
                wait_task(module, s.snapshot.RemoveSnapshot_Task(removeChildren=False),
                          '%s: removing snapshot %s' % (who, s.name))


def changes(module, vm, snap, p, datacenter, info):
    """The disks of the snapshot SNAP, with the areas changed since the
    changeIds of p['since']."""
    who = p['name'] or p['uuid']
    disks = disks_of(snap.config.hardware.device, p, datacenter)
    keys = set(str(d['key']) for d in disks)
    for k in p['since']:
        if k not in keys:
            module.fail_json(msg='since: %s has no disk with device key %s (its disks: %s)'
                             % (who, k, ', '.join(sorted(keys))), vm=info)
    for d in disks:
        since = p['since'].get(str(d['key']))
        if since is None:
            continue
        if not d['change_id']:
            module.fail_json(msg='%s: disk %s of snapshot %s has no changeId: change tracking '
                             'was off when it was taken' % (who, d['key'], p['snapshot']), vm=info)

        def query(offset, d=d, since=since):
            return vm.QueryChangedDiskAreas(snapshot=snap, deviceKey=d['key'],
                                            startOffset=offset, changeId=str(since))
        try:
            d['extents'], d['answers'] = cbt_extents(query, d['capacity'])
        except CbtError as e:
            module.fail_json(msg='%s: disk %s: QueryChangedDiskAreas: %s' % (who, d['key'], e), vm=info)
        except vmodl.MethodFault as e:
            module.fail_json(msg='%s: disk %s: QueryChangedDiskAreas since %s: %s'
                             % (who, d['key'], since, e.msg or e.__class__.__name__), vm=info)
        d['changed_bytes'] = extents_bytes(d['extents'])
        d['since'] = since
    return disks


def power_off(module, vm, p, out):
    """Powers VM off as p says (hard or through the guest), noting it in
    OUT; returns when it is off."""
    who = p['name'] or p['uuid']
    info = out['vm']
    if info['power_state'] == 'poweredOff':
        return
    out['changed'] = True
    if module.check_mode:
        return
    if p['hard']:
        wait_task(module, vm.PowerOffVM_Task(), '%s: powering off' % who)
        out['how'] = 'hard'
    else:
        if not info['tools_running']:
            module.fail_json(msg='%s: VMware Tools are not running in the guest, so it cannot be '
                             'shut down through them; power it off yourself, or set hard (the '
                             "plan's hard power-off) to power it off" % who, vm=info)
        try:
            vm.ShutdownGuest()
        except vmodl.MethodFault as e:
            module.fail_json(msg='%s: ShutdownGuest: %s' % (who, e.msg or e.__class__.__name__), vm=info)
        deadline = time.time() + p['timeout']
        while str(vm.runtime.powerState) != 'poweredOff':
            if time.time() > deadline:
                module.fail_json(msg='%s: the guest was asked to shut down and is still %s after %d s'
                                 % (who, vm.runtime.powerState, p['timeout']), vm=info)
            time.sleep(1)
        out['how'] = 'guest'
    info['power_state'] = 'poweredOff'


def wait_task(module, task, what):
    try:
        WaitForTask(task)
    except vmodl.MethodFault as e:
        module.fail_json(msg='%s: %s' % (what, e.msg or e.__class__.__name__))


if __name__ == '__main__':
    main()
