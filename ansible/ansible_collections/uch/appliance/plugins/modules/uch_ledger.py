#!/usr/bin/python
# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright: UCH project
# GNU General Public License v2.0 or later, so v3.0 or later too (see COPYING)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: uch_ledger
short_description: Read a wave's ledger of what it did in the clouds, or undo it all in reverse order
version_added: "0.1.0"
description:
  - The ledger of a wave is kept on the controller, one JSON file a VM,
    I(dir)/I(wave)/VM.json, written by the C(uch_os_*) tasks given a
    I(ledger) option (the C(volume_migration) role's OpenStack steps
    are), a record before each step (what it is about to do, by name)
    and one after (the ids it acted on, whether it changed anything, or
    that it failed). Each write replaces the file whole (a temporary
    file, fsync, rename), under a lock on the wave's directory.
  - What the ledger holds open is what the steps changed themselves
    (ports, volumes and the snapshot images behind them, attachments,
    servers, the stop of a source server that was running) and nothing
    later closed (a temporary clone made then deleted, a volume attached
    to an appliance then detached), plus any step a crash cut short.
  - C(state=absent) undoes the open records of each VM, newest first -
    servers and volumes and ports deleted, attachments reversed, the
    source server started again if the wave stopped it. Each undo is
    itself a step of the ledger, so an undo cut short resumes where it
    stopped, and once done the VM's ledger holds nothing open. It stops
    at the first undo that fails, naming it.
  - C(state=present) changes nothing and returns what is open.
  - Runs on the controller only (an action plugin); the undo steps run
    the C(uch_os_*) modules with the clouds.yaml names the records hold
    (a step given I(auth) instead of I(cloud) cannot be undone from the
    ledger).
author: UCH project (!UNKNOWN)
options:
  dir:
    description: The ledgers' directory on the controller (the role's
      C(uch_ledger_dir)).
    type: path
    required: true
  wave:
    description: The wave's name (a folder of I(dir)).
    type: str
    required: true
  vms:
    description: The VMs whose ledgers to read or undo; all of the
      wave's when not given.
    type: list
    elements: str
  state:
    description: C(absent) undoes; C(present) only reads.
    type: str
    choices: [present, absent]
    default: present
'''

EXAMPLES = r'''
- name: Undo what wave1 did to web01, in reverse order
  uch.appliance.uch_ledger:
    dir: ~/.uch/ledger
    wave: wave1
    vms: [web01]
    state: absent
'''

RETURN = r'''
vms:
  description: Per VM, C(ledger) (its file), C(open) (the records left
    open, each with seq, phase, op, kind, cloud, ident and key; empty
    after an undo)
    and C(undone) (with C(state=absent), what each undo step did).
  returned: always
  type: dict
'''
