# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright: UCH project
# GNU General Public License v2.0 or later, so v3.0 or later too (see COPYING)
"""What the uch_os_* modules share: the connection to a cloud (a
clouds.yaml entry, or auth given in the task) through openstacksdk, the
look-ups by name or id, the waits, and the plain dicts they return.

Why these modules exist at all: Debian 12's ansible ships openstack.cloud
1.10.0, which refuses Debian 12's openstacksdk 0.101.0 (it wants
<= 0.98.999), and openstack.cloud 2.x needs openstacksdk >= 1.0.  These
modules do the few things the volume_migration role needs over the
openstacksdk the distribution has; openstack.cloud >= 2 can replace them
once the distribution's openstacksdk allows it."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import traceback

from ansible.module_utils.basic import missing_required_lib

# openstacksdk is imported when a module runs, not when it is loaded:
# its imports warn (DeprecationWarning from a dependency), which
# ansible-test's import check counts as an error of ours
os_exc = None


def os_argument_spec(**extra):
    spec = dict(
        cloud=dict(type='str'),
        auth=dict(type='dict', no_log=True),
        auth_type=dict(type='str'),
        region_name=dict(type='str'),
        wait=dict(type='bool', default=True),
        timeout=dict(type='int', default=600),
    )
    spec.update(extra)
    return spec


class OsModule(object):
    """An AnsibleModule's connection to one cloud; fail() with the
    operation named on any SDK error."""

    def __init__(self, module):
        self.module = module
        p = module.params
        global os_exc  # pylint: disable=global-statement
        try:
            import openstack
            from openstack import exceptions
        except ImportError:
            module.fail_json(msg=missing_required_lib('openstacksdk (Debian: python3-openstacksdk)'),
                             exception=traceback.format_exc())
        os_exc = exceptions
        if not p['cloud'] and not p['auth']:
            module.fail_json(msg='cloud: required (a clouds.yaml entry) unless auth is given')
        if p['timeout'] <= 0:
            module.fail_json(msg='timeout: must be a positive number of seconds, not %d' % p['timeout'])
        kw = {}
        if p['cloud']:
            kw['cloud'] = p['cloud']
        if p['auth']:
            kw['auth'] = p['auth']
        if p['auth_type']:
            kw['auth_type'] = p['auth_type']
        if p['region_name']:
            kw['region_name'] = p['region_name']
        try:
            self.conn = openstack.connect(**kw)
        except Exception as e:  # openstack.config raises several kinds
            module.fail_json(msg='cloud %s: cannot connect: %s' % (p['cloud'] or '(auth)', e))

    def fail(self, what, err, **kw):
        msg = getattr(err, 'details', None) or str(err)
        self.module.fail_json(msg='%s: %s' % (what, msg), **kw)

    def find_volume(self, name_or_id, required=True):
        """The volume by id or by name (in this project); fails when
        required and missing, or when the name is not unique."""
        try:
            v = self.conn.block_storage.find_volume(name_or_id, ignore_missing=True)
        except os_exc.DuplicateResource:
            self.module.fail_json(msg='volume %s: more than one volume has this name; give its id' % name_or_id)
        except os_exc.SDKException as e:
            self.fail('volume %s: look-up' % name_or_id, e)
        if v is None and required:
            self.module.fail_json(msg='volume %s: no such volume in project %s' % (
                name_or_id, self.conn.current_project_id))
        if v is not None:  # find by name returns the list's entry; want all fields
            v = self.conn.block_storage.get_volume(v.id)
        return v

    def find_server(self, name_or_id, required=True):
        try:
            s = self.conn.compute.find_server(name_or_id, ignore_missing=True)
        except os_exc.DuplicateResource:
            self.module.fail_json(msg='server %s: more than one server has this name; give its id' % name_or_id)
        except os_exc.SDKException as e:
            self.fail('server %s: look-up' % name_or_id, e)
        if s is None and required:
            self.module.fail_json(msg='server %s: no such server in project %s' % (
                name_or_id, self.conn.current_project_id))
        if s is not None:
            s = self.conn.compute.get_server(s.id)
        return s

    def wait_volume(self, v, status, what):
        """Wait for v to reach status (or fail naming what and the status
        it ended in); returns it fresh."""
        try:
            return self.conn.block_storage.wait_for_status(
                v, status=status, interval=2, wait=self.module.params['timeout'],
                failures=['error', 'error_deleting', 'error_attaching', 'error_detaching',
                          'error_extending', 'error_restoring'])
        except os_exc.ResourceTimeout:
            v = self.conn.block_storage.get_volume(v.id)
            self.module.fail_json(msg='%s: volume %s is %s, not %s, after %d s' % (
                what, v.id, v.status, status, self.module.params['timeout']), volume=volume_dict(v))
        except os_exc.ResourceFailure:
            v = self.conn.block_storage.get_volume(v.id)
            self.module.fail_json(msg='%s: volume %s went to %s' % (what, v.id, v.status),
                                  volume=volume_dict(v))

    def wait_server(self, s, status, what):
        try:
            return self.conn.compute.wait_for_server(
                s, status=status, failures=['ERROR'], interval=2, wait=self.module.params['timeout'])
        except os_exc.ResourceTimeout:
            s = self.conn.compute.get_server(s.id)
            self.module.fail_json(msg='%s: server %s is %s, not %s, after %d s' % (
                what, s.id, s.status, status, self.module.params['timeout']), server=server_dict(s))
        except os_exc.ResourceFailure:
            s = self.conn.compute.get_server(s.id)
            fault = (s.fault or {}).get('message', '') if isinstance(s.fault, dict) else ''
            self.module.fail_json(msg='%s: server %s went to ERROR%s' % (
                what, s.id, ': ' + fault if fault else ''), server=server_dict(s))


def volume_servers(v):
    """The ids of the servers v is attached to."""
    return [a.get('server_id') for a in (v.attachments or [])]


def volume_dict(v):
    return dict(id=v.id, name=v.name, size=v.size, status=v.status,
                bootable=bool(v.is_bootable), volume_type=v.volume_type,
                availability_zone=v.availability_zone,
                image_metadata=dict(v.volume_image_metadata or {}),
                attachments=[dict(server_id=a.get('server_id'), device=a.get('device'),
                                  attachment_id=a.get('attachment_id'))
                             for a in (v.attachments or [])])


def server_flavor(s):
    """The name of a server's flavor: embedded in the server since
    compute microversion 2.47 (original_name), else its id."""
    f = s.flavor or {}
    if not isinstance(f, dict):
        f = f.to_dict() if hasattr(f, 'to_dict') else {}
    return f.get('original_name') or f.get('name') or f.get('id')


def server_dict(s, volumes=None):
    d = dict(id=s.id, name=s.name, status=s.status,
             addresses=s.addresses or {},
             booted_from_volume=not (s.image and s.image.id),
             volumes=[a.get('id') for a in (s.attached_volumes or [])],
             flavor=server_flavor(s), key_name=s.key_name,
             metadata=dict(s.metadata or {}), tags=sorted(s.tags or []),
             description=s.description)
    if volumes is not None:
        d['root_volume'] = root_volume(s, volumes)
    return d


def root_volume(s, volumes):
    """The id of the volume s boots from (None when it boots from an
    image): of its volumes, the one Cinder says is attached to it at the
    first device name (/dev/vda with libvirt).  A member of a project
    cannot read Nova's root_device_name (admin only), and Nova refuses
    to detach that volume ("Cannot detach a root device volume")."""
    if s.image and s.image.id:
        return None
    devs = []
    for v in volumes:
        for a in v.attachments or []:
            if a.get('server_id') == s.id and a.get('device'):
                devs.append((a['device'], v.id))
    return min(devs)[1] if devs else None
