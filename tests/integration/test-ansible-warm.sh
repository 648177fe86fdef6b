#!/usr/bin/env bash
# uch-test: slow
# uch-test: timeout=450
# The warm_migration role (copy passes with disks[i].changes, as long as
# uchd has no sync jobs): pass 1 copies everything, later passes what the
# source's dirty bitmap marks, every 2 s, data written to the source
# between passes; the cutover flag file ends it with a last pass; the
# destination then equals the source, and a rerun changes nothing.
source "$UCH_TOP/tests/lib/functions.sh"
pass() { echo "ok - $* [${SECONDS}s]"; }
require ansible-playbook
require qemu-img
require qemu-nbd
require qemu-io
require nbdcopy
require jq

MIB=$((1024 * 1024))
COLL=$UCH_TOP/ansible/ansible_collections/uch/appliance
qemu-img create -q -f qcow2 "$T/src.qcow2" 64M
qemu-io -f qcow2 -c "write -P 0x11 0 4M" -c "write -P 0x22 32M 2M" "$T/src.qcow2" >/dev/null
qemu-img bitmap --add "$T/src.qcow2" b0
qemu-nbd -t -f qcow2 -B b0 -k "$T/src.sock" --pid-file "$T/src.pid" \
  "$T/src.qcow2" >>"$T/qemu-nbd.log" 2>&1 &
cleanup_add "kill $!; sleep 0.3"
wait_for 10 test -s "$T/src.pid" || die "qemu-nbd did not start"
src="nbd+unix:///?socket=$T/src.sock"
uchd_start

mkdir -p "$T/ansible-tmp"
cat >"$T/ansible.cfg" <<CFG
[defaults]
collections_path = $UCH_TOP/ansible
local_tmp = $T/ansible-tmp
interpreter_python = /usr/bin/python3
retry_files_enabled = False
CFG
cat >"$T/inventory.yml" <<YAML
all:
  hosts:
    dst: {ansible_connection: local, ansible_python_interpreter: /usr/bin/python3, uch_socket: $UCH_SOCK}
YAML
cat >"$T/warm.yml" <<YAML
uch_wave: w3
uch_warm_vms:
  - name: vm
    disks:
      - {name: sda, source: {nbd: "$src"}, bitmap: b0, destination: {path: $T/dst.img}}
YAML
export ANSIBLE_CONFIG=$T/ansible.cfg ANSIBLE_HOME=$T/ansible-home ANSIBLE_NOCOLOR=1
warm() { # LOG
  ansible-playbook -i "$T/inventory.yml" "$COLL/playbooks/warm_migration.yml" -e "@$T/warm.yml" \
    -e uch_destination_appliance=dst -e "uch_warm_cutover_flag=$T/cut" \
    -e uch_warm_interval=2 -e uch_warm_max_passes=20 >"$T/$1" 2>&1
}
warm warm.log &
pb=$!
cleanup_add "kill $pb"
alive_or() { kill -0 $pb 2>/dev/null || return 0; job_in_state "$@"; }
wait_for 240 alive_or w3-vm-sda-p1 succeeded && job_in_state w3-vm-sda-p1 succeeded || { cat "$T/warm.log"; die "pass 1 did not succeed"; }
qemu-io -f raw -c "write -P 0x55 $((1 * MIB)) 256k" -c "write -z $((32 * MIB)) 1M" "$src" >/dev/null
wait_for 240 alive_or w3-vm-sda-p2 succeeded && job_in_state w3-vm-sda-p2 succeeded || { cat "$T/warm.log"; die "pass 2 did not succeed"; }
qemu-io -f raw -c "write -P 0x66 $((40 * MIB)) 512k" "$src" >/dev/null
touch "$T/cut"
wait $pb || { cat "$T/warm.log"; die "the warm migration playbook failed"; }
[ "$(job_field w3-vm-sda-cutover .state)" = succeeded ] || die "no cutover pass: $(job_field w3-vm-sda-cutover .)"
nbdcopy "$src" "$T/now.img"
cmp "$T/now.img" "$T/dst.img" || die "after the cutover the destination differs from the source"
p2=$(job_field w3-vm-sda-p2 '.result.disks[0].bytes_copied')
full=$(job_field w3-vm-sda-p1 '.result.disks[0].bytes_copied')
[ "$p2" -lt "$full" ] || die "pass 2 copied $p2 bytes, pass 1 $full: not incremental"
grep -q 'sda cutover: succeeded' "$T/warm.log" || die "no per-pass report: $(tail -20 "$T/warm.log")"
passes=$(api GET /v1/jobs | jq '[.jobs[] | select(.request.labels.vm == "vm")] | length')
pass "warm migration: $passes passes (full $full bytes, pass 2 $p2 bytes), data written between them, cutover by flag: equal"

warm warm-again.log || { cat "$T/warm-again.log"; die "rerun failed"; }
grep -qE 'localhost .* changed=0 ' "$T/warm-again.log" || die "rerun changed something: $(sed -n '/PLAY RECAP/,$p' "$T/warm-again.log")"
[ "$(api GET /v1/jobs | jq '[.jobs[] | select(.request.labels.vm == "vm")] | length')" = "$passes" ] ||
  die "the rerun ran passes again"
pass "rerun after the cutover: changed=0, no pass added"
