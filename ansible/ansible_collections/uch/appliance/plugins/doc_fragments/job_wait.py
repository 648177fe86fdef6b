# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright: UCH project
# GNU General Public License v2.0 or later, so v3.0 or later too (see COPYING)

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    # How the modules that follow a job (uch_job, uch_sync) wait for it
    # and report its failure; a module may override a default.
    DOCUMENTATION = r'''
options:
  wait_timeout:
    description: Seconds to wait at most. A job still running after that
      fails the task (the job keeps running; cancel it with
      M(uch.appliance.uch_job) I(state=cancelled) if that is what you
      want).
    type: int
  poll_interval:
    description: The module waits on uchd's long poll (C(GET
      /v1/jobs/ID?wait_s=N), answered as the job ends or serves), one
      after another. Only with a uchd without it, the longest time in
      seconds between two polls of the job while waiting. Polls then
      start 0.1 s apart and grow to this, so that a job that ends within
      seconds is seen at once and a long one costs one request every
      I(poll_interval) seconds.
    type: float
    default: 1.0
  log_lines:
    description: How many lines of the job's log to return on failure.
    type: int
    default: 20
'''
