#!/usr/bin/python
# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright: UCH project
# GNU General Public License v2.0 or later, so v3.0 or later too (see COPYING)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: uch_health
short_description: An appliance's health as facts (tools, versions, VDDK, KVM, slots, space), optionally failing on what is missing
version_added: "0.1.0"
description:
  - Reads GET /v1/health and sets the fact C(uch_health) - uchd's version,
    every tool it drives with its version (null when missing), nbdkit's
    plugins and filters, VDDK, KVM, the job slots (max, running, queued,
    free) and the free space of I(space_paths) on the host.
  - With I(wait_timeout), waits that long for uchd to answer (an appliance
    that just booted).
  - With I(require_tools), I(require_plugins), I(require_filters),
    I(require_kvm), I(require_vddk) and I(min_free_bytes), fails listing
    B(every) problem at once, so an appliance that cannot do the work is
    found before any VM is touched.
author: UCH project (!UNKNOWN)
options:
  wait_timeout:
    description: Seconds to wait for uchd to answer at all.
    type: int
    default: 0
  require_tools:
    description: Tools that must be present (keys of C(capabilities) -
      nbdkit, nbdcopy, qemu-nbd, qemu-img, virt-v2v).
    type: list
    elements: str
    default: []
  require_kvm:
    description: Fail when KVM does not work on the host.
    type: bool
    default: false
  require_vddk:
    description: Fail when VDDK is not installed.
    type: bool
    default: false
  space_paths:
    description: Paths on the host whose free space to report.
    type: list
    elements: path
    default: [/var/lib/uch]
  min_free_bytes:
    description: Fail when any of I(space_paths) has less free space.
    type: int
    default: 0
  jobs_labels:
    description: Also list the jobs whose request carries every one of
      these labels, returned as I(jobs) (as M(uch.appliance.uch_job_info)
      with I(labels) lists them), in the same round - a wave reads each
      appliance's health and its own jobs there at once.
    type: dict
extends_documentation_fragment:
  - uch.appliance.connection
  - uch.appliance.nbdkit
'''

EXAMPLES = r'''
- name: Is this appliance fit for a cloud-to-cloud wave?
  uch.appliance.uch_health:
    wait_timeout: 120
    require_tools: [nbdkit, nbdcopy, qemu-img]
    require_plugins: [file, nbd]
    require_filters: [rate]

- debug:
    msg: "{{ inventory_hostname }} has {{ uch_health.slots.free }} free slots"
'''

RETURN = r'''
ansible_facts:
  description: Facts set on the host.
  returned: always
  type: complex
  contains:
    uch_health:
      description: GET /v1/health, plus C(slots.idle) (the running exports
        only waiting out their idle time, in phase C(idle), every disk
        read and no client, ending within their C(idle_s)), C(slots.free)
        (max - running - queued + idle, never below 0; a wave counts an
        idle export's slot as free, its own export waiting for the port
        with C(port_wait_s)), C(space) (path to free bytes) and C(tools)
        (tool name to version, null when missing).
      type: dict
      sample: {"status": "ok", "version": "0.1.0",
               "slots": {"max": 2, "running": 0, "queued": 0, "idle": 0, "free": 2},
               "tools": {"nbdkit": "1.32.5", "nbdcopy": "1.14.2", "virt-v2v": null},
               "kvm": true, "vddk": false, "space": {"/var/lib/uch": 10737418240}}
jobs:
  description: The jobs carrying I(jobs_labels), newest first.
  returned: when jobs_labels is given
  type: list
  elements: dict
problems:
  description: What the requirements found missing (the task fails when
    this is not empty).
  returned: always
  type: list
  elements: str
'''

import os
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.uch.appliance.plugins.module_utils.uch_api import (
    UchClient, UchError, nbdkit_argument_spec, nbdkit_problems, uch_argument_spec)

TOOLS = ('nbdkit', 'nbdcopy', 'qemu-nbd', 'qemu-img', 'virt-v2v')


def main():
    spec = uch_argument_spec()
    spec.update(nbdkit_argument_spec())
    spec.update(
        wait_timeout=dict(type='int', default=0),
        require_tools=dict(type='list', elements='str', default=[]),
        require_kvm=dict(type='bool', default=False),
        require_vddk=dict(type='bool', default=False),
        space_paths=dict(type='list', elements='path', default=['/var/lib/uch']),
        min_free_bytes=dict(type='int', default=0),
        jobs_labels=dict(type='dict'),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    p = module.params
    client = UchClient.from_module(module)
    deadline = time.time() + p['wait_timeout']
    while True:
        try:
            h = client.health()
            break
        except UchError as e:
            if time.time() >= deadline:
                module.fail_json(msg='uchd did not answer%s: %s' % (
                    ' within %d s' % p['wait_timeout'] if p['wait_timeout'] else '',
                    e.message), problems=[e.message])
            time.sleep(0.5)

    caps = h.get('capabilities') or {}
    slots = dict(h.get('slots') or {})
    listed = None
    slots['idle'] = 0
    if int(slots.get('running', 0)) > 0 or p['jobs_labels'] is not None:
        try:
            listed = client.list_jobs()
        except UchError as e:
            listed = e
    if isinstance(listed, list):
        slots['idle'] = len([j for j in listed if j.get('state') == 'running'
                             and j.get('phase') == 'idle'])
    slots['free'] = max(0, int(slots.get('max', 0)) - int(slots.get('running', 0))
                        - int(slots.get('queued', 0)) + slots['idle'])
    h['slots'] = slots
    h['tools'] = dict((t, (caps.get(t) or {}).get('version') if caps.get(t) else None)
                      for t in TOOLS)
    h['kvm'] = bool(caps.get('kvm'))
    h['vddk'] = bool(caps.get('vddk'))
    space = {}
    for sp in p['space_paths']:
        try:
            st = os.statvfs(sp)
            space[sp] = st.f_bavail * st.f_frsize
        except OSError:
            space[sp] = None
    h['space'] = space

    problems = []
    for t in p['require_tools']:
        if not caps.get(t):
            problems.append('%s is missing (not found on uchd\'s PATH)' % t)
    problems += nbdkit_problems(caps.get('nbdkit'), p['require_plugins'],
                                p['require_filters'])
    if p['require_kvm'] and not h['kvm']:
        problems.append('KVM does not work on this host (/dev/kvm)')
    if p['require_vddk'] and not h['vddk']:
        problems.append('VDDK is not installed')
    for sp, free in space.items():
        if not p['min_free_bytes']:
            continue
        if free is None:
            problems.append('%s does not exist' % sp)
        elif free < p['min_free_bytes']:
            problems.append('%s has %d bytes free, less than %d'
                            % (sp, free, p['min_free_bytes']))
    if h.get('status') != 'ok':
        problems.append('uchd status is %s' % h.get('status'))
    out = dict(changed=False, ansible_facts=dict(uch_health=h), problems=problems)
    if p['jobs_labels'] is not None:
        want = p['jobs_labels']
        if isinstance(listed, UchError):
            problems.append('cannot list the jobs: %s' % listed.message)
        else:
            out['jobs'] = [j for j in listed
                           if all(((j.get('request') or {}).get('labels') or {}).get(k) == str(v)
                                  for k, v in want.items())]
    if problems:
        module.fail_json(msg='%d problem(s) on this appliance: %s'
                         % (len(problems), '; '.join(problems)), **out)
    module.exit_json(**out)


if __name__ == '__main__':
    main()
