#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The warm VMware driver (role vmware_warm, playbook warm_vmware) on the
# tests' vCenter (tests/vcenter: govmomi's simulator with our CBT shim):
# web01 (the phony Windows 10 guest of tests/guests/make-windows.sh,
# 512 MiB, powered on, VMware Tools running, CBT off) gets CBT turned
# on, a snapshot, pass 1 over HTTPS /folder (nbdkit-curl with the
# session cookie), then every 2 s a snapshot, QueryChangedDiskAreas
# since the last pass's changeId and a sync pass of just that; the test
# writes to the VM's flat disk between passes, only outside its NTFS
# partition (the MBR gap and the unpartitioned tail), so the guest stays
# one virt-v2v converts.  The cutover flag: guest shutdown through
# Tools, the last pass, then the job's inplace step (virt-v2v-in-place
# on a qcow2 overlay of the destination, VIRTIO_WIN as the tests' fake
# virtio-win).  Each incremental pass read what CBT said changed and no
# more than 5 % over (uchd's bytes_read against the shim's answers);
# together they cover every write; the destination equals the disk
# after the cutover pass (copied while virt-v2v-in-place works on its
# overlay, before it commits); then the job succeeds, reports the guest
# it converted (rehearsed after pass 1 too, uch_warm_rehearse), the
# destination holds viostor.sys (read with ntfs-3g's
# ntfsls, no second libguestfs appliance) and the test's writes are
# still there; no snapshot is left; the password is nowhere.  Then
# failures on web02 (a blank 64 MiB disk): CBT off without
# uch_vmware_enable_cbt stops before anything moves; a job uchd refuses
# after the first snapshot leaves no snapshot behind.
# uch-test: slow
# uch-test: timeout=1200
source "$UCH_TOP/tests/lib/functions.sh"
pass() { echo "ok - $* [${SECONDS}s]"; }
require ansible-playbook
require nbdkit
require jq
require virt-v2v-in-place
require sfdisk
require ntfsls
nbdkit curl --version >/dev/null 2>&1 || skip "nbdkit's curl plugin is not installed"
# Nested KVM here aborts qemu; TCG always works (and is what CI has).
export LIBGUESTFS_BACKEND_SETTINGS=force_tcg

KIB=1024
MIB=$((1024 * KIB))
pw="vc-pass-$$-$RANDOM-never-shown"
( umask 077; printf '%s\n' "$pw" >"$T/vc.pw" )
windows_guest
export VIRTIO_WIN=$T/guest/virtio-win
"$UCH_TOP/tests/guests/make-vmx.sh" "$T/guest/windows.img" web01 windows9-64 00:50:56:0a:0b:01 "$T/vm" >/dev/null ||
  die "make-vmx.sh failed"
truncate -s 64M "$T/web02.img"
head -c $MIB /dev/urandom | dd of="$T/web02.img" bs=1M seek=9 conv=notrunc status=none
"$UCH_TOP/tests/guests/make-vmx.sh" "$T/web02.img" web02 debian11-64 00:50:56:0a:0b:02 "$T/vm2" >/dev/null ||
  die "make-vmx.sh failed"
flat=$T/vm/web01-flat.vmdk
# the 64 KiB blocks (the shim's grain) no partition holds: after the
# MBR's, before the first partition; after the last partition's end
BLK=$((64 * KIB))
parts=$(sfdisk -J "$flat" | jq '.partitiontable.partitions') || die "no partition table on web01's disk"
gap_first=1 gap_last=$(( $(jq 'map(.start) | min' <<<"$parts") * 512 / BLK - 1 ))
tail_first=$(( ($(jq 'map(.start + .size) | max' <<<"$parts") * 512 + BLK - 1) / BLK ))
tail_last=$(( $(stat -c %s "$flat") / BLK - 1 ))
[ $gap_last -ge 9 ] && [ $((tail_last - tail_first)) -ge 9 ] ||
  die "web01's disk has no room outside its partitions: $(jq -c . <<<"$parts")"
guest_writes() { # BLOCK COUNT: COUNT random 64 KiB blocks at BLOCK of the flat disk
  dd if=/dev/urandom of="$flat" bs=$BLK seek="$1" count="$2" conv=notrunc status=none
}
vcsim_start root "$T/vc.pw" -vm "web01=$T/vm,on" -vm "web02=$T/vm2,on"
uchd_start
vmware_ansible root "$T/vc.pw"
facts() { vm_facts root "$T/vc.pw" "$1"; }
[ "$(facts web01 | jq .cbt)" = false ] || die "web01 starts with CBT on"

cat >"$T/warm.yml" <<YAML
uch_wave: w4
uch_vmware_enable_cbt: true
uch_warm_rehearse: true
uch_vmware_warm_vms:
  - name: web01
    disks: [{destination: {path: $T/dst.img}}]
    inplace: {name: web01, memory_mib: 2048, vcpus: 2}
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
wait_for 600 alive_or has_passes 1 && has_passes 1 || { cat "$T/warm.log"; die "pass 1 did not end"; }
[ "$(passes | jq -r '.[0].kind')" = full ] || die "pass 1: $(passes | jq -c '.[0]')"
pass "CBT turned on, pass 1 copied $(passes | jq '.[0].bytes') bytes over /folder"

# the guest writes 256 KiB, seen by a sync pass (the second one to
# start after the write surely took its snapshot after it), then 512 +
# 64 + 128 KiB before the cutover, all outside the NTFS partition
guest_writes $((gap_first + 1)) 4
n1=$(passes | jq length)
wait_for 300 alive_or has_passes $((n1 + 2)) && has_passes $((n1 + 2)) || { cat "$T/warm.log"; die "no sync pass after the first write"; }
guest_writes "$tail_first" 8
guest_writes "$tail_last" 1
guest_writes $((gap_first + 6)) 2
touch "$T/cut"

# the cutover pass, then virt-v2v-in-place on a qcow2 overlay of the
# destination: the destination is the last pass's until it commits
vmware_warm_converted_equal "$job" "$flat" "$T/dst.img" 600 "$pb" "$T/warm.log"
pass "after the cutover pass the destination equals the VM's disk"

wait $pb || { cat "$T/warm.log"; die "the warm_vmware playbook failed"; }
vmware_warm_ends $job web01 root "$T/vc.pw" "$T/warm.log"
pass "$WARM_PASSES passes, the guest shut down through Tools, the cutover pass last, no snapshot left"
written=$(( (4 + 8 + 1 + 2) * BLK ))
[ "$WARM_CHANGED" -ge "$written" ] && [ "$WARM_CHANGED" -le $(( written * 105 / 100 )) ] ||
  die "CBT answered $WARM_CHANGED changed bytes in all for $written written"
pass "incremental passes read what CBT answered ($WARM_CHANGED bytes for $written written)"

jq -e '.result.inplace.guest.product_name | startswith("Windows 10")' "$T/$job.json" >/dev/null ||
  die "result.inplace: $(jq -c .result.inplace "$T/$job.json")"
# uch_warm_rehearse: the conversion rehearsed after pass 1, while the
# VM ran, and its time in the prediction the cutover was judged against
jq -e '.result.rehearsals[0] as $r | $r.state == "succeeded" and $r.after_pass == 1 and
  ($r.guest.product_name | startswith("Windows 10")) and
  .result.cutover.predicted_seconds > $r.seconds' "$T/$job.json" >/dev/null ||
  die "the rehearsal: $(jq -c '{rehearsals: .result.rehearsals, prediction: .result.prediction, cutover: .result.cutover}' "$T/$job.json")"
pass "rehearsed after pass 1 ($(jq -r '.result.rehearsals[0].seconds' "$T/$job.json") s), cutover $(jq -r .result.cutover.seconds "$T/$job.json") s against $(jq -r .result.cutover.predicted_seconds "$T/$job.json") s predicted"
# what a user looks for: the virtio block driver in the converted disk,
# which the VM's own disk does not have
start=$(jq '.[0].start' <<<"$parts") size=$(jq '.[0].size' <<<"$parts")
drivers() { # DISK: the files in the NTFS partition's /Windows/System32/Drivers
  dd if="$1" of="$T/p1.img" bs=1M iflag=skip_bytes,count_bytes skip=$((start * 512)) count=$((size * 512)) \
    conv=sparse status=none
  ntfsls -f -p /Windows/System32/Drivers "$T/p1.img" || die "ntfsls could not read $1"
  rm -f "$T/p1.img"
}
d=$(drivers "$flat")
! grep -qix viostor.sys <<<"$d" || die "the VM's disk already holds viostor.sys"
d=$(drivers "$T/dst.img")
grep -qix viostor.sys <<<"$d" || die "no viostor.sys in the converted disk: $d"
cmp -n $((gap_last * BLK + BLK)) "$flat" "$T/dst.img" &&
  cmp -i $((tail_first * BLK)) "$flat" "$T/dst.img" || die "the conversion changed the guest's writes outside its partition"
pass "converted in place: $(jq -r .result.inplace.guest.product_name "$T/$job.json"), viostor.sys in the destination, the guest's writes kept"
secret_nowhere "the password" "$pw" "$T/uchd.log" "$T/state/jobs/$job/job.log" "$T/state/jobs/$job/request.json" "$T/warm.log" "$T/$job.json"
! pgrep -f -- "(virt-v2v|nbdkit|qemu-system|uch-job).*$T/(run|state)" >/dev/null || die "left running"
pass "no process left, the password nowhere"

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
