#!/usr/bin/python
# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright: UCH project
# GNU General Public License v2.0 or later, so v3.0 or later too (see COPYING)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: uch_job
short_description: Submit, wait for, cancel or delete a uchd job idempotently
version_added: "0.1.0"
description:
  - Submits a job (C(copy), C(export), C(convert), C(sync), ...) to uchd under a fixed
    I(id). The same request again is C(changed=false); a different request
    under the same id fails the task naming every field that differs.
  - Optionally waits for the job to end (or, for an export, to be
    serving). A job that fails or does not finish in time fails the task
    with uchd's own error message, the job's state and phase, and the last
    20 lines of its log.
  - Secrets (passwords, TLS-PSK keys) are given in I(secrets), never in
    I(request). They are written as 0600 files in a 0700 directory on the
    host and the request refers to them by path (C(password_file),
    C(tls_psk_file), C(tls-psk-file=) in an NBD URI), so they never appear
    in a request, a log or a result.
  - Runs on the appliance and talks to uchd's Unix socket, or to I(api_url)
    with a token.
author: UCH project (!UNKNOWN)
options:
  id:
    description: The job id, C([A-Za-z0-9._-]{1,64}). Derive it from what
      the job is for (VM and disk), so that a rerun finds the same job.
    type: str
    required: true
  state:
    description:
      - C(present) submits the job unless it exists with the same request.
      - C(cancelled) cancels the job if it is queued or running.
      - C(absent) cancels the job if needed, deletes it and its secret files.
    type: str
    choices: [present, absent, cancelled]
    default: present
  request:
    description: The job request as in docs/api.md, without C(id) (the
      module sets it). A string anywhere in it that contains
      C(@secret:NAME@) gets the path of the secret file NAME instead.
      Required with I(state=present).
    type: dict
  secrets:
    description: Secret files to write before submitting, name to content.
      Each becomes C(SECRETS_DIR/ID/NAME), mode 0600. When the job already
      exists and a file is there with other content, the task fails naming
      it (the secret cannot change under a job).
    type: dict
  secrets_dir:
    description: Where the secret files go on the host; removed per job with
      I(state=absent).
    type: path
    default: /var/lib/uch/ansible-secrets
  restart_failed:
    description: When the job exists but ended C(failed) or C(cancelled),
      delete it and submit this request under the same id (a retry; the
      request may differ from the old one). Otherwise such a job is
      returned as it is and, with I(wait), fails the task.
    type: bool
    default: false
  remove_secrets:
    description: Remove this job's secret files as soon as uchd no longer
      needs them - right after submission for an C(export) (uchd keeps
      its own copy of C(tls_psk_file)), once the job has ended for the
      other types (a copy reads C(tls-psk-file) when it runs). Only with
      I(wait) for those.
    type: bool
    default: false
  wait:
    description: Wait for the job (see I(wait_for)); also used by
      I(state=absent) and I(state=cancelled) to wait for a running job to
      stop.
    type: bool
    default: false
  wait_for:
    description: C(final) waits until the job has ended and fails the task
      unless it succeeded; C(serving) waits until an export serves (phase
      C(serving)) and fails if it ended instead.
    type: str
    choices: [final, serving]
    default: final
  wait_timeout:
    default: 3600
notes:
  - Check mode is supported; nothing is submitted, cancelled or written.
  - The connection options are the same in every module of this
    collection.
extends_documentation_fragment:
  - uch.appliance.connection
  - uch.appliance.job_wait
'''

EXAMPLES = r'''
- name: Copy web01's disk from the source appliance's export
  uch.appliance.uch_job:
    id: web01-sda-copy
    request:
      type: copy
      labels: {vm: web01}
      disks:
        - source: {nbd: "nbds://uch@10.0.0.7:10809/sda?tls-psk-file=@secret:psk@"}
          destination: {volume: 7b7e1a52-1111-4222-8333-444455556666}
    secrets:
      psk: "uch:{{ web01_psk }}"
    wait: true
    wait_timeout: 7200

- name: Serve web01's volume over TLS-PSK and wait until it serves
  uch.appliance.uch_job:
    id: web01-export
    request:
      type: export
      disks: [{source: {volume: 3f1c2d3e-aaaa-4bbb-8ccc-0123456789ab}, name: sda}]
      listen: {tcp: "0.0.0.0:10809", tls_psk_file: "@secret:psk@", advertise: 10.0.0.7}
    secrets:
      psk: "uch:{{ web01_psk }}"
    wait: true
    wait_for: serving

- name: Stop and forget the export
  uch.appliance.uch_job:
    id: web01-export
    state: absent
    wait: true

- name: Over TCP from the controller instead of SSH
  uch.appliance.uch_job:
    id: web01-sda-copy
    state: cancelled
    api_url: https://conv1.example.com:10808
    token: "{{ uch_token }}"
  delegate_to: localhost
'''

RETURN = r'''
job:
  description: The job as uchd returns it (GET /v1/jobs/ID); null when there
    is none (I(state=absent), or check mode before a first submission).
  returned: always
  type: dict
  sample: {"id": "c1", "type": "copy", "state": "succeeded", "phase": "succeeded",
           "progress": {"percent": 100, "bytes_done": 8388608, "bytes_total": 8388608}}
submitted:
  description: Whether this run submitted the job (a first run or a retry).
  returned: always
  type: bool
differences:
  description: Fields (JSON paths) where the requested job differs from the
    one uchd already has under this id; the task fails when there are any.
  returned: failure
  type: list
  elements: str
log_tail:
  description: The last lines of the job's log, when the job failed or the
    wait timed out.
  returned: failure
  type: list
  elements: str
timed_out:
  description: The wait ended before the job did.
  returned: when wait is true
  type: bool
'''

import copy
import os
import re

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.uch.appliance.plugins.module_utils.uch_api import (
    FINAL_STATES, UchClient, UchError, job_failure_message, job_late_message, job_wait_argument_spec,
    job_served, uch_argument_spec)
from ansible_collections.uch.appliance.plugins.module_utils.uch_request import (
    drop_none, job_differences, remove_secrets, substitute, write_secret)


def main():
    spec = uch_argument_spec()
    spec.update(
        id=dict(type='str', required=True),
        state=dict(type='str', default='present',
                   choices=['present', 'absent', 'cancelled']),
        request=dict(type='dict'),
        secrets=dict(type='dict', no_log=True),
        secrets_dir=dict(type='path', default='/var/lib/uch/ansible-secrets'),
        restart_failed=dict(type='bool', default=False),
        remove_secrets=dict(type='bool', default=False),
        wait=dict(type='bool', default=False),
        wait_for=dict(type='str', default='final', choices=['final', 'serving']),
    )
    spec.update(job_wait_argument_spec(wait_timeout=3600))
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True,
                           required_if=[('state', 'present', ['request'])])
    p = module.params
    job_id = p['id']
    if not re.match(r'^[A-Za-z0-9._-]{1,64}$', job_id) or job_id in ('.', '..'):
        module.fail_json(msg='id: must be 1 to 64 of A-Z a-z 0-9 . _ - (got %r)' % job_id)
    client = UchClient.from_module(module)
    sdir = os.path.join(p['secrets_dir'], job_id)
    result = dict(changed=False, submitted=False, job=None)

    def fail_job(job, timed_out=False):
        tail, last_phase = client.log_tail_and_phase(job_id, p['log_lines'])
        if timed_out:
            msg = job_late_message(dict(job, id=job_id), p['wait_for'],
                                   p['wait_timeout'], tail)
        else:
            msg = job_failure_message(job, tail, last_phase)
        result.update(job=job, log_tail=tail, timed_out=timed_out)
        err = job.get('error') or {}
        module.fail_json(msg=msg, error=err, phase=last_phase or job.get('phase'), **result)

    def wait(job):
        if not p['wait'] or module.check_mode:
            return job
        job, timed_out = client.wait_job(job_id, p['wait_timeout'],
                                         p['poll_interval'], p['wait_for'])
        result['timed_out'] = timed_out
        if p['remove_secrets'] and job.get('state') in FINAL_STATES:
            remove_secrets(sdir)
        if timed_out:
            fail_job(job, True)
        ok = job.get('state') == 'succeeded' or (
            p['wait_for'] == 'serving' and job_served(job))
        if not ok:
            fail_job(job)
        return job

    try:
        have = client.get_job(job_id)
        if p['state'] in ('absent', 'cancelled'):
            if have is None:
                if p['state'] == 'absent' and not module.check_mode:
                    result['changed'] = remove_secrets(sdir)
                module.exit_json(**result)
            if have.get('state') not in FINAL_STATES:
                result['changed'] = True
                if not module.check_mode:
                    try:
                        client.cancel(job_id)
                    except UchError as e:
                        if e.status != 409:  # ended meanwhile
                            raise
                    if p['wait'] or p['state'] == 'absent':
                        have, timed_out = client.wait_job(
                            job_id, p['wait_timeout'], p['poll_interval'])
                        if timed_out:
                            module.fail_json(msg='job %s did not stop within %d s after cancel'
                                             % (job_id, p['wait_timeout']), job=have)
                    else:
                        have = client.get_job(job_id)
            if p['state'] == 'absent':
                result['changed'] = True
                if not module.check_mode:
                    client.delete(job_id)
                    remove_secrets(sdir)
                result['job'] = None
            else:
                result['job'] = have
            module.exit_json(**result)

        # state=present
        secrets = p['secrets'] or {}
        for name in secrets:
            if not re.match(r'^[A-Za-z0-9._-]{1,64}$', name):
                module.fail_json(msg='secrets: bad name %r (A-Z a-z 0-9 . _ -)' % name)
        paths = dict((n, os.path.join(sdir, n)) for n in secrets)
        used = set()
        try:
            want = substitute(drop_none(copy.deepcopy(p['request'])), paths, used)
        except KeyError as e:
            module.fail_json(msg='request names @secret:%s@ but secrets has no %s'
                             % (e.args[0], e.args[0]))
        if 'id' in want and want['id'] != job_id:
            module.fail_json(msg='request.id (%s) differs from id (%s); leave it out'
                             % (want['id'], job_id))
        want['id'] = job_id

        if (have is not None and p['restart_failed']
                and have.get('state') in ('failed', 'cancelled')):
            result['changed'] = True
            if module.check_mode:
                result['job'] = have
                module.exit_json(**result)
            client.delete(job_id)
            have = None

        if have is not None:
            diff = job_differences(want, have, secrets, paths)
            if diff:
                module.fail_json(msg='job %s already exists with a different request: %s'
                                 % (job_id, '; '.join(diff)),
                                 differences=diff, job=have, **dict(
                                     (k, v) for k, v in result.items() if k != 'job'))
            result['job'] = wait(have)
            module.exit_json(**result)

        result['changed'] = True
        if module.check_mode:
            module.exit_json(**result)
        if secrets:
            if not os.path.isdir(sdir):
                os.makedirs(sdir, 0o700)
            os.chmod(sdir, 0o700)
            for name, content in secrets.items():
                write_secret(paths[name], content)
        try:
            status, job = client.submit(want)
        except UchError as e:
            module.fail_json(msg='uchd refused job %s: %s' % (job_id, e.message),
                             field=e.field, status=e.status, **result)
        result['submitted'] = status == 201
        result['changed'] = status == 201
        if p['remove_secrets'] and want.get('type') == 'export':
            remove_secrets(sdir)
        result['job'] = wait(job)
        module.exit_json(**result)
    except UchError as e:
        module.fail_json(msg=e.message, status=e.status, field=e.field, **result)


if __name__ == '__main__':
    main()
