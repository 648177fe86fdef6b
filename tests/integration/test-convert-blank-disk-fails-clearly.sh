#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A convert job of a blank disk (real virt-v2v, real appliance) fails
# with virt-v2v's own error line as error.message, its advice in the job
# log, and nothing in the output directory; cancelling one mid-way ends
# it "cancelled" with no virt-v2v or qemu left and no output files.
# uch-test: timeout=400
source "$UCH_TOP/tests/lib/functions.sh"
require virt-v2v
require jq
# Nested KVM here aborts qemu; TCG always works (and is what CI has).
export LIBGUESTFS_BACKEND_SETTINGS=force_tcg

truncate -s 100M "$T/blank.img"
mkdir -p "$T/out"
uchd_start

submit() { # ID
  cat >"$T/$1.json" <<JSON
{"type": "convert", "id": "$1",
 "input": {"disk": {"path": "$T/blank.img", "format": "raw"}},
 "output": {"local": {"dir": "$T/out"}}}
JSON
  api POST /v1/jobs "$T/$1.json" >/dev/null
  [ "$(status)" = 201 ] || die "submit: $(status) $(cat "$T/body")"
}

submit blank
st=$(job_wait blank 300)
api GET /v1/jobs/blank >"$T/job.json"
[ "$st" = failed ] || die "blank disk job ended $st: $(jq -c . "$T/job.json")"
msg=$(jq -r .error.message "$T/job.json")
[ "$msg" = "virt-v2v: inspection could not detect the source guest (or physical machine)." ] ||
  die "error.message: $msg"
[ "$(jq -r .error.code "$T/job.json")" = convert_failed ] || die "code: $(jq -c .error "$T/job.json")"
pass "failed with virt-v2v's own words: $msg"

grep -q "virt-v2v: No root device found in this operating system image" \
  "$T/state/jobs/blank/job.log" || die "job.log lacks virt-v2v's output"
grep -q "phase inspecting" "$T/state/jobs/blank/job.log" || die "never inspecting"
[ -z "$(ls -A "$T/out")" ] || die "output left: $(ls -A "$T/out")"
pass "whole output in job.log, phases followed, no output files"

submit cancelme
# The worker's whole process tree (virt-v2v, qemu, nbdkit are its
# descendants; their command lines need not mention $T).
tree() { # PID
  local pids=$1 next=$1 kids
  while [ -n "$next" ]; do
    kids=$(ps -eo pid=,ppid= | awk -v p=" $next " 'index(p, " " $2 " ") {print $1}' | xargs)
    pids="$pids $kids"; next=$kids
  done
  xargs <<<"$pids"
}
busy() { job_in_state cancelme running && tree "$(job_field cancelme .worker.pid)" | grep -q ' ' &&
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
[ -z "$(ls -A "$T/out")" ] || die "output left: $(ls -A "$T/out")"
pass "cancelled mid-way: none of its $(wc -w <<<"$procs") processes (virt-v2v, qemu...) nor output left"

printf '{"type":"convert","input":{"disk":{"path":"%s"}},"output":{"local":{"dir":"%s"}}}\n' \
  "$T/blank.img" "$T/no-such-dir" >"$T/bad.json"
api POST /v1/jobs "$T/bad.json" >"$T/bad.out"
[ "$(status)" = 400 ] && [ "$(jq -r .error.field "$T/bad.out")" = output.local.dir ] ||
  die "missing output dir: $(status) $(cat "$T/bad.out")"
pass "missing output directory refused (400, output.local.dir)"
