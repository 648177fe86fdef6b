#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Discovery: the playbook uch.appliance.discover_vmware reads the tests'
# vCenter (tests/vcenter, govmomi's simulator) with community.vmware's
# modules and writes the workloads file of a wave: web01 (powered off,
# one snapshot taken through the API first) and web02 (powered on) with
# their disk (datastore path, size, controller, mode), NIC (MAC,
# network, and web02's static address as its VMware Tools report it),
# firmware, guest OS, power state, snapshots, CBT, encryption,
# vTPM and VMware Tools (uch_vmware_vm), web03 (a
# Solaris guest); db01 left out by the name filter.  The source checks
# of a cold plan: web01 a warning (its snapshot), web02 blocked
# (powered on), web03 blocked (a guest virt-v2v does not convert); a
# wave's placement turns the blocked ones down with every reason; the
# other rules (RDM, independent, shared disks, datastores, CBT for a
# warm plan) on descriptions the simulator cannot make.  A folder
# without VMs gives none; a wrong password fails the playbook, the
# password nowhere in its output.
# uch-test: slow
# uch-test: timeout=900
source "$UCH_TOP/tests/lib/functions.sh"
require ansible-playbook
require python3

pw="vc-pass-$$-$RANDOM-never-shown"
( umask 077; printf '%s\n' "$pw" >"$T/vc.pw" )
truncate -s 64M "$T/blank.img"
"$UCH_TOP/tests/guests/make-vmx.sh" "$T/blank.img" web01 debian11-64 00:50:56:0a:0b:01 "$T/vm" ||
  die "make-vmx.sh failed"
"$UCH_TOP/tests/guests/make-vmx.sh" "$T/blank.img" web03 solaris11-64 00:50:56:0a:0b:03 "$T/sol" ||
  die "make-vmx.sh failed"
# web02's guest has a static address on its NIC, which its Tools report
vcsim_start root "$T/vc.pw" -vm "web01=$T/vm" \
  -vm "web02=$T/vm,on,ip=10.20.30.40/24,gw=10.20.30.1,dns=10.20.30.53,dns=10.20.30.54" \
  -vm "db01=$T/vm" -vm "web03=$T/sol"

vcenter_vars root "$T/vc.pw"
ansible_config
ansible_vmware() { # PLAYBOOK-ARGS...: with the vCenter's variables
  ansible-playbook -e "@$T/vc-vars.yml" "$@"
}

# A snapshot of web01, through the API as a user would take it.
cat >"$T/snap.yml" <<'YML'
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - community.vmware.vmware_guest_snapshot:
        hostname: "{{ uch_vcenter_hostname }}"
        port: "{{ uch_vcenter_port }}"
        username: "{{ uch_vcenter_username }}"
        password: "{{ uch_vcenter_password }}"
        validate_certs: false
        datacenter: DC0
        folder: /DC0/vm
        name: web01
        snapshot_name: before-upgrade
        state: present
YML
ansible_vmware "$T/snap.yml" >"$T/snap.out" 2>&1 || die "snapshot: $(tail -20 "$T/snap.out")"

start=$(date +%s)
ansible_vmware "$UCH_TOP/ansible/ansible_collections/uch/appliance/playbooks/discover_vmware.yml" \
  -e uch_workloads_file="$T/wave1.yml" -e uch_wave=wave1 -e '{"uch_discover_names": ["^web"]}' \
  >"$T/discover.out" 2>&1 || die "discover_vmware: $(tail -30 "$T/discover.out")"
pass "discover_vmware wrote the workloads file in $(( $(date +%s) - start )) s"

python3 - "$T/wave1.yml" <<'PY' || die "workloads file: $(cat "$T/wave1.yml")"
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
def check(cond, what):
    if not cond:
        sys.exit("wrong: %s" % what)
check(doc["wave"] == "wave1", "wave")
vms = {v["name"]: v for v in doc["vms"]}
check(sorted(vms) == ["web01", "web02", "web03"], "the VMs taken: %s" % sorted(vms))
check(doc["plan"] == "cold", "plan")
def reasons(name):
    return [(r["check"], r["level"]) for r in vms[name]["checks"]["reasons"]]
check(vms["web01"]["checks"]["verdict"] == "warning" and reasons("web01") == [("snapshots", "warning")],
      "web01 checks %s" % vms["web01"]["checks"])
check(vms["web02"]["checks"]["verdict"] == "blocked" and reasons("web02") == [("power", "blocked")],
      "web02 checks %s" % vms["web02"]["checks"])
check(vms["web03"]["checks"]["verdict"] == "blocked" and reasons("web03") == [("guest_os", "blocked")],
      "web03 checks %s" % vms["web03"]["checks"])
check(vms["web03"]["vmware"]["guest_id"] == "solaris11_64Guest", "web03 guest")
del vms["web03"]
for name, power in (("web01", "poweredOff"), ("web02", "poweredOn")):
    vm = vms[name]
    check(vm["kind"] == "vmware", name + " kind")
    vw = vm["vmware"]
    check(vw["power_state"] == power, name + " power state %s" % vw["power_state"])
    check(vw["guest_id"] == "debian11_64Guest", name + " guest OS %s" % vw["guest_id"])
    check(vw["firmware"] == "bios", name + " firmware %s" % vw["firmware"])
    check(vw["host"] == "DC0_H0" and vw["datacenter"] == "DC0", name + " host")
    nic = {"mac": "00:50:56:0a:0b:01", "network": "VM Network", "type": "e1000e", "connected": True}
    if name == "web02":
        nic["ip"] = {"address": "10.20.30.40", "prefix": 24, "gateway": "10.20.30.1",
                     "nameservers": ["10.20.30.53", "10.20.30.54"]}
    check(vw["nics"] == [nic], name + " NICs %s" % vw["nics"])
    check(len(vm["disks"]) == 1, name + " disks")
    d = vm["disks"][0]
    check(d["name"] == "scsi0-0" and d["size"] == 64 << 20, name + " disk %s" % d)
    s = d["source"]["vmware"]
    check(s["datastore_path"] == "[LocalDS_0] %s/web01.vmdk" % name, name + " path %s" % s)
    check(s["controller"] == "lsilogicsas" and s["mode"] == "persistent", name + " disk %s" % s)
snaps = vms["web01"]["vmware"]["snapshots"]
check([s["name"] for s in snaps] == ["before-upgrade"], "web01 snapshots %s" % snaps)
check(vms["web01"]["vmware"]["current_snapshot"] == "before-upgrade", "current snapshot")
check(vms["web02"]["vmware"]["snapshots"] == [], "web02 snapshots")
for name, tools in (("web01", False), ("web02", True)):
    vw = vms[name]["vmware"]
    got = (vw["cbt"], vw["encrypted"], vw["vtpm"], vw["tools_running"])
    check(got == (False, False, False, tools), name + " cbt, encrypted, vtpm, tools: %s" % (got,))
print("ok")
PY
pass "web01, web02, web03 (not db01): disk, NIC, firmware, guest OS, power state, snapshot; checks"

# The wave's placement says why the blocked VMs are not placed; the
# rules the simulator cannot exercise, on descriptions.
PYTHONPATH=$UCH_TOP/ansible /usr/bin/python3 - "$T/wave1.yml" <<'PY' || die "source checks"
import sys, yaml
from ansible_collections.uch.appliance.plugins.filter.uch_wave import uch_place
from ansible_collections.uch.appliance.plugins.filter.uch_vmware import uch_vmware_checks
doc = yaml.safe_load(open(sys.argv[1]))
unplaced = {u["name"]: u["error"] for u in uch_place(doc["vms"], {"src": 1}, {"dst": 1})["unplaced"]}
def check(cond, what):
    if not cond:
        sys.exit("wrong: %s" % what)
check(unplaced["web02"].startswith("not placed, invalid description: source checks: blocked: powered on"),
      "web02: %s" % unplaced.get("web02"))
check("virt-v2v does not convert it" in unplaced["web03"], "web03: %s" % unplaced.get("web03"))
print("web02:", unplaced["web02"])
def disk(**kw):
    src = {"datastore": "ds1", "mode": "persistent", "backing": "FlatVer2", "sharing": "sharingNone"}
    src.update(kw)
    return {"name": "scsi0-0", "source": {"vmware": src}}
def vm(disks, **kw):
    vw = {"power_state": "poweredOff", "guest_id": "rhel8_64Guest", "firmware": "bios",
          "cbt": True, "snapshots": []}
    vw.update(kw)
    return {"name": "x", "kind": "vmware", "vmware": vw, "disks": disks}
ds = [{"name": "ds1", "accessible": True}, {"name": "ds2", "accessible": False}]
def got(v, plan="cold"):
    c = uch_vmware_checks(v, plan, ds)
    return c["verdict"], sorted((r["check"], r["level"]) for r in c["reasons"])
check(got(vm([disk()])) == ("ok", []), "a plain VM: %s" % (got(vm([disk()])),))
check(got(vm([disk()]), "warm") == ("ok", []), "warm, CBT on")
check(got(vm([disk()], cbt=False), "warm") == ("blocked", [("cbt", "blocked")]), "warm, CBT off")
check(got(vm([disk()], cbt=None), "warm") == ("warning", [("cbt", "warning")]), "warm, CBT unknown")
check(got(vm([disk()], power_state="poweredOn"), "warm") == ("ok", []), "warm, powered on")
check(got(vm([disk(backing="RawDiskMappingVer1")])) == ("blocked", [("rdm", "blocked")]), "RDM")
check(got(vm([disk(mode="independent_persistent")])) == ("warning", [("independent", "warning")]), "independent, cold")
check(got(vm([disk(mode="independent_persistent")]), "warm") == ("blocked", [("independent", "blocked")]), "independent, warm")
check(got(vm([disk(sharing="sharingMultiWriter")])) == ("blocked", [("shared", "blocked")]), "shared")
check(got(vm([disk(datastore="ds2")])) == ("blocked", [("datastore", "blocked")]), "inaccessible datastore")
check(got(vm([disk(datastore="ds9")])) == ("blocked", [("datastore", "blocked")]), "unknown datastore")
check(got(vm([disk()], guest_id="otherGuest64")) == ("warning", [("guest_os", "warning")]), "other guest")
check(got(vm([disk()], guest_id="winXPProGuest")) == ("blocked", [("guest_os", "blocked")]), "Windows XP")
check(got(vm([disk()], firmware="efi", secure_boot=True)) == ("warning", [("firmware", "warning")]), "Secure Boot")
check(got(vm([])) == ("blocked", [("disks", "blocked")]), "no disks")
check(got(vm([disk()], encrypted=True)) == ("blocked", [("encrypted", "blocked")]), "encrypted")
check(got(vm([disk()], vtpm=True)) == ("warning", [("vtpm", "warning")]), "vTPM")
check(got(vm([disk()], power_state="poweredOn", tools_running=False), "warm") ==
      ("warning", [("tools", "warning")]), "warm, Tools not running")
check(got(vm([disk()], power_state="poweredOn", tools_running=False)) ==
      ("blocked", [("power", "blocked")]), "cold, Tools not running: only the power state")
every = got(vm([disk(backing="RawDiskMappingVer1", sharing="sharingMultiWriter")],
               power_state="poweredOn", snapshots=[{"name": "s"}]))
check(every == ("blocked", [("power", "blocked"), ("rdm", "blocked"), ("shared", "blocked"),
                            ("snapshots", "warning")]), "every reason at once: %s" % (every,))
PY
pass "source checks: blocked VMs not placed, with why; RDM, independent, shared, datastores, CBT, guest OS, Secure Boot, encryption, vTPM, Tools"

ansible_vmware "$UCH_TOP/ansible/ansible_collections/uch/appliance/playbooks/discover_vmware.yml" \
  -e uch_workloads_file="$T/none.yml" -e uch_discover_folder=/DC0/vm/nothing-here \
  >"$T/none.out" 2>&1 || true
# vmware_vm_info fails for a folder that does not exist, or finds none
if [ -e "$T/none.yml" ]; then
  python3 -c 'import sys, yaml; sys.exit(yaml.safe_load(open(sys.argv[1]))["vms"] != [])' "$T/none.yml" ||
    die "a folder without VMs: $(cat "$T/none.yml")"
  pass "a folder without VMs: no VM"
else
  grep -q "nothing-here" "$T/none.out" || die "a missing folder: $(tail -20 "$T/none.out")"
  pass "a missing folder fails, named"
fi

rc=0
ansible-playbook -e "@$T/vc-vars.yml" -e uch_vcenter_password=wrong-one \
  "$UCH_TOP/ansible/ansible_collections/uch/appliance/playbooks/discover_vmware.yml" \
  -e uch_workloads_file="$T/bad.yml" >"$T/bad.out" 2>&1 || rc=$?
if [ $rc = 0 ] || [ -e "$T/bad.yml" ]; then die "a wrong password: exit $rc"; fi
grep -qi "login\|password\|auth" "$T/bad.out" || die "a wrong password, not said: $(tail -10 "$T/bad.out")"
pass "a wrong password fails: $(grep -o 'msg.*' "$T/bad.out" | head -1 | cut -c1-120)"
mkdir -p "$T/state"   # secret_nowhere looks there too
secret_nowhere "the password" "$pw" "$T/discover.out" "$T/snap.out" "$T/bad.out" "$T/wave1.yml"
pass "the password is in no output and not in the workloads file"
