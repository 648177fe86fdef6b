#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# uch-test: slow
# uch-test: timeout=900
# The Ansible collection driving a pool of three appliances (network
# namespaces on a bridge, each with its own sshd and uchd; the
# controller reaches them by SSH): one source (3 slots), two
# destinations (2 slots and 1 slot). Loop devices are the volumes.
# - a wave of six VMs (1 to 3 disks each): every destination volume is
#   byte-for-byte equal to its source; no appliance ever ran more of the
#   wave's jobs at once than its slots (from each job history); the
#   report (JSON and Markdown) lists all six;
# - the same wave again: changed=0 on every host, no job added and no
#   byte copied (the job histories are the same), the same report;
# - a wave where one VM's source volume is missing: that VM fails with
#   uchd's own message and the log tail after two attempts, the other
#   VMs finish equal, and the report says which VM failed and why (as
#   for a VM whose description is invalid: not placed);
# - conversion_host (uchctl check --json on each appliance) passes on the
#   good appliances, and fails up front on one without nbdkit and
#   qemu-nbd on its PATH, naming both in one message;
# - ansible-doc renders every module; --syntax-check passes for every
#   playbook.
source "$UCH_TOP/tests/lib/functions.sh"
source "$UCH_TOP/tests/lib/appliances.sh"
pass() { echo "ok - $* [${SECONDS}s]"; }
require ansible-playbook
require ansible-doc
require losetup
require jq
require nbdkit
require ssh-keygen
[ "$(id -u)" = 0 ] || skip "needs root for namespaces and loop devices"

COLL=$UCH_TOP/ansible/ansible_collections/uch/appliance
MIB=$((1024 * 1024))

# --- static checks: ansible-doc and --syntax-check -----------------------
export ANSIBLE_COLLECTIONS_PATH=$UCH_TOP/ansible ANSIBLE_HOME=$T/ansible-home
mods=()
for m in "$COLL"/plugins/modules/*.py; do mods+=("uch.appliance.$(basename "$m" .py)"); done
out=$(ansible-doc "${mods[@]}" 2>&1) || die "ansible-doc: $out"
for m in "${mods[@]}"; do
  sect=$(awk -v m="> ${m^^} " 'index($0, m) == 1 {on=1; next} /^> UCH/ {on=0} on' <<<"$out")
  for part in OPTIONS EXAMPLES "RETURN VALUES"; do
    grep -q "^$part" <<<"$sect" || die "ansible-doc $m shows no $part: $out"
  done
done
pass "ansible-doc renders ${#mods[@]} modules with options, examples and return values"
echo 'all: {hosts: {localhost: {}}}' >"$T/empty-inventory.yml"
out=$(ansible-playbook -i "$T/empty-inventory.yml" --syntax-check "$COLL"/playbooks/*.yml 2>&1) ||
  die "syntax-check: $out"
playbooks=("$COLL"/playbooks/*.yml)
pass "--syntax-check passes for ${#playbooks[@]} playbooks"
# --syntax-check does not read a role's meta/: every YAML file must load
out=$(python3 - "$COLL" <<'PY' 2>&1
import pathlib, sys, yaml
bad = []
for f in sorted(pathlib.Path(sys.argv[1]).rglob("*.yml")):
    try:
        yaml.safe_load(f.read_text())
    except yaml.YAMLError as e:
        bad.append("%s: %s" % (f, str(e).splitlines()[0]))
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY
) || die "YAML that does not load: $out"
pass "every YAML file of the collection loads"

# --- the pool ---------------------------------------------------------------
appliances_init
appliance_add src 3
appliance_add dst1 2
appliance_add dst2 1
# a second uchd on dst2 whose PATH lacks nbdkit and qemu-nbd (the rest
# it has); uchctl check runs with that PATH too (uch_check_path)
mkdir -p "$T/nonbdkit-bin" "$T/host_vars"
for t in nbdcopy qemu-img; do ln -s "$(command -v $t)" "$T/nonbdkit-bin/$t"; done
appliance_add_uchd dst2 bare 1 PATH="$T/nonbdkit-bin"
echo "uch_check_path: $T/nonbdkit-bin" >"$T/host_vars/bare.yml"
ansible_setup uch_sources=src uch_destinations=dst1,dst2
pass "three appliances up: namespaces, sshd and uchd each (and a uchd without nbdkit)"

# --- volumes: loop devices with by-id names ------------------------------------
# vol NAME ID DIR...: a 32 MiB loop device named by ID in each DIR's
# by-id; sets VOL (called directly, not in $(...), so that its cleanup
# is registered in this shell)
vol() {
  local name=$1 id=$2 d; shift 2
  truncate -s $((32 * MIB)) "$T/$name.img"
  VOL=$(losetup -f --show "$T/$name.img") || skip "no loop device free"
  cleanup_add "losetup -d $VOL"
  for d in "$@"; do ln -s "$VOL" "$T/$d/by-id/virtio-${id:0:20}"; done
}
declare -A SRCDEV DSTDEV
disks_of=( [1]=1 [2]=2 [3]=3 [4]=1 [5]=2 [6]=1 )
{
  echo "wave: w1"
  echo "vms:"
  for v in 1 2 3 4 5 6; do
    echo "  - name: vm$v"
    echo "    disks:"
    for (( k=0; k<disks_of[v]; k++ )); do
      sid=$(printf '5a%06d-0000-4000-8000-%012d' "$v$k" "$$")
      did=$(printf 'da%06d-0000-4000-8000-%012d' "$v$k" "$$")
      echo "      - name: sd$k"
      echo "        source: {volume: $sid}"
      echo "        destination: {volume: $did}"
      echo "$v $k $sid $did" >>"$T/volumes.list"
    done
  done
} >"$T/wave1.yml"
while read -r v k sid did; do
  vol "s$v$k" "$sid" src; s=$VOL
  vol "d$v$k" "$did" dst1 dst2; d=$VOL
  SRCDEV[$v$k]=$s; DSTDEV[$v$k]=$d
  # random data at scattered offsets, different per disk
  for off in $(( RANDOM % 4 )) $(( 8 + RANDOM % 8 )) $(( 20 + RANDOM % 10 )); do
    dd if=/dev/urandom of="$s" bs=1M seek="$off" count=1 conv=notrunc,fsync status=none
  done
done <"$T/volumes.list"
pass "$(wc -l <"$T/volumes.list") source and as many destination volumes (loop devices)"

play() { # LOG PLAYBOOK ARGS...: runs ansible-playbook, keeps its rc in $T/rc
  local log=$1 pb=$2; shift 2
  set +e
  ansible-playbook -i "$T/inventory.yml" "$COLL/playbooks/$pb" \
    -e "uch_psk_dir=$T/psk" -e "uch_report_dir=$T/reports" "$@" >"$T/$log" 2>&1
  echo $? >"$T/rc"
  set -e
}
history() { # the job histories of the pool: id, state, bytes, finished_at
  local a
  for a in src dst1 dst2; do
    appl_api "$a" GET /v1/jobs | jq -c --arg a "$a" '.jobs[] | [$a, .id, .state,
      ([.result.disks[]?.bytes_copied] | add), .finished_at]'
  done | sort
}

# --- conversion_host ----------------------------------------------------------
start=$(date +%s)
play ch.log conversion_host.yml -e uch_hosts=src,dst1,dst2,bare
recap=$(sed -n '/^PLAY RECAP/,$p' "$T/ch.log")
[ "$(cat "$T/rc")" != 0 ] && grep -qE '^bare .* failed=1' <<<"$recap" ||
  { cat "$T/ch.log"; die "conversion_host passed an appliance without nbdkit"; }
[ "$(grep -cE '^(src|dst1|dst2) .* failed=0' <<<"$recap")" = 3 ] ||
  { cat "$T/ch.log"; die "conversion_host failed on good appliances"; }
# one message with every fatal finding of uchctl check (and what follows
# from them), the non-fatal ones (no virt-v2v there) left out
msg=$(grep -o 'bare is not ready.*' "$T/ch.log" | head -1)
grep -q 'nbdkit: nbdkit is not installed' <<<"$msg" ||
  { cat "$T/ch.log"; die "conversion_host did not name nbdkit from uchctl check"; }
grep -q 'qemu-nbd: qemu-nbd is not installed' <<<"$msg" && grep -q 'filters rate' <<<"$msg" ||
  { cat "$T/ch.log"; die "conversion_host did not list every problem at once: $msg"; }
! grep -q 'virt-v2v' <<<"$msg" || die "a missing virt-v2v stopped a copy-only appliance: $msg"
grep -q 'src: uchd .* warning(s)' "$T/ch.log" || { cat "$T/ch.log"; die "no warnings shown for src"; }
pass "conversion_host: good appliances ready; uchctl check without nbdkit and qemu-nbd fails up front naming both ($(( $(date +%s) - start )) s)"

# --- wave 1 -------------------------------------------------------------------
start=$(date +%s)
# (the exports ending by themselves, no round to stop them: checked below)
play wave1.log migrate_wave.yml -e "uch_workloads_file=$T/wave1.yml" -e uch_batch_export_end=idle
[ "$(cat "$T/rc")" = 0 ] || { cat "$T/wave1.log"; die "wave 1 failed"; }
t1=$(( $(date +%s) - start ))
while read -r v k sid did; do
  cmp "${SRCDEV[$v$k]}" "${DSTDEV[$v$k]}" || die "vm$v disk sd$k differs after the wave"
done <"$T/volumes.list"
pass "wave of 6 VMs ($(wc -l <"$T/volumes.list") disks): every destination volume equal to its source ($t1 s)"

jq -e '[.vms[] | select(.state == "succeeded" and .bytes > 0)] | length == 6' "$T/reports/w1.json" >/dev/null ||
  die "report: $(cat "$T/reports/w1.json")"
[ "$(grep -c '^| vm[1-6] | src | dst[12] | succeeded |' "$T/reports/w1.md")" = 6 ] ||
  die "markdown report: $(cat "$T/reports/w1.md")"
pass "the report lists all six VMs, succeeded, in JSON and Markdown"

# each VM its own PSK (the file volume_migration would use): the batch's
# exports serve a line a VM, each copy reads with its own
for v in 1 2 3 4 5 6; do
  [ -s "$T/psk/w1-vm$v.psk" ] || die "no PSK file of vm$v: $(ls "$T/psk")"
done
[ "$(find "$T/psk" -type f | wc -l)" = 6 ] || die "PSK files other than the VMs': $(ls "$T/psk")"
[ "$(cat "$T"/psk/w1-vm*.psk | sort -u | wc -l)" = 6 ] || die "VMs share a PSK"
pass "each VM its own PSK file, six different keys"

# slots: at no moment more of the wave's jobs running (from start to end)
# on an appliance than its slots (the batch hands a destination its
# whole queue: uchd's slots pace it, the rest waits queued); on the
# source, not even submitted (one export per lane); and the lanes did
# run in parallel
# the lanes' exports end by themselves once their disks were read (until
# disks-done; uch_batch_export_end=idle and the batch finished every VM:
# no round stopped them)
wait_for 60 sh -c "curl -s --unix-socket '$T/src/run/uchd.sock' http://uch/v1/jobs |
  jq -e '[.jobs[] | select(.state == \"running\" or .state == \"queued\")] | length == 0' >/dev/null" ||
  die "the wave's exports still serve: $(appl_api src GET /v1/jobs | jq -c '[.jobs[] | {id, state}]')"
appl_api src GET /v1/jobs | jq -e '[.jobs[]] | length > 0 and all(.state == "succeeded" and .request.until == "disks-done")' >/dev/null ||
  die "the wave's exports did not end by themselves: $(appl_api src GET /v1/jobs | jq -c '[.jobs[] | {id, state, error}]')"
pass "the lanes' exports ended by themselves, succeeded, every disk read"
for a in src:3 dst1:2 dst2:1; do appl_api "${a%:*}" GET /v1/jobs >"$T/jobs-${a%:*}.json"; done
python3 - "$T" <<'PY' || die "slot check failed"
import json, sys
from datetime import datetime
T = sys.argv[1]
def ts(s): return datetime.strptime(s, '%Y-%m-%dT%H:%M:%S.%fZ').timestamp()
allint = []
for a, slots in (('src', 3), ('dst1', 2), ('dst2', 1)):
    jobs = json.load(open('%s/jobs-%s.json' % (T, a)))['jobs']
    # a source holds its exports from submission; a destination's copies
    # hold a slot from their start (queued, they hold none)
    iv = [(ts(j['created_at'] if a == 'src' else (j['started_at'] or j['finished_at'])),
           ts(j['finished_at'])) for j in jobs]
    ev = sorted([(s, 1) for s, e in iv] + [(e, -1) for s, e in iv], key=lambda x: (x[0], x[1]))
    cur = peak = 0
    for _, d in ev:
        cur += d; peak = max(peak, cur)
    print('%s: %d jobs, at most %d at once, %d slots' % (a, len(jobs), peak, slots))
    if peak > slots:
        sys.exit(1)
    if a != 'src':
        allint += iv
ev = sorted([(s, 1) for s, e in allint] + [(e, -1) for s, e in allint], key=lambda x: (x[0], x[1]))
cur = peak = 0
for _, d in ev:
    cur += d; peak = max(peak, cur)
print('destinations together: at most %d copies at once' % peak)
if peak < 2:
    print('the lanes did not run in parallel')
    sys.exit(1)
PY
pass "no appliance ran more jobs at once than its slots; copies ran in parallel across the pool"

# --- wave 1 again --------------------------------------------------------------
history >"$T/history1"
cp "$T/reports/w1.json" "$T/w1-first.json"
start=$(date +%s)
play wave1-again.log migrate_wave.yml -e "uch_workloads_file=$T/wave1.yml"
[ "$(cat "$T/rc")" = 0 ] || { cat "$T/wave1-again.log"; die "wave 1 rerun failed"; }
recap=$(sed -n '/^PLAY RECAP/,$p' "$T/wave1-again.log")
grep -q 'changed=' <<<"$recap" || die "no recap: $(tail -20 "$T/wave1-again.log")"
if grep -E 'changed=[1-9]' <<<"$recap"; then
  grep -B2 -A8 '^changed:' "$T/wave1-again.log" | head -60
  die "the rerun changed something"
fi
history >"$T/history2"
diff "$T/history1" "$T/history2" || die "the rerun added jobs or copied bytes"
# its report: the six VMs as the first run left them (from their copies)
vms_of() { jq -S '[.vms[] | {name, source, destination, state, bytes, jobs}]' "$1"; }
[ "$(vms_of "$T/w1-first.json")" = "$(vms_of "$T/reports/w1.json")" ] ||
  die "the rerun's report differs: $(diff <(vms_of "$T/w1-first.json") <(vms_of "$T/reports/w1.json"))"
pass "the same wave again: changed=0 everywhere, job histories unchanged, the same report ($(( $(date +%s) - start )) s)"

# --- a wave with a broken VM -------------------------------------------------------
mkdir -p "$T/files"
for v in ok1 bad ok2; do
  make_sparse_image "$T/files/$v.img" $((16 * MIB)) 8
done
cat >"$T/wave2.yml" <<YAML
wave: w2
vms:
  - name: ok1
    disks: [{name: sda, source: {path: $T/files/ok1.img}, destination: {path: $T/files/ok1.out}}]
  - name: bad
    disks:
      - {name: sda, source: {path: $T/files/bad.img}, destination: {path: $T/files/bad.out}}
      - {name: sdb, source: {volume: 0bad0000-dead-4bad-8bad-00000000beef}, destination: {path: $T/files/bad-b.out}}
  - name: ok2
    disks: [{name: sda, source: {path: $T/files/ok2.img}, destination: {path: $T/files/ok2.out}}]
  - name: twice
    disks:
      - {name: sda, source: {path: $T/files/ok1.img}, destination: {path: $T/files/twice-a.out}}
      - {name: sda, source: {path: $T/files/ok2.img}, destination: {path: $T/files/twice-b.out}}
YAML
start=$(date +%s)
play wave2.log migrate_wave.yml -e "uch_workloads_file=$T/wave2.yml"
[ "$(cat "$T/rc")" != 0 ] || die "wave 2 with a broken VM succeeded"
for v in ok1 ok2; do cmp "$T/files/$v.img" "$T/files/$v.out" || die "$v differs"; done
jq -e '[.vms[] | select(.state == "succeeded")] | map(.name) | sort == ["ok1", "ok2"]' "$T/reports/w2.json" >/dev/null ||
  die "report w2: $(cat "$T/reports/w2.json")"
err=$(jq -r '.vms[] | select(.name == "bad") | .error' "$T/reports/w2.json")
grep -q '0bad0000-dead-4bad-8bad-00000000beef' <<<"$err" || die "report error for bad: $err"
grep -q 'last [0-9]* lines of the job log' <<<"$err" || die "no log tail in the report: $err"
grep -q '| bad | src | dst[12] | failed | .*0bad0000-dead' "$T/reports/w2.md" || die "md w2: $(cat "$T/reports/w2.md")"
# a VM whose description is wrong (two disks named sda) is not placed,
# and the report says why; nothing of it ran
jq -e '.vms[] | select(.name == "twice") | .state == "failed" and (.error | test("invalid description: each disk needs a name of its own"))' \
  "$T/reports/w2.json" >/dev/null || die "report for twice: $(cat "$T/reports/w2.json")"
[ ! -e "$T/files/twice-a.out" ] && [ ! -e "$T/files/twice-b.out" ] || die "the invalid VM was copied"
grep -q 'w2-bad-export failed (source)' "$T/wave2.log" || die "the failed task does not show uchd's error: $(grep -A5 'FAILED' "$T/wave2.log" | head -30)"
# uch_vm_attempts (2): the broken VM was tried twice, its export stopped
# after each attempt
[ "$(grep -c 'TASK .*Attempt failed (bad #[12])' "$T/wave2.log")" = 2 ] &&
  [ "$(grep -c 'TASK .*Stop the export (bad on ' "$T/wave2.log")" = 2 ] ||
  die "the broken VM was not tried twice: $(grep 'TASK .*(bad[ )]' "$T/wave2.log")"
[ -z "$(appl_api src GET '/v1/jobs?state=running' | jq -r '.jobs[].id')" ] || die "an export is still running"
[ -z "$(worker_leftovers)" ] || die "tools left running: $(worker_leftovers)"
pass "a VM with a missing volume fails with uchd's message and the log tail, one with two disks named alike is not placed; the others finish; the report says why ($(( $(date +%s) - start )) s)"
echo "uchd's words for the broken VM: $(head -c 300 <<<"$err")"
