#!/usr/bin/python
# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright: UCH project
# GNU General Public License v2.0 or later, so v3.0 or later too (see COPYING)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: uch_check
short_description: Runs C(uchctl check --json) on the appliance and fails listing every fatal finding at once
version_added: "0.1.0"
description:
  - Runs C(uchctl check --json) on the host the module runs on (uchd need
    not be up for it) - tools and their versions, nbdkit and its plugins,
    VDDK, KVM, the libguestfs appliance, free space of uchd's state and
    runtime folders, and the way to the vCenter and ESXi hosts named.
  - C(uchctl check) itself says C(ok), C(warn) or C(fail) for each check;
    which failures stop this host is decided here by I(fatal), because a
    copy-only appliance needs no virt-v2v and one without VMware sources
    no VDDK. Every check of I(vcenter) and I(esxi) is fatal when it fails.
    The other failures and every warning are returned in C(warnings).
  - Also fails when nbdkit lacks a plugin of I(require_plugins) or a filter
    of I(require_filters) (from the capabilities C(uchctl check) found).
  - Fails with B(every) problem in one message, before any VM is touched.
  - Reads only; runs in check mode too.
author: UCH project (!UNKNOWN)
options:
  uchctl:
    description: The uchctl program on the host.
    type: str
    default: uchctl
  state_dir:
    description: uchd's state folder, whose free space is checked
      (uchctl's default, C(/var/lib/uch), when not given).
    type: path
  runtime_dir:
    description: uchd's runtime folder, whose free space is checked
      (uchctl's default, C(/run/uch), when not given).
    type: path
  vddk_libdir:
    description: The VDDK folder to check (C(--vddk-libdir)); uchctl then
      reports a missing VDDK as a failure.
    type: path
  quick:
    description: Skip booting the libguestfs appliance (C(--quick); about
      35 s without KVM otherwise, cached a day by uchctl when good).
    type: bool
    default: true
  vcenter:
    description: vCenter hosts whose name, ports 443 and 902 and TLS
      certificate to check (C(--vcenter)).
    type: list
    elements: str
    default: []
  esxi:
    description: ESXi hosts to check the same way (C(--esxi)).
    type: list
    elements: str
    default: []
  fatal:
    description: Names of uchctl's checks whose failure stops this host
      (C(nbdkit), C(nbdcopy), C(qemu-img), C(qemu-nbd), C(virt-v2v),
      C(virt-v2v-in-place), C(vddk-plugin), C(vddk-library), C(kvm),
      C(libguestfs), C(space-state), C(space-runtime), C(space-tmp)).
      A name given here also makes a C(warn) of that check fatal (C(kvm)
      and the VDDK checks only ever warn without I(vddk_libdir)).
    type: list
    elements: str
    default: [nbdkit, nbdcopy, qemu-img, qemu-nbd, space-state, space-runtime]
  path:
    description: C(PATH) to run uchctl check with, when uchd runs with
      another one than the SSH session has (uchctl looks for the tools
      on its PATH).
    type: str
extends_documentation_fragment:
  - uch.appliance.nbdkit
'''

EXAMPLES = r'''
- name: Fit for cloud-to-cloud copies?
  uch.appliance.uch_check:
    require_plugins: [file, nbd]
    require_filters: [rate]

- name: Fit for VMware conversions through VDDK?
  uch.appliance.uch_check:
    quick: false
    vddk_libdir: /opt/vmware-vix-disklib-distrib
    vcenter: [vcenter.example.com]
    fatal: [nbdkit, nbdcopy, qemu-img, qemu-nbd, virt-v2v, libguestfs,
            vddk-plugin, vddk-library, space-state, space-runtime]
'''

RETURN = r'''
passed:
  description: uchctl's own verdict (no check with status C(fail)).
  returned: when uchctl ran
  type: bool
checks:
  description: Every check as uchctl reported it.
  returned: when uchctl ran
  type: list
  elements: dict
  sample: [{"name": "nbdkit", "status": "fail",
            "message": "nbdkit is not installed (needed for copy and export jobs; Debian: apt-get install nbdkit)"}]
capabilities:
  description: The facts uchctl judged (tools, plugins, filters, KVM,
    VDDK, space), as uchd shows them under C(capabilities) in its health.
  returned: when uchctl ran
  type: dict
problems:
  description: The fatal findings, each as C(NAME) colon C(MESSAGE); the task
    fails when this is not empty.
  returned: always
  type: list
  elements: str
warnings:
  description: The other findings that are not C(ok), as C(NAME) colon C(MESSAGE).
  returned: when uchctl ran
  type: list
  elements: str
command:
  description: The command line that ran.
  returned: always
  type: list
  elements: str
'''

import json

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.uch.appliance.plugins.module_utils.uch_api import (
    nbdkit_argument_spec, nbdkit_problems)


def check_argv(p):
    argv = [p['uchctl'], 'check', '--json']
    if p['quick']:
        argv.append('--quick')
    for opt, key in (('--state-dir', 'state_dir'), ('--runtime-dir', 'runtime_dir'),
                     ('--vddk-libdir', 'vddk_libdir')):
        if p[key]:
            argv += [opt, p[key]]
    for h in p['vcenter']:
        argv += ['--vcenter', h]
    for h in p['esxi']:
        argv += ['--esxi', h]
    return argv


def judge(checks, caps, p):
    """(problems, warnings) from uchctl's checks and capabilities."""
    problems, warnings = [], []
    fatal = set(p['fatal'])
    for c in checks:
        name, status = c.get('name', '?'), c.get('status')
        if status == 'ok':
            continue
        line = '%s: %s' % (name, c.get('message', ''))
        host_check = name.startswith('vcenter ') or name.startswith('esxi ')
        if (status == 'fail' and host_check) or name in fatal:
            problems.append(line)
        else:
            warnings.append(line)
    problems += nbdkit_problems(caps.get('nbdkit'), p['require_plugins'],
                                p['require_filters'])
    return problems, warnings


def main():
    spec = nbdkit_argument_spec()
    spec.update(
        uchctl=dict(type='str', default='uchctl'),
        state_dir=dict(type='path'),
        runtime_dir=dict(type='path'),
        vddk_libdir=dict(type='path'),
        quick=dict(type='bool', default=True),
        vcenter=dict(type='list', elements='str', default=[]),
        esxi=dict(type='list', elements='str', default=[]),
        fatal=dict(type='list', elements='str',
                   default=['nbdkit', 'nbdcopy', 'qemu-img', 'qemu-nbd',
                            'space-state', 'space-runtime']),
        path=dict(type='str'),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    p = module.params
    argv = check_argv(p)
    env = {'PATH': p['path']} if p['path'] else None
    try:
        rc, out, err = module.run_command(argv, environ_update=env)
    except OSError as e:
        module.fail_json(msg='cannot run %s: %s' % (p['uchctl'], e),
                         problems=['uchctl: %s' % e], command=argv)
    try:
        doc = json.loads(out)
        checks = doc['checks']
    except (ValueError, KeyError, TypeError):
        # not uchctl's JSON: a usage error or no uchctl at all
        msg = (err or out).strip() or 'exit status %d, no output' % rc
        module.fail_json(msg='uchctl check did not run: %s' % msg,
                         problems=['uchctl check: %s' % msg], command=argv, rc=rc)
    caps = doc.get('capabilities') or {}
    problems, warnings = judge(checks, caps, p)
    res = dict(changed=False, passed=bool(doc.get('passed')), checks=checks,
               capabilities=caps, problems=problems, warnings=warnings, command=argv)
    if problems:
        module.fail_json(msg='%d problem(s) found by uchctl check: %s'
                         % (len(problems), '; '.join(problems)), **res)
    module.exit_json(**res)


if __name__ == '__main__':
    main()
