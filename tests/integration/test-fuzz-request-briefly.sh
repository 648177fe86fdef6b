#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The request validator survives 20 s of libFuzzer (ASan+UBSan) starting
# from the seeds and the request corpus: no crash, leak or timeout.
source "$UCH_TOP/tests/lib/functions.sh"

fuzzer=$UCH_BUILD/fuzz/fuzz-request
[ -x "$fuzzer" ] || skip "$fuzzer not built (make $fuzzer; needs clang)"

mkdir -p "$T/corpus"
cp "$UCH_TOP"/tests/fuzz/seeds/* "$T/corpus/"
for f in "$UCH_TOP"/tests/requests/good/*.json "$UCH_TOP"/tests/requests/bad/*.json; do
  cp "$f" "$T/corpus/$(basename "$(dirname "$f")")-$(basename "$f")"
done

cd "$T"
rc=0
"$fuzzer" -max_total_time=20 -timeout=10 -rss_limit_mb=1024 \
  -dict="$UCH_TOP/tests/fuzz/request.dict" -artifact_prefix="$T/" \
  -print_final_stats=1 "$T/corpus" >"$T/fuzz.log" 2>&1 || rc=$?
tail -n 20 "$T/fuzz.log"

crashes=$(find "$T" -maxdepth 1 \( -name 'crash-*' -o -name 'leak-*' \
          -o -name 'timeout-*' -o -name 'oom-*' \))
if [ "$rc" -ne 0 ] || [ -n "$crashes" ]; then
  grep -A30 -m1 'ERROR\|deadly signal' "$T/fuzz.log" >&2 || true
  for c in $crashes; do
    echo "input that broke it ($c):" >&2
    od -c "$c" | head -20 >&2
  done
  die "fuzz-request failed (exit $rc)"
fi
grep -q '^Done [0-9]* runs' "$T/fuzz.log" || die "fuzzer did not finish its run"
pass "fuzz-request: $(grep -o '^Done [0-9]* runs' "$T/fuzz.log" | head -1)"
