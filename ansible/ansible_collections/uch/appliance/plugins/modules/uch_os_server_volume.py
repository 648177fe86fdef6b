#!/usr/bin/python
# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright: UCH project
# GNU General Public License v2.0 or later, so v3.0 or later too (see COPYING)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: uch_os_server_volume
short_description: Attach a Cinder volume to a Nova server, or detach it (over Debian 12's openstacksdk)
version_added: "0.1.0"
description:
  - C(present) attaches I(volume) to I(server) and waits for it to be
    C(in-use); a volume already attached to that server is left as it is.
    A volume attached to another server fails the task naming that
    server (volumes are not multi-attach here).
  - C(absent) detaches it and waits for it to be C(available); a volume
    not attached to that server is left as it is. Nova refuses to detach
    the volume a server boots from; the task fails with Nova's message.
  - Used by the volume_migration role instead of
    openstack.cloud.server_volume, which does not run with Debian 12's
    openstacksdk (see notes).
author: UCH project (!UNKNOWN)
options:
  server:
    description: The server's name (unique in the project) or id.
    type: str
    required: true
  volume:
    description: The volume's name (unique in the project) or id.
    type: str
    required: true
  state:
    description: Attached (C(present)) or not (C(absent)).
    type: str
    choices: [present, absent]
    default: present
  device:
    description: The device name to ask Nova for (C(/dev/vdb)); Nova
      (libvirt) may choose another. The guest finds the volume by its
      serial, the id's first 20 characters (C(/dev/disk/by-id/virtio-...)).
    type: str
extends_documentation_fragment:
  - uch.appliance.openstack
  - uch.appliance.ledger
'''

EXAMPLES = r'''
- name: The VM's data volume onto the source appliance
  uch.appliance.uch_os_server_volume:
    cloud: source
    server: uch-src-appliance
    volume: 3f1c2d3e-aaaa-4bbb-8ccc-0123456789ab
  delegate_to: localhost

- name: And off it again
  uch.appliance.uch_os_server_volume:
    cloud: source
    server: uch-src-appliance
    volume: 3f1c2d3e-aaaa-4bbb-8ccc-0123456789ab
    state: absent
  delegate_to: localhost
'''

RETURN = r'''
volume:
  description: The volume afterwards (id, name, size, status, bootable,
    volume_type, attachments with server_id and device); null when
    state is absent and there is no such volume.
  returned: always
  type: dict
server_id:
  description: The server's id.
  returned: always
  type: str
device:
  description: Where Nova attached the volume on the server (C(/dev/vdb)).
  returned: when state is present and not in check mode
  type: str
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.uch.appliance.plugins.module_utils.uch_openstack import (
    OsModule, os_argument_spec, volume_dict, volume_servers)

# the states a volume passes through on its way to available or in-use
TRANSIENT = ('attaching', 'detaching', 'reserved', 'creating', 'downloading')


def device_on(v, server_id):
    for a in v.attachments or []:
        if a.get('server_id') == server_id:
            return a.get('device')
    return None


def main():
    spec = os_argument_spec(
        ledger=dict(type='dict'),
        server=dict(type='str', required=True),
        volume=dict(type='str', required=True),
        state=dict(type='str', choices=['present', 'absent'], default='present'),
        device=dict(type='str'),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    p = module.params
    osm = OsModule(module)
    c = osm.conn
    s = osm.find_server(p['server'])
    v = osm.find_volume(p['volume'], required=p['state'] == 'present')
    if v is None:   # absent: no such volume is attached anywhere
        module.exit_json(changed=False, volume=None, server_id=s.id)
    what = 'volume %s on server %s' % (p['volume'], p['server'])
    # an attach or detach under way (an earlier run cut short): let it end
    if v.status in TRANSIENT and not module.check_mode:
        v = osm.wait_volume(v, 'in-use' if v.status in ('attaching', 'reserved') else 'available', what)
    attached_here = s.id in volume_servers(v)

    if p['state'] == 'present':
        if attached_here:
            module.exit_json(changed=False, volume=volume_dict(v), server_id=s.id,
                             device=device_on(v, s.id))
        if volume_servers(v):
            module.fail_json(msg='%s: the volume is attached to server %s; detach it there first' % (
                what, ', '.join(volume_servers(v))), volume=volume_dict(v), server_id=s.id)
        if v.status != 'available':
            module.fail_json(msg='%s: the volume is %s, not available' % (what, v.status),
                             volume=volume_dict(v), server_id=s.id)
        if module.check_mode:
            module.exit_json(changed=True, volume=volume_dict(v), server_id=s.id)
        attrs = dict(volume_id=v.id)
        if p['device']:
            attrs['device'] = p['device']
        try:
            c.compute.create_volume_attachment(s, **attrs)
        except Exception as e:
            osm.fail('%s: attach' % what, e)
        if p['wait']:
            v = osm.wait_volume(v, 'in-use', '%s: attach' % what)
        else:
            v = c.block_storage.get_volume(v.id)
        module.exit_json(changed=True, volume=volume_dict(v), server_id=s.id,
                         device=device_on(v, s.id))

    if not attached_here:
        module.exit_json(changed=False, volume=volume_dict(v), server_id=s.id)
    if module.check_mode:
        module.exit_json(changed=True, volume=volume_dict(v), server_id=s.id)
    try:
        # Nova's attachment is named by the volume's id
        c.compute.delete_volume_attachment(v.id, s, ignore_missing=False)
    except Exception as e:
        osm.fail('%s: detach' % what, e, volume=volume_dict(v), server_id=s.id)
    if p['wait']:
        v = osm.wait_volume(v, 'available', '%s: detach' % what)
    else:
        v = c.block_storage.get_volume(v.id)
    module.exit_json(changed=True, volume=volume_dict(v), server_id=s.id)


if __name__ == '__main__':
    main()
