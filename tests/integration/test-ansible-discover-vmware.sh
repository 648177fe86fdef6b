#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Discovery: the playbook uch.appliance.discover_vmware reads the tests'
# vCenter (tests/vcenter, govmomi's simulator) with community.vmware's
# modules and writes the workloads file of a wave: web01 (powered off,
# one snapshot taken through the API first) and web02 (powered on) with
# their disk (datastore path, size, controller, mode), NIC (MAC,
# network), firmware, guest OS, power state and snapshots; db01 left
# out by the name filter; a folder without VMs gives none; a wrong
# password fails the playbook, the password nowhere in its output.
source "$UCH_TOP/tests/lib/functions.sh"
require ansible-playbook
require python3
/usr/bin/python3 -c 'import pyVmomi' 2>/dev/null || skip "python3-pyvmomi not installed"
[ -d /usr/lib/python3/dist-packages/ansible_collections/community/vmware ] ||
  skip "community.vmware not installed (Debian's ansible package)"

pw="vc-pass-$$-$RANDOM-never-shown"
( umask 077; printf '%s\n' "$pw" >"$T/vc.pw" )
truncate -s 64M "$T/blank.img"
"$UCH_TOP/tests/guests/make-vmx.sh" "$T/blank.img" web01 debian11-64 00:50:56:0a:0b:01 "$T/vm" ||
  die "make-vmx.sh failed"
vcsim_start root "$T/vc.pw" -vm "web01=$T/vm" -vm "web02=$T/vm,on" -vm "db01=$T/vm"

mkdir -p "$T/ansible-tmp"
cat >"$T/ansible.cfg" <<CFG
[defaults]
collections_path = $UCH_TOP/ansible:/usr/lib/python3/dist-packages
local_tmp = $T/ansible-tmp
interpreter_python = /usr/bin/python3
retry_files_enabled = False
CFG
export ANSIBLE_CONFIG=$T/ansible.cfg
cat >"$T/vars.yml" <<YML
uch_vcenter_hostname: 127.0.0.1
uch_vcenter_port: $VCSIM_PORT
uch_vcenter_username: root
uch_vcenter_password: $pw
uch_vcenter_validate_certs: false
YML
ansible_vmware() { # PLAYBOOK-ARGS...: with the vCenter's variables
  ansible-playbook -e "@$T/vars.yml" "$@"
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
check(sorted(vms) == ["web01", "web02"], "the VMs taken: %s" % sorted(vms))
for name, power in (("web01", "poweredOff"), ("web02", "poweredOn")):
    vm = vms[name]
    check(vm["kind"] == "vmware", name + " kind")
    vw = vm["vmware"]
    check(vw["power_state"] == power, name + " power state %s" % vw["power_state"])
    check(vw["guest_id"] == "debian11_64Guest", name + " guest OS %s" % vw["guest_id"])
    check(vw["firmware"] == "bios", name + " firmware %s" % vw["firmware"])
    check(vw["host"] == "DC0_H0" and vw["datacenter"] == "DC0", name + " host")
    check(vw["nics"] == [{"mac": "00:50:56:0a:0b:01", "network": "VM Network",
                          "type": "e1000e", "connected": True}], name + " NICs %s" % vw["nics"])
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
print("ok")
PY
pass "web01 and web02 (not db01): disk, NIC, firmware, guest OS, power state, snapshot"

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
ansible-playbook -e "@$T/vars.yml" -e uch_vcenter_password=wrong-one \
  "$UCH_TOP/ansible/ansible_collections/uch/appliance/playbooks/discover_vmware.yml" \
  -e uch_workloads_file="$T/bad.yml" >"$T/bad.out" 2>&1 || rc=$?
if [ $rc = 0 ] || [ -e "$T/bad.yml" ]; then die "a wrong password: exit $rc"; fi
grep -qi "login\|password\|auth" "$T/bad.out" || die "a wrong password, not said: $(tail -10 "$T/bad.out")"
pass "a wrong password fails: $(grep -o 'msg.*' "$T/bad.out" | head -1 | cut -c1-120)"
mkdir -p "$T/state"   # secret_nowhere looks there too
secret_nowhere "the password" "$pw" "$T/discover.out" "$T/snap.out" "$T/bad.out" "$T/wave1.yml"
pass "the password is in no output and not in the workloads file"
