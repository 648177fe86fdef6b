#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# uch-test: slow
# uch-test: timeout=3600
# A UEFI guest migrated OpenStack -> OpenStack by migrate_wave.yml with
# uch_cloud: openstack, in projects of this test's own, uchuefi-src and
# uchuefi-dst:
# - the UEFI Debian guest (tests/guests/make-debian.sh uefi: GPT, an
#   ESP, no BIOS boot code) uploaded with hw_firmware_type=uefi and
#   hw_machine_type=q35; "uefivm" in uchuefi-src boots from a volume
#   made from it (Cinder copies the image's properties into the
#   volume's volume_image_metadata, which Nova reads: OVMF), comes up
#   to its login prompt, is stopped; the UCH appliance in each project;
#   uefivm's flavor uch.uefi-src is private to uchuefi-src; it has a key
#   pair uch-uefi-key (uchuefi-dst's user has one of the name too),
#   metadata, tags and a description; a second volume type,
#   uch-uefi-fast, is on the same RBD backend;
# - discover_openstack records the root disk's image_metadata
#   (hw_firmware_type uefi, hw_machine_type q35; not Glance's own);
# - a wave of the discovered file saying uefivm needs 1 TiB of RAM and
#   has a key pair the destination lacks fails its pre-flight naming
#   both (openstack.flavor: none fits, what it needs;
#   openstack.key_name), before anything moves;
# - the wave, with a storage map rbd -> uch-uefi-fast in zone nova,
#   makes the new root volume with that image_metadata (and
#   hw_disk_bus virtio, which the source had by default); the new
#   "uefivm" in uchuefi-dst boots from it under UEFI (its kernel says
#   "efi: EFI v...") to its login prompt.  Without the image_metadata
#   the new volume is an empty one's: Nova boots it with BIOS, which
#   finds no boot code on the disk;
# - as a user sees it through openstacksdk, the new server has the
#   flavor that fits (uch.uefi: the destination sees no uch.uefi-src,
#   and uch.uefi is the smallest public one with 1 vCPU and 512 MiB),
#   the source's key pair name, metadata, tags and description, and its
#   volume is of type uch-uefi-fast in zone nova.
source "$UCH_TOP/tests/lib/functions.sh"
source "$UCH_TOP/tests/lib/cloud.sh"
source "$UCH_TOP/tests/lib/appliances.sh"   # ansible_setup
require ssh-keygen
require ansible-playbook
require jq
require curl
cloud_require
COLL=$UCH_TOP/ansible/ansible_collections/uch/appliance
pass() { echo "ok - $* [${SECONDS}s]"; }

"$UCH_TOP/image-build/build-debian" >"$T/built" 2>"$T/build.log" ||
  { tail -30 "$T/build.log"; die "image build failed"; }
appliance_image=$(head -1 "$T/built")
rc=0; uefi_raw=$("$UCH_TOP/tests/guests/make-debian.sh" uefi 2>"$T/guest.log") || rc=$?
[ $rc = 0 ] || { tail -20 "$T/guest.log"; die "no UEFI Debian guest ($rc)"; }
qemu-img convert -O qcow2 "$uefi_raw" "$T/uefi.qcow2"

CLOUD_PROJECTS="uchuefi-src uchuefi-dst"
cloud_projects_make() { cloud_make_projects; }
cloud_up
pass "the cloud is up in ${CLOUD_UP_S}s; projects uchuefi-src and uchuefi-dst emptied"

token=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
ssh-keygen -q -t ed25519 -N '' -f "$T/id_controller"
appliance_user_data "$T/id_controller.pub" "$token" >"$T/user-data"
os_py "$appliance_image" "$T/uefi.qcow2" "$T/user-data" "$T/ids" "$T/id_controller.pub" <<'PY' >"$T/sdk.log" 2>&1 ||
import base64, os, sys, time
import openstack
from pylib.uchboot import boot_from_volumes
app_img, uefi_img, user_data, out, key_file = sys.argv[1:6]
admin = openstack.connect(cloud="uchos")
src = openstack.connect(cloud="uchuefi-src")
dst = openstack.connect(cloud="uchuefi-dst")
def key(f):
    return os.path.basename(os.path.dirname(f)) + "-" + os.path.basename(f)
app = admin.image.find_image("uch-test-" + key(app_img)) or admin.create_image(
    "uch-test-" + key(app_img), filename=app_img, disk_format="qcow2", container_format="bare",
    visibility="public", wait=True)
name = "uch-test-uefi-%d" % os.getpid()
uefi = admin.create_image(name, filename=uefi_img, disk_format="qcow2", container_format="bare",
                          visibility="public", wait=True,
                          meta={"hw_firmware_type": "uefi", "hw_machine_type": "q35",
                                "os_shutdown_timeout": "0"})
net = admin.network.find_network("uchos-net")
ud = base64.b64encode(open(user_data, "rb").read()).decode()
appl = {}
for conn, n in ((src, "uchuefi-src-appliance"), (dst, "uchuefi-dst-appliance")):
    appl[n] = conn.compute.create_server(
        name=n, image_id=app.id, flavor_id=conn.compute.find_flavor("uch.appliance").id,
        networks=[{"uuid": net.id}], config_drive=True, user_data=ud)
root = src.block_storage.create_volume(name="uefivm-root", size=2, image_id=uefi.id)
root = src.block_storage.wait_for_status(root, "available", failures=["error"], wait=900)
meta = src.block_storage.get_volume(root.id).volume_image_metadata or {}
assert meta.get("hw_firmware_type") == "uefi", ("the source volume's image metadata", meta)
admin.image.delete_image(uefi)
# uefivm's flavor, which only uchuefi-src sees; uch.uefi, public and of
# the same size, is the one the wave should find fits
admin.compute.find_flavor("uch.uefi") or admin.compute.create_flavor(
    name="uch.uefi", ram=512, vcpus=1, disk=0, is_public=True)
fl = next((f for f in admin.compute.flavors(is_public=None) if f.name == "uch.uefi-src"), None) or \
    admin.compute.create_flavor(name="uch.uefi-src", ram=512, vcpus=1, disk=0, is_public=False)
if src.current_project_id not in [a.get("tenant_id") for a in admin.compute.get_flavor_access(fl)]:
    admin.compute.flavor_add_tenant_access(fl, src.current_project_id)
assert dst.compute.find_flavor("uch.uefi-src") is None, "uchuefi-dst sees the private flavor"
admin.block_storage.find_type("uch-uefi-fast") or admin.block_storage.create_type(
    name="uch-uefi-fast", extra_specs={"volume_backend_name": "rbd"})
# a key pair of the name for each project's user (key pairs are a user's)
pub = open(key_file).read().strip()
for conn in (src, dst):
    if conn.compute.find_keypair("uch-uefi-key") is None:
        conn.compute.create_keypair(name="uch-uefi-key", public_key=pub)
vm = boot_from_volumes(src, "uefivm", fl, net, (root,), key_name="uch-uefi-key",
                       metadata={"role": "uefi-test", "owner": "uch"}, tags=["uch-test", "uefi"],
                       description="the UEFI guest")
end = time.time() + 1200
while True:
    con = src.compute.get_server_console_output(vm).get("output") or ""
    if "uch-debian login:" in con:
        break
    assert time.time() < end, "uefivm never came up:\n" + con[-2000:]
    time.sleep(5)
assert "efi: EFI v" in con, "uefivm did not boot from UEFI:\n" + con[:3000]
src.compute.stop_server(vm)
vm = src.compute.wait_for_server(vm, status="SHUTOFF", wait=600, interval=3)
ips = {}
for n, s in appl.items():
    conn = src if "src" in n else dst
    s = conn.compute.wait_for_server(s, wait=1200, interval=3)
    ips[n] = [a["addr"] for x in s.addresses.values() for a in x][0]
with open(out, "w") as f:
    f.write("%s %s %s %s\n" % (ips["uchuefi-src-appliance"], ips["uchuefi-dst-appliance"], vm.id, root.id))
PY
  { cat "$T/sdk.log"; die "the set-up in the cloud failed"; }
read -r src_ip dst_ip vm_id root_id <"$T/ids"
pass "uefivm ($vm_id) booted under UEFI from volume $root_id (hw_firmware_type uefi from its image), stopped; appliances at $src_ip and $dst_ip"

for ip in "$src_ip" "$dst_ip"; do
  ready() { cloud_ssh "$T/id_controller" "$ip" test -f /var/lib/cloud/instance/boot-finished; }
  wait_for 1200 ready || die "no ssh to the appliance at $ip, or cloud-init never finished"
done

cat >"$T/inventory.hosts" <<INV
    src: {ansible_host: $src_ip, uch_export_address: $src_ip, uch_os_server: uchuefi-src-appliance}
    dst: {ansible_host: $dst_ip, uch_os_server: uchuefi-dst-appliance}
INV
ansible_setup uch_sources=src uch_destinations=dst
play() { # LOG ARGS...: ansible-playbook ARGS in the cloud's namespaces, its rc in $T/rc
  local log=$1; shift
  set +e
  cloud_run env OS_CLIENT_CONFIG_FILE="$CLOUD_YAML" HOME="$T" ansible-playbook "$@" >"$T/$log" 2>&1
  echo $? >"$T/rc"
  set -e
}
play discover.log -i "$T/inventory.yml" "$COLL/playbooks/discover_openstack.yml" \
  -e uch_os_source_cloud=uchuefi-src -e uch_wave=uefi1 -e "uch_workloads_file=$T/wave.yml" \
  -e '{"uch_discover_names": ["^uefivm$"]}'
[ "$(cat "$T/rc")" = 0 ] || { cat "$T/discover.log"; die "discover_openstack failed"; }
got=$(jq -cS '.vms[0].disks[0].openstack.image_metadata' <(python3 -c 'import json,sys,yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))' "$T/wave.yml"))
[ "$got" = '{"hw_firmware_type":"uefi","hw_machine_type":"q35","os_shutdown_timeout":"0"}' ] ||
  die "discovery's image_metadata of uefivm's root: $got"
pass "discover_openstack records the root's image_metadata: $got"

# the pre-flight: uefivm needs more RAM than any flavor of the
# destination's has, and a key pair its user lacks; the good file: a
# storage map to the second volume type, in zone nova
os_py "$T/wave.yml" "$T/wave-bad.yml" "$T/wave-good.yml" <<'PY' || die "editing the workloads file failed"
import copy, sys, yaml
wl = yaml.safe_load(open(sys.argv[1]))
vm = wl["vms"][0]
assert vm["openstack"]["flavor"] == "uch.uefi-src" and vm["openstack"]["key_name"] == "uch-uefi-key", vm
assert wl["openstack"]["storage_map"] == {"rbd": "rbd"}, wl["openstack"]
bad = copy.deepcopy(wl)
bad["vms"][0]["openstack"]["flavor_details"]["ram"] = 1048576
bad["vms"][0]["openstack"]["key_name"] = "uch-uefi-nokey"
yaml.safe_dump(bad, open(sys.argv[2], "w"), sort_keys=False)
wl["openstack"]["storage_map"] = {"rbd": {"volume_type": "uch-uefi-fast", "availability_zone": "nova"}}
yaml.safe_dump(wl, open(sys.argv[3], "w"), sort_keys=False)
PY
play bad.log -i "$T/inventory.yml" "$COLL/playbooks/migrate_wave.yml" \
  -e "uch_workloads_file=$T/wave-bad.yml" -e uch_cloud=openstack -e uch_os_keep_nics=false \
  -e uch_os_source_cloud=uchuefi-src -e uch_os_destination_cloud=uchuefi-dst \
  -e "uch_psk_dir=$T/psk" -e "uch_report_dir=$T/reports"
[ "$(cat "$T/rc")" != 0 ] || { cat "$T/bad.log"; die "the wave passed its pre-flight with no flavor that fits"; }
if grep -q '^PLAY \[Check the pool' "$T/bad.log"; then
  cat "$T/bad.log"; die "the wave went on after its pre-flight failed"
fi
sed -n 's/^fatal: \[localhost\]: FAILED! => //p' "$T/bad.log" >"$T/bad.json"
jq -r '.problems[] | "\(.vm // "")|\(.field)|\(.message)"' "$T/bad.json" | sort >"$T/bad.got" ||
  { cat "$T/bad.log"; die "no failure of the pre-flight's task"; }
sort >"$T/bad.want" <<'WANT'
uefivm|openstack.flavor|flavor uch.uefi-src: not in the flavor map, no such flavor in the destination project, and none there fits: the VM needs 1 vCPUs, 1048576 MiB RAM, 0 GiB disk
uefivm|openstack.key_name|key pair uch-uefi-nokey: the destination's user has none of that name (make it there with the same public key, or set uch_os_keep_key_name false)
WANT
diff -u "$T/bad.want" "$T/bad.got" || { cat "$T/bad.log"; die "the pre-flight's problems differ from those expected"; }
pass "a wave of uefivm needing 1 TiB of RAM, with a key pair the destination lacks, fails its pre-flight naming openstack.flavor (what it needs) and openstack.key_name"

# (one port on openstack.network: the projects share uchos-net here,
# test-cloud-osp-wave shows NICs kept)
play wave1.log -i "$T/inventory.yml" "$COLL/playbooks/migrate_wave.yml" \
  -e "uch_workloads_file=$T/wave-good.yml" -e uch_cloud=openstack -e uch_os_keep_nics=false \
  -e uch_os_source_cloud=uchuefi-src -e uch_os_destination_cloud=uchuefi-dst \
  -e "uch_psk_dir=$T/psk" -e "uch_report_dir=$T/reports"
[ "$(cat "$T/rc")" = 0 ] || { cat "$T/wave1.log"; die "the wave failed"; }
pass "the wave ran"

os_py <<'PY' >"$T/check.log" 2>&1 || { cat "$T/check.log"; die "the migrated UEFI server is not as it should be"; }
import time
import openstack
src = openstack.connect(cloud="uchuefi-src")
dst = openstack.connect(cloud="uchuefi-dst")
old = src.compute.get_server(src.compute.find_server("uefivm").id)
new = dst.compute.find_server("uefivm")
assert new, "no server uefivm in the destination project"
new = dst.compute.wait_for_server(new, wait=600, interval=3)
new = dst.compute.get_server(new.id)
got = dict(flavor=new.flavor.original_name, key_name=new.key_name, metadata=dict(new.metadata),
           tags=sorted(new.tags or []), description=new.description)
want = dict(flavor="uch.uefi", key_name="uch-uefi-key", metadata=dict(old.metadata),
            tags=sorted(old.tags), description=old.description)
assert want["metadata"] == {"role": "uefi-test", "owner": "uch"} and want["tags"] == ["uch-test", "uefi"], want
assert got == want, ("the new server", got, "wanted", want)
att = [a.volume_id for a in dst.compute.volume_attachments(new)]
vol = dst.block_storage.get_volume(att[0])
assert (vol.volume_type, vol.availability_zone) == ("uch-uefi-fast", "nova"), (vol.volume_type, vol.availability_zone)
meta = vol.volume_image_metadata or {}
assert meta.get("hw_firmware_type") == "uefi" and meta.get("hw_machine_type") == "q35", meta
assert meta.get("hw_disk_bus") == "virtio", meta
end = time.time() + 1200
while True:
    con = dst.compute.get_server_console_output(new).get("output") or ""
    if "uch-debian login:" in con:
        break
    assert time.time() < end, "the new uefivm never came up:\n" + con[-2000:]
    time.sleep(5)
assert "efi: EFI v" in con, "the new uefivm did not boot from UEFI:\n" + con[:3000]
print("ok", new.id, att[0], sorted(meta.items()))
PY
pass "uefivm in uchuefi-dst boots under UEFI to its login prompt; its root volume carries $(tail -1 "$T/check.log" | cut -d' ' -f4-)"
pass "the new uefivm has flavor uch.uefi (the smallest that fits), key pair uch-uefi-key, the source's metadata, tags and description; its volume is of type uch-uefi-fast in zone nova"

cloud_wipe >"$T/wipe-end.log" 2>&1 || { cat "$T/wipe-end.log"; die "deleting the test's servers and volumes failed"; }
cloud_down_checked
pass "the cloud is down, nothing left"
