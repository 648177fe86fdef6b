# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright: UCH project
# GNU General Public License v2.0 or later, so v3.0 or later too (see COPYING)

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    # The nbdkit plugins and filters a role needs, checked by uch_health
    # (uchd's view) and uch_check (uchctl check's view) alike.
    DOCUMENTATION = r'''
options:
  require_plugins:
    description: nbdkit plugins that must be present.
    type: list
    elements: str
    default: []
  require_filters:
    description: nbdkit filters that must be present.
    type: list
    elements: str
    default: []
'''
