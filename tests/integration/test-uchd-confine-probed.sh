#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The confinement policy judges what an image other than a qcow2 makes
# qemu open when a job lets it probe the format (issue 14): virt-v2v -i
# disk without input.disk.format probes (qemu-img info, then qemu-nbd
# -f FORMAT), an inspect job opens a sparse vmdk (magic KDMV) as vmdk,
# and a libvirt domain XML's disk without <driver type> is probed.  A
# VMDK descriptor's extents (`RW 8 FLAT "/etc/shadow" 0`) are judged as
# the disk itself, its parentFileNameHint and a QED's backing file as
# sources: outside source_root, 403 forbidden_path naming the field; in
# it, the job is taken.  An OVA (virt-v2v -i ova opens the images in
# it) has each tar member's references judged, a link member refused.  Images made by qemu-img itself where it can.
source "$UCH_TOP/tests/lib/functions.sh"
require qemu-img
require jq

uchd_start_confined "$T/out"

( umask 077; echo "root-only secret" >"$T/outside/shadow" )
make_sparse_image "$T/outside/base.img" $((4 * 1024 * 1024)) 1
make_sparse_image "$T/images/base.img" $((4 * 1024 * 1024)) 1


convert_json() {
  printf '{"type":"convert","id":"%s","name":"g","input":{"disk":{"path":"%s"}},"output":{"local":{"dir":"%s"}}}' \
    "$1" "$2" "$T/out"
}

# A descriptor as qemu-img writes one, then its extent pointed elsewhere
qemu-img create -q -f vmdk -o subformat=monolithicFlat "$T/images/in.vmdk" 4M
grep -q '^RW .* FLAT "in-flat.vmdk" 0' "$T/images/in.vmdk" ||
  die "qemu-img wrote no FLAT extent: $(cat "$T/images/in.vmdk")"
sed 's|"in-flat.vmdk"|"/etc/shadow"|' "$T/images/in.vmdk" >"$T/images/shadow.vmdk"
sed "s|\"in-flat.vmdk\"|\"$T/outside/shadow\"|" "$T/images/in.vmdk" >"$T/images/out.vmdk"
# what qemu would do with it: a vmdk, whose data is that file
[ "$(qemu-img info --output=json "$T/images/out.vmdk" | jq -r .format)" = vmdk ] ||
  die "qemu-img does not take out.vmdk for a vmdk"
# qemu's probe needs no VMware comment: `version=1` after blank lines
printf '  \nversion=1\nCID=fffffffe\nparentCID=ffffffff\ncreateType="monolithicFlat"\nRW 8 FLAT "../outside/shadow" 0\n' \
  >"$T/images/bare.vmdk"
[ "$(qemu-img info --output=json "$T/images/bare.vmdk" | jq -r .format)" = vmdk ] ||
  die "qemu-img does not take bare.vmdk for a vmdk"
# a sparse vmdk (inspect opens it as vmdk) whose parent is outside
qemu-img create -q -f vmdk "$T/outside/parent.vmdk" 4M
qemu-img create -q -f vmdk -F vmdk -b "$T/outside/parent.vmdk" "$T/images/child.vmdk"
qemu-img create -q -f vmdk "$T/images/parent.vmdk" 4M
qemu-img create -q -f vmdk -F vmdk -b parent.vmdk "$T/images/child-in.vmdk"
# QED, backing outside and inside
qemu-img create -q -f qed -F raw -b "$T/outside/base.img" "$T/images/out.qed"
qemu-img create -q -f qed -u -F raw -b nbd://127.0.0.1:9/x "$T/images/nbd.qed" 4M
qemu-img create -q -f qed -F raw -b base.img "$T/images/in.qed"

[ "$(submit shadow "$(convert_json shadow "$T/images/shadow.vmdk")")" = 403 ] ||
  die "shadow: $(status) $(cat "$T/body")"
forbidden_refused shadow input.disk.path "$T/images/shadow.vmdk is a vmdk image whose extent: /etc/shadow is not under a folder allowed for files a job reads (source_root"
[ "$(submit outv "$(convert_json outv "$T/images/out.vmdk")")" = 403 ] ||
  die "outv: $(status) $(cat "$T/body")"
forbidden_refused outv input.disk.path "whose extent: $T/outside/shadow is not under"
[ "$(submit bare "$(convert_json bare "$T/images/bare.vmdk")")" = 403 ] ||
  die "bare: $(status) $(cat "$T/body")"
forbidden_refused bare input.disk.path "-> $T/outside/shadow is not under"
[ "$(submit outq "$(convert_json outq "$T/images/out.qed")")" = 403 ] ||
  die "outq: $(status) $(cat "$T/body")"
forbidden_refused outq input.disk.path "$T/images/out.qed is a qed image whose backing file: $T/outside/base.img is not under"
[ "$(submit nbdq "$(convert_json nbdq "$T/images/nbd.qed")")" = 403 ] ||
  die "nbdq: $(status) $(cat "$T/body")"
forbidden_refused nbdq input.disk.path "qed image whose backing file is 'nbd://127.0.0.1:9/x', a protocol name"

# inspect opens a KDMV file as vmdk: its parent is read
[ "$(submit insp "{\"type\":\"inspect\",\"id\":\"insp\",\"disks\":[{\"source\":{\"path\":\"$T/images/child.vmdk\"}}]}")" = 403 ] ||
  die "insp: $(status) $(cat "$T/body")"
forbidden_refused insp disks[0].source.path "vmdk image whose backing file: $T/outside/parent.vmdk is not under"
# a domain XML's disk without <driver type> is probed too
cat >"$T/images/dom.xml" <<XML
<domain type='kvm'><name>g</name><devices>
<disk type='file' device='disk'><source file='shadow.vmdk'/><target dev='vda'/></disk>
</devices></domain>
XML
[ "$(submit xml "{\"type\":\"convert\",\"id\":\"xml\",\"name\":\"g\",\"input\":{\"libvirtxml\":{\"path\":\"$T/images/dom.xml\"}},\"output\":{\"local\":{\"dir\":\"$T/out\"}}}")" = 403 ] ||
  die "xml: $(status) $(cat "$T/body")"
forbidden_refused xml input.libvirtxml.path "whose extent: /etc/shadow is not under"
# a copy's destination: an extent is written with it
cp "$T/images/out.vmdk" "$T/out/d.vmdk"
[ "$(submit dst "$(copy_json dst '{"path":"'"$T/images/base.img"'"}' "$T/out/d.vmdk")")" = 403 ] ||
  die "dst: $(status) $(cat "$T/body")"
forbidden_refused dst disks[0].destination.path "$T/out/d.vmdk is a vmdk image whose extent: $T/outside/shadow is not under a folder allowed for files a job writes"

# an OVA: virt-v2v -i ova opens the images in it (a tar's members: an
# OVA is a file, uchd refuses a folder), so what their headers name is
# judged; a name relative inside the OVA stays in it
ova_json() {
  printf '{"type":"convert","id":"%s","name":"g","input":{"ova":{"path":"%s"}},"output":{"local":{"dir":"%s"}}}' \
    "$1" "$2" "$T/out"
}
mkdir -p "$T/ova/abs" "$T/ova/climb" "$T/ova/link" "$T/ova/in"
printf '<?xml version="1.0"?><Envelope/>\n' >"$T/ova/g.ovf"
cp "$T/images/shadow.vmdk" "$T/ova/abs/disk1.vmdk"
sed 's|"/etc/shadow"|"../../etc/shadow"|' "$T/images/shadow.vmdk" >"$T/ova/climb/disk1.vmdk"
ln -s /etc/shadow "$T/ova/link/disk1.vmdk"
cp "$T/images/in.vmdk" "$T/images/in-flat.vmdk" "$T/ova/in/"
# as make-ova.sh makes them: a streamOptimized vmdk, whose embedded
# descriptor's extent is itself
qemu-img convert -q -O vmdk -o subformat=streamOptimized "$T/images/base.img" \
  "$T/ova/in/disk2.vmdk"
for o in abs climb link in; do
  cp "$T/ova/g.ovf" "$T/ova/$o/"
  tar --format=ustar -C "$T/ova/$o" -cf "$T/images/$o.ova" .
done
[ "$(submit ova1 "$(ova_json ova1 "$T/images/abs.ova")")" = 403 ] ||
  die "ova1: $(status) $(cat "$T/body")"
forbidden_refused ova1 input.ova.path "$T/images/abs.ova (OVA member ./disk1.vmdk) is a vmdk image whose extent: /etc/shadow is not under"
[ "$(submit ova2 "$(ova_json ova2 "$T/images/climb.ova")")" = 403 ] ||
  die "ova2: $(status) $(cat "$T/body")"
forbidden_refused ova2 input.ova.path "whose extent is '../../etc/shadow', outside the OVA"
[ "$(submit ova3 "$(ova_json ova3 "$T/images/link.ova")")" = 403 ] ||
  die "ova3: $(status) $(cat "$T/body")"
forbidden_refused ova3 input.ova.path "member ./disk1.vmdk is a link (to '/etc/shadow')"

# a compressed OVA is unpacked by virt-v2v before anything can judge it
gzip -c "$T/images/in.ova" >"$T/images/in.ova.gz"
[ "$(submit ova4 "$(ova_json ova4 "$T/images/in.ova.gz")")" = 400 ] ||
  die "ova4: $(status) $(cat "$T/body")"
jq -e '.error.code == "invalid_request" and .error.field == "input.ova.path" and
       (.error.message | contains("in.ova.gz is gzip-compressed: uchd cannot judge the images in it"))' \
  "$T/body" >/dev/null || die "ova4: $(cat "$T/body")"
[ ! -e "$T/state/jobs/ova4" ] || die "refused job ova4 left files"
pass "ova4: 400 $(jq -r .error.message "$T/body")"

# inside the roots: taken (the job itself is not waited for: cancelled)
for c in in.vmdk in.qed child-in.vmdk in.ova; do
  id=ok-${c//./-}
  if [ "$c" = child-in.vmdk ]; then
    body="{\"type\":\"inspect\",\"id\":\"$id\",\"disks\":[{\"source\":{\"path\":\"$T/images/$c\"}}]}"
  elif [ "$c" = in.ova ]; then
    body=$(ova_json "$id" "$T/images/$c")
  else
    body=$(convert_json "$id" "$T/images/$c")
  fi
  [ "$(submit "$id" "$body")" = 201 ] || die "$id: $(status) $(cat "$T/body")"
  api POST "/v1/jobs/$id/cancel" >/dev/null
  st=$(job_wait "$id" 120)
  case $st in
    cancelled|failed|succeeded) ;;
    *) die "$id: $st" ;;
  esac
  [ "$(job_field "$id" .error.code)" != forbidden_path ] ||
    die "$id: $(job_field "$id" .error)"
  pass "$c, its files in source_root, is taken ($st after cancel)"
done
[ -z "$(worker_leftovers)" ] || die "left running: $(worker_leftovers)"
