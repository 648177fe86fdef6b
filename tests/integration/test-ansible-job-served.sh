#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# uch-test: timeout=180
# One test of "served" for the collection's modules (uch_api.job_served):
# an export until disks-done whose disk was read and that waits out its
# idle_s (phase idle) has served.  uch_job with wait_for serving, and
# uch_jobs with wait_for serving, on such an export both succeed at once
# (uch_job waited for phase serving only, and failed after wait_timeout).
source "$UCH_TOP/tests/lib/functions.sh"
source "$UCH_TOP/tests/lib/ansible.sh"
require ansible-playbook
require nbdcopy
require jq

make_sparse_image "$T/disk.img" $((16 * 1024 * 1024)) 4
uchd_start
ansible_config
ansible_local_dst

cat >"$T/req.json" <<JSON
{"type":"export","id":"exp","until":"disks-done","idle_s":120,
 "listen":{"unix":true},"disks":[{"name":"d0","source":{"path":"$T/disk.img"}}]}
JSON
api POST /v1/jobs "$T/req.json" >/dev/null
[ "$(status)" = 201 ] || die "export: $(status) $(cat "$T/body")"
api GET "/v1/jobs/exp?wait_s=30&until=served" >"$T/exp.json"
[ "$(jq -r .phase "$T/exp.json")" = serving ] || die "export: $(jq -c '{state,phase,error}' "$T/exp.json")"
uri=$(jq -r '.result.exports[0].uri' "$T/exp.json")
nbdcopy "$uri" "$T/copy.img" || die "nbdcopy $uri failed"
cmp "$T/disk.img" "$T/copy.img" || die "the export's disk differs"
wait_for 30 job_in_phase exp idle || die "export not idle: $(job_field exp .phase)"
pass "the export was read and waits out its idle time: phase idle"

cat >"$T/play.yml" <<YAML
- hosts: dst
  gather_facts: false
  tasks:
    - name: uch_job waits for serving
      uch.appliance.uch_job:
        socket: "{{ uch_socket }}"
        id: exp
        request: "{{ lookup('file', '$T/req.json') | from_json }}"
        wait: true
        wait_for: serving
        wait_timeout: 20
      register: one
    - name: uch_jobs waits for serving
      uch.appliance.uch_jobs:
        socket: "{{ uch_socket }}"
        jobs:
          - id: exp
            request: "{{ lookup('file', '$T/req.json') | from_json }}"
        wait: true
        wait_for: serving
        wait_timeout: 20
      register: many
    - name: what they saw
      ansible.builtin.copy:
        dest: "$T/seen.json"
        content: "{{ {'one': one.job.phase, 'one_late': one.timed_out | default(false),
                      'many': many.jobs[0].job.phase, 'many_failed': many.jobs[0].failed} | to_json }}"
YAML
t0=$(date +%s)
ansible-playbook -i "$T/inventory.yml" "$T/play.yml" >"$T/play.log" 2>&1 ||
  die "the play failed: $(tail -30 "$T/play.log")"
secs=$(($(date +%s) - t0))
jq -e '.one == "idle" and .one_late == false and .many == "idle" and .many_failed == false' \
  "$T/seen.json" >/dev/null || die "seen: $(cat "$T/seen.json")"
[ "$secs" -lt 20 ] || die "the play took $secs s: it waited out wait_timeout"
pass "uch_job and uch_jobs wait_for serving on an idle export: served, at once (play ${secs} s)"
api POST /v1/jobs/exp/cancel >/dev/null
