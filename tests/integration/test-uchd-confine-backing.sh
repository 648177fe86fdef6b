#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The confinement policy judges what a qcow2 image makes qemu open
# (issue 14): a source's or destination's backing file that is a json:
# name or a protocol (nbd:, http:) is refused with 403 forbidden_path
# naming the field and the rule; a file backing is resolved from the
# image's folder and must be under source_root like any file a job
# reads (inspect, convert and inplace jobs open the chain); a backing
# inside the roots is fine.  Images made by qemu-img itself.
source "$UCH_TOP/tests/lib/functions.sh"
require qemu-img
require nbdkit
require jq

mkdir -p "$T/by-id"
uchd_start_confined "$T/images" --volume-by-id-dir "$T/by-id"

( umask 077; echo "root-only secret" >"$T/outside/shadow" )
make_sparse_image "$T/outside/base.img" $((4 * 1024 * 1024)) 1
make_sparse_image "$T/images/base.img" $((4 * 1024 * 1024)) 1


# -u: qemu-img writes the name without opening it
qemu-img create -q -f qcow2 -u -F raw -b \
  "json:{\"driver\":\"raw\",\"file\":{\"driver\":\"file\",\"filename\":\"$T/outside/shadow\"}}" \
  "$T/images/json.qcow2" 4M
qemu-img create -q -f qcow2 -u -F raw -b nbd://127.0.0.1:9/x "$T/images/nbd.qcow2" 4M
qemu-img create -q -f qcow2 -u -F raw -b http://127.0.0.1:9/x.img "$T/images/http.qcow2" 4M
qemu-img create -q -f qcow2 -F raw -b "$T/outside/base.img" "$T/images/out.qcow2"
qemu-img create -q -f qcow2 -F raw -b ../outside/base.img "$T/images/rel-out.qcow2"
qemu-img create -q -f qcow2 -F qcow2 -b out.qcow2 "$T/images/chain.qcow2"
qemu-img create -q -f qcow2 -F raw -b base.img "$T/images/in.qcow2"

src() { printf '{"path":"%s"}' "$1"; }

[ "$(submit json "$(copy_json json "$(src "$T/images/json.qcow2")" "$T/images/x.img")")" = 403 ] ||
  die "json: $(cat "$T/body")"
forbidden_refused json disks[0].source.path "$T/images/json.qcow2 is a qcow2 image whose backing file is a json: name"
[ "$(submit nbd "$(copy_json nbd "$(src "$T/images/nbd.qcow2")" "$T/images/x.img")")" = 403 ] ||
  die "nbd: $(cat "$T/body")"
forbidden_refused nbd disks[0].source.path "backing file is 'nbd://127.0.0.1:9/x', a protocol name"
[ "$(submit out "$(copy_json out "$(src "$T/images/out.qcow2")" "$T/images/x.img")")" = 403 ] ||
  die "out: $(cat "$T/body")"
forbidden_refused out disks[0].source.path "whose backing file: $T/outside/base.img is not under a folder allowed for files a job reads (source_root"
[ "$(submit relout "$(copy_json relout "$(src "$T/images/rel-out.qcow2")" "$T/images/x.img")")" = 403 ] ||
  die "relout: $(cat "$T/body")"
forbidden_refused relout disks[0].source.path "-> $T/outside/base.img is not under"
[ "$(submit chain "$(copy_json chain "$(src "$T/images/chain.qcow2")" "$T/images/x.img")")" = 403 ] ||
  die "chain: $(cat "$T/body")"
forbidden_refused chain disks[0].source.path "$T/outside/base.img is not under"

# every job type that names an image: inspect, convert, inplace (its
# disk a destination: written, its backing read), export, and a copy's
# destination
[ "$(submit insp "{\"type\":\"inspect\",\"id\":\"insp\",\"disks\":[{\"source\":$(src "$T/images/json.qcow2")}]}")" = 403 ] ||
  die "insp: $(cat "$T/body")"
forbidden_refused insp disks[0].source.path "backing file is a json: name"
[ "$(submit conv "{\"type\":\"convert\",\"id\":\"conv\",\"name\":\"g\",\"input\":{\"disk\":{\"path\":\"$T/images/out.qcow2\"}},\"output\":{\"local\":{\"dir\":\"$T/images\"}}}")" = 403 ] ||
  die "conv: $(cat "$T/body")"
forbidden_refused conv input.disk.path "whose backing file: $T/outside/base.img is not under"
[ "$(submit inpl "{\"type\":\"inplace\",\"id\":\"inpl\",\"name\":\"g\",\"disks\":[{\"path\":\"$T/images/http.qcow2\",\"format\":\"qcow2\"}]}")" = 403 ] ||
  die "inpl: $(cat "$T/body")"
forbidden_refused inpl disks[0].path "backing file is 'http://127.0.0.1:9/x.img', a protocol name"
[ "$(submit exp "{\"type\":\"export\",\"id\":\"exp\",\"disks\":[{\"source\":$(src "$T/images/out.qcow2")}],\"listen\":{\"unix\":true}}")" = 403 ] ||
  die "exp: $(cat "$T/body")"
forbidden_refused exp disks[0].source.path "whose backing file: $T/outside/base.img is not under"
[ "$(submit dst "$(copy_json dst "$(src "$T/images/base.img")" "$T/images/nbd.qcow2")")" = 403 ] ||
  die "dst: $(cat "$T/body")"
forbidden_refused dst disks[0].destination.path "a protocol name"

# an attached volume holding a qcow2 (inspect opens it as one): its
# backing judged all the same (root only: a loop device stands in)
if [ "$(id -u)" = 0 ] && command -v losetup >/dev/null; then
  qemu-img create -q -f qcow2 -u -F raw -b nbd://127.0.0.1:9/x "$T/outside/vol.qcow2" 16M
  truncate -s 16M "$T/outside/vol.qcow2"
  if vol=$(losetup -f --show "$T/outside/vol.qcow2" 2>/dev/null); then
    cleanup_add "losetup -d $vol"
    ln -s "$vol" "$T/by-id/virtio-bkvol1"
    [ "$(submit ivol '{"type":"inspect","id":"ivol","disks":[{"source":{"volume":"bkvol1"}}]}')" = 403 ] ||
      die "ivol: $(status) $(cat "$T/body")"
    forbidden_refused ivol disks[0].source.volume "$vol is a qcow2 image whose backing file is 'nbd://127.0.0.1:9/x', a protocol name"
  fi
fi

# a backing inside the roots is an image like any other
[ "$(submit ok "$(copy_json ok "$(src "$T/images/in.qcow2")" "$T/images/ok.img")")" = 201 ] ||
  die "ok: $(status) $(cat "$T/body")"
[ "$(job_wait ok 60)" = succeeded ] || die "ok: $(job_field ok .error)"
pass "a qcow2 whose backing is in source_root is taken"
[ -z "$(worker_leftovers)" ] || die "left running: $(worker_leftovers)"
