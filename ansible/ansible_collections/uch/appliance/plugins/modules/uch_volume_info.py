#!/usr/bin/python
# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright: UCH project
# GNU General Public License v2.0 or later, so v3.0 or later too (see COPYING)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: uch_volume_info
short_description: List the volumes attached to an appliance, or wait for one by id
version_added: "0.1.0"
description:
  - Returns GET /v1/volumes. With I(volume), finds that volume the way a
    job would (virtio serial = the id's first 20 characters, or a by-id
    name) and waits up to I(wait_timeout) seconds for it to be attached;
    fails naming the id when it does not appear.
author: UCH project (!UNKNOWN)
options:
  volume:
    description: A volume id (a Cinder volume's UUID).
    type: str
  wait_timeout:
    description: Seconds to wait for I(volume) to appear (0 = it must be
      there now).
    type: int
    default: 0
  unused:
    description: With I(volume), also fail when the volume is mounted or an
      active job uses it.
    type: bool
    default: false
extends_documentation_fragment:
  - uch.appliance.connection
'''

EXAMPLES = r'''
- name: Wait up to two minutes for the new volume to be attached
  uch.appliance.uch_volume_info:
    volume: 7b7e1a52-1111-4222-8333-444455556666
    wait_timeout: 120
    unused: true
  register: v

- debug:
    msg: "{{ v.volume.path }}"
'''

RETURN = r'''
volumes:
  description: Every volume, as GET /v1/volumes lists it.
  returned: always
  type: list
  elements: dict
volume:
  description: The volume I(volume) names (path, serial, ids, size,
    read_only, mounted, job).
  returned: when volume is given
  type: dict
waited:
  description: Seconds spent waiting for I(volume).
  returned: when volume is given
  type: float
'''

import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.uch.appliance.plugins.module_utils.uch_api import (
    UchClient, UchError, uch_argument_spec, volume_matches)


def main():
    spec = uch_argument_spec()
    spec.update(volume=dict(type='str'),
                wait_timeout=dict(type='int', default=0),
                unused=dict(type='bool', default=False))
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    p = module.params
    client = UchClient.from_module(module)
    start = time.time()
    try:
        while True:
            vols = client.volumes()
            if not p['volume']:
                module.exit_json(changed=False, volumes=vols)
            found = [v for v in vols if volume_matches(v, p['volume'])]
            waited = round(time.time() - start, 3)
            if found:
                v = found[0]
                if p['unused'] and (v.get('mounted') or v.get('job')):
                    module.fail_json(msg='volume %s (%s) is in use: %s' % (
                        p['volume'], v.get('path'),
                        'mounted' if v.get('mounted') else 'by job %s' % v.get('job')),
                        volume=v, volumes=vols, waited=waited)
                module.exit_json(changed=False, volumes=vols, volume=v, waited=waited)
            if waited >= p['wait_timeout']:
                module.fail_json(msg='volume %s is not attached to this host (waited %d s; '
                                 'looked for serial %s and by-id names virtio-%s, '
                                 'scsi-0QEMU_QEMU_HARDDISK_%s)' % (
                                     p['volume'], p['wait_timeout'], p['volume'][:20],
                                     p['volume'][:20], p['volume']),
                                 volumes=vols, waited=waited)
            time.sleep(0.25)
    except UchError as e:
        module.fail_json(msg=e.message, status=e.status)


if __name__ == '__main__':
    main()
