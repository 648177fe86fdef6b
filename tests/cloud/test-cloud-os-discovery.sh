#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# uch-test: slow
# uch-test: timeout=3000
# Discovery of a source OpenStack project and the pre-flight of a
# destination one (ansible/README.md, "Discovery (discover_openstack)"
# and "Pre-flight"), on the test cloud, in projects of this test's own:
# uchdisc-src and uchdisc-dst, made as admin (clouds.yaml entry uchos)
# with a member user each, in a clouds.yaml of the test's (the wave's
# test owns uch-src and uch-dst, the modules' test the admin project).
# Its servers boot a 1 MiB blank image (they need only exist; Nova
# stops them at once, os_shutdown_timeout 0):
# - in uchdisc-src: d-web booted from a volume with a data volume,
#   tagged "migrate", stopped; d-db booted from a volume with a 2 GiB
#   data volume and two ports, left ACTIVE; d-img booted from the image;
# - discover_openstack.yml writes the workloads file: each VM, its
#   disks (the boot volume first, ids and sizes), flavor, network,
#   ports (MACs, IPs), status and checks are compared with what the API
#   says (d-img movable, its root disk from a snapshot of the flavor's
#   size; d-db, with two ports, ok: the wave keeps both); a name filter
#   and a tag filter take d-web alone;
# - in uchdisc-dst: a server d-db (not the wave's), the wave's own
#   server d-web booted from the wave's volume disc1-d-web-vda, a volume
#   disc1-d-web-vdb of another size than the disk's, quotas too small;
#   migrate_wave.yml with uch_cloud=openstack and maps that lead
#   nowhere fails in its pre-flight naming each problem (quotas
#   instances, volumes, gigabytes, ports with their figures, and the
#   source project's volumes for the clones of the boot volumes and
#   d-img's volume from its snapshot; the name d-db; the volume's size;
#   the flavor map per VM, the network map per NIC), runs
#   no other play, and neither project has changed;
# - quotas raised, the volume of the right size, d-db given a new name:
#   the pre-flight passes, counting only what the wave still has to make
#   (the wave's own server and volumes are not counted again), and
#   migrate_wave goes on to its next play.
source "$UCH_TOP/tests/lib/functions.sh"
source "$UCH_TOP/tests/lib/cloud.sh"
require ansible-playbook
require jq
cloud_require
COLL=$UCH_TOP/ansible/ansible_collections/uch/appliance
pass() { echo "ok - $* [${SECONDS}s]"; }

CLOUD_PROJECTS="uchdisc-src uchdisc-dst"
# the projects and their members, made as admin; their clouds.yaml
# (the admin entry too) in $T
cloud_projects_make() { cloud_make_projects; }
cloud_up
pass "the cloud is up in ${CLOUD_UP_S}s; projects uchdisc-src and uchdisc-dst emptied"

head -c $((1024 * 1024)) /dev/zero >"$T/blank.img"
os_py "$T/blank.img" "$T/ids.json" <<'PY' >"$T/setup.log" 2>&1 || { cat "$T/setup.log"; die "the set-up in the cloud failed"; }
import json, sys, time
import openstack
admin = openstack.connect(cloud="uchos")
src = openstack.connect(cloud="uchdisc-src")
dst = openstack.connect(cloud="uchdisc-dst")
t0 = time.time()
def step(what):
    print("%s_s %.0f" % (what, time.time() - t0), flush=True)
img = admin.image.find_image("uch-blank")
if not img:
    img = admin.create_image("uch-blank", filename=sys.argv[1], disk_format="raw",
                             container_format="bare", visibility="public",
                             meta={"os_shutdown_timeout": "0"}, wait=True)
dpid = dst.current_project_id
# too small for the wave, set before anything is made in the project
# (Cinder refuses a quota below what is in use)
admin.set_compute_quotas(dpid, instances=2)
admin.set_volume_quotas(dpid, volumes=3, gigabytes=5)
admin.set_network_quotas(dpid, ports=0)
# the source: room for its four volumes, none for the clones of the
# boot volumes the wave makes there
admin.set_volume_quotas(src.current_project_id, volumes=4, gigabytes=20)
net = admin.network.find_network("uchos-net")
flavor = admin.compute.find_flavor("uch.guest")
# Nova lets a member boot from an image only with a flavor that has a disk
flavor_disk = admin.compute.find_flavor("uch.appliance")
# empty volumes, the boot volumes marked bootable (Nova boots only from
# one Cinder calls bootable): no image to copy, and none of the sqlite
# races a volume made from an image can lose here (its Glance metadata
# written twice after a retry: GlanceMetadataExists)
def vol(conn, name, size):
    return conn.block_storage.create_volume(name=name, size=size)
vols = dict(web_root=vol(src, "d-web-root", 1), web_data=vol(src, "d-web-data", 1),
            db_root=vol(src, "d-db-root", 1), db_data=vol(src, "d-db-data", 2),
            own_root=vol(dst, "disc1-d-web-vda", 1), wrong=vol(dst, "disc1-d-web-vdb", 2))
for k, v in vols.items():
    conn = dst if k in ("own_root", "wrong") else src
    vols[k] = conn.block_storage.wait_for_status(v, "available", failures=["error"], wait=900)
    if k in ("web_root", "db_root", "own_root"):
        conn.block_storage.set_volume_bootable_status(vols[k], True)
step("volumes_available")
def bdm(vs):
    return [{"boot_index": 0 if i == 0 else -1, "uuid": v.id, "source_type": "volume",
             "destination_type": "volume", "delete_on_termination": False}
            for i, v in enumerate(vs)]
servers = dict(
    web=src.compute.create_server(name="d-web", flavor_id=flavor.id, networks=[{"uuid": net.id}],
                                  block_device_mapping=bdm((vols["web_root"], vols["web_data"]))),
    db=src.compute.create_server(name="d-db", flavor_id=flavor.id,
                                 networks=[{"uuid": net.id}, {"uuid": net.id}],
                                 block_device_mapping=bdm((vols["db_root"], vols["db_data"]))),
    img=src.compute.create_server(name="d-img", flavor_id=flavor_disk.id, image_id=img.id,
                                  networks=[{"uuid": net.id}]),
    # the destination: a server of a VM's name that is not the wave's,
    # and the wave's own d-web (booted from the wave's volume)
    dst_db=dst.compute.create_server(name="d-db", flavor_id=flavor_disk.id, image_id=img.id,
                                     networks="none"),
    dst_web=dst.compute.create_server(name="d-web", flavor_id=flavor.id, networks="none",
                                      block_device_mapping=bdm((vols["own_root"],))))
for k, s in servers.items():
    conn = dst if k.startswith("dst_") else src
    servers[k] = conn.compute.wait_for_server(s, wait=1500, interval=3)
step("servers_active")
# Nova's tags need compute microversion 2.26
src.compute.put("/servers/%s/tags/migrate" % servers["web"].id, microversion="2.26")
for k in ("web", "img", "dst_db", "dst_web"):
    conn = dst if k.startswith("dst_") else src
    conn.compute.stop_server(servers[k])
for k in ("web", "img", "dst_db", "dst_web"):
    conn = dst if k.startswith("dst_") else src
    conn.compute.wait_for_server(servers[k], status="SHUTOFF", wait=600, interval=3)
step("servers_stopped")
with open(sys.argv[2], "w") as f:
    json.dump(dict(servers={k: s.id for k, s in servers.items()},
                   volumes={k: v.id for k, v in vols.items()}), f)
PY
grep '_s [0-9]' "$T/setup.log" | tr '\n' ' '; echo
pass "uchdisc-src: d-web (stopped, tagged), d-db (two ports), d-img (image-backed); uchdisc-dst: d-db, the wave's d-web, a volume of the wave's name, small quotas"

mkdir -p "$T/ansible-tmp"
cat >"$T/ansible.cfg" <<CFG
[defaults]
collections_path = $UCH_TOP/ansible
internal_poll_interval = 0.05
local_tmp = $T/ansible-tmp
interpreter_python = /usr/bin/python3
retry_files_enabled = False
CFG
play() { # LOG ARGS...: ansible-playbook ARGS in the cloud's namespaces; its rc in $T/rc
  local log=$1; shift
  set +e
  cloud_run env OS_CLIENT_CONFIG_FILE="$CLOUD_YAML" ANSIBLE_CONFIG="$T/ansible.cfg" \
    ANSIBLE_HOME="$T/ansible-home" ANSIBLE_NOCOLOR=1 HOME="$T" \
    ansible-playbook "$@" >"$T/$log" 2>&1
  echo $? >"$T/rc"
  set -e
}
discover() { # FILE LOG [ARGS...]
  local file=$1 log=$2; shift 2
  play "$log" -i localhost, -c local "$COLL/playbooks/discover_openstack.yml" \
    -e uch_os_source_cloud=uchdisc-src -e uch_wave=disc1 -e "uch_workloads_file=$T/$file" "$@"
  [ "$(cat "$T/rc")" = 0 ] || { cat "$T/$log"; die "discover_openstack failed"; }
}

# --- discovery ------------------------------------------------------------------
start=$(date +%s)
discover wave.yml discover.log
t_discover=$(( $(date +%s) - start ))
# the file against the API, read afresh
os_py "$T/wave.yml" "$T/ids.json" <<'PY' >"$T/check.log" 2>&1 ||
import json, sys, yaml
import openstack
wl = yaml.safe_load(open(sys.argv[1]))
ids = json.load(open(sys.argv[2]))
c = openstack.connect(cloud="uchdisc-src")
GiB = 1 << 30
assert wl["wave"] == "disc1", wl["wave"]
vms = {v["name"]: v for v in wl["vms"]}
assert sorted(vms) == ["d-db", "d-img", "d-web"], sorted(vms)
for name, key, fl in (("d-web", "web", "uch.guest"), ("d-db", "db", "uch.guest"),
                     ("d-img", "img", "uch.appliance")):
    vm = vms[name]
    s = c.compute.get_server(ids["servers"][key])
    o = vm["openstack"]
    assert vm["kind"] == "volume", vm
    assert o["server"] == s.id, (name, o["server"], s.id)
    assert o["status"] == s.status, (name, o["status"], s.status)
    assert o["flavor"] == fl, (name, o["flavor"])
    f = c.compute.find_flavor(fl)
    assert (o["flavor_details"]["vcpus"], o["flavor_details"]["ram"]) == (f.vcpus, f.ram), o["flavor_details"]
    assert o["network"] == "uchos-net", (name, o.get("network"))
    ports = sorted(c.network.ports(device_id=s.id), key=lambda p: p.mac_address)
    got = sorted(o["ports"], key=lambda p: p["mac"])
    assert [(p["id"], p["mac"], p["network"], [f["ip"] for f in p["fixed_ips"]]) for p in got] == \
        [(p.id, p.mac_address, "uchos-net", [f["ip_address"] for f in p.fixed_ips]) for p in ports], \
        (name, got, ports)
    assert o["tags"] == sorted(s.tags or []), (name, o["tags"], s.tags)
    # the disks: the volumes attached, the one at the first device first,
    # sizes in bytes
    atts = []
    for a in c.compute.volume_attachments(s):
        v = c.block_storage.get_volume(a.volume_id)
        atts.append((a.device, v.id, v.size * GiB))
    atts.sort()
    want = [(d, i, sz) for d, i, sz in atts]
    vdisks = [d for d in vm["disks"] if "volume" in d["source"]]
    got = [(d["openstack"]["device"], d["source"]["volume"], d["size"]) for d in vdisks]
    assert got == want, (name, got, want)
    assert [d["name"] for d in vdisks] == [d.rsplit("/", 1)[-1] for d, _, _ in atts], vm["disks"]
web, db, img = vms["d-web"], vms["d-db"], vms["d-img"]
assert web["disks"][0]["source"]["volume"] == ids["volumes"]["web_root"], web["disks"]
assert [d["size"] for d in db["disks"]] == [GiB, 2 * GiB], db["disks"]
assert web["openstack"]["status"] == "SHUTOFF" and db["openstack"]["status"] == "ACTIVE"
assert web["openstack"]["tags"] == ["migrate"], web["openstack"]["tags"]
assert web["checks"] == {"verdict": "ok", "reasons": []}, web["checks"]
assert db["checks"] == {"verdict": "ok", "reasons": []}, db["checks"]
assert len(db["openstack"]["ports"]) == 2, db["openstack"]["ports"]
# d-img, booted from an image: movable, its root disk (the flavor's
# 4 GiB) from a snapshot
assert img["checks"] == {"verdict": "ok", "reasons": []}, img["checks"]
image_id = c.compute.get_server(ids["servers"]["img"]).image.id
assert img["openstack"]["image"] == image_id, img["openstack"]
assert [dict(d, openstack=dict((k, v) for k, v in d["openstack"].items() if k != "image_metadata"))
        for d in img["disks"]] == [{"name": "vda", "size": 4 * GiB, "source": {"snapshot": True},
                                    "openstack": {"image_backed": True, "image": image_id}}], img["disks"]
assert all(isinstance(d["openstack"]["image_metadata"], dict) for d in img["disks"] + web["disks"]), \
    img["disks"] + web["disks"]
assert wl["openstack"]["flavor_map"] == {"uch.guest": "uch.guest", "uch.appliance": "uch.appliance"}, \
    wl["openstack"]
assert wl["openstack"]["network_map"] == {"uchos-net": "uchos-net"}, wl["openstack"]
assert wl["openstack"]["source"]["project_id"] == c.current_project_id, wl["openstack"]
print("ok")
PY
  { cat "$T/check.log"; cat "$T/wave.yml"; die "the workloads file is not what the API says"; }
pass "discover_openstack wrote the workloads file (${t_discover}s): servers, volumes (boot first, ids, sizes), flavor, network, ports, tags and checks as the API has them"

discover names.yml names.log -e '{"uch_discover_names": ["^d-w"]}'
discover tags.yml tags.log -e '{"uch_discover_tags": ["migrate"]}'
for f in names tags; do
  got=$(cloud_run /usr/bin/python3 -c 'import sys, yaml; print(" ".join(v["name"] for v in yaml.safe_load(open(sys.argv[1]))["vms"]))' "$T/$f.yml")
  [ "$got" = d-web ] || die "discovery filtered by $f took: $got"
done
pass "a name filter and a tag filter take d-web alone"

# --- the pre-flight: what a wave cannot do in uchdisc-dst ----------------------
# the maps lead nowhere: a flavor the destination lacks, a network map
# without the VMs' network
cloud_run /usr/bin/python3 - "$T/wave.yml" "$T/wave-bad.yml" "$T/wave-good.yml" <<'PY'
import sys, yaml
wl = yaml.safe_load(open(sys.argv[1]))
bad = dict(wl, openstack=dict(wl["openstack"], flavor_map={"uch.guest": "uch.nosuch", "uch.appliance": "uch.appliance"},
                              network_map={"other-net": "uchos-net"}))
yaml.safe_dump(bad, open(sys.argv[2], "w"), sort_keys=False)
for vm in wl["vms"]:
    if vm["name"] == "d-db":
        vm["openstack"]["new_name"] = "d-db-new"
yaml.safe_dump(wl, open(sys.argv[3], "w"), sort_keys=False)
PY
# appliances never reached: the pre-flight must stop the wave before
# its first play on them (192.0.2.0/24 is TEST-NET-1: no route here)
cat >"$T/inventory.yml" <<'INV'
all:
  children:
    uch_sources:
      hosts:
        src1: {ansible_host: 192.0.2.1}
    uch_destinations:
      hosts:
        dst1: {ansible_host: 192.0.2.2}
INV
wave() { # FILE LOG
  play "$2" -i "$T/inventory.yml" "$COLL/playbooks/migrate_wave.yml" \
    -e "uch_workloads_file=$T/$1" -e uch_cloud=openstack \
    -e uch_os_source_cloud=uchdisc-src -e uch_os_destination_cloud=uchdisc-dst \
    -e "uch_psk_dir=$T/psk" -e "uch_report_dir=$T/reports"
}
# what both projects hold: servers (status, volumes), volumes (status, size)
state() {
  os_py <<'PY'
import openstack
for cloud in ("uchdisc-src", "uchdisc-dst"):
    c = openstack.connect(cloud=cloud)
    for s in sorted(c.compute.servers(), key=lambda s: s.name):
        print(cloud, "server", s.name, s.id, s.status,
              sorted(a["id"] for a in s.attached_volumes or []))
    for v in sorted(c.block_storage.volumes(), key=lambda v: v.name):
        print(cloud, "volume", v.name, v.id, v.status, v.size)
PY
}
state >"$T/state-before"
wave wave-bad.yml bad.log
[ "$(cat "$T/rc")" != 0 ] || { cat "$T/bad.log"; die "the wave passed its pre-flight with too small quotas"; }
if grep -q '^PLAY \[Check the pool' "$T/bad.log"; then
  cat "$T/bad.log"; die "the wave went on after its pre-flight failed"
fi
# the task's message, as JSON
sed -n 's/^fatal: \[localhost\]: FAILED! => //p' "$T/bad.log" >"$T/bad.json"
jq -e .msg "$T/bad.json" >/dev/null || { cat "$T/bad.log"; die "no failure of the pre-flight's task"; }
dst_db=$(jq -r .servers.dst_db "$T/ids.json")
wrong=$(jq -r .volumes.wrong "$T/ids.json")
# every problem, one a line: VM|field|message
jq -r '.problems[] | "\(.vm // "")|\(.field)|\(.message)"' "$T/bad.json" | sort >"$T/bad.got"
sort >"$T/bad.want" <<WANT
|quota.instances|the wave needs 2 more, the destination project has 0 left (quota 2, 2 in use)
|quota.volumes|the wave needs 3 more, the destination project has 1 left (quota 3, 2 in use)
|quota.gigabytes|the wave needs 7 GiB more, the destination project has 2 GiB left (quota 5, 3 in use)
|quota.ports|the wave needs 4 more, the destination project has 0 left (quota 0, 0 in use)
|source.quota.volumes|the clones of the boot volumes and the volumes from snapshots need 3 more, the source project has 0 left (quota 4, 4 in use)
d-db|name|a server named d-db already exists in the destination project ($dst_db); give the new server another name with openstack.new_name
d-web|disks[1]|volume disc1-d-web-vdb ($wrong) exists in the destination project with 2 GiB; the wave makes it 1 GiB
d-web|openstack.flavor|flavor uch.nosuch (mapped from uch.guest): no such flavor in the destination project
d-db|openstack.flavor|flavor uch.nosuch (mapped from uch.guest): no such flavor in the destination project
d-web|openstack.ports[0].network|network uchos-net is not in the network map (other-net)
d-db|openstack.ports[0].network|network uchos-net is not in the network map (other-net)
d-db|openstack.ports[1].network|network uchos-net is not in the network map (other-net)
d-img|openstack.ports[0].network|network uchos-net is not in the network map (other-net)
WANT
diff -u "$T/bad.want" "$T/bad.got" || { cat "$T/bad.log"; die "the pre-flight's problems differ from those expected"; }
msg=$(jq -r .msg "$T/bad.json")
case $msg in
  "pre-flight of the destination project "*": 13 problems: "*"d-db: name: a server named d-db"*) ;;
  *) die "the pre-flight's message: $msg" ;;
esac
state >"$T/state-after"
diff -u "$T/state-before" "$T/state-after" || die "the failed pre-flight changed a project"
pass "the wave's pre-flight fails naming every problem (quotas instances, volumes, gigabytes, ports, the source's volumes for the clones and d-img's snapshot; the name d-db; a volume's size; the flavor map per VM, the network map per NIC), no play after it runs, neither project changed"

# --- the pre-flight passes ------------------------------------------------------
os_py <<'PY' >"$T/fix.log" 2>&1 || { cat "$T/fix.log"; die "raising the quotas failed"; }
import openstack
admin = openstack.connect(cloud="uchos")
dst = openstack.connect(cloud="uchdisc-dst")
pid = dst.current_project_id
admin.set_compute_quotas(pid, instances=10)
admin.set_volume_quotas(pid, volumes=10, gigabytes=20)
admin.set_network_quotas(pid, ports=10)
admin.set_volume_quotas(openstack.connect(cloud="uchdisc-src").current_project_id, volumes=10)
v = dst.block_storage.find_volume("disc1-d-web-vdb")
dst.block_storage.delete_volume(v)
dst.block_storage.wait_for_delete(v, interval=2, wait=300)
v = dst.block_storage.create_volume(name="disc1-d-web-vdb", size=1)
dst.block_storage.wait_for_status(v, "available", failures=["error"], interval=2, wait=300)
PY
cat >"$T/preflight.yml" <<YML
- hosts: localhost
  gather_facts: false
  tasks:
    - uch.appliance.uch_os_preflight:
        cloud: uchdisc-dst
        wave: disc1
        vms: "{{ (lookup('file', '$T/wave-good.yml') | from_yaml).vms }}"
        flavor_map: "{{ (lookup('file', '$T/wave-good.yml') | from_yaml).openstack.flavor_map }}"
        network_map: "{{ (lookup('file', '$T/wave-good.yml') | from_yaml).openstack.network_map }}"
        source_cloud: uchdisc-src
      register: r
    - ansible.builtin.copy:
        dest: $T/good.json
        content: "{{ r | to_json }}"
        mode: "0644"
YML
play good.log -i localhost, -c local "$T/preflight.yml"
[ "$(cat "$T/rc")" = 0 ] || { cat "$T/good.log"; die "the pre-flight failed where it should pass"; }
# d-db's flavor and d-img's
vcpus=$(os_py <<'PY'
import openstack
c = openstack.connect(cloud="uchdisc-dst")
f, g = c.compute.find_flavor("uch.guest"), c.compute.find_flavor("uch.appliance")
print(f.vcpus + g.vcpus, f.ram + g.ram)
PY
)
got=$(jq -r '[(.problems | length), .needed.instances, .needed.volumes, .needed.gigabytes, .needed.ports,
              .needed.cores, .needed.ram, .source_needed.volumes, .source_needed.gigabytes]
             | map(tostring) | join(" ")' "$T/good.json")
[ "$got" = "0 2 3 7 4 $vcpus 3 6" ] ||
  { cat "$T/good.json"; die "the pre-flight (problems, needed instances volumes gigabytes ports cores ram, in the source volumes gigabytes): $got, not 0 2 3 7 4 $vcpus 3 6"; }
got=$(jq -r '.vms | map("\(.name):\(.server):\(.flavor):\(.network):\(.networks | join(","))") | join(" ")' "$T/good.json")
[ "$got" = "d-db:d-db-new:uch.guest:uchos-net:uchos-net,uchos-net d-img:d-img:uch.appliance:uchos-net:uchos-net d-web:d-web:uch.guest:uchos-net:uchos-net" ] ||
  die "the pre-flight's VMs: $got"
pass "with room, the volume of the right size and a new name for d-db, the pre-flight passes; it counts only what the wave has still to make (2 servers, 3 volumes, 7 GiB, 4 ports, one per NIC: d-web's server and volumes are the wave's own, its port not yet; in the source, 2 clones of 1 GiB and d-img's 4 GiB volume from its snapshot)"

wave wave-good.yml good-wave.log
grep -q '^PLAY \[Check the pool' "$T/good-wave.log" &&
  sed -n '/^TASK \[Quotas, names and maps/,/^PLAY/p' "$T/good-wave.log" | grep -q '^ok: \[localhost\]' ||
  { cat "$T/good-wave.log"; die "the wave did not pass its pre-flight"; }
state >"$T/state-after2"
# only the volume made again (new id) differs
diff <(grep -v disc1-d-web-vdb "$T/state-before") <(grep -v disc1-d-web-vdb "$T/state-after2") ||
  die "the wave changed a project"
pass "migrate_wave passes its pre-flight and goes on to the appliances' play (here unreachable)"

cloud_wipe >"$T/wipe-end.log" 2>&1 || { cat "$T/wipe-end.log"; die "deleting the test's servers and volumes failed"; }
cloud_down_checked
pass "the test's servers and volumes deleted"
