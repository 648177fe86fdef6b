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
#   the Debian test guest, with a data volume (random data), stopped;
#   "db01", ACTIVE, booted from a blank volume, with a 2 GiB data volume;
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
# - the new server boots (its console shows the login prompt) and its
#   data volume holds what the old one held (read from Ceph); on
#   uchos-dst-net it answers a ping at the old server's IP from the
#   MAC the old server had (the gateway's neighbour table, namespace
#   uchos-dst): the guest's own DHCP on the kept NIC;
# - the same wave again changes nothing and reports the same, and there
#   is still one port of the wave's for web01;
# - web01 again, straight (bench/osp_wave_direct.py: the role's cloud
#   steps through openstacksdk, its jobs on uchd over HTTPS, no Ansible),
#   as wave osp1d to a new server web01-direct, after the wave's result
#   in uch-dst is deleted: it too boots with the data volume's bytes;
#   the wave's seconds against its seconds are the Ansible / direct
#   ratio (figures wave_s, wave_direct_s, wave_ansible_direct_ratio);
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
guest_image=$("$UCH_TOP/tests/guests/make-debian.sh" qcow2 2>"$T/guest.log") ||
  { tail -20 "$T/guest.log"; die "no Debian test guest"; }
head -c $((64 * 1024 * 1024)) /dev/urandom >"$T/data.img"

cloud_up
fig cloud_up_s "$CLOUD_UP_S"
pass "the cloud is up in ${CLOUD_UP_S}s"

token=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
ssh-keygen -q -t ed25519 -N '' -f "$T/id_controller"
appliance_user_data "$T/id_controller.pub" "$token" >"$T/user-data"

start=$(date +%s)
os_py "$appliance_image" "$guest_image" "$T/data.img" "$T/user-data" "$T/ids" \
  <<'PY' >"$T/sdk.log" 2>&1 ||
import base64, os, sys, time
import openstack
app_img, guest_img, data_img, user_data, out = sys.argv[1:6]
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
# "data" boots nothing (db01 sits in its firmware): Nova stops it at once
def key(f):
    return os.path.basename(os.path.dirname(f)) + "-" + os.path.basename(f)
for name, f, fmt, meta in (("uch-appliance", app_img, "qcow2", {}),
                           ("debian", guest_img, "qcow2", {"os_shutdown_timeout": "0"}),
                           ("data", data_img, "raw", {"os_shutdown_timeout": "0"})):
    iname = "uch-test-" + (key(f) if name != "data" else "data-" + str(os.getpid()))
    imgs[name] = admin.image.find_image(iname) or admin.create_image(
        iname, filename=f, disk_format=fmt, container_format="bare",
        visibility="public", meta=meta, wait=True)
step("images_uploaded")
net = admin.network.find_network("uchos-net")
ud = base64.b64encode(open(user_data, "rb").read()).decode()
appl = {}
for conn, name in ((src, "uch-src-appliance"), (dst, "uch-dst-appliance")):
    appl[name] = conn.compute.create_server(
        name=name, image_id=imgs["uch-appliance"].id,
        flavor_id=conn.compute.find_flavor("uch.appliance").id,
        networks=[{"uuid": net.id}], config_drive=True, user_data=ud)
# the guest's own size (2 GiB): every byte goes through two TCG
# appliances over TLS-PSK, ~2 MB/s at load 19 (bench/README.md)
root = src.block_storage.create_volume(name="web01-root", size=2,
                                       image_id=imgs["debian"].id)
data = src.block_storage.create_volume(name="web01-data", size=1,
                                       image_id=imgs["data"].id)
# db01, the VM whose copy fails: its data volume is 2 GiB, the wave says 1
db_root = src.block_storage.create_volume(name="db01-root", size=1,
                                          image_id=imgs["data"].id)
db_data = src.block_storage.create_volume(name="db01-data", size=2)
for v in (root, data, db_root, db_data):
    src.block_storage.wait_for_status(v, "available", failures=["error"], wait=900)
step("workload_volumes_available")
def boot(name, vols):
    return src.compute.create_server(
        name=name, flavor_id=src.compute.find_flavor("uch.guest").id,
        networks=[{"uuid": net.id}],
        block_device_mapping=[
            {"boot_index": 0 if i == 0 else -1, "uuid": v.id, "source_type": "volume",
             "destination_type": "volume", "delete_on_termination": False}
            for i, v in enumerate(vols)])
web = boot("web01", (root, data))
db = boot("db01", (db_root, db_data))
web = src.compute.wait_for_server(web, wait=1200, interval=3)
# web01 stopped, as the issue has it (and its TCG boot no longer takes
# CPU from the appliances'); db01 stays ACTIVE: the wave stops it, its
# failure's rollback starts it again
src.compute.stop_server(web)
db = src.compute.wait_for_server(db, wait=1200, interval=3)
web = src.compute.wait_for_server(web, status="SHUTOFF", wait=600, interval=3)
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
    f.write("%s %s %s %s %s %s %s\n" % (ips["uch-src-appliance"], ips["uch-dst-appliance"],
                                        root.id, data.id, db_root.id, db_data.id, " ".join(nics)))
PY
  { cat "$T/sdk.log"; cloud_errors; die "the set-up in the cloud failed"; }
grep '_s [0-9]' "$T/sdk.log" | sed 's/ /=/' >>"$T/figures"
read -r src_ip dst_ip root_id data_id db_root_id db_data_id web_mac web_ip db_mac db_ip <"$T/ids"
pass "appliances at $src_ip (uch-src) and $dst_ip (uch-dst); web01 ACTIVE from volume $root_id with $data_id, its NIC $web_mac $web_ip on uchos-net"

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
# web01's NIC as uch_os_discover records it; the destination's network
# for uchos-net is uchos-dst-net, where the MAC and IP are free
cat >"$T/wave.yml" <<WL
wave: osp1
openstack:
  network_map: {uchos-net: uchos-dst-net}
  keep_ips: true
vms:
  - name: web01
    disks:
      - name: root
        source: {volume: $root_id}
        size: $((2 * 1024 * 1024 * 1024))
      - name: data
        source: {volume: $data_id}
        size: $((1024 * 1024 * 1024))
    openstack:
      server: web01
      flavor: uch.guest
      network: uchos-net
      ports:
        - network: uchos-net
          mac: "$web_mac"
          fixed_ips: [{subnet: uchos-subnet, ip: $web_ip}]
          security_groups: []
WL
play() { # WAVE LOG: the wave WAVE.yml, its rc in $T/rc
  set +e
  # profile_tasks: each task's time in the log (bench/README.md)
  cloud_run env OS_CLIENT_CONFIG_FILE="$CLOUD_ST/clouds.yaml" HOME="$T" \
    ANSIBLE_CALLBACKS_ENABLED=ansible.posix.profile_tasks PROFILE_TASKS_TASK_OUTPUT_LIMIT=all \
    ansible-playbook -i "$T/inventory.yml" "$COLL/playbooks/migrate_wave.yml" \
    -e "uch_workloads_file=$T/$1.yml" -e uch_cloud=openstack \
    -e uch_os_source_cloud=uchos-src -e uch_os_destination_cloud=uchos-dst \
    -e "uch_psk_dir=$T/psk" -e "uch_report_dir=$T/reports" >"$T/$2" 2>&1
  echo $? >"$T/rc"
  set -e
}
load_before=$(cut -d' ' -f1 /proc/loadavg)
start=$(date +%s)
play wave wave1.log
[ "$(cat "$T/rc")" = 0 ] || { cat "$T/wave1.log"; die "the wave failed"; }
fig wave_s $(( $(date +%s) - start ))
fig wave_load "$load_before-$(cut -d' ' -f1 /proc/loadavg)"
cp "$T/wave1.log" "$UCH_BUILD/test-logs/cloud-osp-wave.wave1.log"
pass "the wave ran ($(( $(date +%s) - start )) s)"

# --- what a user sees -----------------------------------------------------------
# migrated NAME PREFIX: the new server NAME in uch-dst boots (login
# prompt) from the volumes PREFIX-root, with PREFIX-data equal to the
# old data volume; the old web01 is stopped, with its volumes
migrated() {
  os_py "$root_id" "$data_id" "$1" "$2" <<'PY' >"$T/check.log" 2>&1 || { cat "$T/check.log"; return 1; }
import hashlib, sys, time
import openstack, rados, rbd
root_id, data_id, name, prefix = sys.argv[1:5]
src = openstack.connect(cloud="uchos-src")
dst = openstack.connect(cloud="uchos-dst")
new = dst.compute.find_server(name)
assert new, "no server %s in the destination project" % name
new = dst.compute.wait_for_server(new, wait=600, interval=3)
att = {a.volume_id for a in dst.compute.volume_attachments(new)}
vols = {v.name: v for v in dst.block_storage.volumes()}
new_root, new_data = vols[prefix + "-root"], vols[prefix + "-data"]
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
pass "web01 in uch-dst boots from the copied root volume (login prompt); its data volume equals the old one; the old server has its volumes back, stopped"

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
jq -n --arg src "$src_ip" --arg dst "$dst_ip" --arg token "$token" --arg key "$T/id_controller" \
  --arg root "$root_id" --arg data "$data_id" '{
  wave: "osp1d",
  vm: {name: "web01",
       disks: [{name: "root", source: {volume: $root}, size: (2 * 1073741824)},
               {name: "data", source: {volume: $data}, size: 1073741824}],
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
