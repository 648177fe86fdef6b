#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# uch-test: slow
# uch-test: timeout=450
# The warm_migration role on a uchd sync job: pass 1 copies everything;
# then a sync pass every 2 s of what the source's dirty bitmap marks,
# with data written to the source (qemu-io over NBD, which qemu-nbd
# records in the bitmap) between passes; the cutover flag file ends it
# with the cutover pass. The destination then equals the source, the
# playbook reports bytes and seconds per pass, and a rerun changes
# nothing.
source "$UCH_TOP/tests/lib/functions.sh"
pass() { echo "ok - $* [${SECONDS}s]"; }
require ansible-playbook
require qemu-img
require qemu-nbd
require qemu-io
require nbdcopy
require jq

MIB=$((1024 * 1024))
KIB=1024
COLL=$UCH_TOP/ansible/ansible_collections/uch/appliance
bitmap_nbd_source         # 12 MiB allocated, bitmap b0
src=$SRC_URI
uchd_start

ansible_config
ansible_local_dst
cat >"$T/warm.yml" <<YAML
uch_wave: w3
uch_warm_vms:
  - name: vm
    disks:
      - {name: sda, source: {nbd: "$src", bitmap: b0}, destination: {path: $T/dst.img}}
YAML
warm() { # LOG
  ansible-playbook -i "$T/inventory.yml" "$COLL/playbooks/warm_migration.yml" -e "@$T/warm.yml" \
    -e uch_destination_appliance=dst -e "uch_warm_cutover_flag=$T/cut" \
    -e uch_warm_interval=2 -e uch_warm_max_passes=60 >"$T/$1" 2>&1
}
job=w3-vm
passes() { job_field $job '.result.passes'; }
now() { date -u +%Y-%m-%dT%H:%M:%S.%3NZ; }
# sync_pass_after TIME: the first sync pass that started after TIME (its
# index), once it is done
sync_pass_after() {
  passes | jq -e --arg t "$1" \
    '[to_entries[] | select(.value.trigger == "sync" and .value.started_at > $t)] | first | .key' 2>/dev/null
}
pass_field() { passes | jq -r ".[$1].$2"; }
in_range() { # BYTES LOW: LOW <= BYTES <= LOW + 5 %
  [ "$1" -ge "$2" ] && [ "$1" -le $(( $2 * 105 / 100 )) ]
}

warm warm.log &
pb=$!
cleanup_add "kill $pb 2>/dev/null"
alive_or() { kill -0 $pb 2>/dev/null || return 0; "$@"; }
has_passes() { [ "$(passes | jq 'length')" -ge "$1" ]; }
wait_for 240 alive_or has_passes 1 && has_passes 1 || { cat "$T/warm.log"; die "pass 1 did not end"; }
[ "$(job_field $job .type)" = sync ] || die "the role did not submit a sync job: $(api GET /v1/jobs)"
[ "$(pass_field 0 kind)" = full ] && [ "$(pass_field 0 bytes)" -eq $((12 * MIB)) ] ||
  die "pass 1: $(passes | jq -c '.[0]')"
full=$(pass_field 0 bytes)

# between passes: 256 KiB written and 1 MiB zeroed (zeroes are not counted)
qemu-io -f raw -c "write -P 0x55 $((1 * MIB)) $((256 * KIB))" -c "write -z $((32 * MIB)) $((1 * MIB))" "$src" >/dev/null
t_a=$(now)
wait_for 120 alive_or sync_pass_after "$t_a" >/dev/null && ia=$(sync_pass_after "$t_a") ||
  { cat "$T/warm.log"; die "no sync pass after the first write"; }
bytes_a=$(pass_field "$ia" bytes)
in_range "$bytes_a" $((256 * KIB)) || die "pass $((ia + 1)) copied $bytes_a bytes for 256 KiB written"
nbdcopy "$src" "$T/now.img"
cmp "$T/now.img" "$T/dst.img" || die "after the pass following the first write the destination differs"
# and more: 512 KiB (the bitmap is not cleared, so the next pass copies
# all 768 KiB written since b0)
qemu-io -f raw -c "write -P 0x66 $((40 * MIB)) $((512 * KIB))" "$src" >/dev/null
t_b=$(now)
wait_for 120 alive_or sync_pass_after "$t_b" >/dev/null && ib=$(sync_pass_after "$t_b") ||
  { cat "$T/warm.log"; die "no sync pass after the second write"; }
bytes_b=$(pass_field "$ib" bytes)
in_range "$bytes_b" $((768 * KIB)) || die "pass $((ib + 1)) copied $bytes_b bytes for 768 KiB written since b0"
qemu-io -f raw -c "write -P 0x77 $((50 * MIB)) $((128 * KIB))" "$src" >/dev/null
touch "$T/cut"
wait $pb || { cat "$T/warm.log"; die "the warm migration playbook failed"; }
[ "$(job_field $job .state)" = succeeded ] || die "the sync job is $(job_field $job .state): $(job_field $job .error)"
n=$(passes | jq length)
[ "$(pass_field $((n - 1)) trigger)" = cutover ] || die "the last pass: $(passes | jq -c ".[$((n - 1))]")"
in_range "$(pass_field $((n - 1)) bytes)" $((896 * KIB)) || die "the cutover copied $(pass_field $((n - 1)) bytes)"
syncs=$(passes | jq '[.[] | select(.trigger == "sync")] | length')
[ "$syncs" -ge 2 ] || die "$syncs sync passes"
nbdcopy "$src" "$T/now.img"
cmp "$T/now.img" "$T/dst.img" || die "after the cutover the destination differs from the source"
pass "sync job: full pass ($full bytes), $syncs sync passes (after the writes: $bytes_a and $bytes_b bytes), cutover: equal"

# the per-pass report: bytes and seconds of every pass
for i in $(seq 0 $((n - 1))); do
  line="pass $((i + 1)) ($(pass_field "$i" kind), $(pass_field "$i" trigger)): $(pass_field "$i" bytes) bytes in "
  grep -qF "$line" "$T/warm.log" || die "no line '$line' in the report: $(sed -n '/passes\]/,$p' "$T/warm.log" | head -40)"
done
grep -qE "\"vm pass $((ia + 1)) \(incremental, sync\): $bytes_a bytes in [0-9.]+ s\"" "$T/warm.log" ||
  die "the pass after the first write was not reported when it ran"
pass "the playbook reports bytes and seconds of all $n passes (and each sync pass as it ran)"

warm warm-again.log || { cat "$T/warm-again.log"; die "rerun failed"; }
grep -qE 'localhost .* changed=0 ' "$T/warm-again.log" || die "rerun changed something: $(sed -n '/PLAY RECAP/,$p' "$T/warm-again.log")"
[ "$(passes | jq length)" = "$n" ] || die "the rerun ran passes again"
[ "$(api GET /v1/jobs | jq '.jobs | length')" = 1 ] || die "the rerun added jobs: $(api GET /v1/jobs | jq -c '[.jobs[].id]')"
pass "rerun after the cutover: changed=0, no pass added"
