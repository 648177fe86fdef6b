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
