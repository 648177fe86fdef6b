#!/usr/bin/python
# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright: UCH project
# GNU General Public License v2.0 or later, so v3.0 or later too (see COPYING)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: uch_os_server
short_description: Create or delete a Nova server, booted from a volume or an image (over Debian 12's openstacksdk)
version_added: "0.1.0"
description:
  - C(present) makes sure a server of this I(name) exists in the project.
    A new one boots from I(boot_volume) or I(image), with I(volumes)
    attached from the start (block device mappings), on I(network) or
    on the ports of I(ports), and is waited for until C(ACTIVE) (a
    server going to C(ERROR) fails the task with Nova's fault message).
  - A server of that name already there is left as it is, but for the
    volumes of I(volumes) it lacks, which are attached (a run cut short
    after the boot completes on the next).
  - C(absent) deletes it and waits for it to be gone; its volumes stay
    unless it was created with I(terminate_volume).
  - Used by the volume_migration role instead of openstack.cloud.server,
    which does not run with Debian 12's openstacksdk (see notes).
author: UCH project (!UNKNOWN)
options:
  name:
    description: The server's name (unique in the project) or id.
    type: str
    required: true
  state:
    description: C(present) or C(absent).
    type: str
    choices: [present, absent]
    default: present
  flavor:
    description: Name or id of the flavor; required to create.
    type: str
  flavor_fit:
    description:
      - What the server needs, C(vcpus), C(ram) (MiB) and C(disk) (GiB),
        as a source server's flavor had them (uch_os_discover's
        C(flavor_details)). When the project has no flavor I(flavor),
        the smallest it has with at least these is taken (the fewest
        vCPUs, then the least RAM, then the least disk; disabled
        flavors left out); none fitting fails naming what the server
        needs.
    type: dict
  network:
    description: Name or id of the network of its one port; none when
      neither this nor I(ports) is given (a server with no network).
    type: str
  ports:
    description: Names or ids of ports of the project (C(uch_os_port)),
      one NIC each, in order, instead of I(network) - the NICs keep
      those ports' MAC addresses and IPs. Each must be free (bound to no
      server). Nova does not delete them with the server.
    type: list
    elements: str
    default: []
  boot_volume:
    description: Name or id of the volume to boot from.
    type: str
  image:
    description: Name or id of the image to boot from (instead of
      I(boot_volume)).
    type: str
  volumes:
    description: Names or ids of more volumes to attach, in order.
    type: list
    elements: str
    default: []
  terminate_volume:
    description: Delete the boot volume and I(volumes) with the server.
    type: bool
    default: false
  config_drive:
    description: Give the server a config drive.
    type: bool
    default: false
  key_name:
    description: A key pair of the project to inject.
    type: str
  user_data:
    description: User data (cloud-init), as text.
    type: str
  metadata:
    description: Server metadata (Nova's key/value pairs), for a new
      server; values are strings.
    type: dict
    default: {}
  tags:
    description: Server tags (Nova's), for a new server.
    type: list
    elements: str
    default: []
  description:
    description: The new server's description.
    type: str
extends_documentation_fragment:
  - uch.appliance.openstack
  - uch.appliance.ledger
'''

EXAMPLES = r'''
- name: The migrated VM, booted from its copied root volume
  uch.appliance.uch_os_server:
    cloud: destination
    name: web01
    flavor: m1.small
    network: prod
    boot_volume: wave1-web01-sda
    volumes: [wave1-web01-sdb]
  delegate_to: localhost

- name: The same on the ports that keep its NICs' MACs and IPs
  uch.appliance.uch_os_server:
    cloud: destination
    name: web01
    flavor: m1.small
    ports: [wave1-web01-nic0, wave1-web01-nic1]
    boot_volume: wave1-web01-sda
  delegate_to: localhost

- name: A flavor of the name, else the smallest that fits; as the source had it
  uch.appliance.uch_os_server:
    cloud: destination
    name: web01
    flavor: m1.small
    flavor_fit: {vcpus: 2, ram: 4096, disk: 20}
    key_name: ops
    metadata: {role: web}
    tags: [prod]
    description: the web server
    network: prod
    boot_volume: wave1-web01-sda
  delegate_to: localhost
'''

RETURN = r'''
server:
  description: The server (id, name, status, addresses,
    booted_from_volume, volumes attached, flavor, key_name, metadata,
    tags, description); in check mode, for a server that would be
    created, only the name.
  returned: when state is present
  type: dict
id:
  description: The server's id (none in check mode for a server that
    would be created, or when state absent found none).
  returned: always
  type: str
'''

import base64

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.uch.appliance.plugins.module_utils.uch_openstack import (
    OsModule, os_argument_spec, server_dict, volume_servers)
from ansible_collections.uch.appliance.plugins.module_utils.uch_os_match import (
    fit_needs, fit_text, flavor_fit)


def main():
    spec = os_argument_spec(
        ledger=dict(type='dict'),
        name=dict(type='str', required=True),
        state=dict(type='str', choices=['present', 'absent'], default='present'),
        flavor=dict(type='str'),
        flavor_fit=dict(type='dict'),
        network=dict(type='str'),
        ports=dict(type='list', elements='str', default=[]),
        boot_volume=dict(type='str'),
        image=dict(type='str'),
        volumes=dict(type='list', elements='str', default=[]),
        terminate_volume=dict(type='bool', default=False),
        config_drive=dict(type='bool', default=False),
        key_name=dict(type='str', no_log=False),
        user_data=dict(type='str'),
        metadata=dict(type='dict', default={}),
        tags=dict(type='list', elements='str', default=[]),
        description=dict(type='str'),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True,
                           mutually_exclusive=[('boot_volume', 'image')])
    p = module.params
    if p['network'] and p['ports']:
        module.fail_json(msg='network and ports: give one (ports: one NIC each; network: one NIC)')
    osm = OsModule(module)
    c = osm.conn
    s = osm.find_server(p['name'], required=False)

    if p['state'] == 'absent':
        if s is None:
            module.exit_json(changed=False, id=None)
        if not module.check_mode:
            try:
                c.compute.delete_server(s)
                if p['wait']:
                    c.compute.wait_for_delete(s, interval=2, wait=p['timeout'])
            except Exception as e:
                osm.fail('server %s (%s): delete' % (p['name'], s.id), e)
        module.exit_json(changed=True, id=s.id)

    vols = [osm.find_volume(v) for v in p['volumes']]
    if s is not None:
        if p['wait'] and s.status == 'BUILD' and not module.check_mode:
            s = osm.wait_server(s, 'ACTIVE', 'server %s' % p['name'])
        if s.status == 'ERROR':
            module.fail_json(msg='server %s (%s) exists in status ERROR' % (p['name'], s.id),
                             server=server_dict(s), id=s.id)
        missing = [v for v in vols if s.id not in volume_servers(v)]
        for v in missing:
            if volume_servers(v):
                module.fail_json(msg='volumes: %s is attached to server %s, not to %s' % (
                    v.name or v.id, ', '.join(volume_servers(v)), p['name']), server=server_dict(s), id=s.id)
        if missing and not module.check_mode:
            for v in missing:
                try:
                    c.compute.create_volume_attachment(s, volume_id=v.id)
                except Exception as e:
                    osm.fail('server %s: attach volume %s' % (p['name'], v.id), e)
                if p['wait']:
                    osm.wait_volume(v, 'in-use', 'server %s: attach volume %s' % (p['name'], v.id))
            s = c.compute.get_server(s.id)
        module.exit_json(changed=bool(missing), server=server_dict(s), id=s.id)

    if not p['flavor']:
        module.fail_json(msg='flavor: required to create server %s' % p['name'])
    if not p['boot_volume'] and not p['image']:
        module.fail_json(msg='boot_volume or image: one is required to create server %s' % p['name'])
    try:
        flavor = c.compute.find_flavor(p['flavor'], ignore_missing=True)
        net = c.network.find_network(p['network'], ignore_missing=True) if p['network'] else None
        img = c.image.find_image(p['image'], ignore_missing=True) if p['image'] else None
    except Exception as e:
        osm.fail('server %s: look-ups' % p['name'], e)
    if flavor is None and p['flavor_fit']:
        needs = fit_needs(p['flavor_fit'])
        if needs is None:
            module.fail_json(msg='flavor_fit: vcpus, ram (MiB), disk (GiB): numbers, not %r' % (p['flavor_fit'],))
        try:
            flavor = flavor_fit(c.compute.flavors(), needs)
        except Exception as e:
            osm.fail('server %s: flavors' % p['name'], e)
        if flavor is None:
            module.fail_json(msg='flavor: no flavor %s, and none of the project\'s fits server %s, '
                             'which needs %s' % (p['flavor'], p['name'], fit_text(needs)))
    if flavor is None:
        module.fail_json(msg='flavor: no flavor %s' % p['flavor'])
    ports = []
    for name in p['ports']:
        try:
            pt = c.network.find_port(name, ignore_missing=True)
        except Exception as e:  # DuplicateResource among them
            osm.fail('ports: port %s: look-up' % name, e)
        if pt is None:
            module.fail_json(msg='ports: no port %s in project %s' % (name, c.current_project_id))
        if pt.device_id:
            module.fail_json(msg='ports: port %s (%s) is bound to %s %s: it cannot go to a new server' % (
                name, pt.id, pt.device_owner or 'device', pt.device_id))
        ports.append(pt)
    if p['network'] and net is None:
        module.fail_json(msg='network: no network %s' % p['network'])
    if p['image'] and img is None:
        module.fail_json(msg='image: no image %s' % p['image'])
    boot = osm.find_volume(p['boot_volume']) if p['boot_volume'] else None
    for v in ([boot] if boot else []) + vols:
        if v.status != 'available':
            module.fail_json(msg='volume %s (%s) is %s, not available: it cannot go to a new server' % (
                v.name or v.id, v.id, v.status))
    attrs = dict(name=p['name'], flavor_id=flavor.id,
                 networks=[dict(port=pt.id) for pt in ports] if ports else
                 [dict(uuid=net.id)] if net else 'none')
    bdm = []
    if boot:
        bdm.append(dict(boot_index=0, uuid=boot.id, source_type='volume',
                        destination_type='volume',
                        delete_on_termination=p['terminate_volume']))
    else:
        attrs['image_id'] = img.id
    for v in vols:
        bdm.append(dict(boot_index=-1, uuid=v.id, source_type='volume',
                        destination_type='volume',
                        delete_on_termination=p['terminate_volume']))
    if bdm:
        attrs['block_device_mapping'] = bdm
    if p['config_drive']:
        attrs['config_drive'] = True
    if p['key_name']:
        attrs['key_name'] = p['key_name']
    if p['metadata']:
        attrs['metadata'] = dict((k, str(v)) for k, v in p['metadata'].items())
    if p['tags']:
        attrs['tags'] = p['tags']
    if p['description']:
        attrs['description'] = p['description']
    if p['user_data']:
        attrs['user_data'] = base64.b64encode(p['user_data'].encode()).decode()
    if module.check_mode:
        module.exit_json(changed=True, server=dict(name=p['name']), id=None)
    try:
        s = c.compute.create_server(**attrs)
    except Exception as e:
        osm.fail('server %s: create' % p['name'], e)
    if p['wait']:
        s = osm.wait_server(s, 'ACTIVE', 'server %s: create' % p['name'])
    else:
        s = c.compute.get_server(s.id)
    module.exit_json(changed=True, server=server_dict(s), id=s.id)


if __name__ == '__main__':
    main()
