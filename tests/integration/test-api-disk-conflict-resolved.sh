#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Conflicts are decided on what a path resolves to, whatever the job
# type: a destination named through a symlink to another job's
# destination (the file there, or not yet there: a dangling link) is
# that destination; a convert's input disk is read (a domain XML's disks
# too), so no copy may write it; a volume is its device, so a path to the device clashes
# with a job naming the volume.  Each refused with 409 naming the field
# and the job, and leaving nothing behind.
source "$UCH_TOP/tests/lib/functions.sh"
require nbdkit
require jq
require losetup

slow_nbd_source slow 32 1M            # 32 MiB at 1 Mbit/s: running for minutes
mkdir "$T/by-id"
uchd_start --max-jobs 1 --volume-by-id-dir "$T/by-id"   # the rest queued

NBD="{\"nbd\":\"$SRC_URI\"}"

mkdir -p "$T/out"
[ "$(submit run "$(copy_json run "$NBD" "$T/out/a.img")")" = 201 ] ||
  die "first job: $(cat "$T/body")"
wait_for 20 job_in_state run running || die "not running"
wait_for 10 test -e "$T/out/a.img" || die "no destination file yet"

# a symlink to the running job's destination file
ln -s "$T/out/a.img" "$T/link-a.img"
[ "$(submit s1 "$(copy_json s1 "$NBD" "$T/link-a.img")")" = 409 ] ||
  die "destination through a symlink to a.img: $(status) $(cat "$T/body")"
conflict_refused s1 disks[0].destination.path run
pass "409 writing through a symlink to a running job's destination"

# a dangling symlink to a queued job's destination, not written yet
[ "$(submit q1 "$(copy_json q1 "$NBD" "$T/out/b.img")")" = 201 ] ||
  die "queued job: $(cat "$T/body")"
[ "$(job_field q1 .state)" = queued ] || die "q1 not queued"
[ ! -e "$T/out/b.img" ] || die "b.img exists already"
ln -s "$T/out/b.img" "$T/dangling.img"
ln -s ../dangling.img "$T/out/dangling-rel.img"     # relative, a chain
for l in "$T/dangling.img" "$T/out/dangling-rel.img"; do
  [ "$(submit s2 "$(copy_json s2 "$NBD" "$l")")" = 409 ] ||
    die "destination through dangling $l: $(status) $(cat "$T/body")"
  conflict_refused s2 disks[0].destination.path q1
done
pass "409 writing through a dangling symlink to a queued job's destination"

# a copy may not write the disk a convert reads
truncate -s 1M "$T/guest.img"
printf '{"type":"convert","id":"cv","name":"g1","input":{"disk":{"path":"%s","format":"raw"}},"output":{"local":{"dir":"%s"}}}' \
  "$T/guest.img" "$T/out" >"$T/cv.json"
api POST /v1/jobs "$T/cv.json" >/dev/null
[ "$(status)" = 201 ] || die "convert: $(status) $(cat "$T/body")"
ln -s "$T/guest.img" "$T/guest-link.img"
[ "$(submit c1 "$(copy_json c1 "$NBD" "$T/guest-link.img")")" = 409 ] ||
  die "writing the convert's input: $(status) $(cat "$T/body")"
conflict_refused c1 disks[0].destination.path cv
[ "$(submit c2 "$(copy_json c2 "{\"path\":\"$T/guest.img\"}" "$T/out/c2.img")")" = 201 ] ||
  die "reading the convert's input too: $(status) $(cat "$T/body")"
pass "409 writing a convert's input disk (reading it too is fine)"

# nor a disk a convert of a libvirt domain XML reads (named in the XML)
truncate -s 1M "$T/guest2.img"
cat >"$T/dom.xml" <<XML
<domain type='kvm'><name>g2</name><memory>1048576</memory><devices>
  <disk type='file' device='disk'><driver name='qemu' type='raw'/>
    <source file='guest2.img'/><target dev='vda' bus='virtio'/></disk>
</devices></domain>
XML
printf '{"type":"convert","id":"cx","name":"g2","input":{"libvirtxml":{"path":"%s"}},"output":{"local":{"dir":"%s"}}}' \
  "$T/dom.xml" "$T/out" >"$T/cx.json"
api POST /v1/jobs "$T/cx.json" >/dev/null
[ "$(status)" = 201 ] || die "convert of dom.xml: $(status) $(cat "$T/body")"
[ "$(submit c3 "$(copy_json c3 "$NBD" "$T/guest2.img")")" = 409 ] ||
  die "writing a disk of the domain XML: $(status) $(cat "$T/body")"
conflict_refused c3 disks[0].destination.path cx
pass "409 writing a disk a convert's domain XML names"

# a convert may not read what a copy writes
printf '{"type":"convert","id":"cv2","name":"g4","input":{"disk":{"path":"%s","format":"raw"}},"output":{"local":{"dir":"%s"}}}' \
  "$T/link-a.img" "$T/out" >"$T/cv2.json"
api POST /v1/jobs "$T/cv2.json" >/dev/null
[ "$(status)" = 409 ] || die "convert of a.img: $(status) $(cat "$T/body")"
conflict_refused cv2 input.disk.path run
pass "409 converting a disk a running copy writes"

# a volume is its device: an inplace job names the volume, a copy the
# device node (through another name)
if [ "$(id -u)" = 0 ] && truncate -s 1M "$T/vol.img" &&
   dev=$(losetup -f --show "$T/vol.img" 2>/dev/null); then
  cleanup_add "losetup -d $dev"
  VOL=0d1e2f3a-aaaa-4bbb-8ccc-0123456789ab
  ln -s "$dev" "$T/by-id/virtio-${VOL:0:20}"
  printf '{"type":"inplace","id":"ip","name":"g3","disks":[{"volume":"%s"}]}' \
    "$VOL" >"$T/ip.json"
  api POST /v1/jobs "$T/ip.json" >/dev/null
  [ "$(status)" = 201 ] || die "inplace: $(status) $(cat "$T/body")"
  ln -s "$dev" "$T/dev-link"
  [ "$(submit v1 "$(copy_json v1 "$NBD" "$T/dev-link")")" = 409 ] ||
    die "writing the inplace job's volume by its device: $(status) $(cat "$T/body")"
  conflict_refused v1 disks[0].destination.path ip
  [ "$(submit v2 "$(copy_json v2 "{\"path\":\"$dev\"}" "$T/out/v2.img")")" = 409 ] ||
    die "reading the inplace job's volume by its device: $(status) $(cat "$T/body")"
  conflict_refused v2 disks[0].source.path ip
  pass "409 using by its device a volume a queued inplace job writes"
else
  pass "# SKIP a volume needs root and a loop device"
fi

for j in cv cx c2 q1 ip run; do
  api POST /v1/jobs/$j/cancel >/dev/null
done
[ "$(job_wait run 30)" = cancelled ] || die "run: $(job_field run .state)"
[ ! -e "$T/out/b.img" ] || die "a queued job wrote its destination"
