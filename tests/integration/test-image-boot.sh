#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# uch-test: slow
# uch-test: timeout=2400
# The appliance image (make image) boots under qemu (TCG) the way a cloud
# starts it: a NoCloud seed with an SSH key and the API token, two extra
# virtio disks whose serials are Cinder volume ids, user networking with
# SSH and the API forwarded.  uchd comes up healthy over TLS with that
# token, sees both volumes, copies one onto the other as a job that is
# its own systemd unit (JOB_ID in its journal) sandboxed as uchd is
# (appliance/uchd.service; a device allow-list that lets it write the
# volume), exports a volume that reads back equal while uchd restarts
# and adopts the export's worker (under ProtectProc=invisible),
# `uchctl check` names what the image lacks on purpose, and the guest
# shuts down cleanly.  (The Debian image has no virt-v2v: a conversion
# under the same sandbox is test-appliance-convert-hardened's.)  Records the image size and boot-to-healthy time in
# build/test-logs/image-boot.figures.
source "$UCH_TOP/tests/lib/functions.sh"
require qemu-system-x86_64
require genisoimage
require ssh
require ssh-keygen
require mmdebstrap
require curl
require jq

figures=$UCH_BUILD/test-logs/image-boot.figures
"$UCH_TOP/image-build/build-debian" >"$T/built" 2>"$T/build.log" ||
  { tail -30 "$T/build.log"; die "image build failed"; }
image=$(head -1 "$T/built")
[ -s "$image" ] || { tail -30 "$T/build.log"; die "no image"; }
size=$(stat -c %s "$image")
[ "$size" -le $((1200 * 1024 * 1024)) ] || die "image is $size bytes, over 1.2 GiB"
pass "image $image: $((size / 1024 / 1024)) MiB"

# The guest writes to an overlay: the cached image stays as built.
qemu-img create -q -f qcow2 -F qcow2 -b "$image" "$T/root.qcow2" 4G

token=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
ssh-keygen -q -t ed25519 -N '' -f "$T/key"
mkdir "$T/seed"
printf 'instance-id: uch-test-%s\nlocal-hostname: uch-test\n' "$$" \
  >"$T/seed/meta-data"
cat >"$T/seed/user-data" <<UD
#cloud-config
disable_root: false
ssh_authorized_keys:
  - $(cat "$T/key.pub")
write_files:
  - path: /var/lib/uch/api-token
    permissions: "0600"
    content: |
      $token
UD
genisoimage -quiet -output "$T/seed.iso" -volid cidata -joliet -rock \
  "$T/seed/user-data" "$T/seed/meta-data"

# Two Cinder volumes: the source holds data, the destination is blank.
src_id=3f1c2d3e-aaaa-4bbb-8ccc-0123456789ab
dst_id=7b7e1a52-1111-4222-8333-444455556666
head -c $((32 * 1024 * 1024)) /dev/urandom >"$T/src.img"
truncate -s 64M "$T/src.img"
truncate -s 64M "$T/dst.img"

ssh_port=$(free_port)
api_port=$(free_port)
start=$(date +%s)
qemu-system-x86_64 -machine pc,accel=tcg -smp 2 -m 1536 \
  -display none -serial "file:$T/console.log" -monitor none \
  -pidfile "$T/qemu.pid" \
  -drive "file=$T/root.qcow2,if=none,id=root,format=qcow2" \
  -device virtio-blk-pci,drive=root,bootindex=0 \
  -drive "file=$T/seed.iso,if=ide,media=cdrom,format=raw" \
  -drive "file=$T/src.img,if=none,id=src,format=raw" \
  -device "virtio-blk-pci,drive=src,serial=${src_id:0:20}" \
  -drive "file=$T/dst.img,if=none,id=dst,format=raw" \
  -device "virtio-blk-pci,drive=dst,serial=${dst_id:0:20}" \
  -netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$ssh_port-:22,hostfwd=tcp:127.0.0.1:$api_port-:10808" \
  -device virtio-net-pci,netdev=n0 >"$T/qemu.log" 2>&1 &
QEMU_PID=$!
cleanup_add "kill $QEMU_PID 2>/dev/null; sleep 0.5"

guest() {
  ssh -q -i "$T/key" -p "$ssh_port" -o StrictHostKeyChecking=no \
    -o UserKnownHostsFile=/dev/null -o ConnectTimeout=60 \
    -o BatchMode=yes root@127.0.0.1 "$@"
}
gapi() {   # gapi METHOD PATH [BODY-FILE]: the API as a client outside sees it
  curl -sk -o "$T/body" -w '%{http_code}' -X "$1" \
    -H "Authorization: Bearer $token" \
    ${3:+-H 'Content-Type: application/json' --data-binary "@$3"} \
    "https://127.0.0.1:$api_port$2"
}
healthy() {
  kill -0 "$QEMU_PID" 2>/dev/null || { tail -40 "$T/console.log"; die "qemu exited"; }
  [ "$(gapi GET /v1/health)" = 200 ]
}
wait_for 1200 healthy || { tail -60 "$T/console.log"; die "uchd not healthy"; }
boot_s=$(( $(date +%s) - start ))
pass "uchd healthy over TLS ${boot_s}s after power-on"

# An ssh failed with 255 right after the first one worked, once, at a
# load of 8 (a cold make check): cloud-init may still restart sshd then,
# and a TCG guest that busy can take more than 10 s to answer.  Wait
# for cloud-init's last stage (boot-finished), allow 60 s a connection.
cloud_init_done() { guest test -f /var/lib/cloud/instance/boot-finished; }
wait_for 600 cloud_init_done || { tail -40 "$T/console.log"; die "no ssh, or cloud-init never finished"; }
# systemd breaks an ordering cycle by dropping a unit's start job (once
# uchd.socket, and a getty with it): none of our units may form one
cycles=$(guest 'journalctl -b -q -o cat | grep -i "ordering cycle" || true')
[ -z "$cycles" ] || die "ordering cycle at boot: $cycles"
guest 'systemctl is-active uchd.socket' >/dev/null || die "uchd.socket not active"
pass "the boot has no ordering cycle; uchd.socket active"
# shellcheck disable=SC2016 # the guest's shell expands it
serials=$(guest 'for f in /sys/block/vd*/serial; do cat "$f"; echo; done')
for id in "$src_id" "$dst_id"; do
  grep -qx -- "${id:0:20}" <<<"$serials" || die "guest serials: $serials"
done
pass "guest sees both volumes by virtio serial"

[ "$(gapi GET /v1/volumes)" = 200 ] || die "GET /v1/volumes: $(cat "$T/body")"
for id in "$src_id" "$dst_id"; do
  jq -e --arg s "${id:0:20}" '[.volumes[] | .ids[]?] | index($s) != null
    or any(.[]; startswith("virtio-" + $s))' "$T/body" >/dev/null ||
    jq -e --arg s "${id:0:20}" '.volumes[] | select(tostring | contains($s))' \
      "$T/body" >/dev/null || die "volume $id not listed: $(cat "$T/body")"
done
pass "GET /v1/volumes lists both"

# A token is required off the guest: none, no answer.
code=$(curl -sk -o /dev/null -w '%{http_code}' "https://127.0.0.1:$api_port/v1/jobs")
[ "$code" = 401 ] || die "GET /v1/jobs without a token: $code"
pass "API without the token: 401"

# 40 Mbit/s: the 64 MiB copy takes ~13 s, time to look at its unit.
printf '{"type": "copy", "id": "boot1", "limits": {"bandwidth": "40M", "cpu": 50, "io": 20}, "disks": [{"source": {"volume": "%s"}, "destination": {"volume": "%s"}}]}\n' \
  "$src_id" "$dst_id" >"$T/req.json"
[ "$(gapi POST /v1/jobs "$T/req.json")" = 201 ] || die "submit: $(cat "$T/body")"
unit_running() {
  guest 'systemctl show uch-job-boot1.service -p ActiveState -p CPUQuotaPerSecUSec -p IOWeight -p LogExtraFields -p NoNewPrivileges -p PrivateMounts -p ProtectProc -p DevicePolicy -p DeviceAllow -p CapabilityBoundingSet -p SystemCallFilter -p RestrictAddressFamilies' >"$T/unit" 2>&1
  grep -qx 'ActiveState=active' "$T/unit"
}
wait_for 60 unit_running || die "no active uch-job-boot1.service: $(cat "$T/unit")
$(gapi GET /v1/jobs/boot1 >/dev/null; jq -c '{state, error}' "$T/body")
$(guest 'journalctl -q -o short -u uchd.service -n 30' 2>&1)"
grep -qx 'CPUQuotaPerSecUSec=500ms' "$T/unit" && grep -qx 'IOWeight=20' "$T/unit" &&
  grep -qx 'LogExtraFields=JOB_ID=boot1' "$T/unit" ||
  die "unit properties: $(cat "$T/unit")"
pass "the job runs as uch-job-boot1.service: CPUQuota 50%, IOWeight 20, JOB_ID"
for want in 'NoNewPrivileges=yes' 'PrivateMounts=yes' 'ProtectProc=invisible' \
    'DevicePolicy=closed' 'DeviceAllow=.*block-\* rw' 'DeviceAllow=.*/dev/kvm rw' \
    'CapabilityBoundingSet=cap_dac_override cap_dac_read_search cap_fowner cap_sys_admin' \
    'SystemCallFilter=~.*mount' \
    'RestrictAddressFamilies=.*AF_UNIX' 'RestrictAddressFamilies=.*AF_INET( |$)' \
    'RestrictAddressFamilies=.*AF_INET6' 'RestrictAddressFamilies=.*AF_NETLINK'; do
  # (systemd lists the families in an order of its own)
  grep -Eq "^$want" "$T/unit" || die "uch-job-boot1.service: no $want: $(cat "$T/unit")"
done
[ "$(sed -n 's/^RestrictAddressFamilies=//p' "$T/unit" | wc -w)" = 4 ] ||
  die "uch-job-boot1.service: address families other than the four: $(cat "$T/unit")"
pass "its unit is sandboxed: no new privileges, uchd's capabilities, blocks and /dev/kvm only, a system call filter"
done_state() { gapi GET /v1/jobs/boot1 >/dev/null;
  jq -e '.state | IN("succeeded","failed","cancelled")' "$T/body" >/dev/null; }
wait_for 300 done_state || die "copy did not end: $(cat "$T/body")"
jq -e '.state == "succeeded"' "$T/body" >/dev/null || die "copy: $(cat "$T/body")
$(guest 'journalctl -q -o short JOB_ID=boot1 -n 30' 2>&1)"
guest "cmp -n $((64 * 1024 * 1024)) /dev/disk/by-id/virtio-${src_id:0:20} /dev/disk/by-id/virtio-${dst_id:0:20}" ||
  die "destination volume differs from the source"
pass "copy job volume to volume succeeded; disks equal"

guest "journalctl -q -o cat JOB_ID=boot1" >"$T/journal" 2>&1
grep -q 'uch-job-boot1.service' "$T/journal" ||
  die "no journal lines with JOB_ID=boot1: $(cat "$T/journal")"
grep -q 'started unit uch-job-boot1.service' "$T/journal" ||
  die "uchd did not start the worker as uch-job-boot1.service: $(cat "$T/journal")"
pass "uchd started it as that unit; JOB_ID=boot1 in the journal"

# uchd's own sandbox, as systemd-analyze judges it on the running unit,
# and uch-tls's (it made the certificate the TLS checks above used).
guest 'systemd-analyze security --no-pager uchd.service uch-tls.service' >"$T/security" 2>&1 || true
for spec in uchd.service:2.5 uch-tls.service:3.0; do
  e=$(sed -n "s/^→ Overall exposure level for ${spec%:*}: \([0-9.]*\) .*/\1/p" "$T/security")
  [ -n "$e" ] && awk -v a="$e" -v b="${spec#*:}" 'BEGIN { exit !(a <= b) }' ||
    die "${spec%:*} in the guest: exposure '$e': $(grep -e '✗' -e Overall "$T/security")"
  pass "${spec%:*} in the guest: exposure $e (at most ${spec#*:})"
done

# An export of the source volume on a Unix socket, read back in the
# guest (nbdcopy) while it serves; uchd restarts meanwhile and must
# find the export's worker alive (in its unit, seen through
# ProtectProc=invisible), not lost.
printf '{"type": "export", "id": "exp1", "listen": {"unix": true}, "disks": [{"source": {"volume": "%s"}, "name": "src"}]}\n' \
  "$src_id" >"$T/exp.json"
[ "$(gapi POST /v1/jobs "$T/exp.json")" = 201 ] || die "export submit: $(cat "$T/body")"
serving() { gapi GET /v1/jobs/exp1 >/dev/null; jq -e '.phase == "serving"' "$T/body" >/dev/null; }
wait_for 120 serving || die "export never served: $(cat "$T/body")"
uri=$(jq -r '.result.exports[0].uri' "$T/body")
guest "systemctl restart uchd.service"
wait_for 120 healthy || die "uchd not healthy after its restart"
gapi GET /v1/jobs/exp1 >/dev/null
jq -e '.state == "running" and .phase == "serving"' "$T/body" >/dev/null ||
  die "after uchd's restart the export is: $(jq -c '{state, phase, error}' "$T/body")"
guest "nbdcopy '$uri' - | cmp -n $((64 * 1024 * 1024)) - /dev/disk/by-id/virtio-${src_id:0:20}" ||
  die "the export reads back different from the volume"
[ "$(gapi POST /v1/jobs/exp1/cancel)" = 202 ] || die "cancel export: $(cat "$T/body")"
exp_ended() { gapi GET /v1/jobs/exp1 >/dev/null; jq -e '.state == "cancelled"' "$T/body" >/dev/null; }
wait_for 60 exp_ended || die "export did not end cancelled: $(cat "$T/body")"
pass "export of a volume read back equal; uchd restarted and adopted its worker"

# uchctl check, as an admin runs it first (the motd says so).  The
# Debian image leaves virt-v2v and libguestfs out for size and has no
# VDDK: the check fails (exit 1) naming each of them, never a crash;
# nbdkit with its plugins, nbdcopy and qemu-img/qemu-nbd are found.
rc=0; guest 'uchctl check' >"$T/check.txt" 2>&1 || rc=$?
[ $rc = 1 ] || die "uchctl check on the appliance: exit $rc: $(cat "$T/check.txt")"
for want in \
    '^ok    nbdkit +nbdkit [0-9][0-9.]*, plugins: ' \
    '^ok    nbdkit .*plugins: (.* )?curl( |$)' '^ok    nbdkit .*plugins: (.* )?file( |$)' \
    '^ok    nbdkit .*plugins: (.* )?nbd( |$)' '^ok    nbdkit .*plugins: (.* )?ssh( |$)' \
    '^ok    nbdcopy +nbdcopy [0-9]' '^ok    qemu-img +qemu-img [0-9]' \
    '^ok    qemu-nbd +qemu-nbd [0-9]' \
    '^fail  virt-v2v +virt-v2v is not installed' \
    '^fail  virt-v2v-in-place +virt-v2v-in-place is not on PATH' \
    '^fail  libguestfs +libguestfs is not installed: no guestfish on PATH' \
    '^warn  vddk-plugin +nbdkit has no vddk plugin' \
    '^warn  vddk-library +no VDDK library' '^check FAILED$'; do
  grep -Eq "$want" "$T/check.txt" || die "uchctl check: no line /$want/: $(cat "$T/check.txt")"
done
pass "uchctl check on the appliance: exit 1; nbdkit, nbdcopy, qemu-img ok; virt-v2v, libguestfs, VDDK named as missing"
sed 's/^/#   /' "$T/check.txt"
rc=0; guest 'uchctl check --json' >"$T/check.json" 2>"$T/check.err" || rc=$?
[ $rc = 1 ] || die "uchctl check --json: exit $rc: $(cat "$T/check.json" "$T/check.err")"
jq -e 'def st($n): [.checks[] | select(.name == $n) | .status][0];
  .passed == false and st("nbdkit") == "ok" and st("nbdcopy") == "ok" and
  st("virt-v2v") == "fail" and st("libguestfs") == "fail" and
  st("vddk-plugin") == "warn" and
  (.capabilities.nbdkit.plugins | index("file") and index("curl") and index("ssh")) and
  .capabilities["virt-v2v"] == null and .capabilities.guestfs.installed == false and
  .capabilities.vddk == false' "$T/check.json" >/dev/null ||
  die "uchctl check --json: $(cat "$T/check.json")"
pass "uchctl check --json: passed false; the same verdicts and capabilities"

guest 'systemctl poweroff' || true
# shellcheck disable=SC2016 # eval expands it, each time wait_for tries
wait_for 180 eval '! kill -0 $QEMU_PID 2>/dev/null' ||
  { tail -30 "$T/console.log"; die "guest did not power off"; }
grep -q 'reboot: Power down' "$T/console.log" ||
  { tail -30 "$T/console.log"; die "no clean power down on the console"; }
pass "clean shutdown"

printf 'image_bytes=%s\nboot_to_healthy_s=%s\n' "$size" "$boot_s" | tee "$figures"
