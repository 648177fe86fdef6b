#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# uch-test: slow
# uch-test: timeout=4200
# Seed 003 on the test cloud: an OpenStack -> OpenStack volume migration
# through migrate_wave.yml with uch_cloud: openstack, the collection's
# uch_os_* modules over Debian's openstacksdk (openstack.cloud 1.10, which
# Debian 12's ansible ships, refuses that openstacksdk: ansible/README.md).
# Source and destination "clouds" are two
# projects of the one test cloud (clouds.yaml entries uchos-src and
# uchos-dst): each sees only its own servers and volumes, which is what
# the role's steps rely on, and a second cloud would not fit the
# machine's memory with the guests.
# - the UCH appliance image in Glance, booted as a source appliance
#   (project uch-src) and a destination appliance (uch-dst), reachable by
#   SSH from the controller, healthy (the wave's uch_health);
# - a workload server "web01" in uch-src booted from a volume made from
#   the UEFI Debian test guest (tests/guests/make-debian.sh uefi: GPT,
#   an ESP, no BIOS boot code; its image says hw_firmware_type uefi,
#   hw_machine_type q35, which Cinder copies into the volume's
#   volume_image_metadata and Nova reads: OVMF), with a data volume
#   (random data), stopped; its flavor uch.web-src private to uchos-src,
#   a key pair uch-web-key (uchos-dst's user has one of the name),
#   metadata, tags (uch-test, web) and a description (issue 17, item 2);
#   "db01", ACTIVE, booted from a blank volume, with a 2 GiB data volume;
#   "img01", booted from an image (the 1 MiB blank one, a 1 GiB root
#   disk of its flavor's), stopped;
# - web01's workloads file is discover_openstack.yml's, filtered by the
#   tag "web" (items 5, 6): its volumes, the root's image_metadata,
#   flavor, key pair, metadata, tags, description and NIC as the API
#   has them; the team adds its maps (network, keep_ips, a storage map
#   rbd -> volume type uch-osp-fast in zone nova, the cloud's one zone,
#   named). The same file saying web01 needs 1 TiB of RAM fails the
#   wave's pre-flight naming openstack.flavor, before any other play;
# - the wave stops it, moves its data volume to the source appliance
#   (and a clone of its root volume: Nova does not detach that), creates
#   new volumes in uch-dst attached to the destination appliance, copies
#   over TLS-PSK, boots a new "web01" in uch-dst from the copies, and
#   gives the old volumes back to the old server;
# - web01's NIC kept (openstack.ports, as uch_os_discover records it,
#   keep_ips): the wave makes a port with its MAC and fixed IP on
#   uchos-dst-net (network_map uchos-net -> uchos-dst-net: a network on
#   physnet2 with the same addresses, standing for the destination
#   cloud's, where the MAC and IP the old server still holds on
#   uchos-net are free; tests/cloud/README.md) before it stops web01,
#   and boots the new server on it;
# - the new server boots under UEFI (its console shows "efi: EFI v..."
#   and the login prompt: its new root volume carries the image_metadata)
#   and its
#   data volume holds what the old one held (read from Ceph); on
#   uchos-dst-net it answers a ping at the old server's IP from the
#   MAC the old server had (the gateway's neighbour table, namespace
#   uchos-dst): the guest's own DHCP on the kept NIC; it has the
#   flavor that fits (uch.guest: uchos-dst sees no uch.web-src), the
#   old one's key pair name, metadata, tags and description, and its
#   volumes are of type uch-osp-fast in zone nova;
# - the same wave again changes nothing and reports the same, and there
#   is still one port of the wave's for web01;
# - web01 again, straight (bench/osp_wave_direct.py: the role's cloud
#   steps through openstacksdk, its jobs on uchd over HTTPS, no Ansible),
#   as wave osp1d to a new server web01-direct, after the wave's result
#   in uch-dst is deleted: it too boots under UEFI with the data
#   volume's bytes;
#   the wave's seconds against its seconds are the Ansible / direct
#   ratio (figures wave_s, wave_direct_s, wave_ansible_direct_ratio);
# - img01, found by name, movable from a snapshot (item 3), in a wave of
#   its own (osp3) killed (SIGKILL to ansible-playbook's process group:
#   the controller's crash) once its ledger has the end of the volume
#   made from the snapshot, run again and killed again as the new
#   server's create begins (Nova may have taken it: the rerun must find
#   it, not make a second), then run to its end (item 4): it finishes, and
#   counted through openstacksdk there is one img01 in uch-dst, ACTIVE
#   from its one volume on the wave's one port, no snapshot image in
#   either project, no temporary volume, nothing on the appliances;
# - a wave of db01 saying its data volume is 1 GiB: the new volume is
#   too small, the copy fails (both attempts), the wave fails naming it,
#   and both projects are as they were before it (servers, their status
#   and volumes; volumes, their status and servers; ports): the role's
#   rollback, which deletes the port it made for db01's NIC too.
# Phase times go to build/test-logs/cloud-osp-wave.figures.
source "$UCH_TOP/tests/lib/functions.sh"
source "$UCH_TOP/tests/lib/cloud.sh"
source "$UCH_TOP/tests/lib/appliances.sh"   # ansible_setup
require ssh-keygen
require ansible-playbook
require jq
require curl
require setsid
require qemu-img
cloud_require
# the Debian guest is built by guestfish: nested KVM aborts qemu on the
# build machines (docs/internals.md), as the other guest tests say
export LIBGUESTFS_BACKEND_SETTINGS=force_tcg
COLL=$UCH_TOP/ansible/ansible_collections/uch/appliance
figures=$UCH_BUILD/test-logs/cloud-osp-wave.figures
: >"$T/figures"
fig() { echo "$1=$2" >>"$T/figures"; }
pass() { echo "ok - $* [${SECONDS}s]"; }

"$UCH_TOP/image-build/build-debian" >"$T/built" 2>"$T/build.log" ||
  { tail -30 "$T/build.log"; die "image build failed"; }
appliance_image=$(head -1 "$T/built")
# web01 is the UEFI Debian guest (GPT, an ESP, no BIOS boot code),
# uploaded as qcow2 under its cached file's name
rc=0; uefi_raw=$("$UCH_TOP/tests/guests/make-debian.sh" uefi 2>"$T/guest.log") || rc=$?
[ $rc = 0 ] || { tail -20 "$T/guest.log"; die "no UEFI Debian guest ($rc)"; }
qemu-img convert -O qcow2 "$uefi_raw" "$T/uefi.qcow2"
head -c $((64 * 1024 * 1024)) /dev/urandom >"$T/data.img"
head -c $((1024 * 1024)) /dev/zero >"$T/blank.img"

cloud_up
fig cloud_up_s "$CLOUD_UP_S"
pass "the cloud is up in ${CLOUD_UP_S}s"

token=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
ssh-keygen -q -t ed25519 -N '' -f "$T/id_controller"
appliance_user_data "$T/id_controller.pub" "$token" >"$T/user-data"

start=$(date +%s)
os_py "$appliance_image" "$uefi_raw" "$T/uefi.qcow2" "$T/data.img" "$T/blank.img" \
  "$T/user-data" "$T/id_controller.pub" "$T/ids" <<'PY' >"$T/sdk.log" 2>&1 ||
import base64, os, sys, time
import openstack
from pylib.uchboot import boot_from_volumes
app_img, uefi_raw, uefi_img, data_img, blank_img, user_data, pub, out = sys.argv[1:9]
admin = openstack.connect(cloud="uchos")
src = openstack.connect(cloud="uchos-src")
dst = openstack.connect(cloud="uchos-dst")
t0 = time.time()
def step(what):
    print("%s_s %.0f" % (what, time.time() - t0), flush=True)
imgs = {}
# named after their cached files (which are named by their recipes'
# hashes): on a shared cloud an image of the name is the same file, and
# is reused (create_image would upload it again under the same name);
# "data" boots nothing (db01 sits in its firmware): Nova stops it at
# once; so does "uch-blank" (1 MiB of zeros, the discovery test's),
# img01's image
def key(f):
    return os.path.basename(os.path.dirname(f)) + "-" + os.path.basename(f)
uefi_meta = {"hw_firmware_type": "uefi", "hw_machine_type": "q35", "os_shutdown_timeout": "0"}
for name, iname, f, fmt, meta in (
        ("uch-appliance", "uch-test-" + key(app_img), app_img, "qcow2", {}),
        ("uefi", "uch-test-" + key(uefi_raw), uefi_img, "qcow2", uefi_meta),
        ("data", "uch-test-data-%d" % os.getpid(), data_img, "raw", {"os_shutdown_timeout": "0"}),
        ("blank", "uch-blank", blank_img, "raw", {"os_shutdown_timeout": "0"})):
    imgs[name] = admin.image.find_image(iname) or admin.create_image(
        iname, filename=f, disk_format=fmt, container_format="bare",
        visibility="public", meta=meta, wait=True)
step("images_uploaded")
# web01's flavor only uchos-src sees (the wave matches one in uchos-dst:
# uch.guest, of its size); img01's, public, with the 1 GiB root disk
# the wave moves from a snapshot; the volume type of the storage map,
# on the one RBD backend; web01's key pair, for each project's user
fl = next((f for f in admin.compute.flavors(is_public=None) if f.name == "uch.web-src"), None) or \
    admin.compute.create_flavor(name="uch.web-src", ram=768, vcpus=1, disk=0, is_public=False)
if src.current_project_id not in [a.get("tenant_id") for a in admin.compute.get_flavor_access(fl)]:
    admin.compute.flavor_add_tenant_access(fl, src.current_project_id)
assert dst.compute.find_flavor("uch.web-src") is None, "uchos-dst sees the private flavor"
img_flavor = admin.compute.find_flavor("uch.imgboot-1") or admin.compute.create_flavor(
    name="uch.imgboot-1", ram=512, vcpus=1, disk=1, is_public=True)
admin.block_storage.find_type("uch-osp-fast") or admin.block_storage.create_type(
    name="uch-osp-fast", extra_specs={"volume_backend_name": "rbd"})
for conn in (src, dst):
    if conn.compute.find_keypair("uch-web-key") is None:
        conn.compute.create_keypair(name="uch-web-key", public_key=open(pub).read().strip())
net = admin.network.find_network("uchos-net")
ud = base64.b64encode(open(user_data, "rb").read()).decode()
appl = {}
for conn, name in ((src, "uch-src-appliance"), (dst, "uch-dst-appliance")):
    appl[name] = conn.compute.create_server(
        name=name, image_id=imgs["uch-appliance"].id,
        flavor_id=conn.compute.find_flavor("uch.appliance").id,
        networks=[{"uuid": net.id}], config_drive=True, user_data=ud)
# img01, booted from an image (its root disk the flavor's), with no volume
img = src.compute.create_server(name="img01", image_id=imgs["blank"].id, flavor_id=img_flavor.id,
                                networks=[{"uuid": net.id}])
# the guest's own size (2 GiB): every byte goes through two TCG
# appliances over TLS-PSK, ~2 MB/s at load 19 (bench/README.md)
root = src.block_storage.create_volume(name="web01-root", size=2,
                                       image_id=imgs["uefi"].id)
data = src.block_storage.create_volume(name="web01-data", size=1,
                                       image_id=imgs["data"].id)
# db01, the VM whose copy fails: its data volume is 2 GiB, the wave says 1
db_root = src.block_storage.create_volume(name="db01-root", size=1,
                                          image_id=imgs["data"].id)
db_data = src.block_storage.create_volume(name="db01-data", size=2)
for v in (root, data, db_root, db_data):
    src.block_storage.wait_for_status(v, "available", failures=["error"], wait=900)
# Cinder copies the image's properties into the volume's
# volume_image_metadata, which Nova reads: OVMF
meta = src.block_storage.get_volume(root.id).volume_image_metadata or {}
assert meta.get("hw_firmware_type") == "uefi", ("web01's root volume's image metadata", meta)
step("workload_volumes_available")
# web01 as a team finds it: a private flavor, a key pair, metadata,
# tags (the discovery's filter) and a description
web = boot_from_volumes(src, "web01", fl, net, (root, data), wait=False, key_name="uch-web-key",
                        metadata={"role": "web", "owner": "uch"}, tags=["uch-test", "web"],
                        description="the web server")
db = boot_from_volumes(src, "db01", "uch.guest", net, (db_root, db_data), wait=False)
web = src.compute.wait_for_server(web, wait=1200, interval=3)
# web01 stopped, as the issue has it (and its TCG boot no longer takes
# CPU from the appliances'); db01 stays ACTIVE: the wave stops it, its
# failure's rollback starts it again; img01 stopped
src.compute.stop_server(web)
img = src.compute.wait_for_server(img, wait=1200, interval=3)
src.compute.stop_server(img)
db = src.compute.wait_for_server(db, wait=1200, interval=3)
web = src.compute.wait_for_server(web, status="SHUTOFF", wait=600, interval=3)
img = src.compute.wait_for_server(img, status="SHUTOFF", wait=600, interval=3)
step("workloads_active")
ips = {}
for name, s in appl.items():
    conn = src if "src" in name else dst
    s = conn.compute.wait_for_server(s, wait=1200, interval=3)
    ips[name] = [a["addr"] for n in s.addresses.values() for a in n][0]
step("appliances_active")
# the workloads' NICs, as the source has them (uch_os_discover's ports)
nics = []
for s in (web, db):
    pt, = src.network.ports(device_id=s.id)
    f, = pt.fixed_ips
    nics += [pt.mac_address, f["ip_address"]]
with open(out, "w") as f:
    f.write("%s %s %s %s %s %s %s %s\n" % (ips["uch-src-appliance"], ips["uch-dst-appliance"],
                                           root.id, data.id, db_root.id, db_data.id, img.id,
                                           " ".join(nics)))
PY
  { cat "$T/sdk.log"; cloud_errors; die "the set-up in the cloud failed"; }
grep '_s [0-9]' "$T/sdk.log" | sed 's/ /=/' >>"$T/figures"
read -r src_ip dst_ip root_id data_id db_root_id db_data_id img_id web_mac web_ip db_mac db_ip <"$T/ids"
pass "appliances at $src_ip (uch-src) and $dst_ip (uch-dst); web01 (UEFI) from volume $root_id with $data_id, its NIC $web_mac $web_ip on uchos-net, stopped; db01 ACTIVE; img01 ($img_id) from an image, stopped"

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
pass "both appliances reachable by SSH, cloud-init done, uchd healthy over TLS with the token from the config drive"

# --- the wave -----------------------------------------------------------------
# the appliances are guests of the cloud: ansible-playbook runs in its
# namespaces (the controller), the ansible.cfg and inventory of the other
# Ansible tests (tests/lib/appliances.sh)
cat >"$T/inventory.hosts" <<INV
    src: {ansible_host: $src_ip, uch_export_address: $src_ip, uch_os_server: uch-src-appliance}
    dst: {ansible_host: $dst_ip, uch_os_server: uch-dst-appliance}
INV
ansible_setup uch_sources=src uch_destinations=dst
ans() { # LOG ARGS...: ARGS in the cloud's namespaces, its rc in $T/rc
  local log=$1; shift
  set +e
  cloud_run env OS_CLIENT_CONFIG_FILE="$CLOUD_ST/clouds.yaml" HOME="$T" "$@" >"$T/$log" 2>&1
  echo $? >"$T/rc"
  set -e
}
# WAVE: migrate_wave.yml's command line for the workloads file WAVE.yml
# (profile_tasks: each task's time in the log, bench/README.md)
wave_cmd() {
  echo ANSIBLE_CALLBACKS_ENABLED=ansible.posix.profile_tasks PROFILE_TASKS_TASK_OUTPUT_LIMIT=all \
    ansible-playbook -i "$T/inventory.yml" "$COLL/playbooks/migrate_wave.yml" \
    -e "uch_workloads_file=$T/$1.yml" -e uch_cloud=openstack \
    -e uch_os_source_cloud=uchos-src -e uch_os_destination_cloud=uchos-dst \
    -e "uch_psk_dir=$T/psk" -e "uch_report_dir=$T/reports" -e "uch_ledger_dir=$T/ledger"
}
play() { # WAVE LOG: the wave WAVE.yml, its rc in $T/rc
  # shellcheck disable=SC2046  # wave_cmd's words, none with a space
  ans "$2" $(wave_cmd "$1")
}
discover() { # FILE LOG FILTER: discover_openstack.yml of uchos-src into FILE
  ans "$2" ansible-playbook -i "$T/inventory.yml" "$COLL/playbooks/discover_openstack.yml" \
    -e uch_os_source_cloud=uchos-src -e "uch_wave=${1%%-*}" -e "uch_workloads_file=$T/$1" -e "$3"
  [ "$(cat "$T/rc")" = 0 ] || { cat "$T/$2"; die "discover_openstack failed"; }
}

# --- the workloads file: discovery, then what the team decides ---------------
# web01 found by its tag "web" (db01 and img01 have none); the team
# maps uchos-net to uchos-dst-net (standing for the destination
# cloud's, where web01's MAC and IP are free), keeps the NICs' IPs and
# puts the disks on the volume type uch-osp-fast in zone nova (the
# cloud's one zone, named); web01's flavor uch.web-src is the source's
# own: the wave finds the one that fits in uchos-dst
t0=$(date +%s)
discover osp1-disc.yml discover-web.log '{"uch_discover_tags": ["web"]}'
fig discover_s $(( $(date +%s) - t0 ))
os_py "$T/osp1-disc.yml" "$T/wave.yml" "$T/wave.json" "$T/wave-bad.yml" \
  "$root_id" "$data_id" "$web_mac" "$web_ip" <<'PY' >"$T/disc.log" 2>&1 ||
import json, sys, yaml
disc, good, good_json, bad, root_id, data_id, mac, ip = sys.argv[1:9]
wl = yaml.safe_load(open(disc))
assert [v["name"] for v in wl["vms"]] == ["web01"], ("the tag took", [v["name"] for v in wl["vms"]])
vm = wl["vms"][0]
o = vm["openstack"]
assert vm["checks"]["verdict"] == "ok", vm["checks"]
assert [d["source"] for d in vm["disks"]] == [{"volume": root_id}, {"volume": data_id}], vm["disks"]
assert [d["size"] for d in vm["disks"]] == [2 << 30, 1 << 30], vm["disks"]
meta = vm["disks"][0]["openstack"]["image_metadata"]
assert meta.get("hw_firmware_type") == "uefi" and meta.get("hw_machine_type") == "q35", meta
assert (o["flavor"], o["key_name"], o["metadata"], o["tags"], o["description"]) == \
    ("uch.web-src", "uch-web-key", {"role": "web", "owner": "uch"}, ["uch-test", "web"],
     "the web server"), o
assert [(p["network"], p["mac"], [f["ip"] for f in p["fixed_ips"]]) for p in o["ports"]] == \
    [("uchos-net", mac, [ip])], o["ports"]
assert wl["openstack"]["storage_map"] == {"rbd": "rbd"}, wl["openstack"]
wl["openstack"].update(network_map={"uchos-net": "uchos-dst-net"}, keep_ips=True,
                       storage_map={"rbd": {"volume_type": "uch-osp-fast", "availability_zone": "nova"}})
yaml.safe_dump(wl, open(good, "w"), sort_keys=False)
json.dump(wl, open(good_json, "w"))
# what a user gets wrong: web01 said to need 1 TiB of RAM
wl["wave"] = "osp1bad"
vm["openstack"]["flavor_details"]["ram"] = 1048576
yaml.safe_dump(wl, open(bad, "w"), sort_keys=False)
print("disks", vm["disks"][0]["name"], vm["disks"][1]["name"])
PY
  { cat "$T/disc.log"; cat "$T/osp1-disc.yml"; die "discovery's workloads file of web01 is not what the API says"; }
read -r _ root_disk data_disk < <(grep '^disks ' "$T/disc.log")
pass "discover_openstack (tag web) wrote web01's workloads file: its volumes (root $root_disk with hw_firmware_type uefi), flavor uch.web-src, key pair, metadata, tags, description, NIC $web_mac $web_ip; the team's maps added"

# the pre-flight refuses what no flavor of the destination fits, naming
# the field, before anything moves
t0=$(date +%s)
play wave-bad bad.log
[ "$(cat "$T/rc")" != 0 ] || { cat "$T/bad.log"; die "the wave passed its pre-flight with no flavor that fits"; }
if grep -q '^PLAY \[Check the pool' "$T/bad.log"; then
  cat "$T/bad.log"; die "the wave went on after its pre-flight failed"
fi
sed -n 's/^fatal: \[localhost\]: FAILED! => //p' "$T/bad.log" >"$T/bad.json"
jq -r '.problems[] | "\(.vm // "")|\(.field)|\(.message)"' "$T/bad.json" >"$T/bad.got" ||
  { cat "$T/bad.log"; die "no failure of the pre-flight's task"; }
echo "web01|openstack.flavor|flavor uch.web-src: not in the flavor map, no such flavor in the destination project, and none there fits: the VM needs 1 vCPUs, 1048576 MiB RAM, 0 GiB disk" >"$T/bad.want"
diff -u "$T/bad.want" "$T/bad.got" || { cat "$T/bad.log"; die "the pre-flight's problems differ from those expected"; }
fig preflight_refused_s $(( $(date +%s) - t0 ))
pass "web01 said to need 1 TiB of RAM: the wave's pre-flight refuses it naming openstack.flavor (what it needs), no play after it"

load_before=$(cut -d' ' -f1 /proc/loadavg)
start=$(date +%s)
play wave wave1.log
[ "$(cat "$T/rc")" = 0 ] || { cat "$T/wave1.log"; die "the wave failed"; }
fig wave_s $(( $(date +%s) - start ))
fig wave_load "$load_before-$(cut -d' ' -f1 /proc/loadavg)"
cp "$T/wave1.log" "$UCH_BUILD/test-logs/cloud-osp-wave.wave1.log"
pass "the wave ran ($(( $(date +%s) - start )) s)"

# --- what a user sees -----------------------------------------------------------
# migrated NAME PREFIX: the new server NAME in uch-dst boots under UEFI
# (its kernel says "efi: EFI v...", then the login prompt) from the
# volumes PREFIX-ROOT, with PREFIX-DATA equal to the old data volume
# (ROOT and DATA: the disks' names, discovery's); the old web01 is
# stopped, with its volumes
migrated() {
  os_py "$root_id" "$data_id" "$1" "$2" "$root_disk" "$data_disk" <<'PY' >"$T/check.log" 2>&1 || { cat "$T/check.log"; return 1; }
import hashlib, sys, time
import openstack, rados, rbd
root_id, data_id, name, prefix, root_disk, data_disk = sys.argv[1:7]
src = openstack.connect(cloud="uchos-src")
dst = openstack.connect(cloud="uchos-dst")
new = dst.compute.find_server(name)
assert new, "no server %s in the destination project" % name
new = dst.compute.wait_for_server(new, wait=600, interval=3)
att = {a.volume_id for a in dst.compute.volume_attachments(new)}
vols = {v.name: v for v in dst.block_storage.volumes()}
new_root, new_data = vols[prefix + "-" + root_disk], vols[prefix + "-" + data_disk]
assert att == {new_root.id, new_data.id}, ("new server's volumes", att)
# find_server lists by name, and a server in a list without details
# has no status: read it whole
old = src.compute.get_server(src.compute.find_server("web01", ignore_missing=False))
old_att = {a.volume_id for a in src.compute.volume_attachments(old)}
assert old_att == {root_id, data_id}, ("old server's volumes", old_att)
assert old.status == "SHUTOFF", ("old server", old.status)
end = time.time() + 900
while "login:" not in (dst.compute.get_server_console_output(new).get("output") or ""):
    assert time.time() < end, "the new server shows no login prompt"
    time.sleep(5)
con = dst.compute.get_server_console_output(new).get("output") or ""
assert "efi: EFI v" in con, "the new server did not boot from UEFI:\n" + con[:3000]
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
}
migrated web01 osp1-web01 || die "the migrated server is not as it should be"
pass "web01 in uch-dst boots under UEFI (efi: EFI v...) from the copied root volume to its login prompt; its data volume equals the old one; the old server has its volumes back, stopped"

# what the wave carried over, as a user of uchos-dst sees it
os_py <<'PY' >"$T/carried.log" 2>&1 || { cat "$T/carried.log"; die "the migrated server lacks what the old one had"; }
import openstack
src = openstack.connect(cloud="uchos-src")
dst = openstack.connect(cloud="uchos-dst")
old = src.compute.get_server(src.compute.find_server("web01", ignore_missing=False).id)
new = dst.compute.get_server(dst.compute.find_server("web01", ignore_missing=False).id)
got = dict(flavor=new.flavor.original_name, key_name=new.key_name, metadata=dict(new.metadata),
           tags=sorted(new.tags or []), description=new.description)
# uch.guest: the smallest flavor of uchos-dst's with 1 vCPU and 768 MiB
want = dict(flavor="uch.guest", key_name="uch-web-key", metadata=dict(old.metadata),
            tags=sorted(old.tags), description=old.description)
assert want["metadata"] == {"role": "web", "owner": "uch"} and want["tags"] == ["uch-test", "web"], want
assert got == want, ("the new server", got, "wanted", want)
for a in dst.compute.volume_attachments(new):
    v = dst.block_storage.get_volume(a.volume_id)
    assert (v.volume_type, v.availability_zone) == ("uch-osp-fast", "nova"), \
        (v.name, v.volume_type, v.availability_zone)
    meta = v.volume_image_metadata or {}
    if v.is_bootable:
        assert meta.get("hw_firmware_type") == "uefi" and meta.get("hw_disk_bus") == "virtio", meta
print("ok")
PY
pass "web01 in uch-dst has flavor uch.guest (matched: uch.web-src is uchos-src's own), key pair uch-web-key, the old one's metadata, tags and description; its volumes of type uch-osp-fast in zone nova, the root with hw_firmware_type uefi"

# nic NAME MAC IP: the server NAME in uch-dst has one port, the wave's,
# on uchos-dst-net with MAC and IP; and answers there: a ping from the
# network's gateway (namespace uchos-dst) at IP, whose neighbour table
# then has MAC for it
nic() {
  os_py "$@" <<'PY' >"$T/nic.log" 2>&1 || { cat "$T/nic.log"; return 1; }
import sys
import openstack
name, mac, ip = sys.argv[1:4]
dst = openstack.connect(cloud="uchos-dst")
new = dst.compute.find_server(name, ignore_missing=False)
ports = list(dst.network.ports(device_id=new.id))
got = [(p.name, dst.network.get_network(p.network_id).name, p.mac_address,
        [f["ip_address"] for f in p.fixed_ips]) for p in ports]
assert got == [("osp1-web01-nic0", "uchos-dst-net", mac, [ip])], got
mine = [p.name for p in dst.network.ports() if p.name.startswith("osp1-web01-")]
assert mine == ["osp1-web01-nic0"], ("the wave's ports", mine)
print("ok", got)
PY
  local neigh end=$(( SECONDS + 600 ))
  # the guest has booted (its login prompt): its DHCP on the NIC may
  # still be under way
  # an ICMP echo (tests/cloud/ping.py: the machine has no ping(8))
  until cloud_run ip netns exec uchos-dst /usr/bin/python3 "$UCH_TOP/tests/cloud/ping.py" "$3"; do
    [ "$SECONDS" -lt "$end" ] || { echo "no answer from $3 on uchos-dst-net in 600 s"; return 1; }
    sleep 1
  done
  neigh=$(cloud_run ip netns exec uchos-dst ip neigh show "$3")
  case $neigh in
    *" lladdr $2 "*) ;;
    *) echo "uchos-dst's neighbour $3: $neigh, not $2"; return 1 ;;
  esac
}
nic web01 "$web_mac" "$web_ip" || die "the migrated server's NIC is not the old one's"
pass "web01 in uch-dst is on uchos-dst-net on the wave's one port, with the old MAC $web_mac and IP $web_ip, and answers a ping there from that MAC"

cp "$T/reports/osp1.json" "$T/report1.json"
start=$(date +%s)
play wave wave2.log
[ "$(cat "$T/rc")" = 0 ] || { cat "$T/wave2.log"; die "the second run of the wave failed"; }
if grep -qE ' changed=[1-9]' "$T/wave2.log"; then
  sed -n '/PLAY RECAP/,$p' "$T/wave2.log"; die "the rerun changed something"
fi
cmp <(jq -S 'del(.generated_at)' "$T/report1.json") <(jq -S 'del(.generated_at)' "$T/reports/osp1.json") ||
  die "the rerun's report differs"
fig wave_rerun_s $(( $(date +%s) - start ))
nic web01 "$web_mac" "$web_ip" || die "the rerun changed the migrated server's NIC"
pass "the wave again: nothing changed, the same report, one port for web01's NIC"

# --- the same migration straight, for the ratio -----------------------------------
# bench/osp_wave_direct.py: the role's cloud steps through openstacksdk
# from one process, waited for as the uch_os_* modules wait, and its
# jobs on the appliances' uchd over HTTPS with the token (the PSK put
# there over SSH, as uch_job does), no Ansible.  web01 again, under
# the wave name osp1d (volumes osp1d-web01-*, jobs osp1d-web01-*, the
# new server web01-direct); the first wave's new server and volumes in
# uch-dst are deleted first, so that it meets the destination as the
# wave did (and one more TCG guest would not fit beside the others)
os_py <<'PY' >"$T/undo.log" 2>&1 || { cat "$T/undo.log"; die "cannot delete the wave's result in uch-dst"; }
import openstack
dst = openstack.connect(cloud="uchos-dst")
s = dst.compute.find_server("web01", ignore_missing=False)
dst.compute.delete_server(s)
dst.compute.wait_for_delete(s, interval=2, wait=600)
vols = [v for v in dst.block_storage.volumes() if v.name.startswith("osp1-web01-")]
assert len(vols) == 2, [v.name for v in vols]
for v in vols:
    v = dst.block_storage.wait_for_status(v, "available", failures=["error"], interval=2, wait=300)
    dst.block_storage.delete_volume(v)
for v in vols:
    dst.block_storage.wait_for_delete(v, interval=2, wait=300)
# its port (Nova does not delete a port it did not make)
for p in dst.network.ports():
    if p.name.startswith("osp1-web01-"):
        dst.network.delete_port(p)
PY
# (the wave's disks: their image_metadata, UEFI's, set on the new root)
jq -n --arg src "$src_ip" --arg dst "$dst_ip" --arg token "$token" --arg key "$T/id_controller" \
  --slurpfile wl "$T/wave.json" '{
  wave: "osp1d",
  vm: {name: "web01",
       disks: $wl[0].vms[0].disks,
       openstack: {server: "web01", new_name: "web01-direct", flavor: "uch.guest", network: "uchos-net"}},
  source: {cloud: "uchos-src", appliance: "uch-src-appliance", address: $src},
  destination: {cloud: "uchos-dst", appliance: "uch-dst-appliance", address: $dst},
  token: $token, ssh_key: $key}' >"$T/direct.json"
# the source appliance's jobs and slots as the direct run meets them
# (an export stays queued while another job holds the one slot of a
# 1-vCPU appliance)
for path in health jobs; do
  cloud_run curl -sk -H "Authorization: Bearer $token" "https://$src_ip:10808/v1/$path" |
    jq -c 'if .slots then {slots} else [.jobs[] | {id, state, phase}] end' || true
done
load_before=$(cut -d' ' -f1 /proc/loadavg)
start=$(date +%s)
cloud_run env OS_CLIENT_CONFIG_FILE="$CLOUD_ST/clouds.yaml" \
  /usr/bin/python3 "$UCH_TOP/bench/osp_wave_direct.py" "$T/direct.json" >"$T/direct.out" 2>"$T/direct.log" ||
  { cat "$T/direct.log"; die "the direct migration failed"; }
fig wave_direct_s $(( $(date +%s) - start ))
fig wave_direct_load "$load_before-$(cut -d' ' -f1 /proc/loadavg)"
jq -r '.phases[] | "direct_\(.[0] | gsub(" "; "_"))_s=\(.[1])"' "$T/direct.out" >>"$T/figures"
cp "$T/direct.log" "$UCH_BUILD/test-logs/cloud-osp-wave.direct.log"
ratio=$(awk -F= '$1 == "wave_s" { a = $2 } $1 == "wave_direct_s" { d = $2 }
                 END { if (d > 0) printf "%.2f", a / d }' "$T/figures")
fig wave_ansible_direct_ratio "$ratio"
cp "$T/figures" "$figures"
migrated web01-direct osp1d-web01 || die "the server the direct migration made is not as it should be"
pass "web01 again, straight (bench/osp_wave_direct.py): $(grep wave_direct_s= "$T/figures" | cut -d= -f2) s against the wave's $(grep '^wave_s=' "$T/figures" | cut -d= -f2) s (Ansible / direct $ratio); web01-direct boots from its copies, its data volume equal"

# --- a VM booted from an image, its wave killed at a ledger record ---------------
# img01 (its root disk the flavor's, from an image), found by name:
# movable from a snapshot. Its wave, osp3, is killed (SIGKILL to
# ansible-playbook's whole process group: the controller's crash) once
# its ledger has the end of the temporary volume made from the snapshot
# (WAVE-VM-DISK-src), then run again: it finishes, and counted through
# openstacksdk nothing is duplicated or left
t0=$(date +%s)
discover osp3-disc.yml discover-img.log '{"uch_discover_names": ["^img01$"]}'
os_py "$T/osp3-disc.yml" "$T/osp3.yml" "$img_id" <<'PY' >"$T/disc3.log" 2>&1 ||
import sys, yaml
disc, out, img_id = sys.argv[1:4]
wl = yaml.safe_load(open(disc))
assert [v["name"] for v in wl["vms"]] == ["img01"], ("the name took", [v["name"] for v in wl["vms"]])
vm = wl["vms"][0]
assert vm["checks"]["verdict"] == "ok", vm["checks"]
assert vm["openstack"]["server"] == img_id, vm["openstack"]
assert [(d["source"], d["size"]) for d in vm["disks"]] == [({"snapshot": True}, 1 << 30)], vm["disks"]
wl["openstack"].update(network_map={"uchos-net": "uchos-dst-net"}, keep_ips=True)
yaml.safe_dump(wl, open(out, "w"), sort_keys=False)
print("disk", vm["disks"][0]["name"])
PY
  { cat "$T/disc3.log"; cat "$T/osp3-disc.yml"; die "discovery did not list img01 as movable from a snapshot"; }
read -r _ img_disk < <(grep '^disk ' "$T/disc3.log")
pass "discover_openstack (name ^img01\$) lists img01 as movable: its root ($img_disk, 1 GiB) from a snapshot"

# the wave in the background, in a session of its own (PLAY_PID: a
# kill of its group is the controller's crash)
play_bg() { # WAVE LOG
  # shellcheck disable=SC2046  # wave_cmd's words, none with a space
  setsid "$CLOUD" run "$CLOUD_ST" env OS_CLIENT_CONFIG_FILE="$CLOUD_ST/clouds.yaml" HOME="$T" \
    $(wave_cmd "$1") >"$T/$2" 2>&1 &
  PLAY_PID=$!
}
# a test cut short: its playbook, if still running, with it
# shellcheck disable=SC2016  # PLAY_PID of the moment, when the test ends
cleanup_add '[ -z "${PLAY_PID:-}" ] || kill -9 -- "-$PLAY_PID" 2>/dev/null || true'
L=$T/ledger/osp3/img01.json
# crash LOG WHAT JQ: img01's wave, killed once its ledger has a record
# JQ selects (WHAT, for a failure)
crash() {
  has() { [ -s "$L" ] && jq -e "[.records[] | select($3)] | length >= 1" "$L" >/dev/null 2>&1; }
  hit() { has "$@" || ! kill -0 "$PLAY_PID" 2>/dev/null; }
  play_bg osp3 "$1"
  wait_for 1800 hit "$@" || true
  kill -9 -- -"$PLAY_PID" 2>/dev/null || true
  wait "$PLAY_PID" 2>/dev/null || true
  PLAY_PID=
  has "$@" || { tail -40 "$T/$1"; die "the wave of img01 never reached $2"; }
}
crash osp3-crash.log "its volume made from the snapshot" \
  '.phase == "end" and .kind == "volume" and .op == "create" and (.ident.name | endswith("-src"))'
fig wave_img_crash_s $(( $(date +%s) - t0 ))
pass "img01's wave killed (its process group, SIGKILL) once its ledger has the volume made from the snapshot"
t0=$(date +%s)
crash osp3-crash2.log "the new server's create" '.phase == "begin" and .kind == "server" and .op == "create"'
fig wave_img_crash2_s $(( $(date +%s) - t0 ))
pass "its rerun killed again as the new server's create begins"
t0=$(date +%s)
play osp3 osp3.log
[ "$(cat "$T/rc")" = 0 ] || { cat "$T/osp3.log"; die "img01's wave did not finish after the crash"; }
fig wave_img_resumed_s $(( $(date +%s) - t0 ))
cp "$T/osp3.log" "$UCH_BUILD/test-logs/cloud-osp-wave.osp3.log"
os_py "$img_id" "$img_disk" <<'PY' >"$T/count3.log" 2>&1 ||
import sys
import openstack
img_id, disk = sys.argv[1:3]
src = openstack.connect(cloud="uchos-src")
dst = openstack.connect(cloud="uchos-dst")
old = src.compute.get_server(img_id)
assert old.status == "SHUTOFF", ("img01 in uchos-src", old.status)
# no snapshot image in either project, no temporary volume, nothing on
# the appliances
for c in (src, dst):
    left = [i.name for i in c.image.images(owner=c.current_project_id)]
    assert not left, ("images left", c.current_project_id, left)
left = [v.name for v in src.block_storage.volumes() if v.name.startswith("osp3-")]
assert not left, ("the wave's volumes left in the source", left)
for c, n in ((src, "uch-src-appliance"), (dst, "uch-dst-appliance")):
    a = list(c.compute.volume_attachments(c.compute.find_server(n, ignore_missing=False)))
    assert not a, ("volumes left on", n, [x.volume_id for x in a])
# one img01 in uchos-dst, ACTIVE, from its one volume; one port of the wave's
new = [s for s in dst.compute.servers() if s.name == "img01"]
assert len(new) == 1, ("servers img01 in uchos-dst", len(new))
new = dst.compute.get_server(new[0].id)
assert new.status == "ACTIVE", new.status
assert not (new.image and new.image.id), ("the new img01 boots from an image", new.image)
vols = [(v.name, [a["server_id"] for a in v.attachments]) for v in dst.block_storage.volumes()
        if v.name.startswith("osp3-")]
assert vols == [("osp3-img01-" + disk, [new.id])], ("the wave's volumes in uchos-dst", vols)
ports = [(p.name, p.device_id) for p in dst.network.ports() if p.name.startswith("osp3-")]
assert ports == [("osp3-img01-nic0", new.id)], ("the wave's ports", ports)
print("ok", new.id)
PY
  { cat "$T/count3.log"; cat "$L"; die "after the crash, the projects hold other than one migration of img01"; }
pass "its rerun finished: one img01 in uch-dst, ACTIVE from its one volume on the wave's one port; no snapshot image, no temporary volume, nothing left on the appliances, nothing duplicated"

# --- a VM whose copy fails: both clouds as they were ----------------------------
# db01's data volume is 2 GiB; the wave says 1, so its new volume is too
# small and the copy fails (twice: uch_vm_attempts)
cat >"$T/wave-fail.yml" <<WL
wave: osp2
openstack:
  network_map: {uchos-net: uchos-dst-net}
  keep_ips: true
vms:
  - name: db01
    disks:
      - name: root
        source: {volume: $db_root_id}
        size: $((1024 * 1024 * 1024))
      - name: data
        source: {volume: $db_data_id}
        size: $((1024 * 1024 * 1024))
    openstack:
      server: db01
      flavor: uch.guest
      network: uchos-net
      ports:
        - network: uchos-net
          mac: "$db_mac"
          fixed_ips: [{subnet: uchos-subnet, ip: $db_ip}]
          security_groups: []
WL
# what a user of either project sees: servers (status, volumes),
# volumes (name, status, servers) and ports (name, network, MAC, IPs,
# what they are bound to)
clouds_now() {
  os_py <<'PY'
import json, openstack
out = {}
for cloud in ("uchos-src", "uchos-dst"):
    c = openstack.connect(cloud=cloud)
    out[cloud] = {
        "servers": {s.name: [s.status, sorted(a["id"] for a in s.attached_volumes or [])]
                    for s in c.compute.servers()},
        "volumes": {v.id: [v.name, v.status, sorted(a["server_id"] for a in v.attachments or [])]
                    for v in c.block_storage.volumes()},
        "ports": {p.id: [p.name, p.network_id, p.mac_address,
                         sorted(f["ip_address"] for f in p.fixed_ips), p.device_id]
                  for p in c.network.ports(project_id=c.current_project_id)}}
print(json.dumps(out, indent=1, sort_keys=True))
PY
}
clouds_now >"$T/clouds-before" || die "cannot read the clouds"
jq -e '."uchos-src".servers.db01[0] == "ACTIVE"' "$T/clouds-before" >/dev/null ||
  die "db01 is not ACTIVE before the wave: $(jq -c '."uchos-src".servers.db01' "$T/clouds-before")"
# what the failed wave did, task by task, for a failure below
fail_tasks() { grep -E '^TASK|fatal|changed:|skipping:|^ok:|FAILED' "$T/wave-fail.log" | tail -n 80; }
start=$(date +%s)
play wave-fail wave-fail.log
[ "$(cat "$T/rc")" != 0 ] || { cat "$T/wave-fail.log"; die "a wave whose copy fails succeeded"; }
jq -e '.vms[0] | .name == "db01" and .state == "failed"' "$T/reports/osp2.json" >/dev/null ||
  { cat "$T/reports/osp2.json"; fail_tasks; die "the report does not say db01 failed"; }
grep -q 'Rollback: what the wave did in both clouds, undone from its ledger (db01)' "$T/wave-fail.log" &&
  sed -n '/^TASK \[.*Create its ports in the destination cloud.*(db01)/,/^TASK/p' "$T/wave-fail.log" |
    grep -q "^changed: .*osp2-db01-nic0" ||
  { fail_tasks; die "no rollback in the failed wave"; }
fig wave_failed_s $(( $(date +%s) - start ))
clouds_now >"$T/clouds-after" || die "cannot read the clouds"
diff -u "$T/clouds-before" "$T/clouds-after" ||
  { sed -n '/TASK/h;/fatal\|FAILED/{x;p;x;p}' "$T/wave-fail.log"; die "the failed wave left the clouds changed"; }
pass "db01's copy failed, reported as failed ($(jq -r '.vms[0].error' "$T/reports/osp2.json" | head -c 200)); both clouds as they were (the port made for db01's NIC deleted), db01 ACTIVE with its volumes"

cloud_down_checked
fig cloud_down_s "$CLOUD_DOWN_S"
pass "the cloud is down, nothing left"
tee "$figures" <"$T/figures"
