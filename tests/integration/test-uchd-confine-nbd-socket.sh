#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# An NBD URI's socket= (nbd+unix) is a path the job reads from: the
# confinement policy judges it as a source (issue 14).  A socket
# outside source_root, uchd's own API socket and any socket in its
# runtime dir (another job's servers) are refused with 403
# forbidden_path naming the field; a socket under source_root is read;
# a running export's own socket (the appliance copying from its own
# export) is read, and refused once the export has ended.
source "$UCH_TOP/tests/lib/functions.sh"
require nbdkit
require jq

uchd_start_confined "$T/images"

make_sparse_image "$T/images/disk.img" $((8 * 1024 * 1024)) 2

# serve NAME DIR: nbdkit's file plugin, read-only, on DIR/NAME.sock
serve() {
  nbdkit -r -f -U "$2/$1.sock" -P "$2/$1.pid" file "file=$T/images/disk.img" \
    >>"$T/nbdkit-$1.log" 2>&1 &
  cleanup_add "kill $!"
  wait_for 10 test -s "$2/$1.pid" || die "nbdkit $1 did not start"
}
serve out "$T/outside"
serve in "$T/images"

nbd() { printf '{"nbd":"nbd+unix:///?socket=%s"}' "$1"; }

[ "$(submit sout "$(copy_json sout "$(nbd "$T/outside/out.sock")" "$T/images/a.img")")" = 403 ] ||
  die "sout: $(status) $(cat "$T/body")"
forbidden_refused sout disks[0].source.nbd "$T/outside/out.sock is not under a folder allowed for files a job reads (source_root"
ln -s "$T/outside/out.sock" "$T/images/link.sock"
[ "$(submit slink "$(copy_json slink "$(nbd "$T/images/link.sock")" "$T/images/a.img")")" = 403 ] ||
  die "slink: $(status) $(cat "$T/body")"
forbidden_refused slink disks[0].source.nbd "$T/images/link.sock -> $T/outside/out.sock is not under"
[ "$(submit sapi "$(copy_json sapi "$(nbd "$UCH_SOCK")" "$T/images/a.img")")" = 403 ] ||
  die "sapi: $(status) $(cat "$T/body")"
forbidden_refused sapi disks[0].source.nbd "is in uchd's runtime dir"
[ "$(submit sinsp "{\"type\":\"inspect\",\"id\":\"sinsp\",\"disks\":[{\"source\":$(nbd "$T/outside/out.sock")}]}")" = 403 ] ||
  die "sinsp: $(status) $(cat "$T/body")"
forbidden_refused sinsp disks[0].source.nbd "is not under a folder allowed for files a job reads"
[ "$(submit skit "$(copy_json skit "{\"nbdkit\":{\"plugin\":\"nbd\",\"uri\":\"nbd+unix:///?socket=$T/outside/out.sock\"}}" "$T/images/a.img")")" = 403 ] ||
  die "skit: $(status) $(cat "$T/body")"
forbidden_refused skit disks[0].source.nbdkit.uri "is not under a folder allowed for files a job reads"

[ "$(submit sin "$(copy_json sin "$(nbd "$T/images/in.sock")" "$T/images/in.img")")" = 201 ] ||
  die "sin: $(status) $(cat "$T/body")"
[ "$(job_wait sin 60)" = succeeded ] || die "sin: $(job_field sin .error)"
cmp "$T/images/disk.img" "$T/images/in.img" || die "sin copied wrong"
pass "a socket under source_root is read"

# the appliance's own Unix export, read by a copy on the same appliance
[ "$(submit exp '{"type":"export","id":"exp","listen":{"unix":true},"disks":[{"source":{"path":"'"$T/images/disk.img"'"}}]}')" = 201 ] ||
  die "exp: $(status) $(cat "$T/body")"
wait_for 30 sh -c "curl -s --unix-socket '$UCH_SOCK' http://uch/v1/jobs/exp |
  jq -e '.phase == \"serving\" or .state != \"running\" and .state != \"queued\"' >/dev/null" ||
  die "exp never serving"
uri=$(job_field exp '.result.exports[0].uri')
[ "$uri" = "nbd+unix:///disk0?socket=$T/run/jobs/exp/nbd.sock" ] || die "export uri: $uri"
[ "$(submit own "$(copy_json own "{\"nbd\":\"$uri\"}" "$T/images/own.img")")" = 201 ] ||
  die "own: $(status) $(cat "$T/body")"
[ "$(job_wait own 60)" = succeeded ] || die "own: $(job_field own .error)"
cmp "$T/images/disk.img" "$T/images/own.img" || die "own copied wrong"
pass "a running export's own socket is read"
# its neighbour in the same runtime dir is not
[ "$(submit nbr "$(copy_json nbr "$(nbd "$T/run/jobs/exp/nbdkit.pid")" "$T/images/a.img")")" = 403 ] ||
  die "nbr: $(status) $(cat "$T/body")"
forbidden_refused nbr disks[0].source.nbd "is in uchd's runtime dir"
api POST /v1/jobs/exp/cancel >/dev/null
[ "$(job_wait exp 30)" = cancelled ] || die "exp not cancelled"
[ "$(submit gone "$(copy_json gone "{\"nbd\":\"$uri\"}" "$T/images/gone.img")")" = 403 ] ||
  die "gone: $(status) $(cat "$T/body")"
forbidden_refused gone disks[0].source.nbd "is in uchd's runtime dir"
# the test's own two servers aside
left=$(worker_leftovers | grep -v -e "-U $T/outside/out.sock " -e "-U $T/images/in.sock " || true)
[ -z "$left" ] || die "left running: $left"
