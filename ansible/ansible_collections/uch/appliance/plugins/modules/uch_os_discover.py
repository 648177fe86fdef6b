#!/usr/bin/python
# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright: UCH project
# GNU General Public License v2.0 or later, so v3.0 or later too (see COPYING)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: uch_os_discover
short_description: Read an OpenStack project's servers and their volumes as a wave's workloads (over Debian 12's openstacksdk)
version_added: "0.1.0"
description:
  - Lists the servers of the project the I(cloud) is scoped to, with
    their volumes (Cinder), ports (Neutron's network, MAC, fixed IPs,
    security groups), flavor and status, and returns them as the C(vms)
    of a C(migrate_wave.yml) workloads file for C(uch_cloud=openstack),
    per VM its disks (the volume it boots from first, then the others
    by device name), each with the volume's id and size in bytes, and
    C(openstack) with the server's id, its flavor's name, the network
    of its first port and C(ports), its NICs in order (the wave gives
    the new server a port for each, with the NIC's MAC address; and
    its fixed IPs when asked, C(keep_ips)).
  - I(names) (regular expressions, any of which the server's name must
    match) and I(tags) (every one of which the server must carry) choose
    the servers.
  - Each VM gets C(checks) as discover_vmware writes them (a C(verdict),
    C(ok), C(warning) or C(blocked), and each reason); the wave does not
    place a blocked VM and its report says why. Blocked are a server
    with no volume (nor an image it boots from), a status from which
    the wave cannot stop it (not C(ACTIVE) or C(SHUTOFF)), a volume
    attached to more than one server.
  - A server booted from an image (its root disk is no volume) is
    taken too. Its first disk is that root disk, C(source.snapshot)
    true, its C(size) the flavor's disk (else the image's size), its
    C(openstack) C(image_backed) true and the C(image) it was booted
    from. The wave snapshots the stopped server, makes a volume from
    the snapshot in the source project and moves that as the boot
    volume, then deletes the snapshot and that volume
    (ansible/README.md). Disks of the flavor's own (ephemeral, swap)
    are not moved; a warning says so.
  - A server whose name is not letters, digits, C(.), C(-), C(_) gets
    such a name (other characters replaced by C(-)); its own is kept in
    C(openstack.new_name) for the new server. Two servers that would
    get one name fail the task, naming both.
  - Reads only; runs on the controller (C(delegate_to) localhost).
author: UCH project (!UNKNOWN)
options:
  names:
    description: Regular expressions; a server is taken when its name
      matches one (Python C(re.search)). All servers when empty.
    type: list
    elements: str
    default: []
  tags:
    description: Server tags (Nova's); a server is taken when it carries
      every one.
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - uch.appliance.openstack
'''

EXAMPLES = r'''
- name: The servers of the source project whose names begin with web
  uch.appliance.uch_os_discover:
    cloud: source
    names: ['^web']
  delegate_to: localhost
  register: found

- name: The workloads file
  ansible.builtin.copy:
    dest: wave1.yml
    content: "{{ found | uch.appliance.uch_os_workloads('wave1') | to_nice_yaml(sort_keys=false) }}"
  delegate_to: localhost
'''

RETURN = r'''
vms:
  description: The servers taken, sorted by name, as a workloads file's
    C(vms) (ansible/README.md, "Discovery (discover_openstack)"); per VM
    C(name), C(kind) (C(volume)), C(disks) (C(name), the device's last
    part such as C(vda); C(size) in bytes; C(source.volume), the
    volume's id, or C(source.snapshot) for the root disk of a server
    booted from an image; C(openstack) with the volume's C(name),
    C(volume_type), C(availability_zone), C(bootable), C(device), or
    C(image_backed) and C(image) for such a root disk, and
    C(image_metadata), the image properties Nova reads from a boot
    volume (C(hw_*), C(os_*), C(img_*), C(architecture),
    C(hypervisor_type), C(vm_mode); the volume's, or the image's for
    such a root disk; C(hw_firmware_type) C(uefi) for a UEFI guest),
    which the wave sets on the new volume),
    C(openstack) (C(server), the server's id; C(flavor), C(network);
    C(new_name) when the name was changed; C(status), C(flavor_details)
    (C(vcpus), C(ram), C(disk)), C(ports) (C(id), C(network),
    C(network_id), C(mac), C(fixed_ips) of C(subnet) and C(ip),
    C(security_groups)), C(security_groups), C(availability_zone),
    C(key_name), C(metadata), C(tags), C(description), C(image) - the
    wave gives the new server the key pair, metadata, tags and
    description), and C(checks).
  returned: always
  type: list
  elements: dict
openstack:
  description: For the workloads file's C(openstack) mapping - the
    C(source) (C(project_id), C(cloud)), C(flavor_map), C(network_map)
    and C(storage_map) with each flavor, network (every NIC's) and
    volume type the VMs use mapped to itself (edit them when the
    destination's have other names - a flavor left out of the map is
    the destination's of the name, else the smallest that fits; a
    volume type may map to C(volume_type) and C(availability_zone) -
    the wave's pre-flight checks them).
  returned: always
  type: dict
skipped:
  description: The servers not taken, by name.
  returned: always
  type: list
  elements: str
'''

import re

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.uch.appliance.plugins.module_utils.uch_openstack import (
    OsModule, os_argument_spec, root_volume)

NAME_OK = re.compile(r'^[A-Za-z0-9._-]+$')


def _image_metadata(meta):
    """Of a volume's volume_image_metadata (or an image's properties),
    what Nova reads from a boot volume to boot the guest as it booted
    (firmware, machine type, disk bus...): not Glance's own (checksum,
    size, image_id, disk_format, os_hash_value...), which describe a
    copy made once."""
    return dict((k, str(v)) for k, v in (meta or {}).items()
                if v is not None and (k.startswith(('hw_', 'os_', 'img_'))
                                      or k in ('architecture', 'hypervisor_type', 'vm_mode'))
                and k not in ('os_hash_algo', 'os_hash_value', 'os_hidden')
                and not k.startswith('os_glance'))


def _reason(check, level, message):
    return dict(check=check, level=level, message=message)


def _checks(reasons):
    levels = set(r['level'] for r in reasons)
    verdict = 'blocked' if 'blocked' in levels else 'warning' if levels else 'ok'
    return dict(verdict=verdict, reasons=reasons)


def _flavor(c, s, flavors_by_id):
    """The server's flavor as (name, {vcpus, ram, disk}): embedded in the
    server since compute microversion 2.47, else looked up by id."""
    f = s.flavor or {}

    def get(k):
        return f.get(k) if isinstance(f, dict) and not hasattr(f, 'to_dict') else getattr(f, k, None)
    name = get('original_name') or get('name')
    details = dict(vcpus=get('vcpus'), ram=get('ram'), disk=get('disk'),
                   ephemeral=get('ephemeral'), swap=get('swap'))
    fid = get('id')
    if not name and fid:
        fl = flavors_by_id.get(fid)
        if fl is None:
            try:
                fl = flavors_by_id[fid] = c.compute.get_flavor(fid)
            except Exception:  # a deleted flavor: its name is lost
                fl = None
        if fl is not None:
            name = fl.name
            details = dict(vcpus=fl.vcpus, ram=fl.ram, disk=fl.disk,
                           ephemeral=fl.ephemeral, swap=fl.swap)
    return name, details


def main():
    spec = os_argument_spec(
        names=dict(type='list', elements='str', default=[]),
        tags=dict(type='list', elements='str', default=[]),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    p = module.params
    pats = []
    for n in p['names']:
        try:
            pats.append(re.compile(n))
        except re.error as e:
            module.fail_json(msg='names: %r is not a regular expression: %s' % (n, e))
    osm = OsModule(module)
    c = osm.conn
    pid = c.current_project_id
    try:
        servers = [c.compute.get_server(s.id) for s in c.compute.servers()]
        volumes = dict((v.id, v) for v in c.block_storage.volumes(details=True))
        ports = list(c.network.ports(project_id=pid))
        networks = dict((n.id, n) for n in c.network.networks())
        subnets = dict((n.id, n) for n in c.network.subnets())
        groups = dict((g.id, g) for g in c.network.security_groups())
    except Exception as e:
        osm.fail('project %s: listing its servers, volumes, ports, networks' % pid, e)
    flavors_by_id = {}

    taken, skipped = [], []
    for s in sorted(servers, key=lambda x: (x.name or '', x.id)):
        if (pats and not any(r.search(s.name or '') for r in pats)) or not set(p['tags']) <= set(s.tags or []):
            skipped.append(s.name)
            continue
        taken.append(s)

    vms, by_name = [], {}
    flavor_map, network_map, storage_map = {}, {}, {}
    for s in taken:
        reasons = []
        name = s.name if NAME_OK.match(s.name or '') else re.sub(r'[^A-Za-z0-9._-]', '-', s.name or s.id)
        if name in by_name:
            module.fail_json(msg='servers %s and %s (%s, %s) would both be VM %s of the workloads; '
                             'rename one, or choose one with names' % (
                                 by_name[name].name, s.name, by_name[name].id, s.id, name))
        by_name[name] = s
        vols = [volumes[a.get('id')] for a in s.attached_volumes or [] if a.get('id') in volumes]
        root = root_volume(s, vols)
        image = s.image.id if s.image and s.image.id else None
        if not vols and not image:
            reasons.append(_reason('disks', 'blocked', 'the server has no volume'))
        if s.status not in ('ACTIVE', 'SHUTOFF'):
            reasons.append(_reason('status', 'blocked',
                                   'the server is %s: the wave stops an ACTIVE server or takes a '
                                   'SHUTOFF one' % s.status))

        def devkey(v, sid=s.id):
            dev = [a.get('device') for a in v.attachments or [] if a.get('server_id') == sid]
            return (v.id != root, dev[0] if dev and dev[0] else '~', v.id)
        disks = []
        for i, v in enumerate(sorted(vols, key=devkey)):
            dev = [a.get('device') for a in v.attachments or [] if a.get('server_id') == s.id]
            dev = dev[0] if dev and dev[0] else None
            dname = dev.rsplit('/', 1)[-1] if dev else 'disk%d' % i
            if v.volume_type:
                storage_map[v.volume_type] = v.volume_type
            if len(v.attachments or []) > 1:
                reasons.append(_reason('multiattach', 'blocked',
                                       'volume %s is attached to %d servers' % (v.id, len(v.attachments))))
            disks.append(dict(
                name=dname, size=int(v.size) * 1073741824, source=dict(volume=v.id),
                openstack=dict(name=v.name, volume_type=v.volume_type,
                               availability_zone=v.availability_zone,
                               bootable=bool(v.is_bootable), device=dev,
                               image_metadata=_image_metadata(v.volume_image_metadata))))

        flavor, fdetails = _flavor(c, s, flavors_by_id)
        if image:
            # the root disk: the flavor's disk, else (a flavor of disk 0,
            # which only an admin may boot from an image) the image's size
            gib = int(fdetails.get('disk') or 0)
            try:
                im = c.image.get_image(image)
            except Exception:  # a deleted image
                im = None
            if not gib and im is not None:
                gib = -(-int(im.virtual_size or im.size or 0) // 1073741824)
            # the image's own properties, and those openstacksdk makes
            # attributes of (hw_firmware_type among them)
            imeta = {}
            if im is not None:
                imeta = dict(im.properties or {})
                imeta.update((k, v) for k, v in im.to_dict().items()
                             if v is not None and k.startswith(('hw_', 'os_')))
                imeta = _image_metadata(imeta)
            if gib:
                disks.insert(0, dict(
                    name='vda' if not any(d['name'] == 'vda' for d in disks) else 'root',
                    size=gib * 1073741824, source=dict(snapshot=True),
                    openstack=dict(image_backed=True, image=image, image_metadata=imeta)))
            else:
                reasons.append(_reason('disks', 'blocked',
                                       'the server boots from image %s, and neither its flavor nor '
                                       'the image says the size of its root disk' % image))
            if fdetails.get('ephemeral') or fdetails.get('swap'):
                reasons.append(_reason('flavor_disks', 'warning',
                                       'the flavor gives the server an ephemeral or swap disk '
                                       '(%s GiB, %s MiB): not moved, the new server gets its '
                                       'flavor\'s' % (fdetails.get('ephemeral') or 0, fdetails.get('swap') or 0)))
        myports = []
        for pt in sorted((x for x in ports if x.device_id == s.id), key=lambda x: (x.created_at or '', x.id)):
            net = networks.get(pt.network_id)
            myports.append(dict(
                id=pt.id, network=net.name if net else None, network_id=pt.network_id,
                mac=pt.mac_address,
                fixed_ips=[dict(subnet=(subnets[f['subnet_id']].name if f.get('subnet_id') in subnets
                                        else f.get('subnet_id')), ip=f.get('ip_address'))
                           for f in pt.fixed_ips or []],
                security_groups=[groups[g].name if g in groups else g for g in pt.security_group_ids or []]))
        if flavor is None:
            reasons.append(_reason('flavor', 'blocked', 'the server\'s flavor is not known (deleted?)'))
        else:
            flavor_map[flavor] = flavor
        network = myports[0]['network'] if myports else None
        for pt in myports:
            if pt['network']:
                network_map[pt['network']] = pt['network']
        osd = dict(server=s.id, flavor=flavor)
        if network:
            osd['network'] = network
        if name != s.name:
            osd['new_name'] = s.name
        osd.update(
            status=s.status, flavor_details=fdetails, ports=myports,
            security_groups=sorted(set(g.get('name') for g in s.security_groups or [] if g.get('name'))),
            availability_zone=s.availability_zone, key_name=s.key_name,
            metadata=dict(s.metadata or {}), tags=sorted(s.tags or []), description=s.description,
            image=image)
        vms.append(dict(name=name, kind='volume', disks=disks, openstack=osd, checks=_checks(reasons)))

    module.exit_json(changed=False, vms=vms, skipped=skipped,
                     openstack=dict(source=dict(project_id=pid, cloud=p['cloud']),
                                    flavor_map=flavor_map, network_map=network_map,
                                    storage_map=storage_map))


if __name__ == '__main__':
    main()
