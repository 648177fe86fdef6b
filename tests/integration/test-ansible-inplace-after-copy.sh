#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# uch-test: slow
# uch-test: timeout=900
# The volume_migration role on its own (a playbook of the user's, one
# VM), with an in-place conversion after the copy: a source and a
# destination appliance (network namespaces, sshd and uchd each), the
# phony Windows guest (tests/guests/make-windows.sh) exported over
# TLS-PSK and copied, then converted where it was copied by an inplace
# job. The copy changed, the source did not; uch_vm_result names both
# jobs; the export is stopped. The same playbook again: changed=0, no
# job added, the same result (from the jobs an earlier run left).
source "$UCH_TOP/tests/lib/functions.sh"
source "$UCH_TOP/tests/lib/appliances.sh"
pass() { echo "ok - $* [${SECONDS}s]"; }
require ansible-playbook
require virt-v2v
require jq
require nbdkit
require ssh-keygen
[ "$(id -u)" = 0 ] || skip "needs root for namespaces"

# TCG: nested KVM aborts qemu here
export LIBGUESTFS_BACKEND_SETTINGS=force_tcg
windows_guest
cached=$(qemu-img info --output=json "$T/guest/windows.img" | jq -r '."full-backing-filename" // ."backing-filename"')
[ -f "$cached" ] || die "no raw image behind windows.img: $cached"
src_sum=$(sha256sum <"$cached")
# the drivers the destination's uchd gives virt-v2v-in-place
export VIRTIO_WIN=$T/guest/virtio-win

appliances_init
appliance_add src 1
appliance_add dst 1
ansible_setup uch_sources=src uch_destinations=dst
pass "two appliances up"

cat >"$T/vm.yml" <<YAML
- name: One VM, copied then converted in place
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Migrate
      ansible.builtin.include_role:
        name: uch.appliance.volume_migration
      vars:
        uch_wave: w4
        uch_source_appliance: src
        uch_destination_appliance: dst
        uch_psk_dir: $T/psk
        uch_vm:
          name: win
          disks:
            - name: sda
              source: {path: $cached}
              destination: {path: $T/dst/win.raw}
          inplace: {memory_mib: 2048, vcpus: 2}
    - name: Keep the result
      ansible.builtin.copy:
        content: "{{ uch_vm_result | to_nice_json }}"
        dest: $T/result-{{ run }}.json
        mode: "0644"
      changed_when: false
YAML
play() { # RUN
  set +e
  ansible-playbook -i "$T/inventory.yml" "$T/vm.yml" -e "run=$1" >"$T/$1.log" 2>&1
  echo $? >"$T/rc"
  set -e
}
jobs_of() { # APPLIANCE: id, type, state, finished_at of each job
  appl_api "$1" GET /v1/jobs | jq -c '.jobs[] | [.id, .request.type, .state, .finished_at]' | sort
}

t0=$SECONDS
play first
[ "$(cat "$T/rc")" = 0 ] || { cat "$T/first.log"; die "the role failed"; }
jq -e --arg d "$T/dst/win.raw" '.state == "succeeded" and .jobs == ["w4-win-inplace", "w4-win-sda"]
    and .bytes > 0 and .source == "src" and .destination == "dst" and .error == null' \
  "$T/result-first.json" >/dev/null || die "uch_vm_result: $(cat "$T/result-first.json")"
appl_api dst GET /v1/jobs/w4-win-inplace >"$T/inplace.json"
jq -e --arg d "$T/dst/win.raw" '.state == "succeeded" and .request.memory_mib == 2048
    and .request.disks == [{"path": $d, "format": "raw"}]
    and (.result.guest.product_name | startswith("Windows 10 Pro"))' "$T/inplace.json" >/dev/null ||
  die "the inplace job: $(jq -c '{state, request, result, error}' "$T/inplace.json")"
pass "copied and converted in place: $(jq -c .result.guest "$T/inplace.json") ($((SECONDS - t0)) s)"

# what the conversion wrote is test-inplace-phony-windows' to check
# (viostor.sys); here, that it wrote the copy and nothing else
! cmp -s "$cached" "$T/dst/win.raw" || die "the copy is as it was copied"
[ "$(sha256sum <"$cached")" = "$src_sum" ] || die "the source changed"
pass "the conversion wrote the copy, not the source"
[ -z "$(appl_api src GET '/v1/jobs?state=running' | jq -r '.jobs[].id')" ] || die "the export is still running"
[ "$(appl_api src GET /v1/jobs/w4-win-export | jq -r .state)" = cancelled ] || die "the export was not stopped"
pass "the export stopped"

jobs_of src >"$T/src-1"; jobs_of dst >"$T/dst-1"
play again
[ "$(cat "$T/rc")" = 0 ] || { cat "$T/again.log"; die "the rerun failed"; }
grep -qE '^localhost .* changed=0 ' "$T/again.log" || { cat "$T/again.log"; die "the rerun changed something"; }
jobs_of src >"$T/src-2"; jobs_of dst >"$T/dst-2"
diff "$T/src-1" "$T/src-2" && diff "$T/dst-1" "$T/dst-2" || die "the rerun ran jobs"
cmp -s "$T/result-first.json" "$T/result-again.json" ||
  die "the rerun's result differs: $(cat "$T/result-again.json")"
pass "the same playbook again: changed=0, no job run, the same result"
