#!/usr/bin/python
# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright: UCH project
# GNU General Public License v2.0 or later, so v3.0 or later too (see COPYING)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: uch_jobs
short_description: Submit many uchd jobs at once and wait for them all
version_added: "0.1.0"
description:
  - What M(uch.appliance.uch_job) does for one job, for a list of jobs in
    one round on the appliance - submitted together, so that uchd's slots
    pace them (the ones beyond its free slots wait C(queued)), and waited
    for together. A migration wave hands an appliance its whole queue
    this way (the exports of a source, the copies of a destination)
    instead of one module round over SSH per job.
  - Each job is judged on its own. The same request again is
    C(changed=false); a different request under the same id is that
    job's failure (or, with I(replace), the old job is stopped, deleted
    and the new one submitted). A job that fails or does not end in
    time is reported in I(jobs) with uchd's message, the job's state
    and phase and the last lines of its log.
  - The task fails when any job failed, unless I(allow_failures), with
    which the caller decides per job (a wave retries the VM on its own).
  - Secrets work as in M(uch.appliance.uch_job) (files C(SECRETS_DIR/ID/NAME),
    0600, referred to as C(@secret:NAME@)); they are never returned.
author: UCH project (!UNKNOWN)
options:
  jobs:
    description: The jobs, in the order uchd gets them (the first ones run
      first when the slots are few).
    type: list
    elements: dict
    required: true
    suboptions:
      id:
        description: The job id, C([A-Za-z0-9._-]{1,64}).
        type: str
        required: true
      request:
        description: The job request (docs/api.md) without C(id), as
          M(uch.appliance.uch_job)'s I(request). Needed with I(state=present).
        type: dict
      secrets:
        description: Secret files of this job, name to content (never
          logged).
        type: dict
      wait_for:
        description: This job's own I(wait_for) (a round that hands an
          appliance exports and copies at once waits for the exports to
          serve and for the copies to end). Default, the module's.
        type: str
        choices: [final, serving]
      replace:
        description: This job's own I(replace). Default, the module's.
        type: bool
  state:
    description:
      - C(present) submits each job unless it exists with the same request.
      - C(cancelled) cancels each job that is queued or running.
      - C(absent) cancels each job if needed, deletes it and its secret files.
    type: str
    choices: [present, absent, cancelled]
    default: present
  secrets_dir:
    description: Where the secret files go on the host.
    type: path
    default: /var/lib/uch/ansible-secrets
  restart_failed:
    description: A job that exists but ended C(failed) or C(cancelled) is
      deleted and submitted again with this request (a retry).
    type: bool
    default: false
  replace:
    description: A job that exists with a different request is cancelled
      (when it still runs), deleted and submitted with this request,
      instead of being a failure. For jobs whose id stands for a place
      (a wave lane's export) rather than for one piece of work.
    type: bool
    default: false
  remove_secrets:
    description: As in M(uch.appliance.uch_job) - an export's files right
      after submission, the others' once the job ended (with I(wait)).
    type: bool
    default: false
  wait:
    description: Wait for every job (see I(wait_for)); with
      I(state=cancelled) or C(absent), wait for running jobs to stop.
    type: bool
    default: false
  wait_for:
    description: C(final) waits until each job ended, and a job that did not
      succeed is a failure; C(serving) waits until each export serves.
    type: str
    choices: [final, serving]
    default: final
  allow_failures:
    description: Do not fail the task when jobs failed; each one's outcome
      is in I(jobs), the failed ids in I(failed_ids).
    type: bool
    default: false
  wait_timeout:
    description: Seconds to wait at most, for all the jobs together.
    default: 3600
notes:
  - Check mode is supported; nothing is submitted, cancelled or written.
extends_documentation_fragment:
  - uch.appliance.connection
  - uch.appliance.job_wait
'''

EXAMPLES = r'''
- name: The copies of a destination, all at once (uchd's slots pace them)
  uch.appliance.uch_jobs:
    jobs:
      - id: wave1-web01-sda
        request:
          type: copy
          disks:
            - source: {nbd: "nbds://web01@10.0.0.7:10809/web01-sda?tls-psk-file=@secret:psk@"}
              destination: {volume: 7b7e1a52-1111-4222-8333-444455556666}
        secrets: {psk: "web01:{{ web01_psk }}"}
      - id: wave1-web02-sda
        request:
          type: copy
          disks:
            - source: {nbd: "nbds://web02@10.0.0.7:10809/web02-sda?tls-psk-file=@secret:psk@"}
              destination: {volume: 0c1d2e3f-1111-4222-8333-444455556666}
        secrets: {psk: "web02:{{ web02_psk }}"}
    restart_failed: true
    remove_secrets: true
    wait: true
    allow_failures: true
  register: copies

- name: Stop exports
  uch.appliance.uch_jobs:
    jobs: [{id: wave1-lane.0.export}, {id: wave1-lane.1.export}]
    state: cancelled
    wait: true
'''

RETURN = r'''
jobs:
  description: One entry per job, in the order given - C(id), C(job) (as
    uchd returns it, or null), C(submitted), C(changed), C(failed), and
    for a failed one C(msg), C(error), C(phase), C(log_tail),
    C(timed_out), C(differences).
  returned: always
  type: list
  elements: dict
failed_ids:
  description: The ids of the jobs that failed.
  returned: always
  type: list
  elements: str
'''

import copy
import os
import re
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.uch.appliance.plugins.module_utils.uch_api import (
    FINAL_STATES, UchClient, UchError, job_failure_message, job_late_message, job_wait_argument_spec,
    job_served, uch_argument_spec)
from ansible_collections.uch.appliance.plugins.module_utils.uch_request import (
    drop_none, job_differences, remove_secrets, substitute, write_secret)

ID_RE = re.compile(r'^[A-Za-z0-9._-]{1,64}$')


def main():
    spec = uch_argument_spec()
    spec.update(
        jobs=dict(type='list', elements='dict', required=True, options=dict(
            id=dict(type='str', required=True),
            request=dict(type='dict'),
            secrets=dict(type='dict', no_log=True),
            wait_for=dict(type='str', choices=['final', 'serving']),
            replace=dict(type='bool'))),
        state=dict(type='str', default='present', choices=['present', 'absent', 'cancelled']),
        secrets_dir=dict(type='path', default='/var/lib/uch/ansible-secrets'),
        restart_failed=dict(type='bool', default=False),
        replace=dict(type='bool', default=False),
        remove_secrets=dict(type='bool', default=False),
        wait=dict(type='bool', default=False),
        wait_for=dict(type='str', default='final', choices=['final', 'serving']),
        allow_failures=dict(type='bool', default=False),
    )
    spec.update(job_wait_argument_spec(wait_timeout=3600))
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    p = module.params
    ids = [j['id'] for j in p['jobs']]
    for i, job_id in enumerate(ids):
        if not ID_RE.match(job_id) or job_id in ('.', '..'):
            module.fail_json(msg='jobs[%d].id: must be 1 to 64 of A-Z a-z 0-9 . _ - (got %r)'
                             % (i, job_id))
    if len(set(ids)) != len(ids):
        module.fail_json(msg='jobs: id %s is given twice'
                         % [x for x in ids if ids.count(x) > 1][0])
    if p['state'] == 'present':
        for i, j in enumerate(p['jobs']):
            if not j.get('request'):
                module.fail_json(msg='jobs[%d] (%s): request is required with state=present'
                                 % (i, j['id']))
            for name in j.get('secrets') or {}:
                if not ID_RE.match(name):
                    module.fail_json(msg='jobs[%d] (%s): secrets: bad name %r (A-Z a-z 0-9 . _ -)'
                                     % (i, j['id'], name))
    client = UchClient.from_module(module)
    out = [dict(id=x, job=None, submitted=False, changed=False, failed=False) for x in ids]
    by_id = dict((o['id'], o) for o in out)
    until_of = dict((j['id'], j.get('wait_for') or p['wait_for']) for j in p['jobs'])

    def sdir(job_id):
        return os.path.join(p['secrets_dir'], job_id)

    def failed(o, msg, **kw):
        o.update(failed=True, msg=msg, **kw)

    def stop(job_id, job):
        """Cancel a job that has not ended; returns it once it has."""
        if job.get('state') in FINAL_STATES:
            return job
        try:
            client.cancel(job_id)
        except UchError as e:
            if e.status != 409:  # ended meanwhile
                raise
        job, timed_out = client.wait_job(job_id, p['wait_timeout'], p['poll_interval'])
        if timed_out:
            raise UchError('job %s did not stop within %d s after cancel'
                           % (job_id, p['wait_timeout']))
        return job

    def wait_all(pending, until=None):
        """Wait for the jobs not ended (or served: until, else each
        one's wait_for), one long poll after another (uch_api.wait_job),
        until all are or the timeout; returns the ids that timed out."""
        deadline = time.time() + p['wait_timeout']
        late = []
        for job_id in pending:
            job, timed_out = client.wait_job(
                job_id, deadline - time.time(), p['poll_interval'],
                until or until_of[job_id])
            by_id[job_id]['job'] = job
            if timed_out:
                late.append(job_id)
        return late

    try:
        if p['state'] in ('absent', 'cancelled'):
            to_wait = []
            for o in out:
                have = client.get_job(o['id'])
                o['job'] = have
                if have is None:
                    if p['state'] == 'absent' and not module.check_mode:
                        o['changed'] = remove_secrets(sdir(o['id']))
                    continue
                if have.get('state') not in FINAL_STATES:
                    o['changed'] = True
                    if not module.check_mode:
                        try:
                            client.cancel(o['id'])
                        except UchError as e:
                            if e.status != 409:
                                raise
                        if p['wait'] or p['state'] == 'absent':
                            to_wait.append(o['id'])
                if p['state'] == 'absent':
                    o['changed'] = True
            if to_wait:
                for job_id in wait_all(to_wait, 'final'):
                    failed(by_id[job_id], 'job %s did not stop within %d s after cancel'
                           % (job_id, p['wait_timeout']))
            if p['state'] == 'absent' and not module.check_mode:
                for o in out:
                    if o['job'] is not None and not o['failed']:
                        client.delete(o['id'])
                        remove_secrets(sdir(o['id']))
                        o['job'] = None
        else:
            submitted = []
            for j, o in zip(p['jobs'], out):
                job_id = o['id']
                secrets = j.get('secrets') or {}
                paths = dict((n, os.path.join(sdir(job_id), n)) for n in secrets)
                try:
                    want = substitute(drop_none(copy.deepcopy(j['request'])), paths, set())
                except KeyError as e:
                    failed(o, '%s: the request names @secret:%s@ but secrets has no %s'
                           % (job_id, e.args[0], e.args[0]))
                    continue
                if 'id' in want and want['id'] != job_id:
                    failed(o, 'request.id (%s) differs from id (%s); leave it out'
                           % (want['id'], job_id))
                    continue
                want['id'] = job_id
                have = client.get_job(job_id)
                if have is not None:
                    diff = job_differences(want, have, secrets, paths)
                    again = p['restart_failed'] and have.get('state') in ('failed', 'cancelled')
                    replace = p['replace'] if j.get('replace') is None else j['replace']
                    if diff and not again and not replace:
                        failed(o, 'job %s already exists with a different request: %s'
                               % (job_id, '; '.join(diff)), differences=diff, job=have)
                        continue
                    if diff or again:
                        o['changed'] = True
                        if module.check_mode:
                            o['job'] = have
                            continue
                        stop(job_id, have)
                        client.delete(job_id)
                        remove_secrets(sdir(job_id))
                        have = None
                if have is not None:
                    o['job'] = have
                    submitted.append(job_id)
                    continue
                o['changed'] = True
                if module.check_mode:
                    continue
                if secrets:
                    if not os.path.isdir(sdir(job_id)):
                        os.makedirs(sdir(job_id), 0o700)
                    os.chmod(sdir(job_id), 0o700)
                    for name, content in secrets.items():
                        write_secret(paths[name], content)
                try:
                    status, job = client.submit(want)
                except UchError as e:
                    failed(o, 'uchd refused job %s: %s' % (job_id, e.message),
                           field=e.field, status=e.status)
                    continue
                o.update(job=job, submitted=status == 201, changed=status == 201)
                if p['remove_secrets'] and want.get('type') == 'export':
                    remove_secrets(sdir(job_id))
                submitted.append(job_id)

            if p['wait'] and not module.check_mode and submitted:
                late = set(wait_all(submitted))
                for job_id in submitted:
                    o = by_id[job_id]
                    job = o['job']
                    if p['remove_secrets'] and job.get('state') in FINAL_STATES:
                        remove_secrets(sdir(job_id))
                    ok = job.get('state') == 'succeeded' or (
                        until_of[job_id] == 'serving' and job_served(job))
                    if ok and job_id not in late:
                        continue
                    tail, last_phase = client.log_tail_and_phase(job_id, p['log_lines'])
                    if job_id in late:
                        msg = job_late_message(dict(job, id=job_id), until_of[job_id],
                                               p['wait_timeout'], tail)
                    else:
                        msg = job_failure_message(job, tail, last_phase)
                    failed(o, msg, error=job.get('error') or {}, phase=last_phase or job.get('phase'),
                           log_tail=tail, timed_out=job_id in late)
    except UchError as e:
        module.fail_json(msg=e.message, status=e.status, field=e.field, jobs=out,
                         changed=any(o['changed'] for o in out))

    failed_ids = [o['id'] for o in out if o['failed']]
    result = dict(changed=any(o['changed'] for o in out), jobs=out, failed_ids=failed_ids)
    if failed_ids and not p['allow_failures']:
        module.fail_json(msg='%d of %d jobs failed: %s' % (
            len(failed_ids), len(out), '; '.join(by_id[x]['msg'] for x in failed_ids)), **result)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
