#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# uch-test: slow
# uch-test: timeout=3600
# The wave's ledger (ansible/README.md, "The ledger"): migrate_wave.yml
# with uch_cloud: openstack killed (the controller's crash: SIGKILL to
# ansible-playbook's whole process group) at points of a one-VM wave,
# each point an event of the ledger file, then run again; in projects
# of this test's own, uchled-src and uchled-dst (made as admin with a
# member user each, their clouds.yaml in the test's directory):
# - the UCH appliance booted in each project (as in the wave's test);
#   "lvm" in uchled-src, ACTIVE, booted from a 1 GiB volume of the
#   blank image, with an empty 2 GiB data volume;
# - a wave that cannot succeed (the data disk said to be 1 GiB: its
#   copy fails) killed once its ledger has the begin of the root
#   volume's clone (lvm stopped, its data volume detached), then run
#   again: the rerun finds lvm stopped, fails the copy, and its
#   rollback undoes the ledger: both projects are as they were before
#   (servers with their status and volumes, volumes with their status
#   and servers, ports, images), lvm ACTIVE again - as it was before
#   the run that crashed, not as the rerun found it;
# - the wave killed once the new volumes are attached to the
#   destination appliance (the copies next), again killed once the new
#   server's create has begun, then run to its end: lvm in uchled-dst
#   boots from the copy, and counted through openstacksdk nothing is
#   duplicated or left (one server lvm, its two volumes, no clone, no
#   volume on either appliance, no image, the ports Nova's own);
# - undo_wave.yml (state absent) undoes the finished migration in
#   reverse order: both projects as before the first wave, lvm ACTIVE
#   with its volumes; run again it changes nothing.
# Phase times go to build/test-logs/cloud-os-ledger.figures.
source "$UCH_TOP/tests/lib/functions.sh"
source "$UCH_TOP/tests/lib/cloud.sh"
source "$UCH_TOP/tests/lib/appliances.sh"   # ansible_setup
require ssh-keygen
require ansible-playbook
require jq
require curl
require setsid
cloud_require
COLL=$UCH_TOP/ansible/ansible_collections/uch/appliance
figures=$UCH_BUILD/test-logs/cloud-os-ledger.figures
: >"$T/figures"
fig() { echo "$1=$2" >>"$T/figures"; }
pass() { echo "ok - $* [${SECONDS}s]"; }

"$UCH_TOP/image-build/build-debian" >"$T/built" 2>"$T/build.log" ||
  { tail -30 "$T/build.log"; die "image build failed"; }
appliance_image=$(head -1 "$T/built")
head -c $((1024 * 1024)) /dev/zero >"$T/blank.img"

CLOUD_PROJECTS="uchled-src uchled-dst"
cloud_projects_make() { cloud_make_projects; }
cloud_up
fig cloud_up_s "$CLOUD_UP_S"
pass "the cloud is up in ${CLOUD_UP_S}s; projects uchled-src and uchled-dst emptied"

# what either project holds, by name where the wave names things:
# servers (status, volumes by name), volumes (name, size, status,
# servers by name), ports (owner, server by name), images
clouds_now() {
  os_py <<'PY'
import json, openstack
out = {}
for cloud in ("uchled-src", "uchled-dst"):
    c = openstack.connect(cloud=cloud)
    servers = list(c.compute.servers())
    vols = list(c.block_storage.volumes())
    sname = {s.id: s.name for s in servers}
    vname = {v.id: v.name for v in vols}
    out[cloud] = {
        "servers": sorted([s.name, s.status, sorted(vname.get(a["id"], a["id"]) for a in s.attached_volumes or [])]
                          for s in servers),
        "volumes": sorted([v.name, v.size, v.status, sorted(sname.get(a["server_id"], a["server_id"])
                                                             for a in v.attachments or [])]
                          for v in vols),
        "ports": sorted([p.device_owner or "", sname.get(p.device_id, p.device_id or "")]
                        for p in c.network.ports(project_id=c.current_project_id)),
        "images": sorted(i.name for i in c.image.images(owner=c.current_project_id))}
print(json.dumps(out, indent=1, sort_keys=True))
PY
}

token=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
ssh-keygen -q -t ed25519 -N '' -f "$T/id_controller"
appliance_user_data "$T/id_controller.pub" "$token" >"$T/user-data"

start=$(date +%s)
os_py "$appliance_image" "$T/blank.img" "$T/user-data" "$T/ids" <<'PY' >"$T/sdk.log" 2>&1 ||
import base64, os, sys, time
import openstack
from pylib.uchboot import boot_from_volumes
app_img, blank, user_data, out = sys.argv[1:5]
admin = openstack.connect(cloud="uchos")
src = openstack.connect(cloud="uchled-src")
dst = openstack.connect(cloud="uchled-dst")
t0 = time.time()
def step(what):
    print("%s_s %.0f" % (what, time.time() - t0), flush=True)
def key(f):
    return os.path.basename(os.path.dirname(f)) + "-" + os.path.basename(f)
iname = "uch-test-" + key(app_img)
appimg = admin.image.find_image(iname) or admin.create_image(
    iname, filename=app_img, disk_format="qcow2", container_format="bare",
    visibility="public", wait=True)
# the blank image of the discovery test: boots nothing, stops at once
img = admin.image.find_image("uch-blank") or admin.create_image(
    "uch-blank", filename=blank, disk_format="raw", container_format="bare",
    visibility="public", meta={"os_shutdown_timeout": "0"}, wait=True)
step("images_uploaded")
net = admin.network.find_network("uchos-net")
ud = base64.b64encode(open(user_data, "rb").read()).decode()
appl = {}
for conn, name in ((src, "uchled-src-appliance"), (dst, "uchled-dst-appliance")):
    appl[name] = conn.compute.create_server(
        name=name, image_id=appimg.id, flavor_id=conn.compute.find_flavor("uch.appliance").id,
        networks=[{"uuid": net.id}], config_drive=True, user_data=ud)
# the root from the blank image (bootable, its os_shutdown_timeout 0:
# Nova stops lvm at once), the data volume empty
root = src.block_storage.create_volume(name="lvm-root", size=1, image_id=img.id)
data = src.block_storage.create_volume(name="lvm-data", size=2)
for v in (root, data):
    src.block_storage.wait_for_status(v, "available", failures=["error"], wait=900)
step("volumes_available")
vm = boot_from_volumes(src, "lvm", "uch.guest", net, (root, data))
step("lvm_active")
ips = {}
for name, s in appl.items():
    conn = src if "src" in name else dst
    s = conn.compute.wait_for_server(s, wait=1200, interval=3)
    ips[name] = [a["addr"] for n in s.addresses.values() for a in n][0]
step("appliances_active")
with open(out, "w") as f:
    f.write("%s %s %s %s\n" % (ips["uchled-src-appliance"], ips["uchled-dst-appliance"], root.id, data.id))
PY
  { cat "$T/sdk.log"; die "the set-up in the cloud failed"; }
grep '_s [0-9]' "$T/sdk.log" | sed 's/ /=/' >>"$T/figures"
read -r src_ip dst_ip root_id data_id <"$T/ids"
pass "appliances at $src_ip and $dst_ip; lvm ACTIVE from $root_id with $data_id"

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

cat >"$T/inventory.hosts" <<INV
    src: {ansible_host: $src_ip, uch_export_address: $src_ip, uch_os_server: uchled-src-appliance}
    dst: {ansible_host: $dst_ip, uch_os_server: uchled-dst-appliance}
INV
ansible_setup uch_sources=src uch_destinations=dst
# WAVE DATA_GIB FILE: a workloads file of lvm
workloads() {
  cat >"$T/$3" <<WL
wave: $1
vms:
  - name: lvm
    disks:
      - name: root
        source: {volume: $root_id}
        size: $((1024 * 1024 * 1024))
      - name: data
        source: {volume: $data_id}
        size: $(($2 * 1024 * 1024 * 1024))
    openstack:
      server: lvm
      flavor: uch.guest
      network: uchos-net
WL
}
workloads ledg1 2 wave.yml
workloads ledgbad 1 wave-bad.yml

# PLAYBOOK FILE LOG: ansible-playbook in the cloud's namespaces, in a
# session of its own (PLAY_PID, its id: a kill of the group is the
# controller's crash), in the background
play_bg() {
  setsid "$CLOUD" run "$CLOUD_ST" env OS_CLIENT_CONFIG_FILE="$CLOUD_YAML" HOME="$T" \
    ANSIBLE_CALLBACKS_ENABLED=ansible.posix.profile_tasks PROFILE_TASKS_TASK_OUTPUT_LIMIT=all \
    ansible-playbook -i "$T/inventory.yml" "$COLL/playbooks/$1" \
    -e "uch_workloads_file=$T/$2" -e uch_cloud=openstack -e uch_os_keep_nics=false \
    -e uch_os_source_cloud=uchled-src -e uch_os_destination_cloud=uchled-dst \
    -e "uch_psk_dir=$T/psk" -e "uch_report_dir=$T/reports" -e "uch_ledger_dir=$T/ledger" \
    >"$T/$3" 2>&1 &
  PLAY_PID=$!
}
# a test cut short: its playbook, if still running, with it
# shellcheck disable=SC2016  # PLAY_PID of the moment, when the test ends
cleanup_add '[ -z "${PLAY_PID:-}" ] || kill -9 -- "-$PLAY_PID"'
play() { # PLAYBOOK FILE LOG: to its end; its rc in $T/rc
  play_bg "$@"
  set +e
  wait "$PLAY_PID"
  echo $? >"$T/rc"
  set -e
}
# LEDGER JQ [N]: the ledger file has N records (1) JQ selects
has_record() {
  [ -s "$1" ] && jq -e "[.records[] | select($2)] | length >= ${3:-1}" "$1" >/dev/null 2>&1
}
# FILE LOG LEDGER JQ N WHAT: the wave run, killed (its whole session,
# SIGKILL) as soon as its ledger has N records JQ selects
crash_at() {
  local t0=$SECONDS
  play_bg migrate_wave.yml "$1" "$2"
  hit() { has_record "$3" "$4" "$5" || ! kill -0 "$PLAY_PID" 2>/dev/null; }
  wait_for 1800 hit "$@" || true
  if ! has_record "$3" "$4" "$5"; then
    kill -9 -- -"$PLAY_PID" 2>/dev/null || true
    tail -40 "$T/$2"
    die "the wave never got to $6"
  fi
  kill -9 -- -"$PLAY_PID" 2>/dev/null || true
  wait "$PLAY_PID" 2>/dev/null || true
  fig "crash_$(echo "$6" | tr -c 'a-z0-9\n' _)_s" $(( SECONDS - t0 ))
}
# the wave's open records, as uch_ledger (state present) lists them
ledger_open() {  # WAVE
  cloud_run env HOME="$T" ansible -i localhost, -c local localhost -m uch.appliance.uch_ledger \
    -a "dir=$T/ledger wave=$1" -o 2>&1
}

clouds_now >"$T/clouds-before" || die "cannot read the clouds"
jq -e '."uchled-src".servers | map(select(.[0] == "lvm")) == [["lvm", "ACTIVE", ["lvm-data", "lvm-root"]]]' \
  "$T/clouds-before" >/dev/null || { cat "$T/clouds-before"; die "lvm is not ACTIVE with its volumes"; }

# --- a wave that fails, its first run killed after the stop --------------------------
L=$T/ledger/ledgbad/lvm.json
crash_at wave-bad.yml wave-bad1.log "$L" \
  '.phase == "begin" and .kind == "volume" and .op == "create" and (.ident.name | endswith("-root-src"))' 1 \
  "the clone's begin"
jq -e '[.records[] | select(.kind == "power" and .op == "stop" and .phase == "begin")][0].was == "ACTIVE"' "$L" \
  >/dev/null || { cat "$L"; die "the ledger does not say lvm was ACTIVE before the stop"; }
os_py <<'PY' || die "lvm is not stopped after the crash"
import openstack
c = openstack.connect(cloud="uchled-src")
# (a server found by name comes from the list, without its status)
s = c.compute.get_server(c.compute.find_server("lvm").id)
assert s.status == "SHUTOFF", s.status
PY
pass "the failing wave killed at the clone's begin: lvm stopped, the ledger says it was ACTIVE"
t0=$(date +%s)
play migrate_wave.yml wave-bad.yml wave-bad2.log
[ "$(cat "$T/rc")" != 0 ] || { cat "$T/wave-bad2.log"; die "a wave whose copy cannot fit succeeded"; }
jq -e '.vms[0] | .name == "lvm" and .state == "failed"' "$T/reports/ledgbad.json" >/dev/null ||
  { cat "$T/reports/ledgbad.json"; tail -60 "$T/wave-bad2.log"; die "the report does not say lvm failed"; }
grep -q 'Rollback: what the wave did in both clouds, undone from its ledger (lvm)' "$T/wave-bad2.log" ||
  { tail -80 "$T/wave-bad2.log"; die "no rollback in the failed wave"; }
fig wave_failed_rerun_s $(( $(date +%s) - t0 ))
clouds_now >"$T/clouds-after-bad" || die "cannot read the clouds"
diff -u "$T/clouds-before" "$T/clouds-after-bad" ||
  { grep -E '^TASK|fatal|changed:|FAILED' "$T/wave-bad2.log" | tail -60; cat "$L"
    die "the failed wave's rollback left the projects changed"; }
ledger_open ledgbad >"$T/open-bad.log"
grep -q '"open": \[\]' "$T/open-bad.log" && ! grep -q '"open": \[{' "$T/open-bad.log" ||
  { cat "$T/open-bad.log"; die "the ledger holds records open after the rollback"; }
pass "its rerun failed the copy and rolled back from the ledger: both projects as before, lvm ACTIVE again, nothing open"

# --- the wave, killed twice, then to its end -------------------------------------
L=$T/ledger/ledg1/lvm.json
# (the role attaches them there by id: the second such attachment)
crash_at wave.yml wave1.log "$L" \
  '.phase == "end" and .kind == "attachment" and .op == "attach" and .cloud == "uchled-dst"' 2 \
  "the new volumes attached to the destination appliance"
pass "the wave killed once its new volumes are on the destination appliance"
crash_at wave.yml wave2.log "$L" '.phase == "begin" and .kind == "server" and .op == "create"' 1 \
  "the new server's begin"
pass "the wave killed again at the new server's create"
t0=$(date +%s)
play migrate_wave.yml wave.yml wave3.log
[ "$(cat "$T/rc")" = 0 ] || { cat "$T/wave3.log"; die "the wave did not finish after the crashes"; }
fig wave_resumed_s $(( $(date +%s) - t0 ))
cp "$T/wave3.log" "$UCH_BUILD/test-logs/cloud-os-ledger.wave3.log"
clouds_now >"$T/clouds-migrated" || die "cannot read the clouds"
os_py "$T/clouds-before" "$T/clouds-migrated" <<'PY' >"$T/count.log" 2>&1 ||
import json, sys
before, now = (json.load(open(f)) for f in sys.argv[1:3])
src, dst = now["uchled-src"], now["uchled-dst"]
def names(rows):
    return [r[0] for r in rows]
# the source: as before but lvm stopped; no clone, nothing on its appliance
want = [[n, "SHUTOFF" if n == "lvm" else st, v] for n, st, v in before["uchled-src"]["servers"]]
assert src["servers"] == want, ("source servers", src["servers"], want)
assert src["volumes"] == [[n, sz, st, sv] for n, sz, st, sv in before["uchled-src"]["volumes"]], \
    ("source volumes", src["volumes"])
# the destination: one lvm, on its two new volumes, one of each
assert sorted(names(dst["servers"])) == ["lvm", "uchled-dst-appliance"], dst["servers"]
lvm = [s for s in dst["servers"] if s[0] == "lvm"][0]
assert lvm[1] == "ACTIVE" and lvm[2] == ["ledg1-lvm-data", "ledg1-lvm-root"], lvm
assert sorted(names(dst["volumes"])) == ["ledg1-lvm-data", "ledg1-lvm-root"], dst["volumes"]
assert all(v[3] == ["lvm"] for v in dst["volumes"]), dst["volumes"]
assert [s for s in dst["servers"] if s[0] == "uchled-dst-appliance"][0][2] == [], dst["servers"]
# ports: the appliance's and the new server's (Nova's), none other
assert sorted(p[1] for p in dst["ports"]) == ["lvm", "uchled-dst-appliance"], dst["ports"]
assert all(p[0].startswith("compute:") for p in dst["ports"]), dst["ports"]
assert src["ports"] == before["uchled-src"]["ports"], ("source ports", src["ports"])
assert src["images"] == [] and dst["images"] == [], "images left"
print("ok")
PY
  { cat "$T/count.log"; cat "$T/clouds-migrated"; cat "$L"; die "after the crashes, the projects hold other than one migration"; }
ledger_open ledg1 >"$T/open-1.log"
pass "the wave finished after two crashes: one lvm in uchled-dst on its two volumes, nothing duplicated, no clone nor attachment nor image left ($(grep -o '"op": ' "$T/open-1.log" | wc -l) records open: the stop, two volumes, the server)"

# --- state absent ----------------------------------------------------------------
t0=$(date +%s)
play undo_wave.yml wave.yml undo1.log
[ "$(cat "$T/rc")" = 0 ] || { cat "$T/undo1.log"; die "undo_wave failed"; }
fig undo_s $(( $(date +%s) - t0 ))
clouds_now >"$T/clouds-undone" || die "cannot read the clouds"
diff -u "$T/clouds-before" "$T/clouds-undone" ||
  { tail -60 "$T/undo1.log"; cat "$L"; die "undo_wave left the projects other than before the wave"; }
pass "undo_wave (state absent): both projects as before the wave, lvm ACTIVE with its volumes"
play undo_wave.yml wave.yml undo2.log
[ "$(cat "$T/rc")" = 0 ] || { cat "$T/undo2.log"; die "undo_wave failed the second time"; }
grep -qE ' changed=[1-9]' "$T/undo2.log" && { sed -n '/PLAY RECAP/,$p' "$T/undo2.log"; die "undo_wave again changed something"; }
pass "undo_wave again changes nothing"

cp "$T/figures" "$figures"
cloud_wipe >"$T/wipe-end.log" 2>&1 || { cat "$T/wipe-end.log"; die "deleting the test's servers and volumes failed"; }
cloud_down_checked
pass "the cloud is down, nothing left"
cat "$T/figures"
