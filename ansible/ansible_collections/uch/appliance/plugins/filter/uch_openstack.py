# -*- coding: utf-8 -*-
# Copyright: UCH project
# SPDX-License-Identifier: GPL-2.0-or-later
"""Filters for discover_openstack.yml: the workloads file made from
what uch_os_discover returned."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible.errors import AnsibleFilterError


def uch_os_workloads(found, wave='wave'):
    """The workloads file of a wave (uch_cloud: openstack) from
    uch_os_discover's result: the wave's name, the source and the
    flavor and network maps under openstack, the VMs."""
    if not isinstance(found, dict) or not isinstance(found.get('vms'), list):
        raise AnsibleFilterError('uch_os_workloads: expects uch_os_discover\'s result (with vms)')
    return dict(wave=wave, openstack=found.get('openstack') or {}, vms=found['vms'])


class FilterModule(object):
    def filters(self):
        return dict(uch_os_workloads=uch_os_workloads)
