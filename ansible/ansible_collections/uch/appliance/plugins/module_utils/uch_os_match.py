# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright: UCH project
# GNU General Public License v2.0 or later, so v3.0 or later too (see COPYING)
"""How a wave into OpenStack chooses what the new server and its volumes
get where the workloads file's maps do not say: the flavor that fits a
VM (uch_os_server's flavor_fit, uch_os_preflight), and a disk's volume
type and availability zone from the storage map (the role's
uch_os_storage filter, uch_os_preflight).  Plain Python, no
openstacksdk: the controller's filters use it too."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


FIT_KEYS = ('vcpus', 'ram', 'disk')


def fit_needs(details):
    """{vcpus, ram (MiB), disk (GiB)} of a VM's flavor_details (a
    missing or empty value is 0), or None when DETAILS is no mapping
    or none of them is a number."""
    if not isinstance(details, dict):
        return None
    out = {}
    for k in FIT_KEYS:
        try:
            out[k] = int(details.get(k) or 0)
        except (TypeError, ValueError):
            return None
    return out if any(out.values()) else None


def fit_text(needs):
    return '%d vCPUs, %d MiB RAM, %d GiB disk' % (needs['vcpus'], needs['ram'], needs['disk'])


def flavor_fit(flavors, needs):
    """Of FLAVORS (openstacksdk's, or dicts), the smallest with at least
    NEEDS' vcpus, ram and disk - the fewest vCPUs, then the least RAM,
    then the least disk, then by name - skipping disabled ones; None
    when none fits."""
    def get(f, k):
        return f.get(k) if isinstance(f, dict) else getattr(f, k, None)
    fits = []
    for f in flavors:
        if get(f, 'is_disabled'):
            continue
        have = dict((k, int(get(f, k) or 0)) for k in FIT_KEYS)
        if all(have[k] >= needs[k] for k in FIT_KEYS):
            fits.append((have['vcpus'], have['ram'], have['disk'], get(f, 'name') or '', f))
    return min(fits, key=lambda x: x[:4])[4] if fits else None


def storage_for(disk, storage_map):
    """(volume_type, availability_zone, key) for a disk's new volume:
    STORAGE_MAP's entry for the source volume's type
    (disk.openstack.volume_type), a destination volume type's name or a
    mapping of volume_type and/or availability_zone; (None, None, key)
    where the map has no entry (the destination's defaults), key None
    when the disk has no volume type."""
    osd = (disk or {}).get('openstack') or {}
    key = osd.get('volume_type') if isinstance(osd, dict) else None
    entry = (storage_map or {}).get(key) if key is not None else None
    if entry is None:
        return None, None, key
    if isinstance(entry, dict):
        return entry.get('volume_type') or None, entry.get('availability_zone') or None, key
    return str(entry), None, key
