# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright: UCH project
# GNU General Public License v2.0 or later, so v3.0 or later too (see COPYING)
"""The ledger of a wave read, or undone (state=absent), on the
controller (plugins/modules/uch_ledger.py documents it): each open
record's inverse run as a step of the ledger itself, newest first, by
the uch_os_* modules (every one of them leaves alone what is not
there), so that an undo cut short resumes where it stopped."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible.errors import AnsibleActionFail
from ansible_collections.uch.appliance.plugins.plugin_utils.uch_ledger import (
    INVERSE, Ledger, LedgerError, open_records, undo_step, wave_vms)
from ansible_collections.uch.appliance.plugins.plugin_utils.uch_ledger_step import LedgerStepAction


def summary(rec):
    return dict(seq=rec['seq'], phase=rec['phase'], op=rec['op'], kind=rec['kind'],
                cloud=rec['cloud'], ident=rec['ident'], key=rec.get('key'))


class ActionModule(LedgerStepAction):
    _VALID_ARGS = frozenset(('dir', 'wave', 'vms', 'state'))

    def run(self, tmp=None, task_vars=None):
        result = super(LedgerStepAction, self).run(tmp, task_vars)  # pylint: disable=bad-super-call
        args = self._task.args
        for k in ('dir', 'wave'):
            if args.get(k) in (None, ''):
                raise AnsibleActionFail('uch_ledger: %s is required' % k)
        state = args.get('state', 'present')
        if state not in ('present', 'absent'):
            raise AnsibleActionFail("uch_ledger: state: present or absent, not '%s'" % state)
        vms = args.get('vms')
        try:
            if vms is None:
                vms = wave_vms(args['dir'], str(args['wave']))
            elif isinstance(vms, str):
                vms = [vms]
            ledgers = [Ledger(args['dir'], str(args['wave']), str(v)) for v in vms]
        except LedgerError as e:
            raise AnsibleActionFail('uch_ledger: %s' % e)
        try:
            return self.undo(result, ledgers, state, task_vars)
        finally:
            # the temporary folder the undo steps' modules made
            self._remove_tmp_path(self._connection._shell.tmpdir)

    def undo(self, result, ledgers, state, task_vars):
        """Each ledger's open records, undone with state=absent."""
        args = self._task.args
        out, changed = {}, False
        for led in ledgers:
            try:
                left = open_records(led.records())
            except LedgerError as e:
                raise AnsibleActionFail('uch_ledger: %s' % e)
            entry = dict(ledger=led.path, open=[summary(r) for r in left], undone=[])
            out[led.vm] = entry
            if state == 'present':
                continue
            if self._task.check_mode:
                changed = changed or bool(left)
                continue
            for rec in reversed(left):
                try:
                    undo = undo_step(rec)
                except LedgerError as e:
                    raise AnsibleActionFail('uch_ledger: %s: %s' % (led.path, e))
                if undo is None:
                    entry['undone'].append(dict(seq=rec['seq'], what='nothing to bring back (%s %s %s)' % (
                        rec['op'], rec['kind'], rec['ident'])))
                    # closes it all the same
                    led.append(dict(phase='end', kind=rec['kind'], op=INVERSE[rec['op']], cloud=rec['cloud'],
                                    ident=rec['ident'], step='undo %d' % rec['seq'], undoes=rec['seq'],
                                    changed=False, key=rec.get('key')))
                    continue
                module, margs, what = undo
                res = self.step(led, module, margs, task_vars, undoes=rec['seq'])
                if res.get('failed'):
                    result.update(failed=True, changed=True, vms=out,
                                  msg='uch_ledger: VM %s: undo of record %d failed (%s): %s; the '
                                      'ledger keeps the rest, state=absent again resumes' % (
                                          led.vm, rec['seq'], what, res.get('msg', 'failed')))
                    return result
                changed = changed or bool(res.get('changed'))
                entry['undone'].append(dict(seq=rec['seq'], what=what, changed=bool(res.get('changed'))))
            entry['open'] = []
        result.update(changed=changed, vms=out)
        n = sum(len(e['open'] if state == 'present' else e['undone']) for e in out.values())
        result['msg'] = 'wave %s: %d VMs, %d records %s' % (
            args['wave'], len(out), n, 'open' if state == 'present' else 'undone')
        return result
