#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# uch-test: timeout=180
# A source across a network that goes away mid-copy and comes back: the
# copy reads nbd://127.0.0.1:PORT/ through UCH's reconnect filter
# (filters/reconnect.c, which, unlike nbdkit's retry filter, lets each
# connection carry many reads at once).  The server is killed (its
# connections die with it, which a cut of the link does not do: TCP
# outlives a short cut) while the job copies, and started again on the
# same port: the filter reopens its connections, the failed reads are
# sent again, and the copy succeeds, equal.  With the filter missing
# beside uch-job, a network source fails naming it.
source "$UCH_TOP/tests/lib/functions.sh"
require nbdkit
require jq

MIB=$((1024 * 1024))
make_sparse_image "$T/disk.img" $((64 * MIB)) 64     # all data
port=$(free_port)

# serve: nbdkit on 127.0.0.1:$port, its pid in $T/src.pid and $src
serve() {
  rm -f "$T/src.pid"
  nbdkit -r -f -i 127.0.0.1 -p "$port" -P "$T/src.pid" \
    file "file=$T/disk.img" >>"$T/nbdkit-src.log" 2>&1 &
  src=$!
  cleanup_add "kill $src 2>/dev/null"
  wait_for 10 test -s "$T/src.pid" ||
    die "nbdkit did not start: $(tail -3 "$T/nbdkit-src.log")"
}
serve
uchd_start

# held to 32 Mbit/s: 64 MiB take about 17 s
printf '{"type":"copy","id":"cut","limits":{"bandwidth":"32M"},"disks":[{"source":{"nbd":"nbd://127.0.0.1:%s/"},"destination":{"path":"%s"}}]}\n' \
  "$port" "$T/cut.img" >"$T/cut.json"
api POST /v1/jobs "$T/cut.json" >/dev/null
[ "$(status)" = 201 ] || die "submit: $(status) $(cat "$T/body")"
# under way (its first checkpoint), or ended (queued, just submitted, is
# neither)
under_way() {
  api GET /v1/jobs/cut >/dev/null
  case $(jq -r .state "$T/body") in
    queued) return 1 ;;
    running) [ "$(jq -r '.progress.bytes_done // 0' "$T/body")" -gt 0 ] ;;
  esac
}
wait_for 60 under_way || die "the copy never got under way: $(job_field cut .error)"
[ "$(jq -r .state "$T/body")" = running ] || die "the copy ended $(jq -r .state "$T/body") before the test cut it"
done_at_kill=$(jq -r .progress.bytes_done "$T/body")
kill -KILL "$(cat "$T/src.pid")"
# gone, its listening socket with it, before another binds the port:
# kill returns before the kernel has ended the process
wait "$src" 2>/dev/null || true
serve
st=$(job_wait cut 120)
[ "$st" = succeeded ] || die "after the source came back the copy ended $st: $(job_field cut .error)"
cmp "$T/disk.img" "$T/cut.img" || die "the copy after the reconnect differs"
pass "source killed at $((done_at_kill / MIB)) MiB and served again: succeeded, equal"
# the job's own tools, not the test's server
left() { worker_leftovers | grep -v -e "-P $T/src.pid " || true; }
[ -z "$(left)" ] || die "left running: $(left)"
pass "nothing left running"

# the filter missing: a uch-job copied without it beside it
mkdir -p "$T/bin"
cp "$UCH_BUILD/uch-job" "$T/bin/uch-job"
printf '{"type":"copy","id":"nofilter","disks":[{"source":{"nbd":"nbd://127.0.0.1:%s/"},"destination":{"path":"%s"}}]}\n' \
  "$port" "$T/nofilter.img" >"$T/nofilter.json"
if "$T/bin/uch-job" run --state-dir "$T/state-nf" --runtime-dir "$T/run-nf" \
     "$T/nofilter.json" >"$T/nofilter.out" 2>&1; then
  die "a copy without the reconnect filter succeeded"
fi
grep -q "uch-reconnect-filter.so" "$T/nofilter.out" ||
  die "the failure does not name the filter: $(cat "$T/nofilter.out")"
pass "the reconnect filter missing: the copy fails naming it"
