#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# uchd loads 10,000 finished jobs from their state files at start and
# lists them all, newest first.  The load time is printed (uchd logs it),
# not asserted: the requirement is under 1 s on the appliance.
source "$UCH_TOP/tests/lib/functions.sh"
require jq
require python3

python3 - "$T/state/jobs" <<'PY'
import json, os, sys
root = sys.argv[1]
for i in range(10000):
    jid = "done-%05d" % i
    os.makedirs(os.path.join(root, jid))
    ts = "2026-01-01T%02d:%02d:%02d.000Z" % (i // 3600, (i // 60) % 60, i % 60)
    state = ["succeeded", "failed", "cancelled"][i % 3]
    req = {"type": "copy", "id": jid, "disks": [{"source": {"path": "/dev/vdb"},
           "destination": {"path": "/var/tmp/%s.img" % jid}}]}
    doc = {"id": jid, "type": "copy", "state": state, "phase": state,
           "created_at": ts, "started_at": ts, "finished_at": ts,
           "progress": {"percent": 100, "bytes_done": 1048576, "bytes_total": 1048576},
           "disks": [], "error": None, "result": None, "request": req}
    with open(os.path.join(root, jid, "state.json"), "w") as f:
        json.dump(doc, f, indent=2)
PY
pass "generated 10000 state files"

start=$(date +%s.%N)
uchd_start
ready=$(date +%s.%N)
loaded=$(grep -o 'loaded [0-9]* jobs in [0-9.]* s' "$T/uchd.log") || die "no load line in the log"
echo "# uchd: $loaded; start to ready: $(awk "BEGIN{print $ready - $start}") s"

t0=$(date +%s.%N)
api GET /v1/jobs >"$T/list.json"
t1=$(date +%s.%N)
[ "$(status)" = 200 ] || die "list: $(status)"
[ "$(jq '.jobs | length' "$T/list.json")" = 10000 ] ||
  die "listed $(jq '.jobs | length' "$T/list.json") jobs"
[ "$(jq -r '.jobs[0].id' "$T/list.json")" = done-09999 ] || die "not newest first"
[ "$(jq -r '.jobs[-1].id' "$T/list.json")" = done-00000 ] || die "oldest not last"
echo "# GET /v1/jobs of 10000: $(awk "BEGIN{print $t1 - $t0}") s"
pass "all 10000 jobs listed, newest first"

[ "$(api GET '/v1/jobs?state=failed' | jq '.jobs | length')" = 3333 ] ||
  die "failed filter: $(jq '.jobs | length' "$T/body")"
[ "$(job_field done-04242 .state)" = succeeded ] || die "get one"
api GET /metrics | grep -qx 'uch_jobs{state="succeeded",type="copy"} 3334' ||
  die "metrics: $(grep uch_jobs "$T/body")"
pass "filters, get and metrics over 10000 jobs"
