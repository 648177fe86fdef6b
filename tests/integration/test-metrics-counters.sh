#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# uch-test: timeout=600
# /metrics as Prometheus judges it: each scrape parses with the
# Prometheus client library's own parser (Debian's
# python3-prometheus-client) and passes the exposition rules promtool's
# `check metrics` applies (HELP and TYPE for each family, counters named
# _total, histograms with cumulative buckets and +Inf = _count, no
# series twice); and no counter ever goes down, scraped again and again
# through a copy, a sync job's passes and cutover, a DELETE and a
# restart of uchd.  Jobs by final state and error code, job and pass
# durations, bytes per job type and the process metrics are there.
source "$UCH_TOP/tests/lib/functions.sh"
require curl
require jq
# Debian's python3, where python3-prometheus-client is
PY=/usr/bin/python3
"$PY" -c 'import prometheus_client.parser' 2>/dev/null ||
  skip "python3-prometheus-client not installed (make deps)"

# judge.py NOW [BEFORE]: NOW parses and passes the rules; no counter
# (nor histogram series) of BEFORE is lower or gone in NOW
cat >"$T/judge.py" <<'PY'
import sys, os, math
from prometheus_client.parser import text_string_to_metric_families

def families(path):
    text = open(path).read()
    out = {}
    errs = []
    helps, types = set(), set()
    for line in text.splitlines():
        if line.startswith("# HELP "):
            helps.add(line.split()[2])
        elif line.startswith("# TYPE "):
            types.add(line.split()[2])
    seen = set()
    for fam in text_string_to_metric_families(text):
        if fam.name not in helps and fam.name + "_total" not in helps:
            errs.append("%s: no HELP" % fam.name)
        if fam.type == "counter" and not all(s.name.endswith(("_total", "_created")) for s in fam.samples):
            errs.append("%s: a counter not named _total" % fam.name)
        if fam.type == "unknown":
            errs.append("%s: no TYPE" % fam.name)
        for s in fam.samples:
            key = (s.name, tuple(sorted(s.labels.items())))
            if key in seen:
                errs.append("%s%s twice" % key)
            seen.add(key)
            if math.isnan(s.value) or s.value < 0:
                errs.append("%s%s = %s" % (s.name, s.labels, s.value))
            out[key] = (fam.type, s.value)
        if fam.type == "histogram":
            b = sorted(((float(s.labels["le"]), s.value) for s in fam.samples
                        if s.name.endswith("_bucket")))
            counts = [v for _, v in b]
            if counts != sorted(counts):
                errs.append("%s: buckets not cumulative %s" % (fam.name, b))
            cnt = [s.value for s in fam.samples if s.name.endswith("_count")]
            if not b or b[-1][0] != math.inf or cnt != [b[-1][1]]:
                errs.append("%s: +Inf bucket %s, count %s" % (fam.name, b[-1:] , cnt))
    return out, errs

now, errs = families(sys.argv[1])
for e in errs:
    print("metrics:", e)
if len(sys.argv) > 2 and os.path.exists(sys.argv[2]):
    before, _ = families(sys.argv[2])
    for key, (typ, v) in before.items():
        # process_* are the process's own (its CPU time): they start
        # again with a new uchd, as in every client library
        if typ in ("counter", "histogram") and not key[0].startswith("process_"):
            if key not in now:
                errs.append(1); print("metrics: %s%s vanished" % key)
            elif now[key][1] < v:
                errs.append(1); print("metrics: %s%s went down, %s -> %s" % (key[0], dict(key[1]), v, now[key][1]))
sys.exit(1 if errs else 0)
PY

n=0
# scrape: /metrics into $T/m.N, judged; then no counter below the last
# scrape's (python, below)
scrape() {
  n=$((n + 1))
  curl -sf -D "$T/h" -o "$T/m.$n" --unix-socket "$UCH_SOCK" http://uch/metrics ||
    die "scrape $n failed"
  grep -qi '^Content-Type: text/plain; version=0.0.4' "$T/h" || die "content type: $(cat "$T/h")"
  "$PY" "$T/judge.py" "$T/m.$n" "$T/m.$((n - 1))" || die "scrape $n ($1): see above"
}
value() { # value SERIES-REGEX: the value in the last scrape
  grep -E "^$1 " "$T/m.$n" | awk '{print $2}'
}

head -c $((2 * 1024 * 1024)) /dev/urandom >"$T/src.img"
uchd_start --max-jobs 2
scrape start
[ "$(value uch_bytes_copied_total)" = 0 ] || die "bytes before any job: $(value uch_bytes_copied_total)"
# uchd just started may not have used a clock tick of CPU yet (0.00):
# its CPU seconds are a number, the rest more than nothing
v=$(value process_cpu_seconds_total)
[ -n "$v" ] && python3 -c 'import sys; sys.exit(not float(sys.argv[1]) >= 0)' "$v" ||
  die "process_cpu_seconds_total: '$v'"
for s in process_resident_memory_bytes process_virtual_memory_bytes \
         process_open_fds process_max_fds process_start_time_seconds; do
  v=$(value "$s")
  [ -n "$v" ] && python3 -c 'import sys; sys.exit(not float(sys.argv[1]) > 0)' "$v" ||
    die "$s: '$v'"
done
pass "the first scrape parses and passes the rules; process metrics there"

# a copy, scraped while it runs
printf '{"type": "copy", "id": "c1", "limits": {"bandwidth": "8M"}, "disks": [{"source": {"path": "%s"}, "destination": {"path": "%s"}}]}\n' \
  "$T/src.img" "$T/c1.img" >"$T/c1.json"
api POST /v1/jobs "$T/c1.json" >/dev/null; [ "$(status)" = 201 ] || die "c1: $(cat "$T/body")"
while [ "$(api GET /v1/jobs/c1 | jq -r .state)" != succeeded ]; do
  scrape "c1 running"
  [ "$(jq -r .state "$T/body")" != failed ] || die "c1 failed: $(cat "$T/body")"
  sleep 0.5
done
scrape "c1 done"
[ "$(value uch_bytes_copied_total)" -ge $((2 * 1024 * 1024)) ] || die "bytes after c1: $(value uch_bytes_copied_total)"
[ "$(value 'uch_jobs_finished_total\{type="copy",state="succeeded",code=""\}')" = 1 ] ||
  die "c1 not counted as finished: $(grep finished "$T/m.$n")"
[ "$(value uch_job_duration_seconds_count)" = 1 ] || die "job durations: $(grep duration "$T/m.$n")"
pass "a copy: $(value uch_bytes_copied_total) bytes, one copy succeeded, its duration ($n scrapes)"

# a sync job: two passes and the cutover; each pass restarts its
# progress, the counter does not
printf '{"type": "sync", "id": "s1", "disks": [{"source": {"path": "%s"}, "destination": {"path": "%s"}}]}\n' \
  "$T/src.img" "$T/s1.img" >"$T/s1.json"
api POST /v1/jobs "$T/s1.json" >/dev/null; [ "$(status)" = 201 ] || die "s1: $(cat "$T/body")"
passes() { api GET /v1/jobs/s1 | jq -r '(.result.passes // []) | length'; }
while [ "$(passes)" -lt 1 ]; do scrape "s1 pass 1"; sleep 0.3; done
echo '{"disks": [{"changed_extents": [[0, 1048576]]}]}' >"$T/pass.json"
api POST /v1/jobs/s1/sync "$T/pass.json" >/dev/null; [ "$(status)" = 202 ] || die "sync: $(cat "$T/body")"
while [ "$(passes)" -lt 2 ]; do scrape "s1 pass 2"; sleep 0.3; done
api POST /v1/jobs/s1/cutover "$T/pass.json" >/dev/null; [ "$(status)" = 202 ] || die "cutover: $(cat "$T/body")"
while [ "$(api GET /v1/jobs/s1 | jq -r .state)" = running ]; do scrape "s1 cutover"; sleep 0.3; done
[ "$(jq -r .state "$T/body")" = succeeded ] || die "s1: $(cat "$T/body")"
scrape "s1 done"
[ "$(value uch_pass_duration_seconds_count)" = 3 ] || die "pass durations: $(grep pass_duration "$T/m.$n")"
[ "$(value 'uch_job_bytes_total\{type="sync"\}')" -ge $((4 * 1024 * 1024)) ] ||
  die "sync bytes: $(grep job_bytes "$T/m.$n")"
pass "a sync job, 3 passes: $(value uch_bytes_copied_total) bytes, never down ($n scrapes)"

# a copy that fails: counted by its error code
printf '{"type": "copy", "id": "f1", "disks": [{"source": {"nbd": "nbd+unix:///?socket=%s"}, "destination": {"path": "%s"}}]}\n' \
  "$T/none.sock" "$T/f1.img" >"$T/f1.json"
api POST /v1/jobs "$T/f1.json" >/dev/null; [ "$(status)" = 201 ] || die "f1: $(cat "$T/body")"
[ "$(job_wait f1 60)" = failed ] || die "f1 did not fail"
code=$(api GET /v1/jobs/f1 | jq -r .error.code)
scrape "f1 failed"
[ "$(value "uch_jobs_finished_total\\{type=\"copy\",state=\"failed\",code=\"$code\"\\}")" = 1 ] ||
  die "f1 ($code): $(grep finished "$T/m.$n")"
pass "a failed copy counted by its code ($code)"

# DELETE, then a restart of uchd: nothing goes down
api DELETE /v1/jobs/c1 >/dev/null; [ "$(status)" = 204 ] || die "delete c1"
scrape "c1 deleted"
before=$(value uch_bytes_copied_total)
uchd_restart --max-jobs 2
scrape "uchd restarted"
[ "$(value uch_bytes_copied_total)" = "$before" ] ||
  die "bytes across the restart: $before -> $(value uch_bytes_copied_total)"
api DELETE /v1/jobs/s1 >/dev/null; [ "$(status)" = 204 ] || die "delete s1"
scrape "s1 deleted after the restart"
pass "DELETE and a restart of uchd: uch_bytes_copied_total stays $before; $n scrapes, no counter ever went down"

# It does judge: a scrape whose counter went down fails, and one whose
# histogram's +Inf bucket is not its count
sed -E 's/^uch_bytes_copied_total [0-9]+$/uch_bytes_copied_total 1/' "$T/m.$n" >"$T/down"
if "$PY" "$T/judge.py" "$T/down" "$T/m.$n" >"$T/judge.log"; then
  die "a counter that went down passed"
fi
grep -q 'uch_bytes_copied_total{} went down' "$T/judge.log" || die "judge: $(cat "$T/judge.log")"
sed -E 's/^uch_job_duration_seconds_count [0-9]+$/uch_job_duration_seconds_count 99/' "$T/m.$n" >"$T/hist"
if "$PY" "$T/judge.py" "$T/hist" >"$T/judge.log"; then
  die "a histogram whose count is not its +Inf bucket passed"
fi
grep -q 'uch_job_duration_seconds: +Inf bucket' "$T/judge.log" || die "judge: $(cat "$T/judge.log")"
pass "the judge judges: a counter down, a histogram's count off"
