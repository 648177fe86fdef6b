#!/usr/bin/env bash
# Every request in tests/requests/bad/ posted to a real uchd gets 400,
# error.code "invalid_request" and error.field as in its .field file, and
# none of them leaves anything under the state or runtime job dirs.
source "$UCH_TOP/tests/lib/functions.sh"
require curl
require jq

uchd_start
files=$T/files
request_corpus_files "$files"

n=0 failed=0
for req in "$UCH_TOP"/tests/requests/bad/*.json; do
  name=$(basename "$req" .json)
  want=$(head -n1 "${req%.json}.field")
  request_corpus_subst "$req" "$files" "$T/req.json"
  api POST /v1/jobs "$T/req.json" >"$T/resp.json"
  st=$(status)
  code=$(jq -r '.error.code // empty' "$T/resp.json" 2>/dev/null || true)
  field=$(jq -r '.error.field // ""' "$T/resp.json" 2>/dev/null || echo "(not JSON)")
  n=$((n + 1))
  if [ "$st" != 400 ] || [ "$code" != invalid_request ] || [ "$field" != "$want" ]; then
    echo "FAIL $name: status $st, code '$code', field '$field' (want 400, invalid_request, '$want'): $(head -c 300 "$T/resp.json")"
    failed=$((failed + 1))
  fi
  # The message must not echo a secret from the request back.
  if grep -q 's3cret\|hunter2' "$T/resp.json"; then
    echo "FAIL $name: response contains a secret"
    failed=$((failed + 1))
  fi
done
[ "$n" -ge 45 ] || die "only $n bad requests in the corpus"

left=$(find "$T/state/jobs" "$T/run/jobs" -mindepth 1 2>/dev/null | head -5 || true)
[ -z "$left" ] || die "rejected requests left files behind: $left"
# uchd is still serving after all that.
api GET /v1/jobs >/dev/null
[ "$(status)" = 200 ] || die "GET /v1/jobs: $(status) after the bad requests"

[ "$failed" -eq 0 ] || die "$failed of $n bad requests not rejected as expected"
pass "$n bad requests rejected with 400 and the right field"
