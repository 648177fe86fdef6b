# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright: UCH project
# GNU General Public License v2.0 or later, so v3.0 or later too (see COPYING)
"""A host as it goes into a URI (RFC 3986): an IPv6 literal in
brackets.  The vCenter's /folder URLs (module_utils/uch_vmware) and a
wave's nbds:// URIs (filter uch_wave) both build URIs from a host the
inventory or the workloads file gave.  Plain Python: the controller's
filters use it too."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


def uri_host(host):
    """HOST, or [HOST] when it is an IPv6 literal not yet in brackets."""
    host = str(host)
    if ':' in host and not host.startswith('['):
        return '[%s]' % host
    return host
