#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Every disk a convert reads or writes counts in the conflict check: its
# input disk, the .vmdk files a vmx names (relative to the vmx) and
# their extents, and the files virt-v2v will write into output.local or
# output.kubevirt (NAME-sdX, NAME.xml / NAME.yaml, NAME the request's or
# the vmx's displayName).  A copy writing any of them, by whatever name,
# is refused 409 naming its field and the convert; reading them is
# fine.  The converts stay queued behind a running copy (uchd's check
# treats queued and running jobs alike), so no virt-v2v is needed.
source "$UCH_TOP/tests/lib/functions.sh"
require nbdkit
require jq

slow_nbd_source slow 32 1M            # 32 MiB at 1 Mbit/s: running for minutes
uchd_start --max-jobs 1               # the rest queued

NBD="{\"nbd\":\"$SRC_URI\"}"

mkdir -p "$T/out" "$T/kv" "$T/vm"
[ "$(submit run "$(copy_json run "$NBD" "$T/out/a.img")")" = 201 ] ||
  die "first job: $(cat "$T/body")"
wait_for 20 job_in_state run running || die "not running"

# a disk a convert reads
truncate -s 1M "$T/guest.img"
[ "$(submit cv "{\"type\":\"convert\",\"id\":\"cv\",\"name\":\"g1\",
  \"input\":{\"disk\":{\"path\":\"$T/guest.img\"}},
  \"output\":{\"local\":{\"dir\":\"$T/out\"}}}")" = 201 ] ||
  die "convert of a disk: $(cat "$T/body")"
[ "$(submit c1 "$(copy_json c1 "$NBD" "$T/guest.img")")" = 409 ] ||
  die "writing the convert's disk: $(status) $(cat "$T/body")"
conflict_refused c1 disks[0].destination.path cv
pass "409 writing the disk a convert reads, naming the field and the job"

# its output files: g1-sdX and g1.xml in output.local.dir
ln -s out/g1-sdb "$T/to-g1-sdb"
for d in "$T/out/g1-sda" "$T/to-g1-sdb" "$T/out/g1.xml"; do
  [ "$(submit c2 "$(copy_json c2 "$NBD" "$d")")" = 409 ] ||
    die "writing $d: $(status) $(cat "$T/body")"
  conflict_refused c2 disks[0].destination.path cv
done
[ "$(submit c3 "{\"type\":\"convert\",\"id\":\"c3\",\"name\":\"g1\",
  \"input\":{\"disk\":{\"path\":\"$T/guest.img\"}},
  \"output\":{\"local\":{\"dir\":\"$T/out\"}}}")" = 409 ] ||
  die "a second convert of g1 into the same dir: $(status) $(cat "$T/body")"
conflict_refused c3 output.local.dir cv
pass "409 writing a file the convert will write into output.local.dir"

# a vmx: its vmdk (relative to the vmx), the vmdk's flat extent
truncate -s 1M "$T/vm/g-flat.vmdk"
cat >"$T/vm/g.vmdk" <<'VMDK'
# Disk DescriptorFile
version=1
CID=fffffffe
parentCID=ffffffff
createType="vmfs"

RW 2048 VMFS "g-flat.vmdk"
VMDK
cat >"$T/vm/g.vmx" <<'VMX'
.encoding = "UTF-8"
config.version = "8"
virtualHW.version = "14"
displayName = "g2"
guestOS = "debian11-64"
memSize = "1024"
scsi0.present = "TRUE"
scsi0.virtualDev = "pvscsi"
scsi0:0.present = "TRUE"
scsi0:0.fileName = "g.vmdk"
VMX
[ "$(submit cx "{\"type\":\"convert\",\"id\":\"cx\",
  \"input\":{\"vmx\":{\"path\":\"$T/vm/g.vmx\"}},
  \"output\":{\"kubevirt\":{\"dir\":\"$T/kv\"}}}")" = 201 ] ||
  die "convert of a vmx: $(cat "$T/body")"
[ "$(submit v1 "$(copy_json v1 "$NBD" "$T/vm/g.vmdk")")" = 409 ] ||
  die "writing the vmx's vmdk: $(status) $(cat "$T/body")"
conflict_refused v1 disks[0].destination.path cx
ln -s vm/g-flat.vmdk "$T/flat-link"
[ "$(submit v2 "$(copy_json v2 "$NBD" "$T/flat-link")")" = 409 ] ||
  die "writing the vmdk's extent: $(status) $(cat "$T/body")"
conflict_refused v2 disks[0].destination.path cx
pass "409 writing a vmdk a convert's vmx names, or its extent"

[ "$(submit v3 "$(copy_json v3 "$NBD" "$T/kv/g2-sda")")" = 409 ] ||
  die "writing the kubevirt output: $(status) $(cat "$T/body")"
conflict_refused v3 disks[0].destination.path cx
pass "409 writing a file the convert will write into output.kubevirt.dir (named by displayName)"

[ "$(submit r1 "$(copy_json r1 "{\"path\":\"$T/vm/g-flat.vmdk\"}" "$T/out/r1.img")")" = 201 ] ||
  die "reading the vmdk's extent too: $(status) $(cat "$T/body")"
pass "reading what a convert reads is fine"

for j in r1 cx cv run; do
  api POST /v1/jobs/$j/cancel >/dev/null
done
[ "$(job_wait run 30)" = cancelled ] || die "run: $(job_field run .state)"
for f in g1-sda g1.xml; do
  [ ! -e "$T/out/$f" ] || die "a refused copy wrote $f"
done
