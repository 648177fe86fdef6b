# -*- coding: utf-8 -*-
# Copyright: UCH project
# SPDX-License-Identifier: GPL-2.0-or-later
"""Filters for discover_openstack.yml (the workloads file made from
what uch_os_discover returned) and the volume_migration role's
uch_cloud=openstack steps (the new server's ports)."""

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


def _bool(value, field):
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ('true', 'yes', 'false', 'no'):
        return value.lower() in ('true', 'yes')
    raise AnsibleFilterError('%s: must be true or false, not %r' % (field, value))


def uch_os_ports(vm, wave='wave', network_map=None, subnet_map=None,
                 keep_ips=False, security_group_map=None):
    """The ports of a VM's new server (uch_cloud=openstack), one per
    NIC of its openstack.ports (uch_os_discover's), in order, each as
    uch_os_port takes it: name WAVE-VM-nicI (a rerun finds it again),
    the network through network_map (by the source network's name, else
    its id; one not in the map is taken as it is), the source's MAC,
    fixed_ips (per source address: its subnet through subnet_map when
    there, the address itself when the NIC keeps its IPs: the NIC's
    keep_ips, else the VM's openstack.keep_ips, else KEEP_IPS), the
    security groups through security_group_map.  [] when the VM has no
    openstack.ports: the new server then gets one port on
    openstack.network, as before."""
    if not isinstance(vm, dict):
        raise AnsibleFilterError('uch_os_ports: expects a VM of the workloads (a mapping)')
    name = vm.get('name')
    osv = vm.get('openstack') or {}
    ports = osv.get('ports') or []
    if not isinstance(ports, list):
        raise AnsibleFilterError('VM %s: openstack.ports must be a list' % name)
    network_map = network_map or {}
    subnet_map = subnet_map or {}
    security_group_map = security_group_map or {}
    vm_keep = _bool(osv['keep_ips'], 'VM %s: openstack.keep_ips' % name) if 'keep_ips' in osv \
        else _bool(keep_ips, 'keep_ips')
    out = []
    for i, pt in enumerate(ports):
        field = 'VM %s: openstack.ports[%d]' % (name, i)
        if not isinstance(pt, dict):
            raise AnsibleFilterError('%s: must be a mapping (network, mac, fixed_ips)' % field)
        net = pt.get('network') or pt.get('network_id')
        if not net:
            raise AnsibleFilterError('%s.network: required (the source network\'s name)' % field)
        if pt.get('network') in network_map:
            net = network_map[pt['network']]
        elif pt.get('network_id') in network_map:
            net = network_map[pt['network_id']]
        if not pt.get('mac'):
            raise AnsibleFilterError('%s.mac: required (the NIC\'s MAC address, which the new server keeps)' % field)
        keep = _bool(pt['keep_ips'], field + '.keep_ips') if 'keep_ips' in pt else vm_keep
        fixed = []
        for j, f in enumerate(pt.get('fixed_ips') or []):
            if not isinstance(f, dict):
                raise AnsibleFilterError('%s.fixed_ips[%d]: must be a mapping (subnet, ip)' % (field, j))
            d = {}
            if f.get('subnet') in subnet_map:
                d['subnet'] = subnet_map[f['subnet']]
            if keep:
                if not f.get('ip'):
                    raise AnsibleFilterError('%s.fixed_ips[%d].ip: required to keep it (keep_ips)' % (field, j))
                d['ip'] = f['ip']
            if d:
                fixed.append(d)
        groups = pt.get('security_groups')
        out.append(dict(
            name='%s-%s-nic%d' % (wave, name, i), network=net, mac=pt['mac'], fixed_ips=fixed,
            security_groups=None if groups is None else [security_group_map.get(g, g) for g in groups],
            description='UCH wave %s: VM %s, NIC %d (source port %s)' % (wave, name, i, pt.get('id') or '?')))
    return out


class FilterModule(object):
    def filters(self):
        return dict(uch_os_workloads=uch_os_workloads, uch_os_ports=uch_os_ports)
