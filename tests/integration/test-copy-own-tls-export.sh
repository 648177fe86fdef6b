#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# A copy on the same appliance whose source is that appliance's own
# export over TCP with TLS-PSK (issue 14): the URI the export gives
# names its PSK file in uchd's runtime dir, which no request may name
# otherwise.  The copy takes the URI as it is and succeeds, equal; the
# PSK stays where the export made it (never in the copy's state, log or
# answers, never copied under a root); another file of that runtime dir
# is refused, and so is the PSK once the export has ended.
source "$UCH_TOP/tests/lib/functions.sh"
require nbdkit
require jq

uchd_start_confined "$T/images"
make_sparse_image "$T/images/disk.img" $((32 * 1024 * 1024)) 8

port=$(free_port)
[ "$(submit tls '{"type": "export", "id": "tls", "listen": {"tcp": "127.0.0.1:'"$port"'"},
  "disks": [{"source": {"path": "'"$T/images/disk.img"'"}}]}')" = 201 ] ||
  die "export: $(status) $(cat "$T/body")"
serving() { [ "$(job_field tls .phase)" = serving ] || ! job_in_state tls running; }
wait_for 30 serving || die "export never serving"
[ "$(job_field tls .phase)" = serving ] || die "export: $(job_field tls '{state,error}')"
uri=$(job_field tls '.result.exports[0].uri')
psk=$(job_field tls .result.tls_psk_file)
[ "$uri" = "nbds://uch@127.0.0.1:$port/disk0?tls-psk-file=$T/run/jobs/tls/tls.psk" ] ||
  die "export uri: $uri"
key=$(cut -d: -f2 "$psk")

[ "$(submit own "$(copy_json own "{\"nbd\":\"$uri\"}" "$T/images/own.img")")" = 201 ] ||
  die "own: $(status) $(cat "$T/body")"
[ "$(job_wait own 120)" = succeeded ] || die "own: $(job_field own .error)"
cmp "$T/images/disk.img" "$T/images/own.img" || die "the copy differs"
pass "a copy from the appliance's own TLS-PSK export succeeds, equal"
api GET /v1/jobs/own >"$T/own.out"
! grep -rqF "$key" "$T/state" "$T/images" "$T/secrets" "$T/own.out" "$T/uchd.log" ||
  die "the PSK shows in: $(grep -rlF "$key" "$T/state" "$T/images" "$T/secrets" "$T/own.out" "$T/uchd.log")"
[ "$(grep -rlF "$key" "$T/run" | sort | tr '\n' ' ')" = "$psk " ] ||
  die "the PSK was copied to: $(grep -rlF "$key" "$T/run")"
pass "the PSK stays in the export's runtime dir only"

# another file of the export's runtime dir, through the same field
[ "$(submit nbr "$(copy_json nbr "{\"nbd\":\"nbds://uch@127.0.0.1:$port/disk0?tls-psk-file=$T/run/jobs/tls/nbdkit.pid\"}" "$T/images/nbr.img")")" = 403 ] ||
  die "nbr: $(status) $(cat "$T/body")"
jq -e '.error.code == "forbidden_path" and .error.field == "disks[0].source.nbd" and
       (.error.message | contains("is in uchd'"'"'s runtime dir"))' "$T/body" >/dev/null ||
  die "nbr: $(cat "$T/body")"
[ ! -e "$T/state/jobs/nbr" ] || die "refused job nbr left files"
pass "nbr: 403 $(jq -r .error.message "$T/body")"

api POST /v1/jobs/tls/cancel >/dev/null
[ "$(job_wait tls 30)" = cancelled ] || die "export not cancelled"
[ "$(submit gone "$(copy_json gone "{\"nbd\":\"$uri\"}" "$T/images/gone.img")")" = 403 ] ||
  die "gone: $(status) $(cat "$T/body")"
jq -e '.error.code == "forbidden_path" and .error.field == "disks[0].source.nbd"' "$T/body" >/dev/null ||
  die "gone: $(cat "$T/body")"
pass "the export ended: its PSK file refused, $(jq -r .error.message "$T/body")"
[ -z "$(worker_leftovers)" ] || die "left running: $(worker_leftovers)"
