#!/usr/bin/python
# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright: UCH project
# GNU General Public License v2.0 or later, so v3.0 or later too (see COPYING)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: uch_os_preflight
short_description: Check a destination OpenStack project before a wave moves anything (over Debian 12's openstacksdk)
version_added: "0.1.0"
description:
  - What a wave of I(vms) (a workloads file's, C(uch_cloud=openstack))
    will create in the destination project of I(cloud), checked before
    the first VM moves; every problem is found and the task fails
    listing them all, each as C(VM), C(field) and the reason.
  - B(Quotas), for the whole wave at once, C(instances), C(cores) and
    C(ram) (from the destination flavors), C(volumes), C(gigabytes)
    (each disk's C(size) rounded up to GiB, as the wave creates them),
    C(ports) (one per NIC of a VM's C(openstack.ports), else one per VM
    with a network) - against what is left in the
    project (its limit less what is in use; C(-1) is no limit).
  - B(Names already there) - a server in the project with the name the
    new server gets (C(openstack.new_name), else the VM's name) that is
    not the wave's own (booted from the wave's volume
    C(WAVE-VM-DISK)), and a volume of the wave's name
    C(WAVE-VM-DISK) of another size than the disk's. What the wave
    itself made on an earlier run is not counted again (a rerun
    passes).
  - B(The flavor) of each VM (C(openstack.flavor)) - I(flavor_map)'s
    entry for it, which must be visible in the destination project;
    else (no entry, or one mapping it to itself, as uch_os_discover
    writes them) a flavor of the same name there; else the smallest flavor there
    with at least the VM's C(openstack.flavor_details) (C(vcpus), C(ram)
    in MiB, C(disk) in GiB; the fewest vCPUs, then the least RAM, then
    the least disk), as the wave's C(uch_os_server) chooses it. None
    fitting is a problem of C(openstack.flavor) naming what the VM
    needs.
  - B(The key pair) of each VM (C(openstack.key_name)), which the new
    server gets - the destination's user must have one of the name (key
    pairs are a user's), unless I(keep_key_name) is false.
  - B(The maps) - the network of each VM (C(openstack.network)) through
    I(network_map), and each disk's volume type
    (C(disks[I].openstack.volume_type)) through I(storage_map); a map
    that is given must have an entry for each, and the network, volume
    type and availability zone it leads to must be visible in the
    destination project. Without a network map the VM's own names are
    the destination's; without a storage map the new volumes get the
    destination's default type and zone.  With
    I(keep_nics), the same for the network of each NIC of
    C(openstack.ports) (C(openstack.ports[I].network)), and the subnets
    of its fixed IPs that I(subnet_map) maps must be on that network;
    a port of the wave's name (C(WAVE-VM-nicI)) already there with
    another MAC is a problem (the wave's own, from an earlier run, is
    not).
  - Also each VM's fields the wave needs with C(uch_cloud=openstack) -
    disks with C(size) and C(source.volume) (or C(source.snapshot), the
    root disk of a server booted from an image), C(openstack.flavor) -
    and two VMs of one destination server name.
  - With I(source_cloud), B(the source project) too - each VM's server
    there (C(openstack.server), else the VM's name), and Cinder's quota
    for the volumes the wave makes there for the whole wave
    (C(source.quota.volumes), C(source.quota.gigabytes)) - the clone of
    the volume a server boots from (C(WAVE-VM-DISK-src), Nova does not
    detach a root volume), and for a server booted from an image the
    temporary volume made from its snapshot (C(WAVE-VM-DISK-src) too, of
    the disk's C(size)); a disk C(source.snapshot) of a server that
    boots from a volume is a problem.
  - VMs the wave does not move (a C(blocked) verdict under C(checks), a
    C(kind) other than C(volume)) are left out.
  - Reads only; runs on the controller (C(delegate_to) localhost).
author: UCH project (!UNKNOWN)
options:
  vms:
    description: The wave's VMs, as in the workloads file.
    type: list
    elements: dict
    required: true
  wave:
    description: The wave's name (the first part of the volumes' names).
    type: str
    required: true
  flavor_map:
    description: Source flavor name to destination flavor name or id.
    type: dict
    default: {}
  network_map:
    description: Source network name to destination network name or id.
    type: dict
    default: {}
  storage_map:
    description: Source volume type to the new volume's, a destination
      volume type's name or a mapping of C(volume_type) and/or
      C(availability_zone) (Cinder's).
    type: dict
    default: {}
  keep_key_name:
    description: The wave gives each new server the source's key pair
      (the volume_migration role's C(uch_os_keep_key_name)); false, no
      key pair, and none is checked.
    type: bool
    default: true
  subnet_map:
    description: Source subnet name to destination subnet name or id,
      for the NICs' fixed IPs.
    type: dict
    default: {}
  keep_nics:
    description: The wave gives each new server a port per NIC of the
      VM's C(openstack.ports) (the volume_migration role's
      C(uch_os_keep_nics)); false, one port on C(openstack.network).
    type: bool
    default: true
  source_cloud:
    description: The source project's C(clouds.yaml) entry (the same
      I(region_name)); its servers and quota are checked too when given.
    type: str
  fail:
    description: Fail the task when a problem is found (else only return
      them).
    type: bool
    default: true
extends_documentation_fragment:
  - uch.appliance.openstack
'''

EXAMPLES = r'''
- name: Pre-flight of the destination project
  uch.appliance.uch_os_preflight:
    cloud: destination
    wave: wave1
    vms: "{{ (lookup('file', 'wave1.yml') | from_yaml).vms }}"
    flavor_map: {m1.small: d1.small}
  delegate_to: localhost
'''

RETURN = r'''
problems:
  description: Every problem found, each C(vm) (null for the wave's
    quotas), C(field) (C(quota.instances), C(name), C(openstack.flavor),
    C(openstack.key_name), C(disks[1].size),
    C(disks[0].openstack.volume_type)...), C(message).
  returned: always
  type: list
  elements: dict
needed:
  description: What the wave still has to create, by quota
    (C(instances), C(cores), C(ram) in MiB, C(volumes), C(gigabytes),
    C(ports)).
  returned: always
  type: dict
quotas:
  description: Per quota of I(needed), the project's C(limit), C(in_use)
    and C(left) (null when there is no limit).
  returned: always
  type: dict
source_needed:
  description: With I(source_cloud), what the wave makes in the source
    project (C(volumes), C(gigabytes)) and C(source_quotas) its quotas.
  returned: with source_cloud
  type: dict
vms:
  description: Per VM checked, its C(name), C(server) (the new server's
    name), C(flavor) and C(network) (the destination's, after the maps;
    C(flavor_fitted) true when the flavor is the smallest that fits;
    with NICs kept, the first's) and C(networks) (each NIC's, in order).
  returned: always
  type: list
  elements: dict
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.uch.appliance.plugins.module_utils.uch_openstack import (
    OsModule, os_argument_spec, root_volume)
from ansible_collections.uch.appliance.plugins.module_utils.uch_os_match import (
    fit_needs, fit_text, flavor_fit, storage_for)

GiB = 1073741824


def _limit(value, used):
    value = int(value) if value is not None else -1
    used = int(used or 0)
    return dict(limit=value, in_use=used, left=None if value < 0 else max(value - used, 0))


def volume_quotas(osm, c, what):
    """Cinder's limits and use of the project of connection C."""
    try:
        a = c.block_storage.get('/limits').json()['limits']['absolute']
    except Exception as e:
        osm.fail('%s project %s: Cinder\'s limits' % (what, c.current_project_id), e)
    return dict(volumes=_limit(a.get('maxTotalVolumes'), a.get('totalVolumesUsed')),
                gigabytes=_limit(a.get('maxTotalVolumeGigabytes'), a.get('totalGigabytesUsed')))


def quotas(osm):
    """The project's limits and use: Nova's and Cinder's /limits (any
    member may read them), Neutron's quota details."""
    c = osm.conn
    pid = c.current_project_id
    q = {}
    try:
        a = c.compute.get('/limits').json()['limits']['absolute']
        q['instances'] = _limit(a.get('maxTotalInstances'), a.get('totalInstancesUsed'))
        q['cores'] = _limit(a.get('maxTotalCores'), a.get('totalCoresUsed'))
        q['ram'] = _limit(a.get('maxTotalRAMSize'), a.get('totalRAMUsed'))
    except Exception as e:
        osm.fail('project %s: Nova\'s limits' % pid, e)
    q.update(volume_quotas(osm, c, 'destination'))
    try:
        d = c.network.get_quota(pid, details=True)
        ports = d.ports if isinstance(d.ports, dict) else {}
        q['ports'] = _limit(ports.get('limit'), ports.get('used'))
    except Exception:
        # a policy that shows the limit but not the details: the ports
        # counted
        try:
            q['ports'] = _limit(c.network.get_quota(pid).ports,
                                len(list(c.network.ports(project_id=pid))))
        except Exception as e:
            osm.fail('project %s: Neutron\'s quota' % pid, e)
    return q


def main():
    spec = os_argument_spec(
        vms=dict(type='list', elements='dict', required=True),
        wave=dict(type='str', required=True),
        flavor_map=dict(type='dict', default={}),
        network_map=dict(type='dict', default={}),
        subnet_map=dict(type='dict', default={}),
        keep_nics=dict(type='bool', default=True),
        storage_map=dict(type='dict', default={}),
        keep_key_name=dict(type='bool', default=True),
        source_cloud=dict(type='str'),
        fail=dict(type='bool', default=True),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    p = module.params
    osm = OsModule(module)
    c = osm.conn
    pid = c.current_project_id
    problems = []
    src = None
    if p['source_cloud']:
        import openstack
        kw = dict(cloud=p['source_cloud'])
        if p['region_name']:
            kw['region_name'] = p['region_name']
        try:
            src = openstack.connect(**kw)
            src_volumes = dict((v.id, v) for v in src.block_storage.volumes(details=True))
        except Exception as e:
            osm.fail('source cloud %s' % p['source_cloud'], e)
    src_need = dict(volumes=0, gigabytes=0)

    def problem(vm, field, message):
        problems.append(dict(vm=vm, field=field, message=message))

    try:
        servers = dict()
        for s in c.compute.servers():
            servers.setdefault(s.name, []).append(s)
        volumes = dict()
        for v in c.block_storage.volumes(details=True):
            volumes.setdefault(v.name, []).append(v)
    except Exception as e:
        osm.fail('project %s: listing its servers and volumes' % pid, e)
    found = {}

    def find(kind, finder, name):
        """The destination's KIND NAME (FINDER: openstacksdk's find_*),
        or None; looked up once for the whole wave."""
        if (kind, name) not in found:
            try:
                found[(kind, name)] = finder(name, ignore_missing=True)
            except Exception as e:
                osm.fail('%s %s: look-up' % (kind, name), e)
        return found[(kind, name)]

    def listed(kind, lister):
        """The destination's KINDs (LISTER: openstacksdk's), listed once."""
        if (kind, None) not in found:
            try:
                found[(kind, None)] = list(lister())
            except Exception as e:
                osm.fail('project %s: listing its %s' % (pid, kind), e)
        return found[(kind, None)]

    def mapped(kind, vm, value, the_map, field=None):
        """The destination's name for VALUE, or None after a problem
        (of FIELD, by default openstack.KIND)."""
        if not the_map:
            return value
        if value not in the_map:
            problem(vm, field or 'openstack.' + kind, '%s %s is not in the %s map (%s)' % (
                kind, value, kind, ', '.join(sorted(str(k) for k in the_map)) or 'empty'))
            return None
        return the_map[value]

    need = dict(instances=0, cores=0, ram=0, volumes=0, gigabytes=0, ports=0)
    checked, new_names = [], {}
    for vm in p['vms']:
        if not isinstance(vm, dict):
            problem(None, 'vms', 'each VM must be a mapping, not %r' % (vm,))
            continue
        name = vm.get('name')
        if (vm.get('checks') or {}).get('verdict') == 'blocked' or vm.get('kind', 'volume') != 'volume':
            continue
        osv = vm.get('openstack') or {}
        if not isinstance(osv, dict):
            problem(name, 'openstack', 'must be a mapping (server, flavor, network)')
            continue
        disks = vm.get('disks') or []
        if not isinstance(disks, list) or not disks:
            problem(name, 'disks', 'none: the wave moves a VM\'s volumes')
            disks = []
        sizes = []
        for i, d in enumerate(disks):
            d = d if isinstance(d, dict) else {}
            if not (d.get('source') or {}).get('volume') and not (d.get('source') or {}).get('snapshot'):
                problem(name, 'disks[%d].source.volume' % i, 'required with uch_cloud=openstack (the source volume\'s id; '
                        'or source.snapshot: true for the root disk of a server booted from an image)')
            try:
                size = int(d.get('size'))
                if size <= 0:
                    raise ValueError()
            except (TypeError, ValueError):
                problem(name, 'disks[%d].size' % i, 'required with uch_cloud=openstack: the volume\'s size in bytes, not %r' % (
                    d.get('size'),))
                size = None
            sizes.append((d.get('name'), size))
        new_name = osv.get('new_name') or name
        if new_name in new_names:
            problem(name, 'name', 'VM %s makes a server of the same name, %s' % (new_names[new_name], new_name))
        new_names[new_name] = name
        # volumes the wave makes, and those an earlier run made
        own_ids = set()
        for i, (dname, size) in enumerate(sizes):
            vname = '%s-%s-%s' % (p['wave'], name, dname)
            there = volumes.get(vname, [])
            if len(there) > 1:
                problem(name, 'disks[%d]' % i, '%d volumes named %s in the destination project' % (len(there), vname))
            elif there:
                v = there[0]
                own_ids.add(v.id)
                gib = -(-size // GiB) if size else None
                if gib and int(v.size) != gib:
                    problem(name, 'disks[%d]' % i, 'volume %s (%s) exists in the destination project with %s GiB; '
                            'the wave makes it %d GiB' % (vname, v.id, v.size, gib))
            else:
                need['volumes'] += 1
                need['gigabytes'] += -(-size // GiB) if size else 0
        # the new server's name: free, or the wave's own server
        exists = servers.get(new_name, [])
        boot = '%s-%s-%s' % (p['wave'], name, sizes[0][0]) if sizes else None
        boot_ids = set(v.id for v in volumes.get(boot, []))
        ours = [s for s in exists if boot_ids and any(a.get('id') in boot_ids for a in s.attached_volumes or [])]
        others = [s for s in exists if s not in ours]
        if others:
            problem(name, 'name', 'a server named %s already exists in the destination project (%s)%s' % (
                new_name, ', '.join(s.id for s in others),
                '; give the new server another name with openstack.new_name' if not osv.get('new_name') else ''))
        fl_name = osv.get('flavor')
        dst_flavor, fitted = None, False
        if not fl_name:
            problem(name, 'openstack.flavor', 'required with uch_cloud=openstack (the new server\'s flavor)')
        elif p['flavor_map'].get(fl_name, fl_name) != fl_name:
            fl = p['flavor_map'][fl_name]
            dst_flavor = find('flavor', c.compute.find_flavor, fl)
            if dst_flavor is None:
                problem(name, 'openstack.flavor', 'flavor %s%s: no such flavor in the destination project' % (
                    fl, ' (mapped from %s)' % fl_name if fl != fl_name else ''))
        else:
            # not in the map (or mapped to itself, as discovery writes
            # it): the flavor of the name, else the smallest that fits
            # the source's (as uch_os_server's flavor_fit)
            dst_flavor = find('flavor', c.compute.find_flavor, fl_name)
            if dst_flavor is None:
                needs = fit_needs(osv.get('flavor_details'))
                if needs is None:
                    problem(name, 'openstack.flavor', 'flavor %s: not in the flavor map, no such flavor in the '
                            'destination project, and no openstack.flavor_details (vcpus, ram, disk) to '
                            'choose one that fits' % fl_name)
                else:
                    dst_flavor = flavor_fit(listed('flavors', c.compute.flavors), needs)
                    fitted = True
                    if dst_flavor is None:
                        problem(name, 'openstack.flavor', 'flavor %s: not in the flavor map, no such flavor in the '
                                'destination project, and none there fits: the VM needs %s' % (
                                    fl_name, fit_text(needs)))
        key_name = osv.get('key_name')
        if key_name and p['keep_key_name'] and find('key pair', c.compute.find_keypair, key_name) is None:
            problem(name, 'openstack.key_name', 'key pair %s: the destination\'s user has none of that name '
                    '(make it there with the same public key, or set uch_os_keep_key_name false)' % key_name)
        for i, d in enumerate(disks):
            if not isinstance(d, dict) or not p['storage_map']:
                continue
            vtype, zone, key = storage_for(d, p['storage_map'])
            field = 'disks[%d].openstack.volume_type' % i
            if key is not None and key not in p['storage_map']:
                problem(name, field, 'volume type %s is not in the storage map (%s)' % (
                    key, ', '.join(sorted(str(k) for k in p['storage_map']))))
            if vtype and find('volume type', c.block_storage.find_type, vtype) is None:
                problem(name, field, 'volume type %s (mapped from %s): no such volume type in the destination '
                        'project' % (vtype, key))
            if zone and zone not in [z.name for z in listed('availability zones', c.block_storage.availability_zones)]:
                problem(name, 'disks[%d].openstack.availability_zone' % i,
                        'availability zone %s (the storage map\'s for %s): no such zone of Cinder\'s in the '
                        'destination project' % (zone, key))
        nics = (osv.get('ports') or []) if p['keep_nics'] else []
        if not isinstance(nics, list):
            problem(name, 'openstack.ports', 'must be a list of the NICs (network, mac, fixed_ips)')
            nics = []
        nic_ports, nic_nets = 0, []
        for i, nic in enumerate(nics):
            field = 'openstack.ports[%d]' % i
            if not isinstance(nic, dict) or not nic.get('mac'):
                problem(name, field + '.mac', 'required: the NIC\'s MAC address, which the new server keeps')
                continue
            # the port the wave makes for it, or made on an earlier run
            pname = '%s-%s-nic%d' % (p['wave'], name, i)
            try:
                there = list(c.network.ports(name=pname, project_id=pid))
            except Exception as e:
                osm.fail('port %s: look-up' % pname, e)
            if not there:
                nic_ports += 1
            elif any((x.mac_address or '').lower() != str(nic['mac']).lower() for x in there):
                problem(name, field, 'port %s exists in the destination project with MAC %s, not the NIC\'s %s' % (
                    pname, ', '.join(x.mac_address for x in there), nic['mac']))
            src_net = nic.get('network') or nic.get('network_id')
            if not src_net:
                problem(name, field + '.network', 'required: the source network\'s name')
                continue
            if src_net not in p['network_map'] and nic.get('network_id') in p['network_map']:
                src_net = nic['network_id']
            nt = mapped('network', name, src_net, p['network_map'], field + '.network')
            if nt is None:
                continue
            net = find('network', c.network.find_network, nt)
            if net is None:
                problem(name, field + '.network', 'network %s%s: no such network in the destination project' % (
                    nt, ' (mapped from %s)' % src_net if nt != src_net else ''))
                continue
            nic_nets.append(net)
            for j, f in enumerate(nic.get('fixed_ips') or []):
                sub = (f or {}).get('subnet') if isinstance(f, dict) else None
                if sub in p['subnet_map']:
                    sn = find('subnet', c.network.find_subnet, p['subnet_map'][sub])
                    if sn is None or sn.network_id != net.id:
                        problem(name, '%s.fixed_ips[%d].subnet' % (field, j),
                                'subnet %s (mapped from %s): %s' % (
                                    p['subnet_map'][sub], sub, 'no such subnet in the destination project'
                                    if sn is None else 'not on network %s' % nt))
        net_name = osv.get('network')
        dst_net = None
        if net_name and not nics:
            nt = mapped('network', name, net_name, p['network_map'])
            if nt is not None:
                dst_net = find('network', c.network.find_network, nt)
                if dst_net is None:
                    problem(name, 'openstack.network', 'network %s%s: no such network in the destination project' % (
                        nt, ' (mapped from %s)' % net_name if nt != net_name else ''))
        if not ours:
            need['instances'] += 1
            if net_name and not nics:
                need['ports'] += 1
            if dst_flavor is not None:
                need['cores'] += int(dst_flavor.vcpus or 0)
                need['ram'] += int(dst_flavor.ram or 0)
        need['ports'] += nic_ports
        if src is not None:
            sname = osv.get('server') or name
            try:
                ss = src.compute.find_server(sname, ignore_missing=True)
            except Exception as e:  # DuplicateResource among them
                ss = None
                problem(name, 'openstack.server', 'server %s in the source project: %s' % (
                    sname, getattr(e, 'details', None) or e))
            else:
                if ss is None:
                    problem(name, 'openstack.server', 'no server %s in the source project' % sname)
            if ss is not None:
                ss = src.compute.get_server(ss.id)
                vols = [src_volumes[a.get('id')] for a in ss.attached_volumes or [] if a.get('id') in src_volumes]
                root = root_volume(ss, vols)
                image_backed = bool(ss.image and ss.image.id)
                for i, d in enumerate(disks):
                    if not isinstance(d, dict):
                        continue
                    clone = '%s-%s-%s-src' % (p['wave'], name, d.get('name'))
                    there = any(v.name == clone for v in src_volumes.values())
                    if (d.get('source') or {}).get('snapshot'):
                        if not image_backed:
                            problem(name, 'disks[%d].source.snapshot' % i,
                                    'server %s boots from a volume, not an image: give the volume '
                                    '(source.volume)' % sname)
                        elif not there:
                            size = (sizes[i][1] if i < len(sizes) else None) or 0
                            src_need['volumes'] += 1
                            src_need['gigabytes'] += -(-size // GiB)
                    elif (d.get('source') or {}).get('volume') == root and root and not there:
                        src_need['volumes'] += 1
                        src_need['gigabytes'] += int(src_volumes[root].size)
        if nics:
            dst_net = nic_nets[0] if nic_nets else None
        checked.append(dict(name=name, server=new_name,
                            flavor=dst_flavor.name if dst_flavor is not None else None,
                            flavor_fitted=fitted and dst_flavor is not None,
                            network=dst_net.name if dst_net is not None else None,
                            networks=[n.name for n in nic_nets]))

    q = quotas(osm)
    units = dict(ram=' MiB', gigabytes=' GiB')
    for k in ('instances', 'cores', 'ram', 'volumes', 'gigabytes', 'ports'):
        left = q[k]['left']
        if left is not None and need[k] > left:
            problem(None, 'quota.' + k, 'the wave needs %d%s more, the destination project has %d%s left '
                    '(quota %d, %d in use)' % (need[k], units.get(k, ''), left, units.get(k, ''),
                                               q[k]['limit'], q[k]['in_use']))

    res = dict(changed=False, problems=problems, needed=need, quotas=q, vms=checked)
    if src is not None:
        sq = volume_quotas(osm, src, 'source')
        for k in ('volumes', 'gigabytes'):
            left = sq[k]['left']
            if left is not None and src_need[k] > left:
                problem(None, 'source.quota.' + k, 'the clones of the boot volumes and the volumes from '
                        'snapshots need %d%s more, the source '
                        'project has %d%s left (quota %d, %d in use)' % (
                            src_need[k], units.get(k, ''), left, units.get(k, ''), sq[k]['limit'], sq[k]['in_use']))
        res.update(source_needed=src_need, source_quotas=sq)
    if problems and p['fail']:
        module.fail_json(msg='pre-flight of the destination project %s: %d problem%s: %s' % (
            pid, len(problems), '' if len(problems) == 1 else 's',
            '; '.join('%s%s: %s' % (x['vm'] + ': ' if x['vm'] else '', x['field'], x['message'])
                      for x in problems)), **res)
    module.exit_json(**res)


if __name__ == '__main__':
    main()
