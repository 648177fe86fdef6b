#!/usr/bin/python
# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright: UCH project
# GNU General Public License v2.0 or later, so v3.0 or later too (see COPYING)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: uch_os_volume
short_description: Create or delete a Cinder volume (over Debian 12's openstacksdk)
version_added: "0.1.0"
description:
  - Makes sure a volume of this I(name) exists in the project (empty, from
    an image, a clone of another volume, or made from a snapshot of a
    server booted from an image) or does not.
  - A volume of that name already there is left as it is (C(changed=false));
    when its size is not I(size), the task fails saying so rather than use it.
  - Used by the volume_migration role instead of openstack.cloud.volume,
    which does not run with Debian 12's openstacksdk (see notes).
author: UCH project (!UNKNOWN)
options:
  name:
    description: The volume's name (unique in the project) or id.
    type: str
    required: true
  state:
    description: C(present) or C(absent). A volume still attached to a
      server is not deleted (the task fails naming the server); one
      attached only to servers being deleted is waited for (with
      I(wait)) until Nova has detached it.
    type: str
    choices: [present, absent]
    default: present
  size:
    description: Size in GiB, for a new volume (required unless
      I(source_volume) gives it).
    type: int
  image:
    description: Name or id of an image to make the new volume from.
    type: str
  source_volume:
    description: Name or id of a volume to clone (Cinder allows an
      C(in-use) one; stop its server first for a consistent copy).
    type: str
  server_snapshot:
    description:
      - Name or id of a server booted from an image (no volume to clone);
        the new volume is made from a snapshot of its disk (Nova's
        C(createImage)), an image of the volume's I(name) in the project
        (stop the server first for a consistent copy). The image is
        deleted once the volume is made or its making failed, as
        os-migrate's boot_disk_copy does; I(size) is required (at least
        the server's flavor's disk).
      - A volume of the name already there is not made again (no second
        snapshot); an image a run cut short left (one of the name, made
        by this option) is used, and deleted.
      - With I(state=absent), any value, an image of the name that such
        a snapshot left is deleted too (C(changed=true)).
    type: str
  volume_type:
    description: The new volume's type (the cloud's default when not given).
      A volume already there of another type is left as it is.
    type: str
  availability_zone:
    description: The new volume's availability zone (Cinder's default
      when not given). A volume already there in another zone is left as
      it is.
    type: str
  description:
    description: The new volume's description.
    type: str
  bootable:
    description: Whether Nova may boot a server from the volume (Cinder's
      C(bootable) flag, which only a volume made from an image has on
      its own; Nova refuses an empty volume as a boot volume, "Block
      Device ... is not bootable"). Set on a new volume, and on one
      already there whose flag differs (C(changed=true)). Left as Cinder
      has it when not given.
    type: bool
  image_metadata:
    description:
      - Image properties Nova reads from a volume it boots a server from
        (Cinder's C(volume_image_metadata)), such as C(hw_firmware_type)
        (C(uefi) for a UEFI guest, which BIOS firmware does not boot),
        C(hw_machine_type), C(hw_disk_bus), C(os_type). Set on the new
        volume, and on one already there where a key is missing or has
        another value (C(changed=true)); keys it has that are not given
        are left. Values are strings, as Cinder keeps them.
    type: dict
extends_documentation_fragment:
  - uch.appliance.openstack
  - uch.appliance.ledger
'''

EXAMPLES = r'''
- name: A 10 GiB volume for a copy
  uch.appliance.uch_os_volume:
    cloud: destination
    name: wave1-web01-sda
    size: 10
    bootable: true
  delegate_to: localhost
  register: vol

- name: A clone of a server's root volume (which Nova does not detach)
  uch.appliance.uch_os_volume:
    cloud: source
    name: wave1-web01-sda-src
    source_volume: 3f1c2d3e-aaaa-4bbb-8ccc-0123456789ab
  delegate_to: localhost

- name: A volume from a snapshot of a server booted from an image
  uch.appliance.uch_os_volume:
    cloud: source
    name: wave1-app01-vda-src
    server_snapshot: app01
    size: 4
  delegate_to: localhost

- name: Gone
  uch.appliance.uch_os_volume:
    cloud: source
    name: wave1-web01-sda-src
    state: absent
  delegate_to: localhost
'''

RETURN = r'''
volume:
  description: The volume (id, name, size in GiB, status, bootable,
    volume_type, attachments with server_id and device, image_metadata);
    in check mode,
    for a volume that would be created, only the name.
  returned: when state is present
  type: dict
id:
  description: The volume's id (none in check mode for a volume that
    would be created, or after state absent found none).
  returned: always
  type: str
'''

import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.uch.appliance.plugins.module_utils.uch_openstack import (
    OsModule, os_argument_spec, volume_dict, volume_servers)

# the property server_snapshot's images carry (Nova's createImage
# metadata): only those are used again or deleted by name
SNAPSHOT_OF = 'uch_snapshot_of'


def set_image_metadata(osm, v, p):
    """The keys of p['image_metadata'] V lacks or has otherwise, set
    (Cinder's os-set_image_metadata; Debian 12's openstacksdk has no
    call for it): (changed, V read again).  None in check mode."""
    want = dict((k, str(val)) for k, val in (p['image_metadata'] or {}).items())
    have = v.volume_image_metadata or {}
    todo = dict((k, val) for k, val in want.items() if have.get(k) != val)
    if not todo:
        return False, v
    if osm.module.check_mode:
        return True, v
    from openstack import exceptions  # OsModule found it
    c = osm.conn
    try:
        r = c.block_storage.post('/volumes/%s/action' % v.id,
                                 json={'os-set_image_metadata': {'metadata': todo}})
        exceptions.raise_from_response(r)
        return True, c.block_storage.get_volume(v.id)
    except Exception as e:
        osm.fail('volume %s (%s): image_metadata %s' % (p['name'], v.id, ', '.join(sorted(todo))), e)


def set_bootable(osm, v, p):
    """Cinder's bootable flag of V set to p['bootable']; V read again."""
    c = osm.conn
    try:
        c.block_storage.set_volume_bootable_status(v, p['bootable'])
        return c.block_storage.get_volume(v.id)
    except Exception as e:
        osm.fail('volume %s (%s): bootable' % (p['name'], v.id), e)


def server_gone(c, sid):
    """Whether the server SID is deleted (or going)."""
    try:
        s = c.compute.find_server(sid, ignore_missing=True)
    except Exception:  # not ours to judge: the caller says it is attached
        return False
    return s is None or s.status == 'DELETED' or getattr(s, 'task_state', None) == 'deleting'


def snapshot_image(osm, name):
    """The image NAME a server_snapshot made in this project, or None."""
    c = osm.conn
    try:
        imgs = [i for i in c.image.images(name=name, owner=c.current_project_id)
                if SNAPSHOT_OF in (i.properties or {})]
    except Exception as e:
        osm.fail('image %s: look-up' % name, e)
    return imgs[0] if imgs else None


def delete_snapshot_image(osm, img, name):
    try:
        osm.conn.image.delete_image(img, ignore_missing=True)
    except Exception as e:
        osm.fail('image %s (%s), the snapshot: delete' % (name, img.id), e)


def make_snapshot(osm, p):
    """The image of server p['server_snapshot'] named p['name'], active:
    one a run cut short left, or a new one (Nova's createImage)."""
    c = osm.conn
    s = osm.find_server(p['server_snapshot'])
    if not (s.image and s.image.id):
        osm.module.fail_json(msg='server_snapshot: server %s (%s) boots from a volume, not an image; '
                             'clone its volume (source_volume)' % (p['server_snapshot'], s.id))
    img = snapshot_image(osm, p['name'])
    if img is None:
        try:
            img = c.compute.create_server_image(s, p['name'], metadata={SNAPSHOT_OF: s.id})
        except Exception as e:
            osm.fail('server %s (%s): snapshot %s' % (p['server_snapshot'], s.id, p['name']), e)
    end = time.time() + p['timeout']
    while True:
        try:
            img = c.image.get_image(img.id)
        except Exception as e:
            osm.fail('image %s (%s), the snapshot: status' % (p['name'], img.id), e)
        if img.status == 'active':
            return img
        if img.status in ('killed', 'deleted', 'deactivated') or time.time() > end:
            delete_snapshot_image(osm, img, p['name'])
            osm.module.fail_json(msg='server %s (%s): its snapshot %s (%s) is %s%s' % (
                p['server_snapshot'], s.id, p['name'], img.id, img.status,
                ' after %d s' % p['timeout'] if img.status not in ('killed', 'deleted', 'deactivated') else ''))
        time.sleep(2)


def main():
    spec = os_argument_spec(
        ledger=dict(type='dict'),
        name=dict(type='str', required=True),
        state=dict(type='str', choices=['present', 'absent'], default='present'),
        size=dict(type='int'),
        image=dict(type='str'),
        source_volume=dict(type='str'),
        server_snapshot=dict(type='str'),
        volume_type=dict(type='str'),
        availability_zone=dict(type='str'),
        description=dict(type='str'),
        bootable=dict(type='bool'),
        image_metadata=dict(type='dict'),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True,
                           mutually_exclusive=[('image', 'source_volume', 'server_snapshot')])
    p = module.params
    if p['size'] is not None and p['size'] <= 0:
        module.fail_json(msg='size: must be a positive number of GiB, not %d' % p['size'])
    osm = OsModule(module)
    c = osm.conn
    v = osm.find_volume(p['name'], required=False)

    if p['state'] == 'absent':
        img = snapshot_image(osm, p['name']) if p['server_snapshot'] else None
        if img is not None and not module.check_mode:
            delete_snapshot_image(osm, img, p['name'])
        if v is None:
            module.exit_json(changed=img is not None, id=None)
        # a server just deleted (an undo, servers before their volumes):
        # Nova detaches its volumes as it goes
        if volume_servers(v) and p['wait'] and not module.check_mode and (
                v.status == 'detaching' or all(server_gone(c, s) for s in volume_servers(v))):
            v = osm.wait_volume(v, 'available', 'volume %s: its server deleted' % p['name'])
        if volume_servers(v):
            module.fail_json(msg='volume %s (%s): still attached to server %s; detach it first' % (
                p['name'], v.id, ', '.join(volume_servers(v))), volume=volume_dict(v), id=v.id)
        if not module.check_mode:
            try:
                c.block_storage.delete_volume(v)
                if p['wait']:
                    c.block_storage.wait_for_delete(v, interval=2, wait=p['timeout'])
            except Exception as e:
                osm.fail('volume %s (%s): delete' % (p['name'], v.id), e)
        module.exit_json(changed=True, id=v.id)

    if v is not None:
        # a run cut short after the volume was made left the snapshot
        img = snapshot_image(osm, p['name']) if p['server_snapshot'] else None
        if img is not None and not module.check_mode:
            delete_snapshot_image(osm, img, p['name'])
        if p['size'] is not None and v.size != p['size']:
            module.fail_json(msg='volume %s (%s) exists with size %s GiB, not %d' % (
                p['name'], v.id, v.size, p['size']), volume=volume_dict(v), id=v.id)
        if v.status in ('creating', 'downloading') and p['wait'] and not module.check_mode:
            v = osm.wait_volume(v, 'available', 'volume %s' % p['name'])
        elif v.status.startswith('error'):
            module.fail_json(msg='volume %s (%s) exists in status %s' % (p['name'], v.id, v.status),
                             volume=volume_dict(v), id=v.id)
        changed = img is not None
        if p['bootable'] is not None and bool(v.is_bootable) != p['bootable']:
            changed = True
            if not module.check_mode:
                v = set_bootable(osm, v, p)
        meta_changed, v = set_image_metadata(osm, v, p)
        module.exit_json(changed=changed or meta_changed, volume=volume_dict(v), id=v.id)

    attrs = dict(name=p['name'])
    if p['source_volume']:
        attrs['source_volume_id'] = osm.find_volume(p['source_volume']).id
    elif p['size'] is None:
        module.fail_json(msg='size: required to create volume %s (or give source_volume)%s' % (
            p['name'], ' (server_snapshot: at least the server\'s flavor\'s disk)' if p['server_snapshot'] else ''))
    if p['size'] is not None:
        attrs['size'] = p['size']
    if p['image']:
        try:
            img = c.image.find_image(p['image'], ignore_missing=True)
        except Exception as e:
            osm.fail('image %s: look-up' % p['image'], e)
        if img is None:
            module.fail_json(msg='image: no image %s' % p['image'])
        attrs['image_id'] = img.id
    if p['volume_type']:
        attrs['volume_type'] = p['volume_type']
    if p['availability_zone']:
        attrs['availability_zone'] = p['availability_zone']
    if p['description']:
        attrs['description'] = p['description']
    if module.check_mode:
        module.exit_json(changed=True, volume=dict(name=p['name']), id=None)
    img, made = None, False
    if p['server_snapshot']:
        img = make_snapshot(osm, p)
        attrs['image_id'] = img.id
    try:
        try:
            v = c.block_storage.create_volume(**attrs)
        except Exception as e:
            osm.fail('volume %s: create' % p['name'], e)
        # from a snapshot: waited for whatever wait says, the image is
        # deleted once Cinder has copied it
        if p['wait'] or p['bootable'] is not None or img is not None:
            v = osm.wait_volume(v, 'available', 'volume %s: create' % p['name'])
        made = True
    finally:
        # whatever the outcome; after a failure (fail_json's exit) the
        # failure is the one reported
        if img is not None:
            try:
                c.image.delete_image(img, ignore_missing=True)
            except Exception as e:
                if made:
                    osm.fail('image %s (%s), the snapshot: delete' % (p['name'], img.id), e)
    if p['bootable'] is not None and bool(v.is_bootable) != p['bootable']:
        v = set_bootable(osm, v, p)
    if p['image_metadata']:
        if v.status != 'available':
            v = osm.wait_volume(v, 'available', 'volume %s: create' % p['name'])
        v = set_image_metadata(osm, v, p)[1]
    module.exit_json(changed=True, volume=volume_dict(v), id=v.id)


if __name__ == '__main__':
    main()
