#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# uch-test: slow
# uch-test: timeout=2400
# A conversion works under the workers' sandbox with systemd as PID 1.
# The appliance's Debian root file system with virt-v2v and libguestfs
# (image-build/build-v2v-root) and UCH installed as the image has it
# (make install-appliance, uchd.service, uchd.socket, uch-tls enabled)
# boots in a container (systemd-nspawn -b, a network namespace of its
# own).  An inplace job on the phony Windows guest, submitted over
# uchd.socket, runs as uch-job-win.service, a transient unit with the
# workers' sandbox (uchd/worker-unit.c): the system call filter, the
# capability bounding set, NoNewPrivileges, PrivateMounts,
# ProtectProc=invisible, no namespaces of its own.  libguestfs builds its
# appliance (supermin) and runs it (qemu, TCG) inside that unit, under
# that filter; the job succeeds and the disk holds viostor.sys.
#
# Why a container and not the image (test-image-boot): the image has no
# virt-v2v (size), and libguestfs's qemu nested in a TCG guest would be
# 45 to 80 times slower than here (docs/appliance.md has the figures).  What a container cannot prove: its systemd
# cannot apply the device allow-list (the devices controller is
# read-only inside it), so the unit's DevicePolicy and DeviceAllow are
# checked as set; that they let a worker write a volume is proven by
# test-image-boot's copy in the booted image.
source "$UCH_TOP/tests/lib/functions.sh"
require systemd-nspawn
require nsenter
require mmdebstrap
require guestfish
require qemu-img
require curl
require jq
export PATH=$PATH:/usr/sbin:/sbin

windows_guest
cached=$(qemu-img info --output=json "$T/guest/windows.img" |
  jq -r '."full-backing-filename" // ."backing-filename"')
[ -f "$cached" ] || die "no raw image behind windows.img: $cached"

tar=$("$UCH_TOP/image-build/build-v2v-root" 2>"$T/build.log") ||
  { tail -30 "$T/build.log"; die "build-v2v-root failed"; }
root=$T/root
mkdir "$root"
tar -C "$root" -xpf "$tar"
make -s -C "$UCH_TOP" install-appliance DESTDIR="$root" PREFIX=/usr \
  >"$T/install.log" 2>&1 || { cat "$T/install.log"; die "install-appliance"; }
: >"$root/etc/machine-id"
systemctl --root="$root" enable uchd.service uchd.socket uch-tls.service \
  >"$T/enable.log" 2>&1 || die "enable: $(cat "$T/enable.log")"
# where virt-v2v looks for drivers by default (the virtio-win package's)
cp -r "$T/guest/virtio-win" "$root/usr/share/virtio-win"

# The volumes' directory and uchd's runtime directory (its socket) are
# the test's, bound into the container.
mkdir -m 0700 "$T/images" "$T/uchrun"
cp --sparse=always "$cached" "$T/images/win.raw"
machine=uchh-$$
systemd-nspawn -D "$root" -b --register=no --keep-unit --private-network \
  -M "$machine" --console=pipe \
  --bind="$T/images:/var/lib/uch/images" --bind="$T/uchrun:/run/uch" \
  </dev/null >"$T/nspawn.log" 2>&1 &
NSPAWN_PID=$!
# shellcheck disable=SC2016 # expanded when the cleanup runs
cleanup_add 'rm -rf "/run/systemd/nspawn/propagate/$machine" "/run/systemd/nspawn/unix-export/$machine"'
cleanup_add container_stop

# The container's PID 1 (systemd), as the host numbers it: nspawn's
# child that is PID 1 in its own PID namespace (not the short-lived
# child that forks it).
init_pid() {
  local p
  for p in $(pgrep -P "$NSPAWN_PID"); do
    grep -Eq '^NSpid:.*[[:space:]]1$' "/proc/$p/status" 2>/dev/null &&
      { C=$p; return 0; }
  done
  return 1
}
container_stop() {
  local i
  [ -n "${C:-}" ] && kill -0 "$NSPAWN_PID" 2>/dev/null || return 0
  ctr systemctl poweroff >/dev/null 2>&1 || true
  for (( i=0; i<600; i++ )); do
    kill -0 "$NSPAWN_PID" 2>/dev/null || return 0
    sleep 0.1
  done
  # killing its PID 1 ends everything in the container's PID namespace
  kill -KILL "$C" 2>/dev/null || true
  wait "$NSPAWN_PID" 2>/dev/null || true
}
ctr() { nsenter -t "$C" -m -u -i -n -p -C "$@"; }

wait_for 60 init_pid || die "no container: $(cat "$T/nspawn.log")"
UCH_SOCK=$T/uchrun/uchd.sock
uchd_up() {
  kill -0 "$NSPAWN_PID" 2>/dev/null || die "the container exited: $(cat "$T/nspawn.log")"
  curl -sf --unix-socket "$UCH_SOCK" http://uch/v1/health >/dev/null 2>&1
}
wait_for 300 uchd_up || die "uchd not up in the container:
$(ctr systemctl --no-pager status uchd.service uchd.socket 2>&1 | tail -30)"
[ "$(ctr cat /proc/1/comm)" = systemd ] || die "PID 1 in the container: $(ctr cat /proc/1/comm)"
ctr systemctl is-active uchd.service >/dev/null ||
  die "uchd.service is not active: $(ctr systemctl --no-pager status uchd.service 2>&1 | tail -20)"
pass "the appliance's root booted with systemd as PID 1; uchd.service answers on uchd.socket"

cat >"$T/win.json" <<JSON
{"type": "inplace", "id": "win", "name": "win", "memory_mib": 2048, "vcpus": 2,
 "disks": [{"path": "/var/lib/uch/images/win.raw", "format": "raw"}],
 "macs": [{"mac": "52:54:00:12:34:56", "network": "vmnet"}]}
JSON
t0=$SECONDS
api POST /v1/jobs "$T/win.json" >/dev/null
[ "$(status)" = 201 ] || die "submit: $(status) $(cat "$T/body")"

# libguestfs's qemu, once supermin has built the appliance, in the
# job's unit: found from the host (pgrep in the container's PID
# namespace), as are the worker's process and what the kernel says of
# both.
unit=uch-job-win.service
in_unit() { grep -q "/system.slice/$unit\$" "/proc/$1/cgroup" 2>/dev/null; }
qemu_in_unit() {
  local p
  # the appliance's qemu (-kernel), not libguestfs's probes of qemu
  for p in $(pgrep --ns "$C" --nslist pid -f '^[^ ]*qemu-system-x86_64 .*-kernel '); do
    in_unit "$p" && { QEMU=$p; return 0; }
  done
  # queued until uchd's scheduler starts its unit, then running
  case $(job_field win .state) in
    queued|running) return 1 ;;
  esac
  die "the job ended before its qemu was seen: $(api GET /v1/jobs/win)
$(tail -20 "$root/var/lib/uch/jobs/win/job.log" 2>&1)"
}
wait_for 900 qemu_in_unit || die "no qemu in $unit: $(api GET /v1/jobs/win)
$(ctr systemctl --no-pager status "$unit" 2>&1 | tail -20)"
ctr systemctl show "$unit" -p ActiveState -p NoNewPrivileges \
  -p PrivateMounts -p ProtectProc -p DevicePolicy -p DeviceAllow \
  -p CapabilityBoundingSet -p SystemCallFilter -p RestrictNamespaces \
  -p RestrictAddressFamilies >"$T/unit"
grep -qx 'ActiveState=active' "$T/unit" || die "$unit: $(cat "$T/unit")"
for want in 'NoNewPrivileges=yes' 'PrivateMounts=yes' 'ProtectProc=invisible' \
    'DevicePolicy=closed' 'DeviceAllow=.*block-\* rw' \
    'CapabilityBoundingSet=cap_dac_override cap_dac_read_search cap_fowner cap_sys_admin$' \
    'SystemCallFilter=~.*mount' 'RestrictNamespaces=yes' \
    'RestrictAddressFamilies=.*AF_UNIX'; do
  grep -Eq "^$want" "$T/unit" || die "$unit: no $want: $(cat "$T/unit")"
done
pass "the job runs as $unit with the workers' sandbox"

# What the kernel applies, on the worker and on the appliance's qemu:
# a seccomp filter, no new privileges, uchd's bounding set (0x20000e:
# CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER, CAP_SYS_ADMIN),
# /proc mounted hidepid=invisible, a mount namespace not PID 1's.
worker=$(pgrep --ns "$C" --nslist pid -x uch-job | while read -r p; do
  in_unit "$p" && echo "$p"; done | head -1)
[ -n "$worker" ] || die "no uch-job process in $unit"
for p in "$worker" "$QEMU"; do
  cp "/proc/$p/status" "$T/status.$p" || die "process $p is gone"
  grep -Eq '^Seccomp:[[:space:]]+2$' "$T/status.$p" &&
    grep -Eq '^NoNewPrivs:[[:space:]]+1$' "$T/status.$p" &&
    grep -Eq '^CapBnd:[[:space:]]+0*20000e$' "$T/status.$p" ||
    die "process $p ($(cat "/proc/$p/comm")): $(grep -E 'Seccomp|NoNewPrivs|CapBnd' "$T/status.$p")"
  grep -Eq '^proc /proc proc .*hidepid=(invisible|2)' "/proc/$p/mounts" ||
    die "process $p: /proc is $(grep '^proc /proc ' "/proc/$p/mounts")"
  [ "$(readlink "/proc/$p/ns/mnt")" != "$(readlink "/proc/$C/ns/mnt")" ] ||
    die "process $p shares PID 1's mount namespace (no PrivateMounts)"
done
pass "uch-job and libguestfs's qemu: seccomp filter, NoNewPrivs, bounding set 0x20000e, /proc hidepid, a mount namespace of their own"

st=$(job_wait win 900)
api GET /v1/jobs/win >"$T/win-job.json"
[ "$st" = succeeded ] || die "inplace ended $st: $(jq -c '{error,phase}' "$T/win-job.json"); log: $(tail -30 "$root/var/lib/uch/jobs/win/job.log")"
jq -e '.result.guest.product_name | startswith("Windows 10 Pro")' "$T/win-job.json" >/dev/null ||
  die "result.guest: $(jq -c .result.guest "$T/win-job.json")"
for phase in inspecting converting committing; do
  grep -q "phase $phase" "$root/var/lib/uch/jobs/win/job.log" || die "never in phase $phase"
done
pass "inplace job succeeded in its sandbox ($((SECONDS - t0)) s): $(jq -c .result.guest "$T/win-job.json")"

ctr journalctl -q -o cat JOB_ID=win >"$T/journal" 2>&1 || true
grep -q "started unit $unit" "$T/journal" ||
  die "uchd did not start the worker as $unit: $(tail -20 "$T/journal")"
pass "uchd started it as $unit (JOB_ID=win in the journal)"

drivers=$(guestfish --ro --format=raw -a "$T/images/win.raw" -i ls /Windows/System32/Drivers)
grep -qx viostor.sys <<<"$drivers" || die "no viostor.sys in the disk: $drivers"
pass "the disk now holds viostor.sys"

container_stop
! kill -0 "$NSPAWN_PID" 2>/dev/null || die "the container did not stop"
pass "the container powered off"
