#!/usr/bin/python
# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright: UCH project
# GNU General Public License v2.0 or later, so v3.0 or later too (see COPYING)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: uch_os_port
short_description: Create or delete a Neutron port with a given MAC and fixed IPs (over Debian 12's openstacksdk)
version_added: "0.1.0"
description:
  - C(present) makes sure a port of this I(name) exists in the project,
    on I(network), with I(mac_address), I(fixed_ips) and
    I(security_groups) - the port a migrated server keeps its NIC's
    identity on (the volume_migration role with C(uch_cloud=openstack)
    boots the new server on such ports, C(uch_os_server)'s I(ports)).
  - A port of that name already there is left as it is when it is on
    I(network) with I(mac_address) and the addresses of I(fixed_ips)
    (a rerun creates no second port); one that differs fails the task,
    saying what differs.
  - Neutron lets only the network's owner or an admin give a port its
    MAC address or an IP address; a MAC or IP already in use on the
    network fails the task with Neutron's message.
  - C(absent) deletes the port of this name, if any (a server it is
    bound to loses that NIC).
  - Used by the volume_migration role instead of openstack.cloud.port,
    which does not run with Debian 12's openstacksdk (see notes).
author: UCH project (!UNKNOWN)
options:
  name:
    description: The port's name (unique in the project) or id.
    type: str
    required: true
  state:
    description: C(present) or C(absent).
    type: str
    choices: [present, absent]
    default: present
  network:
    description: Name or id of the network; required to create.
    type: str
  mac_address:
    description: The port's MAC address; Neutron chooses one when not
      given.
    type: str
  fixed_ips:
    description: The port's addresses, each a I(subnet) (name or id, on
      I(network)) and/or an I(ip); an I(ip) without a I(subnet) goes on
      the network's subnet that holds it. Neutron chooses when empty.
    type: list
    elements: dict
    default: []
  security_groups:
    description: Names or ids of security groups of the project; when
      not given, Neutron's default (the project's C(default) group where
      port security is on); C([]) for none.
    type: list
    elements: str
  description:
    description: The port's description, when created.
    type: str
extends_documentation_fragment:
  - uch.appliance.openstack
  - uch.appliance.ledger
'''

EXAMPLES = r'''
- name: The port of web01's first NIC, its MAC and IP kept
  uch.appliance.uch_os_port:
    cloud: destination
    name: wave1-web01-nic0
    network: prod
    mac_address: fa:16:3e:12:34:56
    fixed_ips: [{ip: 10.0.0.15}]
    security_groups: [default, web]
  delegate_to: localhost
'''

RETURN = r'''
port:
  description: The port (id, name, network_id, mac_address, fixed_ips of
    subnet_id and ip_address, security_group_ids, device_id, status); in
    check mode, for a port that would be created, only the name.
  returned: when state is present
  type: dict
id:
  description: The port's id (none in check mode for a port that would
    be created, or when state absent found none).
  returned: always
  type: str
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.uch.appliance.plugins.module_utils.uch_openstack import (
    OsModule, os_argument_spec)


def port_dict(pt):
    return dict(id=pt.id, name=pt.name, network_id=pt.network_id,
                mac_address=pt.mac_address,
                fixed_ips=[dict(subnet_id=f.get('subnet_id'), ip_address=f.get('ip_address'))
                           for f in pt.fixed_ips or []],
                security_group_ids=list(pt.security_group_ids or []),
                device_id=pt.device_id or None, device_owner=pt.device_owner or None,
                status=pt.status)


def main():
    spec = os_argument_spec(
        ledger=dict(type='dict'),
        name=dict(type='str', required=True),
        state=dict(type='str', choices=['present', 'absent'], default='present'),
        network=dict(type='str'),
        mac_address=dict(type='str'),
        fixed_ips=dict(type='list', elements='dict', default=[]),
        security_groups=dict(type='list', elements='str'),
        description=dict(type='str'),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    p = module.params
    osm = OsModule(module)
    c = osm.conn
    pid = c.current_project_id
    for i, f in enumerate(p['fixed_ips']):
        if not (f.get('subnet') or f.get('ip')) or set(f) - set(['subnet', 'ip']):
            module.fail_json(msg='fixed_ips[%d]: a subnet and/or an ip, not %r' % (i, f))
    mac = p['mac_address'].lower() if p['mac_address'] else None

    try:
        pt = c.network.get_port(p['name'])
    except Exception:  # not an id
        pt = None
    if pt is None:
        try:
            there = list(c.network.ports(name=p['name'], project_id=pid))
        except Exception as e:
            osm.fail('port %s: look-up' % p['name'], e)
        if len(there) > 1:
            module.fail_json(msg='port %s: %d ports have this name (%s); give its id' % (
                p['name'], len(there), ', '.join(x.id for x in there)))
        pt = there[0] if there else None

    if p['state'] == 'absent':
        if pt is None:
            module.exit_json(changed=False, id=None)
        if not module.check_mode:
            try:
                c.network.delete_port(pt, ignore_missing=True)
            except Exception as e:
                osm.fail('port %s (%s): delete' % (p['name'], pt.id), e)
        module.exit_json(changed=True, id=pt.id)

    if not p['network']:
        module.fail_json(msg='network: required for port %s' % p['name'])
    try:
        net = c.network.find_network(p['network'], ignore_missing=True)
    except Exception as e:
        osm.fail('network %s: look-up' % p['network'], e)
    if net is None:
        module.fail_json(msg='network: no network %s in project %s' % (p['network'], pid))
    try:
        subnets = list(c.network.subnets(network_id=net.id))
    except Exception as e:
        osm.fail('network %s: its subnets' % p['network'], e)
    fixed = []
    for i, f in enumerate(p['fixed_ips']):
        d = {}
        if f.get('subnet'):
            sn = [s for s in subnets if f['subnet'] in (s.id, s.name)]
            if len(sn) != 1:
                module.fail_json(msg='fixed_ips[%d].subnet: %s subnet %s on network %s (%s)' % (
                    i, 'no' if not sn else 'more than one', f['subnet'], p['network'],
                    ', '.join(s.name or s.id for s in subnets) or 'it has none'))
            d['subnet_id'] = sn[0].id
        if f.get('ip'):
            d['ip_address'] = f['ip']
        fixed.append(d)
    groups = None
    if p['security_groups'] is not None:
        groups = []
        for g in p['security_groups']:
            try:
                sg = [x for x in c.network.security_groups(project_id=pid) if g in (x.id, x.name)]
                if not sg:
                    sg = [c.network.get_security_group(g)]
            except Exception:
                sg = []
            if len(sg) != 1:
                module.fail_json(msg='security_groups: %s security group %s in project %s' % (
                    'no' if not sg else 'more than one', g, pid))
            groups.append(sg[0].id)

    if pt is not None:
        diff = []
        if pt.network_id != net.id:
            diff.append('network %s, not %s' % (pt.network_id, net.id))
        if mac and (pt.mac_address or '').lower() != mac:
            diff.append('MAC %s, not %s' % (pt.mac_address, mac))
        ips = set(f.get('ip_address') for f in pt.fixed_ips or [])
        want = [d['ip_address'] for d in fixed if d.get('ip_address')]
        if [ip for ip in want if ip not in ips]:
            diff.append('addresses %s, not %s' % (', '.join(sorted(ips)) or 'none', ', '.join(want)))
        if diff:
            module.fail_json(msg='port %s (%s) exists with %s: delete it, or give this one another name' % (
                p['name'], pt.id, '; '.join(diff)), port=port_dict(pt), id=pt.id)
        module.exit_json(changed=False, port=port_dict(pt), id=pt.id)

    attrs = dict(name=p['name'], network_id=net.id)
    if mac:
        attrs['mac_address'] = mac
    if fixed:
        attrs['fixed_ips'] = fixed
    if groups is not None:
        attrs['security_groups'] = groups
    if p['description']:
        attrs['description'] = p['description']
    if module.check_mode:
        module.exit_json(changed=True, port=dict(name=p['name']), id=None)
    try:
        pt = c.network.create_port(**attrs)
    except Exception as e:
        osm.fail('port %s on network %s%s: create' % (
            p['name'], p['network'], ' with MAC %s' % mac if mac else ''), e)
    module.exit_json(changed=True, port=port_dict(pt), id=pt.id)


if __name__ == '__main__':
    main()
