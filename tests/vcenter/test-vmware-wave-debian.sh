#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The real Debian 12 test guest as a VM of the tests' vCenter
# (tests/vcenter), discovered and migrated cold by the collection's
# playbooks: discover_vmware with UCH's inspection (its disk copied over
# /folder, an inspect job of the copy, the copy removed) finds it
# convertible, so its source checks block nothing; migrate_wave, with
# this machine's uchd as the one destination and no source appliance,
# converts it with a convert job reading it over vpx:// (virt-v2v, the
# disk over /folder with the session cookie) into the VM's output; the
# report says succeeded; the converted guest has virtio drivers in its
# initramfs and boots; the password nowhere.  ~12 min without KVM (two
# libguestfs appliances, virt-v2v, a boot under TCG): make check-vmware.
# uch-test: slow
# uch-test: timeout=3600
source "$UCH_TOP/tests/lib/functions.sh"
pass() { echo "ok - $* [${SECONDS}s]"; }
require ansible-playbook
require virt-v2v
require guestfish
require lsinitramfs
require qemu-system-x86_64
require nbdkit
require jq
nbdkit curl --version >/dev/null 2>&1 || skip "nbdkit's curl plugin is not installed"
export LIBGUESTFS_BACKEND_SETTINGS=force_tcg

rc=0
vmx=$("$UCH_TOP/tests/guests/make-debian.sh" vmx) || rc=$?
[ $rc = 77 ] && skip "cannot build the Debian guest here"
[ $rc = 0 ] || die "make-debian.sh failed ($rc)"
pw="vc-pass-$$-$RANDOM-never-shown"
( umask 077; printf '%s\n' "$pw" >"$T/vc.pw" )
vcsim_start root "$T/vc.pw" -vm "deb12-vm=$(dirname "$vmx")"
uchd_start
vmware_ansible root "$T/vc.pw" uch_destinations
mkdir -p "$T/scratch" "$T/out"

start=$(date +%s)
vmware_play discover.log discover_vmware.yml -e uch_workloads_file="$T/found.yml" -e uch_wave=dw \
  -e uch_discover_inspect_on=dst -e uch_inspect_dir="$T/scratch" ||
  die "discover_vmware: $(tail -30 "$T/discover.log")"
python3 - "$T/found.yml" "$T/wave.yml" "$T/out" <<'PY' || die "workloads file: $(cat "$T/found.yml")"
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
(vm,) = doc["vms"]
assert vm["name"] == "deb12-vm", vm["name"]
assert vm["checks"]["verdict"] != "blocked", vm["checks"]
assert not [r for r in vm["checks"]["reasons"] if r["check"] == "inspect"], vm["checks"]
vm["output"] = {"local": {"dir": sys.argv[3], "format": "qcow2"}}
yaml.safe_dump(doc, open(sys.argv[2], "w"))
PY
jq -e '.state == "succeeded" and .result.convertible and .result.guest.distro == "debian"' \
  <(api GET /v1/jobs/dw-deb12-vm-inspect) >/dev/null ||
  die "the inspection: $(api GET /v1/jobs/dw-deb12-vm-inspect | jq -c '{state, result}')"
[ -z "$(ls -A "$T/scratch")" ] || die "copies for inspection left: $(ls "$T/scratch")"
pass "discovery: UCH inspect says convertible, verdict $(python3 -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["vms"][0]["checks"]["verdict"])' "$T/found.yml") ($(( $(date +%s) - start )) s)"

start=$(date +%s)
vmware_play wave.log migrate_wave.yml -e uch_workloads_file="$T/wave.yml" -e uch_report_dir="$T/reports" ||
  die "migrate_wave: $(tail -30 "$T/wave.log")"
jq -e '.vms | length == 1 and .[0].state == "succeeded" and .[0].plan == "cold"
       and .[0].jobs == ["dw-deb12-vm-convert"]' "$T/reports/dw.json" >/dev/null ||
  die "report: $(cat "$T/reports/dw.json")"
pass "the wave converted deb12-vm from the vCenter ($(( $(date +%s) - start )) s)"
api GET /v1/jobs/dw-deb12-vm-convert >"$T/job.json"
debian_converted deb12-vm
initramfs_has_virtio "$disk"
secret_nowhere "the password" "$pw" "$T/job.json" "$T/uchd.log" "$T/wave.log" "$T/discover.log" \
  "$T/state/jobs/dw-deb12-vm-convert/request.json"
pass "the password nowhere"
debian_boots "$disk"
