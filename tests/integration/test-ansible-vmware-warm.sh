#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The warm VMware driver (role vmware_warm, playbook warm_vmware) on the
# tests' vCenter (tests/vcenter: govmomi's simulator with our CBT shim):
# web01 (64 MiB, powered on, VMware Tools running, CBT off) gets CBT
# turned on, a snapshot, pass 1 over HTTPS /folder (nbdkit-curl with
# the session cookie), then every 2 s a snapshot, QueryChangedDiskAreas
# since the last pass's changeId and a sync pass of just that; the test
# writes to the VM's flat disk between passes.  The cutover flag: guest
# shutdown through Tools, the last pass, the job succeeds.  Each
# incremental pass read what CBT said changed and no more than 5 % over
# (uchd's bytes_read against the shim's answers); together they cover
# every write; the destination equals the disk; no snapshot is left; the
# password is nowhere.  Then failures: CBT off without
# uch_vmware_enable_cbt stops before anything moves; a job uchd refuses
# after the first snapshot leaves no snapshot behind.
# uch-test: slow
# uch-test: timeout=900
source "$UCH_TOP/tests/lib/functions.sh"
pass() { echo "ok - $* [${SECONDS}s]"; }
require ansible-playbook
require nbdkit
require jq
nbdkit curl --version >/dev/null 2>&1 || skip "nbdkit's curl plugin is not installed"

KIB=1024
MIB=$((1024 * KIB))
pw="vc-pass-$$-$RANDOM-never-shown"
( umask 077; printf '%s\n' "$pw" >"$T/vc.pw" )
truncate -s 64M "$T/web01.img"
for off in 1 9 30 50; do
  head -c $MIB /dev/urandom | dd of="$T/web01.img" bs=1M seek=$off conv=notrunc status=none
done
"$UCH_TOP/tests/guests/make-vmx.sh" "$T/web01.img" web01 debian11-64 00:50:56:0a:0b:01 "$T/vm" >/dev/null ||
  die "make-vmx.sh failed"
"$UCH_TOP/tests/guests/make-vmx.sh" "$T/web01.img" web02 debian11-64 00:50:56:0a:0b:02 "$T/vm2" >/dev/null ||
  die "make-vmx.sh failed"
flat=$T/vm/web01-flat.vmdk
vcsim_start root "$T/vc.pw" -vm "web01=$T/vm,on" -vm "web02=$T/vm2,on"
uchd_start
vmware_ansible root "$T/vc.pw"
facts() { vm_facts root "$T/vc.pw" "$1"; }
[ "$(facts web01 | jq .cbt)" = false ] || die "web01 starts with CBT on"

cat >"$T/warm.yml" <<YAML
uch_wave: w4
uch_vmware_enable_cbt: true
uch_vmware_warm_vms:
  - name: web01
    disks: [{destination: {path: $T/dst.img}}]
YAML
warm() { # LOG VARS-FILE [ARGS...]
  local log=$1 vars=$2
  shift 2
  ansible-playbook -i "$T/inventory.yml" "$UCH_TOP/ansible/ansible_collections/uch/appliance/playbooks/warm_vmware.yml" \
    -e "@$T/vc-vars.yml" -e "@$vars" -e uch_destination_appliance=dst "$@" >"$T/$log" 2>&1
}
job=w4-web01
passes() { job_field $job '.result.passes'; }
has_passes() { [ "$(passes | jq 'length')" -ge "$1" ]; }
warm warm.log "$T/warm.yml" -e "uch_warm_cutover_flag=$T/cut" -e uch_warm_interval=2 &
pb=$!
cleanup_add "kill $pb 2>/dev/null"
alive_or() { kill -0 $pb 2>/dev/null || return 0; "$@"; }
wait_for 240 alive_or has_passes 1 && has_passes 1 || { cat "$T/warm.log"; die "pass 1 did not end"; }
[ "$(passes | jq -r '.[0].kind')" = full ] || die "pass 1: $(passes | jq -c '.[0]')"
pass "CBT turned on, pass 1 copied $(passes | jq '.[0].bytes') bytes over /folder"

# the guest writes 256 KiB, seen by a sync pass (the second one to
# start after the write surely took its snapshot after it), then 512 +
# 64 + 128 KiB before the cutover
dd if=/dev/urandom of="$flat" bs=64K seek=$((10 * MIB / (64 * KIB))) count=4 conv=notrunc status=none
n1=$(passes | jq length)
wait_for 300 alive_or has_passes $((n1 + 2)) && has_passes $((n1 + 2)) || { cat "$T/warm.log"; die "no sync pass after the first write"; }
dd if=/dev/urandom of="$flat" bs=64K seek=$((40 * MIB / (64 * KIB))) count=8 conv=notrunc status=none
dd if=/dev/urandom of="$flat" bs=64K seek=$((63 * MIB / (64 * KIB))) count=1 conv=notrunc status=none
dd if=/dev/urandom of="$flat" bs=64K seek=$((20 * MIB / (64 * KIB))) count=2 conv=notrunc status=none
touch "$T/cut"
wait $pb || { cat "$T/warm.log"; die "the warm_vmware playbook failed"; }
vmware_warm_ends $job web01 root "$T/vc.pw" "$T/warm.log"
pass "$WARM_PASSES passes, the guest shut down through Tools, the cutover pass last, no snapshot left"
written=$(( (4 + 8 + 1 + 2) * 64 * KIB ))
[ "$WARM_CHANGED" -ge "$written" ] && [ "$WARM_CHANGED" -le $(( written * 105 / 100 )) ] ||
  die "CBT answered $WARM_CHANGED changed bytes in all for $written written"
cmp "$flat" "$T/dst.img" || die "the destination differs from the VM's disk"
pass "incremental passes read what CBT answered ($WARM_CHANGED bytes for $written written), destination equal"
secret_nowhere "the password" "$pw" "$T/uchd.log" "$T/state/jobs/$job/job.log" "$T/state/jobs/$job/request.json" "$T/warm.log"
pass "the password nowhere"

# CBT off and not to be turned on: stops before anything moves
cat >"$T/warm2.yml" <<YAML
uch_wave: w5
uch_vmware_warm_vms:
  - name: web02
    disks: [{destination: {path: $T/dst2.img}}]
YAML
! warm warm2.log "$T/warm2.yml" || die "a warm migration of a VM with CBT off went on"
grep -q "change tracking (CBT) is off" "$T/warm2.log" || die "no clear failure: $(tail -20 "$T/warm2.log")"
[ "$(api GET /v1/jobs | jq '[.jobs[] | select(.id == "w5-web02")] | length')" = 0 ] || die "a job was submitted"
[ "$(facts web02 | jq -c .snapshots)" = "[]" ] || die "snapshots left: $(facts web02 | jq -c .snapshots)"
pass "CBT off: a clear failure, no job, no snapshot"

# uchd refuses the job after the first snapshot: the snapshot goes
cat >"$T/warm3.yml" <<YAML
uch_wave: w6
uch_vmware_enable_cbt: true
uch_vmware_warm_vms:
  - name: web02
    disks: [{destination: {path: relative/dst.img}}]
YAML
! warm warm3.log "$T/warm3.yml" || die "a job uchd must refuse went on"
grep -q "Snapshot for pass 1 (web02)" "$T/warm3.log" || die "no snapshot was taken: $(tail -20 "$T/warm3.log")"
grep -q "Remove every snapshot the migration made (web02)" "$T/warm3.log" || die "no cleanup ran"
[ "$(facts web02 | jq -c .snapshots)" = "[]" ] || die "snapshots left after the failure: $(facts web02 | jq -c .snapshots)"
pass "a failed migration removes the snapshot it made"
