#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The wave's filters (plugins/filter/uch_wave.py) on the cases the wave
# tests do not reach with real appliances: a rerun's report for a VM
# finished before, with and without its in-place conversion; a VM its
# lane never reached; the inplace request made from the copies' results;
# a VM whose "inplace" is wrong is not placed, saying why; UCH inspect's
# verdict joined with discovery's source checks; the slots a wave cut
# short still holds count as the rerun's own; the batch (the VMs it
# takes, its exports and copies, what it finished, the lanes left); a
# vSphere VM of a wave:
# its convert request (with the static addresses discovery found), the
# sync's inplace, job ids, plan, report entry, the copy discovery
# makes of a disk for UCH inspect; discover_openstack's file and its
# blocked VMs; the ports of a migrated server, its volumes' type and
# zone from the storage map, the flavor that fits (uch_cloud=openstack).
source "$UCH_TOP/tests/lib/functions.sh"
require ansible-playbook
# the Python Debian's ansible-core runs on
py=/usr/bin/python3

PYTHONPATH=$UCH_TOP/ansible:$UCH_TOP/tests/lib "$py" - <<'PY' || die "a filter check failed"
from ansible_collections.uch.appliance.plugins.filter.uch_wave import (
    uch_place, uch_vm_done, uch_inplace_request, uch_wave_results, uch_vm_invalid,
    uch_wave_free)

from tap import check, finish

def job(id, type, state, vm, disks=()):
    return {"id": id, "state": state,
            "request": {"type": type, "labels": {"uch_wave": "w", "vm": vm}},
            "result": {"disks": list(disks)} if state == "succeeded" else None}

copy_a = job("w-a-sda", "copy", "succeeded", "a", [{"path": "/dev/vdb", "format": "raw",
                                                  "bytes_copied": 1000, "seconds": 1.5}])
copy_a2 = job("w-a-sdb", "copy", "succeeded", "a", [{"path": "/v/a-sdb.qcow2", "format": "qcow2",
                                                   "bytes_copied": 24, "seconds": 0.25}])
vm_a = {"name": "a", "disks": [{"name": "sda", "source": {"path": "/x"}},
                               {"name": "sdb", "source": {"path": "/y"}}]}
check("two disks, two succeeded copies: done", uch_vm_done([copy_a, copy_a2], vm_a), True)
check("two disks, one copy: not done", uch_vm_done([copy_a], vm_a), False)
check("a failed copy does not count",
      uch_vm_done([copy_a, job("w-a-sdb", "copy", "failed", "a")], vm_a), False)
vm_ai = dict(vm_a, inplace={"memory_mib": 2048})
check("copies but no inplace job: not done when the VM asks for one",
      uch_vm_done([copy_a, copy_a2], vm_ai), False)
check("... nor when the role asks for it", uch_vm_done([copy_a, copy_a2], vm_a, True), False)
inpl = job("w-a-inplace", "inplace", "succeeded", "a", [{"path": "/dev/vdb", "format": "raw"}])
check("copies and the inplace job: done", uch_vm_done([copy_a, copy_a2, inpl], vm_ai), True)
check("inplace: false wins over the role's default",
      uch_vm_done([copy_a, copy_a2], dict(vm_a, inplace=False), True), True)

check("the inplace request: the copies' disks in order, the VM's fields",
      uch_inplace_request(vm_ai, [copy_a, copy_a2], {"vm": "a"}),
      {"type": "inplace", "name": "a", "labels": {"vm": "a"}, "memory_mib": 2048,
       "disks": [{"path": "/dev/vdb", "format": "raw"},
                 {"path": "/v/a-sdb.qcow2", "format": "qcow2"}]})
check("a kind a wave does not migrate", uch_vm_invalid(dict(vm_a, kind="warm")),
      "kind warm: a wave migrates volumes (kind: volume) or vSphere VMs (kind: vmware);"
      " a warm migration of volumes runs with playbooks/warm_migration.yml")
check("inplace of a wrong type", uch_vm_invalid(dict(vm_a, inplace="yes")),
      "inplace must be true, false or a mapping")
check("inplace with an unknown field", uch_vm_invalid(dict(vm_a, inplace={"memory": 1})),
      "inplace: unknown field memory (known: memory_mib, vcpus, firmware, macs, options)")

vm_b = {"name": "b", "disks": [{"name": "sda", "source": {"path": "/z"}}]}
bad = {"name": "c", "disks": [{"name": "sda", "source": {"path": "/z"}}], "inplace": 3}
placement = uch_place([vm_a, vm_b, bad], {"src": 1}, {"dst": 1}, "src")
check("one lane, two VMs placed, the bad one not",
      ([v["name"] for l in placement["lanes"] for v in l["vms"]],
       [(u["name"], u["error"]) for u in placement["unplaced"]]),
      (["a", "b"], [("c", "not placed, invalid description: inplace must be true, false or a mapping")]))
# a wave cut short: its export of b still runs on src's only slot, its
# copy of a is queued on dst; a rerun must place both again
left = {"jobs": [job("w-b-export", "export", "running", "b"),
                 job("w-a-export", "export", "succeeded", "a")]}
free = uch_wave_free({"src": 0, "other": 1}, [left, {"jobs": []}], ["src", "other"])
check("the wave's own running job gives its slot back, a finished one not",
      free, {"src": 1, "other": 1})
idle_export = dict(job("w-lane.0.export", "export", "running", None), phase="idle")
idle_export["request"]["labels"] = {"uch_wave": "w", "lane": "lane-src-dst-0"}
check("an export only waiting out its idle time is not counted again (uch_health counts it free)",
      uch_wave_free({"src": 1}, [{"jobs": [idle_export]}], ["src"]), {"src": 1})
check("jobs of one VM hold one slot",
      uch_wave_free({"dst": 0}, [{"jobs": [job("w-a-sda", "copy", "queued", "a"),
                                           job("w-a-sdb", "copy", "running", "a")]}], ["dst"]),
      {"dst": 1})
rerun = uch_place([vm_a, vm_b], {"src": free["src"]}, {"dst": 1}, "src")
check("a rerun on an appliance its earlier run fills places its VMs",
      ([v["name"] for l in rerun["lanes"] for v in l["vms"]], rerun["unplaced"]),
      (["a", "b"], []))
report = uch_wave_results(placement, [], {"dst": [copy_a, copy_a2]})
check("a rerun's report: a from its copies, b never reached, c not placed",
      [(r["name"], r["state"], r["source"], r["destination"], r["jobs"], r["bytes"], r["seconds"],
        (r["error"] or "")[:20]) for r in report],
      [("a", "succeeded", "src", "dst", ["w-a-sda", "w-a-sdb"], 1024, 1.75, ""),
       ("b", "failed", "src", "dst", [], 0, 0, "no result: its lane "),
       ("c", "failed", None, None, [], 0, 0, "not placed, invalid ")])
mine = {"name": "b", "state": "succeeded", "jobs": ["w-b-sda"]}
check("a VM the lane reported keeps that entry",
      [r for r in uch_wave_results(placement, [mine], {}) if r["name"] == "b"], [mine])
check("with inplace wanted and no inplace job, a is not done before",
      [r["state"] for r in uch_wave_results(placement, [], {"dst": [copy_a, copy_a2]}, True)
       if r["name"] == "a"], ["failed"])

# the batch: what it takes, its exports and copies, what it finished
from ansible_collections.uch.appliance.plugins.filter.uch_wave import (
    uch_batch_lanes, uch_batch_names, uch_batch_exports, uch_batch_round, uch_batch_outcome,
    uch_export_endpoint, uch_batch_hosts,
    uch_lanes_left, uch_job_refs, uch_batch_unfinished_sources)
from ansible.errors import AnsibleFilterError
vm_d = {"name": "d", "disks": [{"name": "sda", "source": {"volume": "v-d"}, "destination": {"path": "/o/d"}}]}
vm_e = {"name": "e", "disks": [{"name": "sda", "source": {"path": "/e0"}, "destination": {"path": "/o/e0"}},
                               {"name": "sdb", "source": {"path": "/e1"}, "destination": {"path": "/o/e1"}}],
        "inplace": True}
vm_f = {"name": "f", "disks": [{"name": "sda", "source": {"path": "/f"}, "destination": {"path": "/o/f"}}]}
vm_g = {"name": "g", "kind": "vmware", "plan": "cold", "vmware": {"datacenter": "DC", "host": "h"},
        "disks": [{"name": "s", "source": {"vmware": {}}, "destination": {"path": "/o/g"}}]}
pl = {"lanes": [{"name": "lane-src-dst-0", "source": "src", "destination": "dst", "index": 0,
                 "vms": [vm_d, vm_e, vm_f]},
                {"name": "lane-src-dst2-1", "source": "src", "destination": "dst2", "index": 1,
                 "vms": [dict(vm_a, disks=[dict(d, destination={"path": "/o/" + d["name"]}) for d in vm_a["disks"]])]},
                {"name": "lane-vcenter-dst-2", "source": None, "destination": "dst", "index": 0, "vms": [vm_g]}],
      "unplaced": []}
done_f = job("w-f-sda", "copy", "succeeded", "f", [{"bytes_copied": 5, "seconds": 1}])
bl = uch_batch_lanes(pl, {"dst": [done_f]})
check("the batch takes volumes, not one finished before, one wanting inplace, a vSphere VM",
      [(l["name"], [v["name"] for v in l["vms"]]) for l in bl],
      [("lane-src-dst-0", ["d"]), ("lane-src-dst2-1", ["a"])])
check("the batch's VMs of a source, of a destination, of neither",
      [uch_batch_names(bl, "src", "source"), uch_batch_names(bl, "dst2", "destination"),
       uch_batch_names(bl, "src", "destination"), uch_batch_names(None, "src", "source"),
       uch_batch_names(bl, "dst2", "any"), uch_batch_names(bl, "src", "any")],
      [["d", "a"], ["a"], [], [], ["a"], ["d", "a"]])
check("the batch's round: the appliances with a VM in it, each once",
      [uch_batch_hosts(bl), uch_batch_hosts(None), uch_batch_hosts([dict(bl[0], vms=[])])],
      [["src", "dst", "dst2"], [], []])
ex = uch_batch_exports(bl, "src", "w", 10809, "10.0.0.7", "src.example", {"d": "k1", "a": "k2"})
check("one export a lane, on its port, each disk as VM-DISK, a PSK line a VM",
      [(e["id"], e["request"]["listen"], [d["name"] for d in e["request"]["disks"]], e["secrets"]) for e in ex],
      [("w-lane.0.export", {"tcp": "10.0.0.7:10809", "tls_psk_file": "@secret:psk@", "advertise": "src.example"},
        ["d-sda"], {"psk": "d:k1"}),
       ("w-lane.1.export", {"tcp": "10.0.0.7:10810", "tls_psk_file": "@secret:psk@", "advertise": "src.example"},
        ["a-sda", "a-sdb"], {"psk": "a:k2"})])
check("... serving until stopped, or, given an idle time, ending by itself once its disks were read",
      [(e["request"].get("until"), e["request"].get("idle_s")) for e in ex]
      + [(e["request"]["until"], e["request"]["idle_s"])
         for e in uch_batch_exports(bl, "src", "w", 10809, "x", "x", {"d": "k1", "a": "k2"}, 30)],
      [(None, None)] * 2 + [("disks-done", 30)] * 2)
check("... none on another source", uch_batch_exports(bl, "src2", "w", 10809, "x", "x", {}), [])
check("... each waiting for its port, given a time (an earlier wave's export may hold it)",
      [e["request"].get("port_wait_s")
       for e in uch_batch_exports(bl, "src", "w", 10809, "x", "x", {"d": "k1", "a": "k2"}, 5, 30)]
      + [e["request"].get("port_wait_s") for e in ex],
      [30, 30, None, None])
check("a source's endpoint: the address its exports advertise, its port base",
      [uch_export_endpoint({"ansible_host": "10.0.0.7", "inventory_hostname": "src"}),
       uch_export_endpoint({"ansible_host": "10.0.0.7", "uch_export_listen": "10.1.0.7",
                            "uch_export_advertise": "src.example", "uch_export_port_base": "20000"}),
       uch_export_endpoint({"inventory_hostname": "src"})],
      [{"address": "10.0.0.7", "port_base": 10809}, {"address": "src.example", "port_base": 20000},
       {"address": "src", "port_base": 10809}])
ends = {"src": {"address": "src.example", "port_base": 10809}}
rd = uch_batch_round(bl, "dst", "w", [], ends, {"d": "k1", "a": "k2"}, False, {"bandwidth": "5M"}, 45)
check("a destination's round: its copies, volume_migration's ids and labels, the URI known beforehand,"
      " as the VM's user with its key, waiting for the source",
      rd, [{"id": "w-d-sda", "secrets": {"psk": "d:k1"}, "request": {
          "type": "copy", "labels": {"uch_wave": "w", "vm": "d", "disk": "sda"}, "verify": False,
          "source_wait_s": 45, "limits": {"bandwidth": "5M"},
          "disks": [{"source": {"nbd": "nbds://d@src.example:10809/d-sda?tls-psk-file=@secret:psk@"},
                     "destination": {"path": "/o/d"}}]}}])
check("... the other destination's, on its lane's port, in the lane's order",
      [(c["id"], c["request"]["disks"][0]["source"]["nbd"].split("?")[0])
       for c in uch_batch_round(bl, "dst2", "w", [], ends, {"d": "k1", "a": "k2"})],
      [("w-a-sda", "nbds://a@src.example:10810/a-sda"), ("w-a-sdb", "nbds://a@src.example:10810/a-sdb")])
check("... an IPv6 address in brackets",
      uch_batch_round(bl, "dst2", "w", [], {"src": {"address": "fd00::7", "port_base": 10809}},
                      {"a": "k2"})[0]["request"]["disks"][0]["source"]["nbd"].split("?")[0],
      "nbds://a@[fd00::7]:10810/a-sda")
check("a source's round: its exports, each waited for until it serves, replaced when its lane's differs",
      [(e["id"], e["wait_for"], e["replace"]) for e in uch_batch_round(bl, "src", "w", ex, ends, {})],
      [("w-lane.0.export", "serving", True), ("w-lane.1.export", "serving", True)])
try:
    uch_batch_round(bl, "dst", "w", [], {}, {"d": "k1"})
    check("a source whose address is not known is refused", "accepted", "refused")
except AnsibleFilterError as e:
    check("a source whose address is not known is refused, naming it", str(e),
          "source src: its export address is not known")
def ran(id, state, failed=False):
    return {"id": id, "failed": failed, "job": {"id": id, "state": state, "request": {"type": "copy"},
                                                "result": {"disks": [{"bytes_copied": 7, "seconds": 0.5}]}}}
oc = uch_batch_outcome(bl, "w", {"dst": {"jobs": [ran("w-d-sda", "succeeded")]},
                                 "dst2": {"jobs": [ran("w-a-sda", "succeeded"), ran("w-a-sdb", "failed", True)]}})
check("the outcome: d done with its report entry; a not, its succeeded copy to forget",
      (oc["done"], [(r["name"], r["state"], r["source"], r["destination"], r["jobs"], r["bytes"]) for r in oc["results"]],
       oc["forget"], uch_job_refs(oc["forget"], ["a", "d"])),
      (["d"], [("d", "succeeded", "src", "dst", ["w-d-sda"], 7)], {"a": ["w-a-sda"]}, [{"id": "w-a-sda"}]))
check("the sources to stop: every one with an export (stop), whatever was finished",
      (uch_batch_unfinished_sources(bl, oc["done"]), uch_batch_unfinished_sources(bl, ["d", "a"], "stop"),
       uch_batch_unfinished_sources([], [])),
      (["src"], ["src"], []))
check("... with idle, src (a not finished); none when the batch finished all",
      (uch_batch_unfinished_sources(bl, oc["done"], "idle"), uch_batch_unfinished_sources(bl, ["d", "a"], "idle")),
      (["src"], []))
try:
    uch_batch_unfinished_sources(bl, [], "never")
    check("a bad uch_batch_export_end is refused", "accepted", "refused")
except AnsibleFilterError as e:
    check("a bad uch_batch_export_end is refused naming it", "uch_batch_export_end" in str(e), True)
check("the lanes left: e (inplace) and the vSphere VM; a to retry; not f (done before) nor d",
      [(l["name"], [v["name"] for v in l["vms"]]) for l in uch_lanes_left(pl, oc["done"], {"dst": [done_f]})],
      [("lane-src-dst-0", ["e"]), ("lane-src-dst2-1", ["a"]), ("lane-vcenter-dst-2", ["g"])])
check("... with OpenStack, a VM done before goes through its lane (its new server)",
      [v["name"] for l in uch_lanes_left(pl, [], {"dst": [done_f]}, False, "openstack") for v in l["vms"]],
      ["d", "e", "f", "a", "g"])
check("uch_job_refs of a uch_jobs result: the jobs it has",
      uch_job_refs({"jobs": [{"id": "x", "job": {"id": "x"}}, {"id": "y", "job": None}]}), [{"id": "x"}])
check("uch_job_refs of uch_job_info's jobs, those of the VMs named (undo_wave)",
      [uch_job_refs([copy_a, copy_a2, job("w-b-sda", "copy", "failed", "b")]),
       uch_job_refs([copy_a, job("w-b-sda", "copy", "failed", "b")], ["b"])],
      [[{"id": "w-a-sda"}, {"id": "w-a-sdb"}, {"id": "w-b-sda"}], [{"id": "w-b-sda"}]])

# UCH inspect's verdict joined with discovery's source checks
from ansible_collections.uch.appliance.plugins.filter.uch_vmware import (
    uch_vmware_checks, uch_vmware_with_checks)
vw = {"name": "web01", "kind": "vmware",
      "vmware": {"power_state": "poweredOff", "guest_id": "debian11_64Guest", "snapshots": []},
      "disks": [{"name": "scsi0-0", "source": {"vmware": {"datastore": "ds"}}}]}
def insp(state, result=None, error=None):
    return {"id": "web01-inspect", "state": state, "result": result, "error": error}
check("no inspection: the inventory's checks alone", uch_vmware_checks(vw), {"verdict": "ok", "reasons": []})
check("a convertible guest adds nothing",
      uch_vmware_checks(vw, inspection=insp("succeeded", {"convertible": True, "reasons": []})),
      {"verdict": "ok", "reasons": []})
luks = insp("succeeded", {"convertible": False,
                          "reasons": ["encrypted (LUKS) devices and no key: /dev/sda2",
                                      "no kernel in /boot"]})
check("every reason inspect gives, blocked, with the inventory's own",
      uch_vmware_checks(dict(vw, vmware=dict(vw["vmware"], power_state="poweredOn")), inspection=luks),
      {"verdict": "blocked", "reasons": [
          {"check": "power", "level": "blocked", "message": "powered on: a cold plan converts a VM that is "
           "shut down (virt-v2v refuses a running one)"},
          {"check": "inspect", "level": "blocked",
           "message": "UCH inspect: encrypted (LUKS) devices and no key: /dev/sda2"},
          {"check": "inspect", "level": "blocked", "message": "UCH inspect: no kernel in /boot"}]})
check("an inspect that failed is a warning naming its error",
      uch_vmware_checks(vw, inspection=insp("failed", error={"code": "inspect_failed", "message": "no disk"})),
      {"verdict": "warning", "reasons": [{"check": "inspect", "level": "warning",
       "message": "UCH inspect could not read the disks (inspect_failed): no disk"}]})
check("the workloads file: inspections by VM name",
      [v["checks"]["verdict"] for v in uch_vmware_with_checks(
          {"vms": [vw, dict(vw, name="web02")]}, "cold", None, {"web02": luks})["vms"]],
      ["ok", "blocked"])

# a vSphere VM in a wave: its convert request (cold), its report entry
from ansible_collections.uch.appliance.plugins.filter.uch_wave import (
    uch_vmware_convert_request, uch_vmware_job_id, uch_vmware_vm_result, uch_wave_vms)
from ansible_collections.uch.appliance.plugins.filter.uch_vmware import uch_vmware_inspect_copy
wv = {"name": "web 01", "kind": "vmware", "plan": "cold",
      "vmware": {"datacenter": "DC 1", "cluster": "cl1", "host": "esx07"},
      "disks": [{"name": "scsi0-0", "source": {"vmware": {"datastore_path": "[ds 1] web 01/web 01.vmdk"}},
                 "destination": {"volume": "v1"}},
                {"name": "scsi0-1", "source": {"vmware": {"datastore_path": "[ds1] web/web_1.vmdk"}},
                 "destination": {"path": "/dev/vdc"}}]}
check("cold: a convert job reading the VM over vpx://, the disks' destinations as output.block",
      uch_vmware_convert_request(wv, {"hostname": "vc.example.com", "port": 443}, "administrator@vsphere.local",
                                 "/etc/uch/vc.pw", {"vm": "web 01"}),
      {"type": "convert", "name": "web 01", "labels": {"vm": "web 01"},
       "input": {"vcenter": {"url": "vpx://administrator%40vsphere.local@vc.example.com/DC%201/cl1/esx07",
                             "vm": "web 01", "password_file": "/etc/uch/vc.pw"}},
       "output": {"block": {"devices": [{"volume": "v1"}, {"path": "/dev/vdc"}]}}})
check("... another port, no certificate check, the VM's own output",
      uch_vmware_convert_request(dict(wv, output={"local": {"dir": "/o"}}), {"hostname": "vc", "port": 8443},
                                 "root", "/pw", None, False)["input"]["vcenter"]["url"] +
      str(uch_vmware_convert_request(dict(wv, output={"local": {"dir": "/o"}}), {"hostname": "vc"},
                                     "root", "/pw")["output"]),
      "vpx://root@vc:8443/DC%201/cl1/esx07?no_verify=1{'local': {'dir': '/o'}}")
# the static addresses discovery found (VMware Tools' report) kept
from ansible_collections.uch.appliance.plugins.filter.uch_wave import uch_vmware_inplace
from ansible_collections.uch.appliance.plugins.filter.uch_vmware import uch_vmware_workloads
tools = {"mac": "00:50:56:AA:00:01", "gateway": "10.0.0.1", "nameservers": ["10.0.0.53"],
         "addresses": [{"address": "fe80::1", "prefix": 64, "origin": "linklayer"},
                       {"address": "2001:db8::5", "prefix": 64, "origin": "manual"},
                       {"address": "10.0.0.5", "prefix": 24, "origin": "manual"}]}
found = uch_vmware_workloads(
    [{"moid": "vm-1", "guest_name": "web01"}], {}, {"results": [{"item": {"moid": "vm-1"}, "network_info": [
        {"mac_address": "00:50:56:aa:00:01", "network_name": "prod"},
        {"mac_address": "00:50:56:aa:00:02", "network_name": "dhcp"}]}]}, {}, {},
    states={"results": [{"item": {"moid": "vm-1"}, "vm": {"guest_nics": [tools, {
        "mac": "00:50:56:aa:00:02", "addresses": [{"address": "10.9.0.7", "prefix": 16, "origin": "dhcp"}]}]}}]})
nics = found["vms"][0]["vmware"]["nics"]
check("discovery: a NIC's static address from Tools (IPv4 first, by MAC in any case); none for DHCP",
      [n.get("ip") for n in nics],
      [{"address": "10.0.0.5", "prefix": 24, "gateway": "10.0.0.1", "nameservers": ["10.0.0.53"]}, None])
wip = dict(wv, vmware=dict(wv["vmware"], nics=nics))
check("cold: the convert request keeps them (options.macs, virt-v2v's --mac MAC:ip:...)",
      uch_vmware_convert_request(wip, {"hostname": "vc"}, "root", "/pw")["options"],
      {"macs": [{"mac": "00:50:56:aa:00:01", "ip": {"address": "10.0.0.5", "gateway": "10.0.0.1",
                                                    "prefix": 24, "nameservers": ["10.0.0.53"]}}]})
check("... not with keep_ips false; and without a gateway, no prefix nor name servers (virt-v2v 2.2)",
      ["options" in uch_vmware_convert_request(wip, {"hostname": "vc"}, "root", "/pw", None, True, False),
       uch_vmware_convert_request(dict(wv, vmware=dict(wv["vmware"], nics=[
           {"mac": "00:50:56:aa:00:03", "ip": {"address": "10.0.0.6", "prefix": 24,
                                               "nameservers": ["10.0.0.53"]}}])),
           {"hostname": "vc"}, "root", "/pw")["options"]["macs"]],
      [False, [{"mac": "00:50:56:aa:00:03", "ip": {"address": "10.0.0.6"}}]])
check("warm: the sync's inplace gets them, a MAC the VM's inplace gives an ip itself left as it is",
      [uch_vmware_inplace(dict(wip, inplace={"name": "web01"})),
       uch_vmware_inplace(dict(wip, inplace={"name": "web01", "options": {"macs": [
           {"mac": "00:50:56:aa:00:01", "ip": {"address": "10.0.0.9"}}]}})),
       uch_vmware_inplace(dict(wip, inplace={"name": "web01"}), False)],
      [{"name": "web01", "options": {"macs": [{"mac": "00:50:56:aa:00:01", "ip": {
           "address": "10.0.0.5", "gateway": "10.0.0.1", "prefix": 24, "nameservers": ["10.0.0.53"]}}]}},
       {"name": "web01", "options": {"macs": [{"mac": "00:50:56:aa:00:01", "ip": {"address": "10.0.0.9"}}]}},
       {"name": "web01"}])
check("job ids: cold WAVE-VM-convert, warm WAVE-VM (vmware_warm's)",
      [uch_vmware_job_id(wv, "w1"), uch_vmware_job_id(dict(wv, plan="warm"), "w1")],
      ["w1-web 01-convert", "w1-web 01"])
check("the file's plan for VMs without one; uch_plan over it",
      [[v.get("plan") for v in uch_wave_vms({"plan": "warm", "vms": [dict(vw), dict(vw, plan="cold"), vm_a]}, p)]
       for p in (None, "cold")],
      [["warm", "cold", None], ["cold", "cold", None]])
check("a warm VM's entry: its passes' bytes and seconds",
      uch_vmware_vm_result({"id": "w1-web 01", "state": "succeeded", "result": {"passes": [
          {"bytes": 100, "seconds": 1.5}, {"bytes": 20, "seconds": 0.25}]}}, dict(wv, plan="warm"), "dst1"),
      {"name": "web 01", "source": "vcenter:esx07", "destination": "dst1", "state": "succeeded", "plan": "warm",
       "jobs": ["w1-web 01"], "bytes": 120, "seconds": 1.75, "error": None})
check("a failed job's entry: uchd's error",
      uch_vmware_vm_result({"id": "c", "state": "failed", "error": {"code": "convert_failed", "message": "m"}},
                           wv, "dst1")["error"], "convert_failed: m")
check("discovery's inspection: a disk copied over /folder",
      uch_vmware_inspect_copy(wv["disks"][0], wv, {"hostname": "vc", "port": 443}, "root", "/pw", "/s/a.img", False),
      {"source": {"nbdkit": {"plugin": "curl", "user": "root", "password_file": "/pw", "sslverify": False,
                             "url": "https://vc:443/folder/web%2001/web%2001-flat.vmdk?dcPath=DC%201&dsName=ds%201"}},
       "destination": {"path": "/s/a.img"}})

# discover_openstack: the file from uch_os_discover's result, and a
# server booted from an image not placed, saying why
from ansible_collections.uch.appliance.plugins.filter.uch_openstack import uch_os_workloads
found = {"changed": False, "skipped": ["x"], "openstack": {"flavor_map": {"f": "f"}},
         "vms": [{"name": "img1", "kind": "volume", "disks": [],
                  "checks": {"verdict": "blocked", "reasons": [
                      {"check": "image_backed", "level": "blocked", "message": "boots from image i"},
                      {"check": "disks", "level": "blocked", "message": "no volume"}]}}]}
check("discover_openstack: the workloads file", uch_os_workloads(found, "w1"),
      {"wave": "w1", "openstack": {"flavor_map": {"f": "f"}}, "vms": found["vms"]})
check("discover_openstack: an image-backed server is not placed", uch_vm_invalid(found["vms"][0]),
      "source checks: blocked: boots from image i; no volume")

# the new server's ports: a NIC each, MAC kept, IPs where asked, the maps
from ansible_collections.uch.appliance.plugins.filter.uch_openstack import uch_os_ports
from ansible.errors import AnsibleFilterError
nics = [{"id": "p1", "network": "prod", "network_id": "n1", "mac": "fa:16:3e:00:00:01",
         "fixed_ips": [{"subnet": "prod-v4", "ip": "10.0.0.5"}], "security_groups": ["default", "web"]},
        {"id": "p2", "network": "back", "network_id": "n2", "mac": "fa:16:3e:00:00:02",
         "fixed_ips": [{"subnet": "back-v4", "ip": "10.1.0.5"}], "security_groups": [], "keep_ips": True}]
vm_n = {"name": "web01", "openstack": {"server": "web01", "ports": nics}}
check("ports: one a NIC, MACs kept, IPs only where asked, the maps",
      uch_os_ports(vm_n, "w1", {"prod": "dst-prod"}, {"prod-v4": "dst-prod-v4"}, False, {"web": "dst-web"}),
      [{"name": "w1-web01-nic0", "network": "dst-prod", "mac": "fa:16:3e:00:00:01",
        "fixed_ips": [{"subnet": "dst-prod-v4"}], "security_groups": ["default", "dst-web"],
        "description": "UCH wave w1: VM web01, NIC 0 (source port p1)"},
       {"name": "w1-web01-nic1", "network": "back", "mac": "fa:16:3e:00:00:02",
        "fixed_ips": [{"ip": "10.1.0.5"}], "security_groups": [],
        "description": "UCH wave w1: VM web01, NIC 1 (source port p2)"}])
vm_k = {"name": "web01", "openstack": {"keep_ips": True, "ports": [dict(nics[0], security_groups=None)]}}
check("ports: the VM keeps its IPs; a network mapped by id; no groups given",
      uch_os_ports(vm_k, "w1", {"n1": "dst-prod"}, {}, False),
      [{"name": "w1-web01-nic0", "network": "dst-prod", "mac": "fa:16:3e:00:00:01",
        "fixed_ips": [{"ip": "10.0.0.5"}], "security_groups": None,
        "description": "UCH wave w1: VM web01, NIC 0 (source port p1)"}])
check("ports: none recorded, none made (one port on openstack.network)",
      uch_os_ports({"name": "a", "openstack": {"network": "prod"}}, "w1"), [])
def refused(vm, **kw):
    try:
        uch_os_ports(vm, "w1", **kw)
    except AnsibleFilterError as e:
        return str(e)
    return "accepted"
check("ports: a NIC without its MAC is refused, naming the field",
      refused({"name": "a", "openstack": {"ports": [{"network": "prod"}]}}),
      "VM a: openstack.ports[0].mac: required (the NIC's MAC address, which the new server keeps)")
check("ports: keep_ips not a boolean is refused, naming the field",
      refused({"name": "a", "openstack": {"keep_ips": "sure", "ports": nics}}),
      "VM a: openstack.keep_ips: must be true or false, not 'sure'")

# uch_cloud=openstack: what the copies read, the clone of the root
# volume, the volume from an image-backed root's snapshot
from ansible_collections.uch.appliance.plugins.filter.uch_wave import uch_os_prepared_disks
check("openstack: a root from a snapshot and a volume as it is",
      uch_os_prepared_disks([{"name": "vda", "size": 1, "source": {"snapshot": True}},
                             {"name": "vdb", "size": 2, "source": {"volume": "v2"}}],
                            ["n1", "n2"], {}, {"vda": "s1"}),
      [{"name": "vda", "size": 1, "source": {"volume": "s1"},
        "destination": {"volume": "n1", "wait_s": 300}},
       {"name": "vdb", "size": 2, "source": {"volume": "v2"},
        "destination": {"volume": "n2", "wait_s": 300}}])
check("openstack: the clone of the root volume",
      uch_os_prepared_disks([{"name": "vda", "source": {"volume": "v1"}}], ["n1"], {"v1": "c1"})[0]["source"],
      {"volume": "c1"})

# uch_cloud=openstack: a new volume's type and zone from the storage
# map (by the source volume's type), the flavor that fits
from ansible_collections.uch.appliance.plugins.filter.uch_wave import uch_os_storage
from ansible_collections.uch.appliance.plugins.module_utils.uch_os_match import flavor_fit, fit_needs
smap = {"ceph": {"volume_type": "fast", "availability_zone": "az2"}, "lvm": "slow"}
check("openstack: the storage map's type and zone",
      [uch_os_storage({"openstack": {"volume_type": t}}, smap) for t in ("ceph", "lvm", "other")]
      + [uch_os_storage({"source": {"snapshot": True}}, smap), uch_os_storage({"openstack": {"volume_type": "ceph"}})],
      [{"volume_type": "fast", "availability_zone": "az2"}, {"volume_type": "slow", "availability_zone": None}]
      + [{"volume_type": None, "availability_zone": None}] * 3)
flavors = [{"name": "big", "vcpus": 4, "ram": 8192, "disk": 80}, {"name": "b", "vcpus": 2, "ram": 4096, "disk": 40},
           {"name": "a", "vcpus": 2, "ram": 4096, "disk": 40}, {"name": "small", "vcpus": 1, "ram": 2048, "disk": 20},
           {"name": "off", "vcpus": 2, "ram": 2048, "disk": 20, "is_disabled": True}]
check("openstack: the smallest flavor that fits (fewest vCPUs, least RAM, least disk, name); none",
      [(flavor_fit(flavors, fit_needs(n)) or {}).get("name")
       for n in ({"vcpus": 2, "ram": 2048, "disk": 10}, {"vcpus": 1, "ram": 4096, "disk": 0, "swap": None},
                 {"vcpus": 1, "ram": 2048, "disk": 20}, {"vcpus": 8, "ram": 1, "disk": 0})],
      ["a", "a", "small", None])
finish()
PY
pass "the wave's filters: done-before, inplace request and checks, report entries, inspect verdicts, vSphere VMs, a migrated server's ports, a new volume's storage, the flavor that fits"
