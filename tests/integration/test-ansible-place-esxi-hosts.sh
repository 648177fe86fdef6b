#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The wave's placement (uch_place) with a per-ESXi-host limit (VDDK's
# NFC sessions are per host): no more lanes than the limit ever hold
# VMs of one host, while the VMs still spread over every lane the
# limits allow; a VM that cannot be placed under the limit is not
# placed, saying why; no limit spreads a host's VMs over every lane; a
# limit that is not a number is refused.  vSphere VMs (kind vmware) get
# lanes of the destinations' slots without a source appliance, under the
# same limit; a VM of kind volume without one is refused; vSphere VMs
# described wrong are not placed, each saying why.
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
# vSphere VMs of a wave (kind vmware) read from the vCenter: lanes of
# their own from the destinations' slots, no source appliance needed
def vw(name, host, **kw):
    v = {"name": name, "kind": "vmware", "plan": "cold", "vmware": {"datacenter": "DC0", "host": host},
         "disks": [{"name": "scsi0-0", "source": {"vmware": {"datastore_path": "[ds] %s/%s.vmdk" % (name, name)}},
                    "destination": {"path": "/dst/%s" % name}}]}
    v.update(kw)
    return v
vws = [vw("v%d" % i, "esx1") for i in range(4)] + [vw("w%d" % i, "esx2") for i in range(2)]
p = uch_place(vws, {}, {"dst1": 2, "dst2": 2}, None, None, 1)
check("kind vmware, no source appliance: every VM placed", (sum(len(l["vms"]) for l in p["lanes"]), p["unplaced"]), (6, []))
check("... on lanes without a source", sorted(set(l["source"] for l in p["lanes"]), key=str), [None])
check("... limit 1: one lane a host", (lanes_of(p, "esx1"), lanes_of(p, "esx2")), (1, 1))
check("... a lane per host's VMs", sorted(len(l["vms"]) for l in p["lanes"]), [2, 4])
p = uch_place(vws + [vm("a0", "esx3")], {"src": 1}, {"dst1": 2}, "src", None, 0)
check("a mixed wave: the volume VM on the source's lane",
      [l["source"] for l in p["lanes"] if any(v["name"] == "a0" for v in l["vms"])], ["src"])
check("... the vSphere VMs on both lanes", (len(p["lanes"]), p["unplaced"]), (2, []))
p = uch_place([vm("a0", "esx3")], {}, {"dst1": 1}, None)
check("a volume VM without a source appliance in the pool: not placed, saying why", p["unplaced"],
      [{"name": "a0", "error": "not placed: a VM of kind volume needs a source appliance, and the pool has none (uch_sources)"}])
p = uch_place([vw("v0", "esx1", plan="hot"), vw("v1", "esx1", inplace=True),
               vw("v2", "esx1", disks=[{"name": "scsi0-0", "source": {"vmware": {}}, "destination": {"path": "rel"}}]),
               vw("v3", "esx1", vmware={"datacenter": "DC0"})], {}, {"dst1": 1}, None)
check("vSphere VMs described wrong: not placed, saying why", [(u["name"], u["error"]) for u in p["unplaced"]], [
    ("v0", "not placed, invalid description: plan must be cold or warm, not 'hot'"),
    ("v1", "not placed, invalid description: inplace is for a warm plan (a cold plan's convert job converts)"),
    ("v2", "not placed, invalid description: disk scsi0-0: destination path must be absolute"),
    ("v3", "not placed, invalid description: kind vmware needs vmware.datacenter and vmware.host "
           "(the ESXi host), as discover_vmware writes them")])

for bad in ("many", -1):
    try:
        uch_place(one, {"src": 1}, {"dst": 1}, "src", None, bad)
        check("limit %r refused" % (bad,), "accepted", "refused")
    except AnsibleFilterError as e:
        check("limit %r refused: %s" % (bad, e), True, True)
finish()
PY
pass "per-ESXi-host limits in the wave's placement"
