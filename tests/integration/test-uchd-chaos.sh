#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Chaos: ~20 overlapping jobs (raw and qcow2 destinations, verify, a
# bandwidth limit, file and NBD sources) while uchd is killed with
# SIGKILL at 20 random moments and started again each time.  Then every
# state file parses, no job a client was told exists is missing, every
# job ends succeeded (a failed one may be resubmitted once, as an
# orchestrator would, and resumes), every destination equals its
# source, and no worker, nbdkit or qemu-nbd of a job is left running.
# uch-test: slow
# uch-test: timeout=900
source "$UCH_TOP/tests/lib/functions.sh"
require nbdkit
require qemu-img
require jq

seed=${UCH_CHAOS_SEED:-$(( $(date +%s) % 32768 ))}
RANDOM=$seed
echo "# seed $seed (UCH_CHAOS_SEED to replay)"
MIB=$((1024 * 1024))
for s in 0 1 2 3; do
  make_sparse_image "$T/src$s.img" $((48 * MIB)) 16
done
nbdkit_serve nbdsrc "$T/src3.img"
uchd_start --max-jobs 4

N=20 KILLS=20
declare -A src dst fmt
request() { # I: writes $T/jI.json, remembers its source and destination
  local i=$1 s=$(( $1 % 4 )) source extra="" f=raw
  case $(( i % 5 )) in
    1) f=qcow2 ;;
    2) extra='"verify": true, ' ;;
    3) extra='"limits": {"bandwidth": "32M"}, ' ;;
  esac
  if [ "$s" = 3 ]; then source="{\"nbd\": \"$NBD_URI\"}"
  else source="{\"path\": \"$T/src$s.img\"}"; fi
  src[$i]=$T/src$s.img dst[$i]=$T/dst$i.$f fmt[$i]=$f
  printf '{"type": "copy", "id": "j%d", %s"disks": [{"source": %s, "destination": {"path": "%s", "format": "%s"}}]}\n' \
    "$i" "$extra" "$source" "${dst[$i]}" "$f" >"$T/j$i.json"
}
submit() { # I: 0 once uchd said the job exists (201, 200 or 202)
  local code
  code=$(curl -s -m 20 -o "$T/body" -w '%{http_code}' --unix-socket "$UCH_SOCK" \
    -H 'Content-Type: application/json' --data-binary "@$T/j$1.json" \
    http://uch/v1/jobs) || true
  case $code in 200|201|202) return 0 ;; esac
  return 1
}
chaos_kill() {
  kill -9 "$UCHD_PID" 2>/dev/null || true
  wait "$UCHD_PID" 2>/dev/null || true
  uchd_start --max-jobs 4
}

accepted=()
pending=()
for (( i = 1; i <= N; i++ )); do request "$i"; pending+=("$i"); done
kills=0
while [ ${#pending[@]} -gt 0 ] || [ "$kills" -lt "$KILLS" ]; do
  if [ ${#pending[@]} -gt 0 ]; then
    i=${pending[0]}
    if submit "$i"; then accepted+=("$i"); pending=("${pending[@]:1}"); fi
  fi
  # a random moment: 0 to 1.5 s on, in submits, spawns and copies
  sleep "$(( RANDOM % 16 / 10 )).$(( RANDOM % 10 ))"
  if [ "$kills" -lt "$KILLS" ] && { [ $(( RANDOM % 3 )) != 0 ] || [ ${#pending[@]} = 0 ]; }; then
    chaos_kill
    kills=$((kills + 1))
  fi
done
pass "$N jobs accepted across $kills kills of uchd"

final() { case $(job_field "j$1" .state) in succeeded|failed|cancelled) return 0 ;; esac; return 1; }
all_final() { local i; for i in "${accepted[@]}"; do final "$i" || return 1; done; }
wait_for 600 all_final || die "not all jobs ended: $(api GET /v1/jobs | jq -c '[.jobs[] | {id,state,phase}]')"
resubmitted=0
for i in "${accepted[@]}"; do
  if [ "$(job_field "j$i" .state)" != succeeded ]; then
    echo "# j$i ended $(job_field "j$i" .state): $(job_field "j$i" .error.message); resubmitting"
    submit "$i" || die "resubmit j$i: $(cat "$T/body")"
    resubmitted=$((resubmitted + 1))
  fi
done
wait_for 600 all_final || die "resubmitted jobs did not end"

for f in "$T"/state/jobs/*/state.json; do
  jq -e 'type == "object" and has("state")' "$f" >/dev/null || die "$f does not parse"
done
for i in "${accepted[@]}"; do
  api GET "/v1/jobs/j$i" >/dev/null
  [ "$(status)" = 200 ] || die "accepted job j$i is missing: $(status)"
  [ "$(job_field "j$i" .state)" = succeeded ] ||
    die "j$i: $(job_field "j$i" '{state,error}')"
  if [ "${fmt[$i]}" = qcow2 ]; then
    qemu-img compare -q -f raw -F qcow2 "${src[$i]}" "${dst[$i]}" ||
      die "j$i: ${dst[$i]} differs from ${src[$i]}"
  else
    cmp -s "${src[$i]}" "${dst[$i]}" || die "j$i: ${dst[$i]} differs from ${src[$i]}"
  fi
done
pass "every state parses; all ${#accepted[@]} jobs succeeded ($resubmitted resubmitted once) and equal their sources"

# a job's processes name the state or runtime dir (uch-job, and the
# sockets of nbdkit and qemu-nbd); uchd and the test's own NBD server
# are not a job's
job_procs() {
  pgrep -af -- "$T/(run|state)" | grep -Ev -- "^[0-9]+ uchd |$T/nbdsrc" || true
}
none_left() { [ -z "$(job_procs)" ]; }
wait_for 20 none_left || die "left running: $(job_procs)"
[ -z "$(find "$T/run/jobs" -mindepth 1 -maxdepth 1 2>/dev/null)" ] ||
  die "runtime dirs left: $(ls "$T/run/jobs")"
pass "no worker, nbdkit or qemu-nbd left, no runtime dir left"
