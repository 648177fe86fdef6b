#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The wave's placement (uch_place) with a per-ESXi-host limit (VDDK's
# NFC sessions are per host): no more lanes than the limit ever hold
# VMs of one host, while the VMs still spread over every lane the
# limits allow; a VM that cannot be placed under the limit is not
# placed, saying why; no limit spreads a host's VMs over every lane; a
# limit that is not a number is refused.
source "$UCH_TOP/tests/lib/functions.sh"
require ansible-playbook
py=/usr/bin/python3

PYTHONPATH=$UCH_TOP/ansible:$UCH_TOP/tests/lib "$py" - <<'PY' || die "a placement check failed"
from ansible.errors import AnsibleFilterError
from ansible_collections.uch.appliance.plugins.filter.uch_wave import uch_place

from tap import check, finish

def vm(name, host, **kw):
    v = {"name": name, "esxi_host": host, "disks": [{"name": "sda", "source": {"path": "/x"}, "size": 10}]}
    v.update(kw)
    return v

def hosts_per_lane(p):
    return sorted(sorted(set(v.get("esxi_host") or v["vmware"]["host"] for v in l["vms"])) for l in p["lanes"])

def lanes_of(p, host):
    return sum(1 for l in p["lanes"] if any((v.get("esxi_host") or v["vmware"]["host"]) == host for v in l["vms"]))

one = [vm("a%d" % i, "esx1") for i in range(8)]
p = uch_place(one, {"src": 4}, {"dst": 4}, "src", None, 2)
check("8 VMs of one host, limit 2: 2 lanes hold them", lanes_of(p, "esx1"), 2)
check("... and all are placed", (sum(len(l["vms"]) for l in p["lanes"]), p["unplaced"]), (8, []))
p = uch_place(one, {"src": 4}, {"dst": 4}, "src")
check("no limit: the host's VMs spread over the 4 lanes", lanes_of(p, "esx1"), 4)

two = [vm("a%d" % i, "esx1") for i in range(4)] + [vm("b%d" % i, "esx2") for i in range(4)]
p = uch_place(two, {"src": 4}, {"dst": 4}, "src", None, 2)
check("two hosts, limit 2: each in 2 lanes", (lanes_of(p, "esx1"), lanes_of(p, "esx2")), (2, 2))
check("... and every lane works", len(p["lanes"]), 4)
check("... 2 VMs a lane", sorted(len(l["vms"]) for l in p["lanes"]), [2, 2, 2, 2])

# discover_vmware's VMs name their host under vmware.host
disc = [{"name": "d%d" % i, "vmware": {"host": "esx9"}, "disks": [{"name": "sda", "source": {"path": "/x"}}]}
        for i in range(3)]
p = uch_place(disc, {"src": 3}, {"dst": 3}, "src", None, 1)
check("vmware.host, limit 1: one lane", lanes_of(p, "esx9"), 1)

# a VM pinned to a destination where no lane of its host may go
pinned = [vm("a0", "esx1", destination="dst1"), vm("a1", "esx1", destination="dst2")]
p = uch_place(pinned, {"src": 2}, {"dst1": 1, "dst2": 1}, "src", None, 1)
check("limit 1, two destinations pinned: one placed",
      [v["name"] for l in p["lanes"] for v in l["vms"]], ["a0"])
check("... the other not placed, saying why", p["unplaced"],
      [{"name": "a1", "error": "not placed: ESXi host esx1 has its limit of 1 lanes, "
                                "none of them on this VM's appliances"}])
for bad in ("many", -1):
    try:
        uch_place(one, {"src": 1}, {"dst": 1}, "src", None, bad)
        check("limit %r refused" % (bad,), "accepted", "refused")
    except AnsibleFilterError as e:
        check("limit %r refused: %s" % (bad, e), True, True)
finish()
PY
pass "per-ESXi-host limits in the wave's placement"
