#!/usr/bin/python
# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright: UCH project
# GNU General Public License v2.0 or later, so v3.0 or later too (see COPYING)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: uch_wave_report
short_description: Write a migration wave's report on the controller, as JSON and Markdown
version_added: "0.1.0"
description:
  - "Writes I(dir)/I(wave).json (an object with C(wave) and C(vms)) and
    I(dir)/I(wave).md (a table of VM, source, destination, state, bytes
    moved, seconds and error), each replaced whole (written to a temporary
    file and renamed), the directory made when missing."
  - Runs on the controller only (an action plugin) and sends no module
    to any host, so a wave's report is one task and no round trip.
  - Fails, after writing both files, when a VM did not succeed, naming
    each such VM and its error.
author: UCH project (!UNKNOWN)
options:
  wave:
    description: The wave's name, which names the files.
    type: str
    required: true
  vms:
    description: One result per VM (C(name), C(source), C(destination),
      C(state), C(bytes), C(seconds), C(error)), as the
      C(volume_migration) role sets C(uch_vm_result).
    type: list
    elements: dict
    required: true
  dir:
    description: Where the files go (on the controller).
    type: path
    required: true
  fail_on_failed:
    description: Fail when a VM's state is not C(succeeded).
    type: bool
    default: true
'''

EXAMPLES = r'''
- name: Report
  uch.appliance.uch_wave_report:
    wave: wave1
    vms: "{{ results }}"
    dir: "{{ playbook_dir }}/reports"
'''

RETURN = r'''
json:
  description: The JSON report's path.
  returned: always
  type: str
markdown:
  description: The Markdown report's path.
  returned: always
  type: str
succeeded:
  description: How many VMs succeeded.
  returned: always
  type: int
failed_vms:
  description: The names of the VMs that did not succeed.
  returned: always
  type: list
  elements: str
'''
