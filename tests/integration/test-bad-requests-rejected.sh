#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Every request in tests/requests/bad/ posted to a real uchd gets 400,
# error.code "invalid_request" and error.field as in its .field file, and
# none of them leaves anything under the state or runtime job dirs.
source "$UCH_TOP/tests/lib/functions.sh"
require curl
require jq

uchd_start
files=$T/files
request_corpus_files "$files"

"$UCH_TOP/tests/lib/post-corpus.py" "$UCH_SOCK" "$UCH_TOP/tests/requests/bad" \
  "$files" >"$T/corpus.out" || true
cat "$T/corpus.out"
read -r n _ failed _ < <(tail -n1 "$T/corpus.out")
[ "$n" -ge 45 ] || die "only $n bad requests in the corpus"

left=$(find "$T/state/jobs" "$T/run/jobs" -mindepth 1 2>/dev/null | head -5 || true)
[ -z "$left" ] || die "rejected requests left files behind: $left"
# uchd is still serving after all that.
api GET /v1/jobs >/dev/null
[ "$(status)" = 200 ] || die "GET /v1/jobs: $(status) after the bad requests"

[ "$failed" -eq 0 ] || die "$failed of $n bad requests not rejected as expected"
pass "$n bad requests rejected with 400 and the right field"

# A password inside a URL: the answer points to password_file, and the
# password (hunter2) is in no answer, log or state.
api POST /v1/jobs "$UCH_TOP/tests/requests/bad/724-curl-url-password.json" >/dev/null
[ "$(status)" = 400 ] || die "curl URL with a password: $(status)"
jq -e '.error.field == "disks[0].source.nbdkit.url" and
       (.error.message | contains("password_file"))' "$T/body" >/dev/null ||
  die "curl URL with a password: $(cat "$T/body")"
secret_nowhere "a password in a URL" hunter2 "$T/uchd.log" "$T/body" "$T/corpus.out"
pass "a password in a URL: 400 pointing to password_file, shown nowhere"
