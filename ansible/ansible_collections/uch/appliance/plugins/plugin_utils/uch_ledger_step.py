# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright: UCH project
# GNU General Public License v2.0 or later, so v3.0 or later too (see COPYING)
"""The action side of the uch_os_* modules (plugins/action/uch_os_*.py):
a task with I(ledger) writes its step into the VM's ledger on the
controller (plugin_utils/uch_ledger.py), a begin record before the
module runs and an end record after; without I(ledger) the module runs
as it is.  A stop first asks the module in check mode what the server's
status is, so that an undo powers it back as it was, whatever a crash
cut short."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase
from ansible_collections.uch.appliance.plugins.plugin_utils.uch_ledger import Ledger, LedgerError


def ledger_of(option):
    """The Ledger the task's I(ledger) option names."""
    if not isinstance(option, dict):
        raise AnsibleActionFail('ledger: a dict of dir, wave and vm, not %r' % (option,))
    missing = [k for k in ('dir', 'wave', 'vm') if option.get(k) in (None, '')]
    if missing:
        raise AnsibleActionFail('ledger: %s required' % ', '.join('ledger.' + k for k in missing))
    try:
        return Ledger(option['dir'], str(option['wave']), str(option['vm']))
    except LedgerError as e:
        raise AnsibleActionFail('ledger: %s' % e)


class LedgerStepAction(ActionBase):
    TRANSFERS_FILES = False

    def run_module(self, module, args, task_vars, check=False):
        old = self._task.check_mode
        self._task.check_mode = check or old
        try:
            return self._execute_module(module_name=module, module_args=args, task_vars=task_vars)
        finally:
            self._task.check_mode = old

    def step(self, ledger, module, args, task_vars, **extra):
        """MODULE with ARGS run as a step of LEDGER: its begin and end
        records around it; the module's result."""
        was = None
        if args.get('action') == 'stop' and module.endswith('uch_os_server_action'):
            pre = self.run_module(module, args, task_vars, check=True)
            was = (pre.get('server') or {}).get('status')
        try:
            b = ledger.begin(module, args, **dict(extra, was=was) if was else extra)
        except (LedgerError, OSError) as e:
            raise AnsibleActionFail('ledger %s: %s' % (ledger.path, e))
        res = self.run_module(module, args, task_vars)
        try:
            ledger.end(b, res, **extra)
        except (LedgerError, OSError) as e:
            raise AnsibleActionFail('ledger %s: %s' % (ledger.path, e))
        return res

    def run(self, tmp=None, task_vars=None):
        result = super(LedgerStepAction, self).run(tmp, task_vars)
        args = dict(self._task.args)
        option = args.pop('ledger', None)
        module = self._task.resolved_action or self._task.action
        try:
            # check mode changes nothing: nothing to record
            if not option or self._task.check_mode:
                result.update(self.run_module(module, args, task_vars))
            else:
                result.update(self.step(ledger_of(option), module, args, task_vars))
        finally:
            # the temporary folder the module runs made, as action normal
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result
