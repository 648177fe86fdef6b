#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# vSphere VMs in a wave (kind vmware) on the tests' vCenter
# (tests/vcenter: govmomi's simulator with our CBT shim) and this
# machine's uchd as the one destination (2 slots, no source appliance).
# Discovery with UCH's inspection: discover_vmware copies web03's disk
# (an ext4 file system, no OS) over /folder, runs an inspect job of it
# and writes its verdict into the workloads file (blocked: "UCH inspect:
# no operating system found"), the copy removed.  The wave: web03 as
# discovered, web01 (powered on, Tools running) on a warm plan, web02
# (powered on) on a cold one, all three on ESXi host DC0_H0 with a
# limit of one lane per host.  web01 and web02 share one lane; web01's
# sync job (CBT turned on, a snapshot, pass 1 over /folder, the guest
# shut down through Tools, the cutover pass) ends equal with no
# snapshot left; web02's convert job (its NIC's static address kept,
# options.macs) reads the VM over vpx:// and fails
# in virt-v2v's own words (a cold plan needs a VM shut down: the
# success of a cold convert from the vCenter is
# test-convert-vcenter-debian's); web03 is not placed, with the
# inspection's reason.  The report says all of it; the password is
# nowhere; the rerun leaves web01's job as it was.
# uch-test: slow
# uch-test: timeout=900
source "$UCH_TOP/tests/lib/functions.sh"
pass() { echo "ok - $* [${SECONDS}s]"; }
require ansible-playbook
require nbdkit
require jq
require guestfish
require virt-v2v
nbdkit curl --version >/dev/null 2>&1 || skip "nbdkit's curl plugin is not installed"
export LIBGUESTFS_BACKEND_SETTINGS=force_tcg
export PATH=$PATH:/usr/sbin:/sbin

MIB=$((1024 * 1024))
pw="vc-pass-$$-$RANDOM-never-shown"
( umask 077; printf '%s\n' "$pw" >"$T/vc.pw" )
truncate -s 64M "$T/web01.img"
for off in 3 17 41; do
  head -c $MIB /dev/urandom | dd of="$T/web01.img" bs=1M seek=$off conv=notrunc status=none
done
truncate -s 200M "$T/web03.img"
mkfs.ext4 -q -F -L web03 "$T/web03.img"
mk() { "$UCH_TOP/tests/guests/make-vmx.sh" "$T/$1.img" "$2" debian11-64 "00:50:56:0a:0c:0$3" "$T/$2" >/dev/null ||
  die "make-vmx.sh $2 failed"; }
mk web01 web01 1
mk web01 web02 2
mk web03 web03 3
vcsim_start root "$T/vc.pw" -vm "web01=$T/web01,on" -vm "web02=$T/web02,on" -vm "web03=$T/web03"
uchd_start --max-jobs 2
vmware_ansible root "$T/vc.pw" uch_destinations
mkdir -p "$T/scratch" "$T/out"

# discovery, web03 inspected by UCH
vmware_play discover.log discover_vmware.yml -e uch_workloads_file="$T/found.yml" -e uch_wave=vw \
  -e '{"uch_discover_names": ["^web03$"]}' -e uch_discover_inspect_on=dst -e uch_inspect_dir="$T/scratch" ||
  die "discover_vmware: $(tail -30 "$T/discover.log")"
python3 - "$T/found.yml" <<'PY' || die "workloads file: $(cat "$T/found.yml")"
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
(vm,) = doc["vms"]
assert vm["name"] == "web03", vm["name"]
c = vm["checks"]
assert c["verdict"] == "blocked", c
assert [r for r in c["reasons"] if r["check"] == "inspect" and r["level"] == "blocked" and
        r["message"].startswith("UCH inspect: no operating system found")], c
PY
[ "$(job_field vw-web03-inspect .state)" = succeeded ] || die "inspect job: $(api GET /v1/jobs/vw-web03-inspect)"
[ "$(job_field vw-web03-inspect '.request.disks[0].source.path')" = "$T/scratch/vw-web03-scsi0-0.img" ] ||
  die "inspect read $(job_field vw-web03-inspect '.request.disks[0].source')"
[ "$(job_field vw-web03-scsi0-0-inspect-copy '.request.disks[0].source.nbdkit.plugin')" = curl ] ||
  die "the copy for inspection: $(job_field vw-web03-scsi0-0-inspect-copy .request)"
[ -z "$(ls -A "$T/scratch")" ] || die "copies for inspection left: $(ls "$T/scratch")"
pass "discovery: UCH inspect of web03's disk (copied over /folder, then removed): blocked, no OS"

# the wave: web03 as discovered (a destination added), web01 warm, web02 cold
python3 - "$T/found.yml" "$T/wave.yml" "$T" <<'PY'
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
t = sys.argv[3]
doc["esxi_host_limit"] = 1
doc["vms"][0]["disks"][0]["destination"] = {"path": t + "/web03-dst.img"}
def vm(name, plan, **kw):
    v = {"name": name, "kind": "vmware", "plan": plan,
         "vmware": {"datacenter": "DC0", "cluster": None, "host": "DC0_H0"},
         "disks": [{"name": "scsi0-0", "source": {"vmware": {
             "datastore_path": "[LocalDS_0] %s/%s.vmdk" % (name, name)}},
             "destination": {"path": "%s/%s-dst.img" % (t, name)}}]}
    v.update(kw)
    return v
doc["vms"] += [vm("web01", "warm"),
               vm("web02", "cold", output={"local": {"dir": t + "/out", "format": "qcow2"}})]
# web02's NIC with the static address discovery found (VMware Tools)
doc["vms"][-1]["vmware"]["nics"] = [{"mac": "00:50:56:0a:0c:02", "network": "VM Network", "ip": {
    "address": "10.20.30.41", "prefix": 24, "gateway": "10.20.30.1", "nameservers": ["10.20.30.53"]}}]
yaml.safe_dump(doc, open(sys.argv[2], "w"))
PY
wave() { # LOG
  vmware_play "$1" migrate_wave.yml -e uch_workloads_file="$T/wave.yml" -e uch_report_dir="$T/reports" \
    -e uch_vmware_enable_cbt=true -e uch_warm_interval=2 -e uch_warm_max_passes=1
}
! wave wave.log || die "the wave succeeded with web02 and web03 failing"
grep -q 'lane-vcenter-dst-[0-9]*: web01, web02' "$T/wave.log" ||
  die "web01 and web02 not on one lane: $(grep -i lane "$T/wave.log")"
r() { jq -r "$1" "$T/reports/vw.json"; }
vmr() { jq -r --arg n "$1" ".vms[] | select(.name == \$n) | $2" "$T/reports/vw.json"; }
[ "$(vmr web01 .state)" = succeeded ] && [ "$(vmr web01 .plan)" = warm ] ||
  die "web01: $(vmr web01 .)"
[ "$(vmr web01 .bytes)" -ge $((3 * MIB)) ] || die "web01 moved $(vmr web01 .bytes) bytes"
vmware_warm_ends vw-web01 web01 root "$T/vc.pw" "$T/wave.log"
cmp "$T/web01/web01-flat.vmdk" "$T/web01-dst.img" || die "web01's destination differs from its disk"
pass "web01 warm: $WARM_PASSES passes, guest shut down through Tools, equal, no snapshot left"

[ "$(vmr web02 .state)" = failed ] || die "web02: $(vmr web02 .)"
vmr web02 .error | grep -Eq "web02. is running or paused.*must be shut down" ||
  die "web02's error: $(vmr web02 .error)"
[ "$(job_field vw-web02-convert '.request.input.vcenter.url')" = "vpx://root@127.0.0.1:$VCSIM_PORT/DC0/DC0_H0?no_verify=1" ] ||
  die "web02's convert request: $(job_field vw-web02-convert .request)"
[ "$(job_field vw-web02-convert '.request.output.local.dir')" = "$T/out" ] || die "web02's output"
[ "$(job_field vw-web02-convert '.request.options.macs' | jq -c .)" = \
  '[{"mac":"00:50:56:0a:0c:02","ip":{"address":"10.20.30.41","gateway":"10.20.30.1","prefix":24,"nameservers":["10.20.30.53"]}}]' ] ||
  die "web02's static address not kept: $(job_field vw-web02-convert .request.options)"
pass "web02 cold: a convert job over vpx://, its NIC's static address kept (options.macs), failed in virt-v2v's words"

[ "$(vmr web03 .state)" = failed ] || die "web03: $(vmr web03 .)"
vmr web03 .error | grep -q "not placed.*source checks: blocked: UCH inspect: no operating system found" ||
  die "web03's error: $(vmr web03 .error)"
[ "$(api GET /v1/jobs | jq '[.jobs[] | select(.request.labels.vm == "web03" and .request.labels.uch_wave == "vw")] | length')" = 0 ] ||
  die "a job of web03 ran in the wave"
grep -q '| web03 |' "$T/reports/vw.md" || die "the Markdown report lacks web03"
pass "web03 not placed, the inspection's reason in the report"

secret_nowhere "the password" "$pw" "$T/uchd.log" "$T/wave.log" "$T/discover.log" "$T/reports/vw.json" \
  "$T/state/jobs/vw-web02-convert/request.json" "$T/state/jobs/vw-web01/request.json"
pass "the password nowhere"

# the rerun: web01 done before, its job untouched
before=$(api GET /v1/jobs/vw-web01 | jq -c '.result.passes')
! wave wave2.log || die "the rerun succeeded"
[ "$(api GET /v1/jobs/vw-web01 | jq -c '.result.passes')" = "$before" ] || die "the rerun touched web01's job"
[ "$(vmr web01 .state)" = succeeded ] || die "web01 on the rerun: $(vmr web01 .)"
! grep -q 'Snapshot for pass 1 (web01)' "$T/wave2.log" || die "the rerun took a snapshot of web01"
pass "rerun: web01 finished before, nothing done to it"
