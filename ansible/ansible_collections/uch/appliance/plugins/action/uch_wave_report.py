# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright: UCH project
# GNU General Public License v2.0 or later, so v3.0 or later too (see COPYING)
"""The wave report, written on the controller (see
plugins/modules/uch_wave_report.py for the documentation): one task
where a directory, two copies and a summary took four rounds."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import tempfile

from ansible.errors import AnsibleActionFail
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase
from ansible_collections.uch.appliance.plugins.filter.uch_wave import uch_report_md


def _replace(path, text):
    """Write text to path through a temporary file and a rename; False
    when path already held exactly that."""
    try:
        with open(path) as f:
            if f.read() == text:
                return False
    except FileNotFoundError:
        pass
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix='.' + os.path.basename(path))
    try:
        with os.fdopen(fd, 'w') as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.rename(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
    return True


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(('wave', 'vms', 'dir', 'fail_on_failed'))

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        args = self._task.args
        for k in ('wave', 'vms', 'dir'):
            if args.get(k) in (None, ''):
                raise AnsibleActionFail('uch_wave_report: %s is required' % k)
        wave, vms, d = str(args['wave']), args['vms'], os.path.expanduser(str(args['dir']))
        if not isinstance(vms, list) or not all(isinstance(v, dict) for v in vms):
            raise AnsibleActionFail('uch_wave_report: vms must be a list of VM results (dicts)')
        if '/' in wave or wave.startswith('.'):
            raise AnsibleActionFail("uch_wave_report: wave '%s' cannot name a file" % wave)
        vms = sorted(vms, key=lambda v: str(v.get('name', '')))
        os.makedirs(d, 0o755, exist_ok=True)
        paths = (os.path.join(d, wave + '.json'), os.path.join(d, wave + '.md'))
        texts = (json.dumps({'wave': wave, 'vms': vms}, indent=4, sort_keys=True) + '\n',
                 '# Wave %s\n\n%s' % (wave, uch_report_md(vms)))
        changed = False
        for p, t in zip(paths, texts):
            changed = _replace(p, t) or changed
        bad = [v for v in vms if v.get('state') != 'succeeded']
        result.update(changed=changed, json=paths[0], markdown=paths[1],
                      succeeded=len(vms) - len(bad),
                      failed_vms=[str(v.get('name')) for v in bad])
        result['msg'] = 'wave %s: %d of %d VMs succeeded; report %s' % (
            wave, len(vms) - len(bad), len(vms), paths[1])
        if bad and boolean(args.get('fail_on_failed', True)):
            result['failed'] = True
            result['msg'] = '%s; failed: %s' % (result['msg'], ' | '.join(
                '%s: %s' % (v.get('name'), str(v.get('error') or 'failed')[:400]) for v in bad))
        return result
