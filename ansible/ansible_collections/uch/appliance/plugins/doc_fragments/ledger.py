# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright: UCH project
# GNU General Public License v2.0 or later, so v3.0 or later too (see COPYING)

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    # The uch_os_* modules' ledger option (plugin_utils/uch_ledger_step.py).
    DOCUMENTATION = r'''
options:
  ledger:
    description:
      - The wave's ledger this step goes into, on the controller
        (M(uch.appliance.uch_ledger)), as C(dir), C(wave) and C(vm) - the
        file C(dir/wave/vm.json). A record is written before the step
        runs and one after it, so that a failure or C(state=absent) of
        M(uch.appliance.uch_ledger) undoes it, and a rerun after a crash
        knows the step was cut short. Not recorded in check mode.
      - Taken by the action plugin; the module never sees it.
    type: dict
'''
