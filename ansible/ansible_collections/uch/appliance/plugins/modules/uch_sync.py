#!/usr/bin/python
# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright: UCH project
# GNU General Public License v2.0 or later, so v3.0 or later too (see COPYING)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: uch_sync
short_description: Passes and the cutover of a uchd sync job (a warm migration)
version_added: "0.1.0"
description:
  - Drives a C(sync) job that M(uch.appliance.uch_job) submitted. Its
    pass 1 copies everything while the VM runs; then the job waits in
    phase C(waiting).
  - C(action=wait) waits until pass 1 (or whatever pass runs) is done and
    the job waits for the next one.
  - C(action=sync) asks for another pass (C(POST /v1/jobs/ID/sync)), which
    copies only what changed (the sources' dirty bitmaps, or what
    I(disks) says), and with I(wait) waits until it is done.
  - C(action=cutover) asks for the last pass (C(POST /v1/jobs/ID/cutover))
    and with I(wait) waits until the job has ended; it must end
    C(succeeded).
  - Returns the job and C(passes), one entry per pass with its bytes and
    seconds (from C(result.passes)).
  - A job that fails, or a wait that times out, fails the task with uchd's
    own error message, the job's phase and the last lines of its log.
  - Idempotent where it can be - a sync job that already ended
    C(succeeded) (cut over) is left alone, C(changed=false), for every
    action, so a rerun after the cutover does nothing. A C(sync) pass is
    always a change otherwise.
author: UCH project (!UNKNOWN)
options:
  id:
    description: The sync job's id.
    type: str
    required: true
  action:
    description: C(wait), C(sync) (one more pass) or C(cutover) (the last
      pass).
    type: str
    choices: [wait, sync, cutover]
    default: sync
  disks:
    description:
      - The pass request's C(disks), one entry per disk of the job in
        order, each with at most one of C(changed_extents)
        (C([[OFFSET, LENGTH], ...]), e.g. from VMware CBT) and C(bitmap)
        (another bitmap of the same C(nbd) source), and C(change_id).
      - Left out, every disk's source C(bitmap) says what changed.
    type: list
    elements: dict
  wait:
    description: Wait for the pass (or, with C(cutover), for the job to
      end).
    type: bool
    default: true
  wait_timeout:
    default: 86400
notes:
  - Check mode is supported; nothing is asked of uchd.
extends_documentation_fragment:
  - uch.appliance.connection
  - uch.appliance.job_wait
'''

EXAMPLES = r'''
- name: Start web01's warm migration (pass 1, full)
  uch.appliance.uch_job:
    id: web01
    request:
      type: sync
      disks:
        - source: {nbd: "nbd://hv1:10809/sda", bitmap: uch-warm}
          destination: {volume: 7b7e1a52-1111-4222-8333-444455556666}

- name: Wait until pass 1 is done
  uch.appliance.uch_sync:
    id: web01
    action: wait

- name: One more pass of what changed
  uch.appliance.uch_sync:
    id: web01
  register: pass

- debug:
    msg: "pass {{ pass.pass.number }}: {{ pass.pass.bytes }} bytes in {{ pass.pass.seconds }} s"

- name: The VM is stopped; the last pass
  uch.appliance.uch_sync:
    id: web01
    action: cutover

- name: A pass from VMware CBT's changed areas
  uch.appliance.uch_sync:
    id: web02
    disks:
      - {changed_extents: [[0, 1048576], [8388608, 65536]], change_id: "52 a1 ... /7"}
'''

RETURN = r'''
job:
  description: The sync job as uchd returns it (GET /v1/jobs/ID).
  returned: always
  type: dict
passes:
  description: Every pass so far, in order (C(number) from 1, C(kind)
    C(full) or C(incremental), C(trigger) C(start), C(sync), C(interval)
    or C(cutover), C(bytes), C(seconds), C(started_at), C(line) - the pass
    in words).
  returned: always
  type: list
  elements: dict
  sample: [{"number": 1, "kind": "full", "trigger": "start", "bytes": 8388608,
            "seconds": 0.41, "line": "pass 1 (full, start): 8388608 bytes in 0.41 s"}]
pass:
  description: The pass this task asked for and waited for (as in
    C(passes)).
  returned: when a pass was asked for and waited for
  type: dict
log_tail:
  description: The last lines of the job's log, when it failed or the
    wait timed out.
  returned: failure
  type: list
  elements: str
'''

import re
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.uch.appliance.plugins.module_utils.uch_api import (
    FINAL_STATES, UchError, UchClient, job_failure_message, job_wait_argument_spec,
    pass_summaries, poll_delays, quote, uch_argument_spec)


def main():
    spec = uch_argument_spec()
    spec.update(
        id=dict(type='str', required=True),
        action=dict(type='str', default='sync', choices=['wait', 'sync', 'cutover']),
        disks=dict(type='list', elements='dict'),
        wait=dict(type='bool', default=True),
    )
    spec.update(job_wait_argument_spec(wait_timeout=86400))
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    p = module.params
    job_id = p['id']
    if not re.match(r'^[A-Za-z0-9._-]{1,64}$', job_id) or job_id in ('.', '..'):
        module.fail_json(msg='id: must be 1 to 64 of A-Z a-z 0-9 . _ - (got %r)' % job_id)
    client = UchClient.from_module(module)
    result = dict(changed=False, job=None, passes=[])

    def fail_job(job, why=None):
        tail, last_phase = client.log_tail_and_phase(job_id, p['log_lines'])
        if why:
            msg = why
            if tail:
                msg += '\nlast %d lines of the job log:\n%s' % (len(tail), '\n'.join(tail))
        else:
            msg = job_failure_message(job, tail, last_phase)
        result.update(job=job, passes=pass_summaries(job), log_tail=tail)
        module.fail_json(msg=msg, error=job.get('error') or {},
                         phase=last_phase or job.get('phase'), **result)

    def done(job, after, trigger):
        """The pass asked for is done: a pass of that trigger at index
        `after` or later (an interval pass may have run first), and the
        job waits again or has ended."""
        passes = ((job.get('result') or {}).get('passes') or [])[after:]
        if job.get('state') in FINAL_STATES:
            return True
        return job.get('phase') == 'waiting' and any(
            x.get('trigger') == trigger for x in passes)

    def wait_for(after, trigger):
        deadline = time.time() + p['wait_timeout']
        delays = poll_delays(p['poll_interval'])
        while True:
            job = client.get_job(job_id)
            if job is None:
                module.fail_json(msg='job %s disappeared while waiting for it' % job_id, **result)
            if trigger is None:
                if job.get('state') in FINAL_STATES or job.get('phase') == 'waiting':
                    return job
            elif done(job, after, trigger):
                return job
            if time.time() >= deadline:
                fail_job(job, 'job %s: %s did not end within %d s: state %s, phase %s, '
                         '%s%% (the job keeps running)' % (
                             job_id, 'the ' + trigger + ' pass' if trigger else 'the pass',
                             p['wait_timeout'], job.get('state'), job.get('phase'),
                             (job.get('progress') or {}).get('percent')))
            time.sleep(next(delays))

    try:
        job = client.get_job(job_id)
        if job is None:
            module.fail_json(msg='there is no job %s (submit it with uch_job first)' % job_id,
                             **result)
        if job.get('type') != 'sync':
            module.fail_json(msg='job %s is a %s job, not a sync job' % (job_id, job.get('type')),
                             job=job, passes=[])
        result.update(job=job, passes=pass_summaries(job))
        if job.get('state') == 'succeeded':
            module.exit_json(**result)       # cut over already: nothing to do
        if job.get('state') in FINAL_STATES:
            fail_job(job)
        if p['action'] == 'wait':
            if p['wait'] and not module.check_mode:
                job = wait_for(0, None)
                result.update(job=job, passes=pass_summaries(job))
                if job.get('state') in FINAL_STATES and job.get('state') != 'succeeded':
                    fail_job(job)
            module.exit_json(**result)

        result['changed'] = True
        if module.check_mode:
            module.exit_json(**result)
        body = {'disks': p['disks']} if p['disks'] is not None else None
        path = '/v1/jobs/%s/%s' % (quote(job_id, safe=''), p['action'])
        try:
            _status, job = client.call('POST', path, body, ok=(202,))
        except UchError as e:
            module.fail_json(msg='uchd refused the %s of job %s: %s'
                             % (p['action'], job_id, e.message),
                             field=e.field, status=e.status, **result)
        after = len(((job or {}).get('result') or {}).get('passes') or [])
        if not p['wait']:
            result.update(job=job, passes=pass_summaries(job))
            module.exit_json(**result)
        job = wait_for(after, p['action'])
        passes = pass_summaries(job)
        result.update(job=job, passes=passes)
        if p['action'] == 'cutover' and job.get('state') != 'succeeded':
            fail_job(job)
        if job.get('state') in FINAL_STATES and job.get('state') != 'succeeded':
            fail_job(job)
        mine = [x for x in passes[after:] if x['trigger'] == p['action']]
        if mine:
            result['pass'] = mine[0]
        module.exit_json(**result)
    except UchError as e:
        module.fail_json(msg=e.message, status=e.status, field=e.field, **result)


if __name__ == '__main__':
    main()
