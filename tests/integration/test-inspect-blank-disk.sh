#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# An inspect job of two disks, one holding only an ext4 filesystem (read
# through NBD from nbdkit), one a LUKS volume (a path), succeeds with
# convertible false and reasons naming why (no operating system, LUKS
# without a key), the filesystem listed with its free space;
# cancelling an inspection while the appliance runs ends it "cancelled"
# with no qemu (nor anything else of the worker's) left behind.
# uch-test: slow
# uch-test: timeout=400
source "$UCH_TOP/tests/lib/functions.sh"
require guestfish
require nbdkit
require jq
# uch-job decides KVM or TCG itself (convert/accel.c), as on an
# appliance: where KVM cannot run a vCPU (nested kvm-pvm), libguestfs
# would take it and its qemu abort, and the inspection fail
unset LIBGUESTFS_BACKEND_SETTINGS

truncate -s 200M "$T/blank.img"
mkfs.ext4 -q -F -L blank "$T/blank.img"
nbdkit_serve blank "$T/blank.img"
export PATH=$PATH:/usr/sbin:/sbin
require cryptsetup
truncate -s 32M "$T/luks.img"
printf secret | cryptsetup luksFormat --batch-mode --type luks2 --pbkdf pbkdf2 \
  --pbkdf-force-iterations 1000 --key-file - "$T/luks.img"
uchd_start

printf '{"type":"inspect","id":"blank","disks":[{"source":{"nbd":"%s"}},{"source":{"path":"%s"}}]}\n' \
  "$NBD_URI" "$T/luks.img" >"$T/blank.json"
api POST /v1/jobs "$T/blank.json" >/dev/null
[ "$(status)" = 201 ] || die "submit: $(status) $(cat "$T/body")"
st=$(job_wait blank 300)
api GET /v1/jobs/blank >"$T/job.json"
[ "$st" = succeeded ] || die "blank disk inspection ended $st: $(jq -c . "$T/job.json")"
[ "$(jq -r .result.convertible "$T/job.json")" = false ] ||
  die "convertible: $(jq -c .result "$T/job.json")"
jq -r '.result.reasons[]' "$T/job.json" | grep -q "no operating system found" ||
  die "reasons: $(jq -c .result.reasons "$T/job.json")"
[ "$(jq -r .result.guest "$T/job.json")" = null ] || die "guest: $(jq -c .result.guest "$T/job.json")"
jq -e '.result.filesystems | length == 1 and .[0].type == "ext4" and
       .[0].free > 100000000 and .[0].size > .[0].free' "$T/job.json" >/dev/null ||
  die "filesystems: $(jq -c .result.filesystems "$T/job.json")"
[ "$(jq -r .result.luks "$T/job.json")" = true ] &&
  [ "$(jq -c .result.encrypted "$T/job.json")" = '["/dev/sdb"]' ] || die "luks: $(jq -c .result "$T/job.json")"
jq -r '.result.reasons[]' "$T/job.json" | grep -q "encrypted (LUKS) device /dev/sdb and no key" ||
  die "reasons: $(jq -c .result.reasons "$T/job.json")"
grep -q "phase launching" "$T/state/jobs/blank/job.log" &&
  grep -q "phase inspecting" "$T/state/jobs/blank/job.log" || die "phases not in job.log"
pass "blank and LUKS disks: not convertible, $(jq -c .result.reasons "$T/job.json")"
accel=$(grep -o 'libguestfs: .*' "$T/state/jobs/blank/job.log") || die "no libguestfs: line in job.log"
if "$UCH_TOP/build-aux/kvm-usable"; then
  case $accel in "libguestfs: KVM ("*) ;; *) die "KVM runs a vCPU here, the job: $accel" ;; esac
else
  case $accel in "libguestfs: TCG"*) ;; *) die "KVM cannot run a vCPU here, the job: $accel" ;; esac
fi
pass "the job says what libguestfs took: $accel"

printf '{"type":"inspect","id":"cancelme","disks":[{"source":{"path":"%s"}}]}\n' \
  "$T/blank.img" >"$T/cancel.json"
api POST /v1/jobs "$T/cancel.json" >/dev/null
[ "$(status)" = 201 ] || die "submit: $(status) $(cat "$T/body")"
# The worker's whole process tree (the helper, qemu, libguestfs's
# recovery process are its descendants).
tree() { # PID
  local pids=$1 next=$1 kids
  while [ -n "$next" ]; do
    kids=$(ps -eo pid=,ppid= | awk -v p=" $next " 'index(p, " " $2 " ") {print $1}' | xargs)
    pids="$pids $kids"; next=$kids
  done
  xargs <<<"$pids"
}
busy() { job_in_state cancelme running &&
         ps -o comm= -p "$(tree "$(job_field cancelme .worker.pid)" | tr ' ' ,)" | grep -q qemu-system; }
wait_for 120 busy || die "appliance never started: $(api GET /v1/jobs/cancelme)"
procs=$(tree "$(job_field cancelme .worker.pid)")
api POST /v1/jobs/cancelme/cancel >/dev/null
case $(status) in 200|202) ;; *) die "cancel: $(status) $(cat "$T/body")" ;; esac
st=$(job_wait cancelme 60)
[ "$st" = cancelled ] || die "cancelled job ended $st"
gone() { ! ps -o pid= -p "${procs// /,}" >/dev/null; }
wait_for 15 gone || die "left running: $(ps -o pid,args -p "${procs// /,}")"
[ ! -e "$T/run/jobs/cancelme" ] || die "runtime dir left"
[ "$(job_field cancelme .result.convertible)" = null ] || die "a cancelled job has a verdict"
pass "cancelled while launching: none of its $(wc -w <<<"$procs") processes (helper, qemu...) left"
