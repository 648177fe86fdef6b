#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The real Debian 12 test guest as a VM of the tests' vCenter
# (tests/vcenter: govmomi's simulator; the VM made from the ESXi VM
# folder make-debian.sh vmx caches), converted by a convert job with
# input.vcenter over HTTPS (no VDDK): libvirt's ESX driver reads the VM
# and its .vmx through the vCenter API, virt-v2v logs in on /folder with
# the password and reads the disk with the session cookie (nbdkit-curl).
# The result (guest, qcow2 disk, domain XML with the .vmx's memory),
# virtio drivers in the rebuilt initramfs, the converted guest boots;
# the password nowhere but the job's 0600 file.  ~7 min without KVM.
# uch-test: slow
# uch-test: timeout=2400
source "$UCH_TOP/tests/lib/functions.sh"
require virt-v2v
require guestfish
require lsinitramfs
require qemu-system-x86_64
require jq
export LIBGUESTFS_BACKEND_SETTINGS=force_tcg

rc=0
vmx=$("$UCH_TOP/tests/guests/make-debian.sh" vmx) || rc=$?
[ $rc = 77 ] && skip "cannot build the Debian guest here"
[ $rc = 0 ] || die "make-debian.sh failed ($rc)"
pw="vc-pass-$$-$RANDOM-never-shown"
( umask 077; printf '%s\n' "$pw" >"$T/vc.pw" )
vcsim_start 'administrator@vsphere.local' "$T/vc.pw" -vm "deb12-vm=$(dirname "$vmx")"

mkdir -p "$T/out"
uchd_start
cat >"$T/req.json" <<JSON
{"type": "convert", "id": "debvc", "name": "deb12",
 "input": {"vcenter": {"url": "vpx://administrator%40vsphere.local@127.0.0.1:$VCSIM_PORT/DC0/DC0_H0?no_verify=1",
                       "vm": "deb12-vm", "password_file": "$T/vc.pw"}},
 "output": {"local": {"dir": "$T/out", "format": "qcow2"}}}
JSON
start=$(date +%s)
job_succeeds debvc "$T/req.json" 1200
pass "Debian 12 converted from the vCenter in $(( $(date +%s) - start )) s"
v2v_phases_followed debvc
pass "phases followed, disk 1/1 at 100 %"
# virt-v2v's curl --head with the password, then nbdkit-curl with the
# cookie only (a request with neither gets 401 from our shim)
# (a login, or the session of the same credentials the test's own upload
# of the .vmx logged in with)
grep -qE "/folder: administrator@vsphere.local (logged in with Basic|with Basic again) \(HEAD /folder/deb12-vm/debian-flat.vmdk\)" "$T/vcsim.log" ||
  die "virt-v2v never logged in on /folder: $(cat "$T/vcsim.log")"
pass "virt-v2v logged in on /folder and read the disk with the session cookie"
debian_converted deb12
grep -q "<memory unit='KiB'>2097152</memory>" "$xml" || die "memory is not the VM's 2048 MiB: $(grep -i memory "$xml")"
pass "result: guest $(jq -c .result.guest "$T/job.json"), $disk, the VM's memory"

initramfs_has_virtio "$disk"
secret_nowhere "the password" "$pw" "$T/job.json" "$T/uchd.log" "$T/state/jobs/debvc/job.log" \
  "$T/state/jobs/debvc/request.json"
! pgrep -f -- "(virt-v2v|nbdkit|qemu-system|uch-job).*$T/(run|state)" >/dev/null || die "left running"
[ ! -e "$T/run/jobs/debvc" ] || die "runtime dir (secret) left"
pass "password nowhere in state, log or API; no process or runtime dir left"

debian_boots "$disk"
