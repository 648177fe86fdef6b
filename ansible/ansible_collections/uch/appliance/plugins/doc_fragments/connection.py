# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright: UCH project
# GNU General Public License v2.0 or later, so v3.0 or later too (see COPYING)

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    # How every module of uch.appliance reaches uchd.
    DOCUMENTATION = r'''
options:
  socket:
    description: uchd's Unix socket on the host the module runs on (its
      file mode is the access control; no token).
    type: path
    default: /run/uch/uchd.sock
  api_url:
    description: Talk to uchd over TCP at this URL (C(http://HOST:PORT) or
      C(https://HOST:PORT)) instead of the socket; needs a token.
    type: str
  token:
    description: Bearer token for I(api_url).
    type: str
  token_file:
    description: File whose first line is the token, for I(api_url) without
      I(token); C(/var/lib/uch/api-token) when not given.
    type: path
  validate_certs:
    description: Check uchd's TLS certificate with https.
    type: bool
    default: true
  ca_path:
    description: CA bundle to check uchd's certificate with.
    type: path
  timeout:
    description: Seconds for one HTTP request.
    type: float
    default: 30
'''
