#!/usr/bin/python
# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright: UCH project
# GNU General Public License v2.0 or later, so v3.0 or later too (see COPYING)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: uch_os_server_action
short_description: Stop or start a Nova server, and say which volumes it has (over Debian 12's openstacksdk)
version_added: "0.1.0"
description:
  - C(stop) stops an C(ACTIVE) server and waits for C(SHUTOFF); a server
    already C(SHUTOFF) is left as it is. C(start) the other way round. A
    server in another state (C(ERROR), C(SHELVED)...) fails the task
    naming it.
  - Returns the server's volumes and the one it boots from, which Nova
    does not detach (the volume_migration role clones that one instead).
  - Used by the volume_migration role instead of
    openstack.cloud.server_action, which does not run with Debian 12's
    openstacksdk (see notes).
author: UCH project (!UNKNOWN)
options:
  server:
    description: The server's name (unique in the project) or id.
    type: str
    required: true
  action:
    description: What to do.
    type: str
    choices: [stop, start]
    required: true
extends_documentation_fragment:
  - uch.appliance.openstack
  - uch.appliance.ledger
'''

EXAMPLES = r'''
- name: Stop the VM before its volumes are copied
  uch.appliance.uch_os_server_action:
    cloud: source
    server: web01
    action: stop
  delegate_to: localhost
  register: web01

- ansible.builtin.debug:
    msg: "boots from {{ web01.server.root_volume }}"
'''

RETURN = r'''
server:
  description: The server afterwards; C(id), C(name), C(status),
    C(addresses), C(booted_from_volume), C(volumes) (the ids of the
    volumes attached), C(root_volume) (the id of the volume it boots
    from, the one at its first device name; null when it boots from an
    image).
  returned: always
  type: dict
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.uch.appliance.plugins.module_utils.uch_openstack import (
    OsModule, os_argument_spec, server_dict)

# action: (the status it starts from, the one it leads to)
ACTIONS = dict(stop=('ACTIVE', 'SHUTOFF'), start=('SHUTOFF', 'ACTIVE'))


def main():
    spec = os_argument_spec(
        ledger=dict(type='dict'),
        server=dict(type='str', required=True),
        action=dict(type='str', choices=list(ACTIONS), required=True),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    p = module.params
    osm = OsModule(module)
    c = osm.conn
    s = osm.find_server(p['server'])
    what = 'server %s: %s' % (p['server'], p['action'])
    src, dst = ACTIONS[p['action']]

    def result(server, changed):
        try:
            vols = [c.block_storage.get_volume(a.get('id')) for a in server.attached_volumes or []]
        except Exception as e:
            osm.fail('server %s: its volumes' % p['server'], e)
        module.exit_json(changed=changed, server=server_dict(server, vols))

    # a stop or start under way (task_state set): let it end first
    if s.status == src and getattr(s, 'task_state', None) and p['wait'] and not module.check_mode:
        s = osm.wait_server(s, dst, what)
    if s.status == dst:
        result(s, False)
    if s.status != src:
        module.fail_json(msg='%s: the server is %s; it can %s only from %s' % (
            what, s.status, p['action'], src), server=server_dict(s))
    if module.check_mode:
        result(s, True)
    try:
        if p['action'] == 'stop':
            c.compute.stop_server(s)
        else:
            c.compute.start_server(s)
    except Exception as e:
        osm.fail(what, e)
    if p['wait']:
        s = osm.wait_server(s, dst, what)
    else:
        s = c.compute.get_server(s.id)
    result(s, True)


if __name__ == '__main__':
    main()
