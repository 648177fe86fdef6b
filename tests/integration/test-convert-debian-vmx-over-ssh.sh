#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The real Debian 12 test guest as ESXi keeps a VM (NAME.vmx, a vmdk
# descriptor and its flat extent) in a datastore folder served by an
# sshd on loopback, converted by a convert job with -i vmx -it ssh: the
# guest, the disk and the domain XML in the result (name, memory and
# NIC from the .vmx; virt-v2v 2.2 writes no MAC for a static one),
# virtio drivers in the rebuilt initramfs, the key nowhere but its 0600
# file.  test-convert-debian-guest.sh boots what
# -i disk gives; the conversion is the same, only the input differs.
# uch-test: slow
# uch-test: timeout=1800
source "$UCH_TOP/tests/lib/functions.sh"
require virt-v2v
require guestfish
require lsinitramfs
require qemu-img
require jq
require ssh-agent
[ "$(id -u)" = 0 ] || skip "needs root (sshd, the service user's known_hosts)"
export LIBGUESTFS_BACKEND_SETTINGS=force_tcg

rc=0
# the cached datastore folder (make-debian.sh vmx), read-only to virt-v2v
vmx=$("$UCH_TOP/tests/guests/make-debian.sh" vmx) || rc=$?
[ $rc = 77 ] && skip "cannot build the Debian guest here"
[ $rc = 0 ] || die "make-debian.sh failed ($rc)"
sshd_loopback

mkdir -p "$T/out"
uchd_start
cat >"$T/req.json" <<JSON
{"type": "convert", "id": "debvmx", "name": "deb12",
 "input": {"vmx": {"ssh": {"host": "127.0.0.1", "port": $sshd_port, "user": "root",
                           "path": "$vmx",
                           "key_file": "$T/id_ed25519"}}},
 "output": {"local": {"dir": "$T/out", "format": "qcow2"}}}
JSON
start=$(date +%s)
job_succeeds debvmx "$T/req.json" 1200
pass "Debian 12 converted from a datastore over SSH in $(( $(date +%s) - start )) s"
v2v_phases_followed debvmx
pass "phases followed, disk 1/1 at 100 %"

debian_converted deb12
grep -q "<memory unit='KiB'>2097152</memory>" "$xml" || die "memory is not the .vmx's 2048 MiB: $(grep -i memory "$xml")"
grep -q "<interface type='network'>" "$xml" || die "the .vmx's NIC is not in the domain XML"
pass "result: guest $(jq -c .result.guest "$T/job.json"), $disk, memory and NIC from the .vmx"

initramfs_has_virtio "$disk"
secret_nowhere "the ssh key" "$(sed -n 4p "$T/id_ed25519")" "$T/job.json" "$T/state/jobs/debvmx/job.log"
! pgrep -f "ssh-agent -D -a $T/run" >/dev/null || die "ssh-agent left running"
! pgrep -f -- "(virt-v2v|qemu-system|uch-job).*$T/(run|state)" >/dev/null || die "left running"
[ ! -e "$T/run/jobs/debvmx" ] || die "runtime dir left"
pass "key nowhere in state, log or API; no agent, process or runtime dir left"
