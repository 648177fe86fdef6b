#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# uch-test: slow
# uch-test: timeout=3600
# A server booted from an image (no volume for its root disk) migrated
# OpenStack -> OpenStack by migrate_wave.yml with uch_cloud: openstack,
# in projects of this test's own, uchimg-src and uchimg-dst (made as
# admin with a member user each, their clouds.yaml in the test's
# directory):
# - the UCH appliance booted in each project (as in the wave's test);
#   "imgvm" in uchimg-src booted from an image (a flavor of the image's
#   size), the Debian test guest with a line of this run's own
#   ("uch-imgvm TOKEN") added to /etc/issue (guestfish, on the host,
#   before the upload), with a data volume (random data), stopped;
# - discover_openstack takes it as movable: its first disk the root
#   from a snapshot (source.snapshot, the flavor's size, image_backed
#   and the image noted), then the data volume;
# - a wave saying the root is 1 GiB (the snapshot is 2): the volume from
#   the snapshot is refused, the wave fails naming imgvm, and both
#   projects are as they were (servers, volumes; no image of theirs);
# - the discovered file's wave: the server snapshotted, a volume made
#   from the snapshot and moved as the boot volume, the data volume
#   moved, a new "imgvm" in uchimg-dst boots from the copy, a volume
#   (its console shows the token line of /etc/issue and the login
#   prompt: the source's disk, as nothing in uchimg-dst has it), its data
#   volume equals the old one (read from Ceph); no snapshot image and no
#   temporary volume left in either project; the old server stopped
#   with its data volume back;
# - the wave again changes nothing (no second snapshot) and reports the
#   same.
# Phase times go to build/test-logs/cloud-os-image-backed.figures.
source "$UCH_TOP/tests/lib/functions.sh"
source "$UCH_TOP/tests/lib/cloud.sh"
source "$UCH_TOP/tests/lib/appliances.sh"   # ansible_setup
require ssh-keygen
require ansible-playbook
require guestfish
require jq
require curl
cloud_require
# guestfish under TCG: nested KVM aborts qemu on the build machines
export LIBGUESTFS_BACKEND_SETTINGS=force_tcg
COLL=$UCH_TOP/ansible/ansible_collections/uch/appliance
figures=$UCH_BUILD/test-logs/cloud-os-image-backed.figures
: >"$T/figures"
fig() { echo "$1=$2" >>"$T/figures"; }
pass() { echo "ok - $* [${SECONDS}s]"; }

"$UCH_TOP/image-build/build-debian" >"$T/built" 2>"$T/build.log" ||
  { tail -30 "$T/build.log"; die "image build failed"; }
appliance_image=$(head -1 "$T/built")
guest_image=$("$UCH_TOP/tests/guests/make-debian.sh" qcow2 2>"$T/guest.log") ||
  { tail -20 "$T/guest.log"; die "no Debian test guest"; }
head -c $((64 * 1024 * 1024)) /dev/urandom >"$T/data.img"
# the guest with this run's line in /etc/issue (agetty prints it before
# the login prompt on the serial console)
mark=$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')
t0=$(date +%s)
{
  qemu-img create -q -f qcow2 -F qcow2 -b "$guest_image" "$T/marked-ov.qcow2" &&
    guestfish --rw --format=qcow2 -a "$T/marked-ov.qcow2" -i \
      write-append /etc/issue "uch-imgvm $mark"$'\n' &&
    qemu-img convert -O qcow2 "$T/marked-ov.qcow2" "$T/imgvm.qcow2" &&
    rm -f "$T/marked-ov.qcow2"
} >"$T/mark.log" 2>&1 || { cat "$T/mark.log"; die "cannot write the guest's /etc/issue"; }
fig mark_written_s $(( $(date +%s) - t0 ))

CLOUD_PROJECTS="uchimg-src uchimg-dst"
cloud_projects_make() { cloud_make_projects; }
cloud_up
fig cloud_up_s "$CLOUD_UP_S"
pass "the cloud is up in ${CLOUD_UP_S}s; projects uchimg-src and uchimg-dst emptied"

# what either project holds: servers (status, volumes), volumes (name,
# status, servers), and the images it owns (a snapshot left behind)
clouds_now() {
  os_py <<'PY'
import json, openstack
out = {}
for cloud in ("uchimg-src", "uchimg-dst"):
    c = openstack.connect(cloud=cloud)
    out[cloud] = {
        "servers": {s.name: [s.status, sorted(a["id"] for a in s.attached_volumes or [])]
                    for s in c.compute.servers()},
        "volumes": {v.id: [v.name, v.status, sorted(a["server_id"] for a in v.attachments or [])]
                    for v in c.block_storage.volumes()},
        "images": sorted("%s %s" % (i.name, i.id)
                         for i in c.image.images(owner=c.current_project_id))}
print(json.dumps(out, indent=1, sort_keys=True))
PY
}
# the images of either project, from an earlier run cut short
os_py <<'PY' >"$T/wipe-images.log" 2>&1 || { cat "$T/wipe-images.log"; die "cannot delete the projects' images"; }
import openstack
for cloud in ("uchimg-src", "uchimg-dst"):
    c = openstack.connect(cloud=cloud)
    for i in c.image.images(owner=c.current_project_id):
        c.image.delete_image(i)
PY

token=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
ssh-keygen -q -t ed25519 -N '' -f "$T/id_controller"
appliance_user_data "$T/id_controller.pub" "$token" >"$T/user-data"

start=$(date +%s)
os_py "$appliance_image" "$T/imgvm.qcow2" "$T/data.img" "$T/user-data" "$T/ids" "$mark" \
  <<'PY' >"$T/sdk.log" 2>&1 ||
import base64, os, sys, time
import openstack
app_img, guest_img, data_img, user_data, out, mark = sys.argv[1:7]
admin = openstack.connect(cloud="uchos")
src = openstack.connect(cloud="uchimg-src")
dst = openstack.connect(cloud="uchimg-dst")
t0 = time.time()
def step(what):
    print("%s_s %.0f" % (what, time.time() - t0), flush=True)
# by the cached files' names, as the wave's test does: the same
# files are the same images on a shared cloud
def key(f):
    return os.path.basename(os.path.dirname(f)) + "-" + os.path.basename(f)
imgs = {}
for name, f, fmt, meta in (("uch-appliance", app_img, "qcow2", {}),
                           ("debian", guest_img, "qcow2", {"os_shutdown_timeout": "0"}),
                           ("data", data_img, "raw", {})):
    iname = "uch-test-" + (key(f) if name == "uch-appliance" else "%s-%s" % (name, mark))
    imgs[name] = admin.image.find_image(iname) or admin.create_image(
        iname, filename=f, disk_format=fmt, container_format="bare",
        visibility="public", meta=meta, wait=True)
    imgs[name] = admin.image.get_image(imgs[name].id)
step("images_uploaded")
# a flavor of the guest image's size: the root disk the wave moves
# (512 MiB of RAM: the Debian guest needs no more, the machine is shared)
gib = -(-int(imgs["debian"].virtual_size or 2 << 30) // (1 << 30))
fname = "uch.imgboot-%d" % gib
flavor = admin.compute.find_flavor(fname) or admin.compute.create_flavor(
    name=fname, ram=512, vcpus=1, disk=gib, is_public=True)
net = admin.network.find_network("uchos-net")
ud = base64.b64encode(open(user_data, "rb").read()).decode()
appl = {}
for conn, name in ((src, "uchimg-src-appliance"), (dst, "uchimg-dst-appliance")):
    appl[name] = conn.compute.create_server(
        name=name, image_id=imgs["uch-appliance"].id,
        flavor_id=conn.compute.find_flavor("uch.appliance").id,
        networks=[{"uuid": net.id}], config_drive=True, user_data=ud)
data = src.block_storage.create_volume(name="imgvm-data", size=1, image_id=imgs["data"].id)
data = src.block_storage.wait_for_status(data, "available", failures=["error"], wait=900)
step("data_volume_available")
vm = src.compute.create_server(
    name="imgvm", image_id=imgs["debian"].id, flavor_id=flavor.id, networks=[{"uuid": net.id}],
    block_device_mapping=[
        {"boot_index": 0, "uuid": imgs["debian"].id, "source_type": "image",
         "destination_type": "local", "delete_on_termination": True},
        {"boot_index": -1, "uuid": data.id, "source_type": "volume",
         "destination_type": "volume", "delete_on_termination": False}])
vm = src.compute.wait_for_server(vm, wait=1200, interval=3)
src.compute.stop_server(vm)
vm = src.compute.wait_for_server(vm, status="SHUTOFF", wait=600, interval=3)
step("imgvm_stopped")
# this run's images: nothing boots from them again
for name in ("debian", "data"):
    admin.image.delete_image(imgs[name])
ips = {}
for name, s in appl.items():
    conn = src if "src" in name else dst
    s = conn.compute.wait_for_server(s, wait=1200, interval=3)
    ips[name] = [a["addr"] for n in s.addresses.values() for a in n][0]
step("appliances_active")
with open(out, "w") as f:
    f.write("%s %s %s %s %s %d\n" % (ips["uchimg-src-appliance"], ips["uchimg-dst-appliance"],
                                     vm.id, data.id, imgs["debian"].id, gib))
PY
  { cat "$T/sdk.log"; die "the set-up in the cloud failed"; }
grep '_s [0-9]' "$T/sdk.log" | sed 's/ /=/' >>"$T/figures"
read -r src_ip dst_ip vm_id data_id image_id root_gib <"$T/ids"
pass "appliances at $src_ip and $dst_ip; imgvm booted from image $image_id ($root_gib GiB, /etc/issue's line uch-imgvm $mark) with data volume $data_id, stopped; the image deleted"

for ip in "$src_ip" "$dst_ip"; do
  ready() { cloud_ssh "$T/id_controller" "$ip" test -f /var/lib/cloud/instance/boot-finished; }
  wait_for 1200 ready || die "no ssh to the appliance at $ip, or cloud-init never finished"
done
fig appliances_ssh_s $(( $(date +%s) - start ))
for ip in "$src_ip" "$dst_ip"; do
  code=$(cloud_run curl -sk -o /dev/null -w '%{http_code}' \
    -H "Authorization: Bearer $token" "https://$ip:10808/v1/health")
  [ "$code" = 200 ] || die "uchd at $ip: health over TLS with the token: $code"
done
pass "both appliances reachable by SSH, cloud-init done, uchd healthy"

# --- discovery --------------------------------------------------------------------
cat >"$T/inventory.hosts" <<INV
    src: {ansible_host: $src_ip, uch_export_address: $src_ip, uch_os_server: uchimg-src-appliance}
    dst: {ansible_host: $dst_ip, uch_os_server: uchimg-dst-appliance}
INV
ansible_setup uch_sources=src uch_destinations=dst
play() { # LOG ARGS...: ansible-playbook ARGS in the cloud's namespaces, its rc in $T/rc
  local log=$1; shift
  set +e
  cloud_run env OS_CLIENT_CONFIG_FILE="$CLOUD_YAML" HOME="$T" \
    ANSIBLE_CALLBACKS_ENABLED=ansible.posix.profile_tasks PROFILE_TASKS_TASK_OUTPUT_LIMIT=all \
    ansible-playbook "$@" >"$T/$log" 2>&1
  echo $? >"$T/rc"
  set -e
}
# (one port on openstack.network, uch_os_keep_nics=false: the source's
# MAC is its stopped server's still, on the one network both projects
# share here, where a member cannot set a MAC; test-cloud-osp-wave
# shows NICs kept, on a network of the destination's own)
wave() { # FILE LOG: migrate_wave.yml with the workloads file FILE
  play "$2" -i "$T/inventory.yml" "$COLL/playbooks/migrate_wave.yml" \
    -e "uch_workloads_file=$T/$1" -e uch_cloud=openstack -e uch_os_keep_nics=false \
    -e uch_os_source_cloud=uchimg-src -e uch_os_destination_cloud=uchimg-dst \
    -e "uch_psk_dir=$T/psk" -e "uch_report_dir=$T/reports"
}
play discover.log -i "$T/inventory.yml" "$COLL/playbooks/discover_openstack.yml" \
  -e uch_os_source_cloud=uchimg-src -e uch_wave=osimg1 -e "uch_workloads_file=$T/wave.yml" \
  -e '{"uch_discover_names": ["^imgvm$"]}'
[ "$(cat "$T/rc")" = 0 ] || { cat "$T/discover.log"; die "discover_openstack failed"; }
os_py "$T/wave.yml" "$vm_id" "$data_id" "$image_id" "$root_gib" "$T/wave-bad.yml" <<'PY' >"$T/disc.log" 2>&1 ||
import sys, yaml
f, vm_id, data_id, image_id, gib, bad = sys.argv[1:7]
wl = yaml.safe_load(open(f))
assert [v["name"] for v in wl["vms"]] == ["imgvm"], wl["vms"]
vm = wl["vms"][0]
assert vm["checks"]["verdict"] == "ok", vm["checks"]
assert vm["openstack"]["server"] == vm_id and vm["openstack"]["image"] == image_id, vm["openstack"]
root, data = vm["disks"]
assert root["source"] == {"snapshot": True}, root
assert root["size"] == int(gib) << 30, root
# (its image deleted: no image_metadata to read from it)
assert root["openstack"] == {"image_backed": True, "image": image_id, "image_metadata": {}}, root
assert data["source"] == {"volume": data_id} and data["size"] == 1 << 30, data
# the wave that fails: the root said to be 1 GiB, smaller than the snapshot
wl["wave"] = "osimgbad"
root["size"] = 1 << 30
yaml.safe_dump(wl, open(bad, "w"), sort_keys=False)
print("disks", root["name"], data["name"])
PY
  { cat "$T/disc.log"; cat "$T/wave.yml"; die "discovery did not list imgvm as movable from a snapshot"; }
read -r _ root_disk data_disk < <(grep '^disks ' "$T/disc.log")
pass "discover_openstack lists imgvm as movable: its root from a snapshot ($root_gib GiB, image-backed, image noted), then its data volume"

# --- a wave that fails: both projects as they were ----------------------------------
clouds_now >"$T/clouds-before" || die "cannot read the clouds"
t0=$(date +%s)
wave wave-bad.yml wave-bad.log
[ "$(cat "$T/rc")" != 0 ] || { cat "$T/wave-bad.log"; die "a wave with a too small root succeeded"; }
jq -e '.vms[0] | .name == "imgvm" and .state == "failed"' "$T/reports/osimgbad.json" >/dev/null ||
  { cat "$T/reports/osimgbad.json"; tail -60 "$T/wave-bad.log"; die "the report does not say imgvm failed"; }
grep -q 'Rollback: what the wave did in both clouds, undone from its ledger (imgvm)' "$T/wave-bad.log" ||
  { tail -80 "$T/wave-bad.log"; die "no rollback in the failed wave"; }
fig wave_failed_s $(( $(date +%s) - t0 ))
clouds_now >"$T/clouds-after" || die "cannot read the clouds"
diff -u "$T/clouds-before" "$T/clouds-after" ||
  { grep -E '^TASK|fatal|changed:|FAILED' "$T/wave-bad.log" | tail -60; die "the failed wave left the projects changed"; }
pass "the wave with a too small root failed ($(jq -r '.vms[0].error' "$T/reports/osimgbad.json" | head -c 200)); both projects as they were, no snapshot left"

# --- the wave -----------------------------------------------------------------------
load_before=$(cut -d' ' -f1 /proc/loadavg)
t0=$(date +%s)
wave wave.yml wave1.log
[ "$(cat "$T/rc")" = 0 ] || { cat "$T/wave1.log"; die "the wave failed"; }
fig wave_s $(( $(date +%s) - t0 ))
fig wave_load "$load_before-$(cut -d' ' -f1 /proc/loadavg)"
cp "$T/wave1.log" "$UCH_BUILD/test-logs/cloud-os-image-backed.wave1.log"
pass "the wave ran ($(( $(date +%s) - t0 )) s)"

os_py "$vm_id" "$data_id" "$mark" "$root_disk" "$data_disk" <<'PY' >"$T/check.log" 2>&1 || { cat "$T/check.log"; die "the migrated server is not as it should be"; }
import hashlib, sys, time
import openstack, rados, rbd
vm_id, data_id, mark, root_disk, data_disk = sys.argv[1:6]
src = openstack.connect(cloud="uchimg-src")
dst = openstack.connect(cloud="uchimg-dst")
new = dst.compute.find_server("imgvm")
assert new, "no server imgvm in the destination project"
new = dst.compute.wait_for_server(new, wait=600, interval=3)
vols = {v.name: v for v in dst.block_storage.volumes()}
new_root, new_data = vols["osimg1-imgvm-" + root_disk], vols["osimg1-imgvm-" + data_disk]
att = {a.volume_id for a in dst.compute.volume_attachments(new)}
assert att == {new_root.id, new_data.id}, ("new server's volumes", att)
assert not (new.image and new.image.id), ("the new server boots from an image", new.image)
old = src.compute.get_server(vm_id)
assert old.status == "SHUTOFF", ("old server", old.status)
assert {a.volume_id for a in src.compute.volume_attachments(old)} == {data_id}, "old server's volumes"
# nothing of the wave's left: no image of either project, no -src volume
for c in (src, dst):
    left = [i.name for i in c.image.images(owner=c.current_project_id)]
    assert not left, ("images left", c.current_project_id, left)
left = [v.name for v in src.block_storage.volumes() if v.name.endswith("-src")]
assert not left, ("temporary volumes left in the source", left)
line = "uch-imgvm " + mark
end = time.time() + 900
while True:
    out = dst.compute.get_server_console_output(new).get("output") or ""
    if line in out and "login:" in out.split(line, 1)[1]:
        break
    assert time.time() < end, "the new server shows no %r before a login prompt:\n%s" % (line, out[-2000:])
    time.sleep(5)
r = rados.Rados(conffile="/etc/ceph/ceph.conf"); r.connect()
io = r.open_ioctx("volumes")
def digest(vid):
    with rbd.Image(io, "volume-" + vid, read_only=True) as img:
        h = hashlib.sha256(); off = 0; size = img.size()
        while off < size:
            n = min(4 << 20, size - off); h.update(img.read(off, n)); off += n
        return h.hexdigest()
assert digest(data_id) == digest(new_data.id), "the data volume differs"
print("ok", new.id, new_root.id, new_data.id)
PY
pass "imgvm in uchimg-dst boots from the copy of its root (console: uch-imgvm $mark, then the login prompt); its data volume equals the old one; no snapshot image nor temporary volume left; the old server stopped with its data volume"

cp "$T/reports/osimg1.json" "$T/report1.json"
t0=$(date +%s)
wave wave.yml wave2.log
[ "$(cat "$T/rc")" = 0 ] || { cat "$T/wave2.log"; die "the second run of the wave failed"; }
if grep -qE ' changed=[1-9]' "$T/wave2.log"; then
  sed -n '/PLAY RECAP/,$p' "$T/wave2.log"; die "the rerun changed something"
fi
cmp <(jq -S 'del(.generated_at)' "$T/report1.json") <(jq -S 'del(.generated_at)' "$T/reports/osimg1.json") ||
  die "the rerun's report differs"
clouds_now >"$T/clouds-end" || die "cannot read the clouds"
jq -e '[."uchimg-src".images, ."uchimg-dst".images] == [[], []]' "$T/clouds-end" >/dev/null ||
  die "images left after the rerun: $(jq -c '[."uchimg-src".images, ."uchimg-dst".images]' "$T/clouds-end")"
fig wave_rerun_s $(( $(date +%s) - t0 ))
pass "the wave again: nothing changed, no snapshot, the same report"

cp "$T/figures" "$figures"
cloud_wipe >"$T/wipe-end.log" 2>&1 || { cat "$T/wipe-end.log"; die "deleting the test's servers and volumes failed"; }
cloud_down_checked
pass "the cloud is down, nothing left"
cat "$T/figures"
