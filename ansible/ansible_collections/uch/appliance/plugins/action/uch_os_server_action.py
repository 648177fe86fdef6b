# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright: UCH project
# GNU General Public License v2.0 or later, so v3.0 or later too (see COPYING)
"""uch_os_server_action on the controller's side: with I(ledger), the step goes into the
VM's ledger (plugin_utils/uch_ledger_step.py); the module does the work."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.uch.appliance.plugins.plugin_utils.uch_ledger_step import LedgerStepAction


class ActionModule(LedgerStepAction):
    pass
