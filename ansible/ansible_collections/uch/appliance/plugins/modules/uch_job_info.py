#!/usr/bin/python
# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright: UCH project
# GNU General Public License v2.0 or later, so v3.0 or later too (see COPYING)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: uch_job_info
short_description: Read uchd jobs (one, or all with filters), with their log tails
version_added: "0.1.0"
description:
  - Returns one job by I(id), or every job uchd knows (newest first),
    filtered by I(state), I(type) and I(labels).
  - Never changes anything.
author: UCH project (!UNKNOWN)
options:
  id:
    description: One job. Without it, the list.
    type: str
  state:
    description: Only jobs in this state (list only).
    type: str
    choices: [queued, running, succeeded, failed, cancelled]
  type:
    description: Only jobs of this type (list only).
    type: str
  labels:
    description: Only jobs whose request has all these labels (list only).
    type: dict
  log_lines:
    description: With I(id), also return the last this many lines of the
      job's log (0 for none).
    type: int
    default: 0
extends_documentation_fragment:
  - uch.appliance.connection
'''

EXAMPLES = r'''
- name: Everything this wave ran on the appliance
  uch.appliance.uch_job_info:
    labels: {wave: wave1}
  register: history

- name: One job and the end of its log
  uch.appliance.uch_job_info:
    id: web01-sda-copy
    log_lines: 20
  register: j
'''

RETURN = r'''
job:
  description: The job with I(id); null when uchd has no such job.
  returned: when id is given
  type: dict
exists:
  description: Whether the job with I(id) exists.
  returned: when id is given
  type: bool
log_tail:
  description: The last I(log_lines) lines of its log.
  returned: when id and log_lines are given
  type: list
  elements: str
jobs:
  description: The jobs, newest first.
  returned: when id is not given
  type: list
  elements: dict
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.uch.appliance.plugins.module_utils.uch_api import (
    UchClient, UchError, uch_argument_spec)


def main():
    spec = uch_argument_spec()
    spec.update(
        id=dict(type='str'),
        state=dict(type='str', choices=['queued', 'running', 'succeeded',
                                        'failed', 'cancelled']),
        type=dict(type='str'),
        labels=dict(type='dict'),
        log_lines=dict(type='int', default=0),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    p = module.params
    client = UchClient.from_module(module)
    try:
        if p['id']:
            job = client.get_job(p['id'])
            out = dict(changed=False, job=job, exists=job is not None)
            if job is not None and p['log_lines'] > 0:
                out['log_tail'] = client.log_tail(p['id'], p['log_lines'])
            module.exit_json(**out)
        jobs = client.list_jobs(p['state'], p['type'])
        want = p['labels'] or {}
        if want:
            jobs = [j for j in jobs
                    if all(((j.get('request') or {}).get('labels') or {}).get(k) == str(v)
                           for k, v in want.items())]
        module.exit_json(changed=False, jobs=jobs)
    except UchError as e:
        module.fail_json(msg=e.message, status=e.status)


if __name__ == '__main__':
    main()
