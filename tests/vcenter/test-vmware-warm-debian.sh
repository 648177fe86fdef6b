#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The real Debian 12 test guest migrated warm from the tests' vCenter
# (tests/vcenter, with our CBT shim) by the playbook warm_vmware: CBT on,
# a snapshot, pass 1 of its 2 GiB disk over HTTPS /folder, then sync
# passes of what QueryChangedDiskAreas answered while the "guest" writes
# files (debugfs on the VM's flat disk, so the file system's own blocks
# change too), the guest shut down through VMware Tools at the
# cutover flag, the last pass, and virt-v2v-in-place on the destination
# in the same sync job.  Each incremental pass read what CBT said
# changed and at most 5 % more (uchd's bytes_read against the shim's
# answers); the destination after the last pass equals the VM's disk
# (copied while virt-v2v-in-place works on its overlay, before it
# commits), so it holds the files written during the migration; the
# converted disk has an initramfs with virtio drivers; no snapshot is
# left; the password nowhere.  The "guest" writes with debugfs and the
# initramfs is read with it too, so the one libguestfs appliance is
# virt-v2v-in-place's.
# uch-test: slow
# uch-test: timeout=3600
source "$UCH_TOP/tests/lib/functions.sh"
pass() { echo "ok - $* [${SECONDS}s]"; }
require ansible-playbook
require virt-v2v
require guestfish
require debugfs
require sfdisk
require lsinitramfs
require nbdkit
require jq
nbdkit curl --version >/dev/null 2>&1 || skip "nbdkit's curl plugin is not installed"
export LIBGUESTFS_BACKEND_SETTINGS=force_tcg

rc=0
vmx=$("$UCH_TOP/tests/guests/make-debian.sh" vmx) || rc=$?
[ $rc = 77 ] && skip "cannot build the Debian guest here"
[ $rc = 0 ] || die "make-debian.sh failed ($rc)"
# the cached guest stays read-only: the VM gets its own copy
mkdir -p "$T/deb"
cp --sparse=always "$(dirname "$vmx")"/* "$T/deb/"
flat=$T/deb/debian-flat.vmdk
pw="vc-pass-$$-$RANDOM-never-shown"
( umask 077; printf '%s\n' "$pw" >"$T/vc.pw" )
vcsim_start 'administrator@vsphere.local' "$T/vc.pw" -vm "deb12-vm=$T/deb,on"
uchd_start
vmware_ansible 'administrator@vsphere.local' "$T/vc.pw"

cat >"$T/warm.yml" <<YAML
uch_wave: w7
uch_vmware_enable_cbt: true
uch_vmware_warm_vms:
  - name: deb12-vm
    disks: [{destination: {path: $T/dst.img}}]
    inplace: {name: deb12, memory_mib: 2048, vcpus: 1}
YAML
ansible-playbook -i "$T/inventory.yml" "$UCH_TOP/ansible/ansible_collections/uch/appliance/playbooks/warm_vmware.yml" \
  -e "@$T/vc-vars.yml" -e "@$T/warm.yml" -e uch_destination_appliance=dst \
  -e "uch_warm_cutover_flag=$T/cut" -e uch_warm_interval=5 >"$T/warm.log" 2>&1 &
pb=$!
cleanup_add "kill $pb 2>/dev/null"
job=w7-deb12-vm
passes() { job_field $job '.result.passes'; }
has_passes() { [ "$(passes | jq 'length')" -ge "$1" ]; }
alive_or() { kill -0 $pb 2>/dev/null || return 0; "$@"; }
wait_for 900 alive_or has_passes 1 && has_passes 1 || { cat "$T/warm.log"; die "pass 1 did not end"; }
pass "pass 1: $(passes | jq '.[0].bytes') bytes over /folder in $(passes | jq '.[0].seconds') s"

# the guest writes files (and so the inodes, bitmaps and directory
# blocks of its root file system): debugfs on the VM's flat disk, its
# first partition, without a libguestfs appliance (each one a boot of
# many minutes under TCG on a busy machine); done before the cutover, as
# the guest is when it shuts down
head -c 768K /dev/urandom >"$T/file1"
head -c 1M /dev/urandom >"$T/file2"
start=$(sfdisk -J "$flat" | jq -r '.partitiontable.partitions[0].start') || die "no partition table on the VM's disk"
rootfs="$flat?offset=$((start * 512))"
guest_writes() { # FILE PATH: FILE written to PATH in the guest's root, read back
  debugfs -w -R "write $1 $2" "$rootfs" >/dev/null 2>&1 &&
    debugfs -R "dump $2 $T/readback" "$rootfs" >/dev/null 2>&1 && cmp -s "$1" "$T/readback" ||
    die "debugfs could not write $2 in the guest's root file system"
}
guest_writes "$T/file1" /root/uch-warm-1
n1=$(passes | jq length)
wait_for 900 alive_or has_passes $((n1 + 2)) && has_passes $((n1 + 2)) || { cat "$T/warm.log"; die "no sync pass after the first write"; }
guest_writes "$T/file2" /root/uch-warm-2
touch "$T/cut"

# the cutover pass, then virt-v2v-in-place on a qcow2 overlay of the
# destination: the destination is the last pass's until it commits
vmware_warm_converted_equal "$job" "$flat" "$T/dst.img" 1800 "$pb" "$T/warm.log"
pass "after the cutover pass the destination equals the VM's disk"

wait $pb || { cat "$T/warm.log"; die "the warm_vmware playbook failed"; }
vmware_warm_ends $job deb12-vm 'administrator@vsphere.local' "$T/vc.pw" "$T/warm.log"
[ "$WARM_CHANGED" -ge $(( (768 + 1024) * 1024 )) ] || die "CBT answered $WARM_CHANGED changed bytes for 1.75 MiB of files written"
pass "$WARM_PASSES passes; the incremental ones read what CBT answered ($WARM_CHANGED bytes in all), the guest shut down, no snapshot left"

cp "$T/$job.json" "$T/job.json"
jq -e '(.result.inplace.guest.product_name | startswith("12."))' "$T/job.json" >/dev/null ||
  die "result.inplace: $(jq -c .result.inplace "$T/job.json")"
initramfs_has_virtio "$T/dst.img"
pass "converted in place: Debian $(jq -r .result.inplace.guest.product_name "$T/job.json")"

secret_nowhere "the password" "$pw" "$T/uchd.log" "$T/state/jobs/$job/job.log" "$T/state/jobs/$job/request.json" "$T/warm.log" "$T/job.json"
! pgrep -f -- "(virt-v2v|nbdkit|qemu-system|uch-job).*$T/(run|state)" >/dev/null || die "left running"
pass "no process left, the password nowhere"
