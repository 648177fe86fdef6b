# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash disable=SC2034
# Sourced by the tests that run on the test cloud (tests/cloud/), after
# functions.sh: bring it up for this test and down at its end, run
# openstacksdk scripts and SSH in its namespaces.

CLOUD=$UCH_TOP/tests/cloud/cloud.sh
CLOUD_ST=$T/cloud

cloud_require() {
  if [ ! -x /usr/bin/nova-compute ] || [ ! -x /usr/bin/ceph-osd ]; then
    skip "the cloud's packages are not installed (make deps)"
  fi
  [ "$(id -u)" = 0 ] || skip "the test cloud needs root (namespaces)"
}

# cloud_up: the cloud for this test; sets CLOUD_UP_S and CLOUD_NS.
# With UCH_CLOUD_STATE=DIR, a cloud already up there (cloud.sh up DIR;
# tests/cloud/with-cloud for make check-cloud's tests) is used and left
# up: the servers and volumes of the projects the test owns
# (CLOUD_PROJECTS, clouds.yaml entries; uchos-src and uchos-dst unless
# the test says otherwise), an earlier test's, are deleted first (the
# images stay: the tests upload theirs by name and checksum, reused).
# Tests that own different projects can run side by side on it.
cloud_up() {
  local t0
  if [ -n "${UCH_CLOUD_STATE:-}" ]; then
    CLOUD_ST=$UCH_CLOUD_STATE
    "$CLOUD" status "$CLOUD_ST" || die "UCH_CLOUD_STATE=$CLOUD_ST: no cloud up there"
    CLOUD_UP_S=${UCH_CLOUD_UP_S:-0} CLOUD_NS=$(cat "$CLOUD_ST/netns")
    cloud_own_projects
    cloud_wipe >"$T/cloud-wipe.log" 2>&1 ||
      { cat "$T/cloud-wipe.log"; die "cannot empty the shared cloud's projects"; }
    return 0
  fi
  cleanup_add "'$CLOUD' down '$CLOUD_ST'"
  t0=$(date +%s)
  "$CLOUD" up "$CLOUD_ST" 2>"$T/cloud-up.log" || {
    tail -20 "$T/cloud-up.log"
    local f
    for f in "$CLOUD_ST"/log/*.out "$CLOUD_ST"/log/*/*.log; do
      [ -s "$f" ] || continue; echo "== $f"; tail -8 "$f"
    done
    die "the cloud did not come up"
  }
  CLOUD_UP_S=$(( $(date +%s) - t0 ))
  CLOUD_NS=$(cat "$CLOUD_ST/netns")
  cloud_own_projects
}

# cloud_make_projects: the projects of CLOUD_PROJECTS made as admin, if
# not there yet, each with a member user of its name (the admin's
# password), and their clouds.yaml, the admin entry too, in $T
# (CLOUD_YAML): what a test owning projects of its own gives as its
# cloud_projects_make.
cloud_make_projects() {
  # shellcheck disable=SC2086  # one word a project
  os_py "$T/clouds.yaml" $CLOUD_PROJECTS <<'PY'
import sys, yaml, openstack
c = openstack.connect(cloud="uchos")
auth = dict(c.config.config["auth"])
member = c.identity.find_role("member")
default = c.identity.find_domain("default")
clouds = {"uchos": {"auth": auth, "region_name": "RegionOne", "identity_api_version": 3}}
for p in sys.argv[2:]:
    proj = c.identity.find_project(p) or c.identity.create_project(name=p, domain_id=default.id)
    user = c.identity.find_user(p) or c.identity.create_user(
        name=p, password=auth["password"], domain_id=default.id, default_project_id=proj.id)
    c.identity.assign_project_role_to_user(proj, user, member)
    clouds[p] = {"auth": dict(auth_url=auth["auth_url"], username=p, password=auth["password"],
                              project_name=p, user_domain_name="Default",
                              project_domain_name="Default"),
                 "region_name": "RegionOne", "identity_api_version": 3}
with open(sys.argv[1], "w") as f:
    yaml.safe_dump({"clouds": clouds}, f)
PY
  CLOUD_YAML=$T/clouds.yaml
}

# cloud_errors: the last ERROR lines of each of the cloud's services
# (nova-compute's fault of a server that went to ERROR, say), for a
# test's failure message: its logs go with the cloud.
cloud_errors() {
  local f
  for f in "$CLOUD_ST"/log/*/*.log; do
    grep -q " ERROR " "$f" 2>/dev/null || continue
    echo "== $f"; grep " ERROR " "$f" | tail -5
  done
}

# cloud_own_projects: a test that makes projects of its own defines
# cloud_projects_make (run as the cloud comes up, before cloud_wipe: it
# makes them, if not there yet, and writes CLOUD_YAML, a clouds.yaml
# with their entries, which os_py then uses).
cloud_own_projects() {
  declare -F cloud_projects_make >/dev/null || return 0
  cloud_projects_make >"$T/cloud-projects.log" 2>&1 ||
    { cat "$T/cloud-projects.log"; die "cannot make the test's projects"; }
}

# cloud_wipe: delete every server, then every volume and every port
# bound to nothing (a migration's, which Nova does not delete with the
# server), of the projects of CLOUD_PROJECTS (clouds.yaml entries, of
# CLOUD_YAML when set: what an earlier test on a shared cloud left).
CLOUD_PROJECTS=${CLOUD_PROJECTS:-uchos-src uchos-dst}
cloud_wipe() {
  # shellcheck disable=SC2086  # one word a project
  os_py $CLOUD_PROJECTS <<'PY'
import sys
import openstack
for cloud in sys.argv[1:]:
    c = openstack.connect(cloud=cloud)
    servers = list(c.compute.servers())
    for s in servers:
        c.compute.delete_server(s)
    for s in servers:
        c.compute.wait_for_delete(s, interval=2, wait=600)
    vols = list(c.block_storage.volumes())
    for v in vols:
        if v.status not in ("available", "error"):
            v = c.block_storage.wait_for_status(v, "available", failures=["error"],
                                                interval=2, wait=300)
        c.block_storage.delete_volume(v)
    for v in vols:
        c.block_storage.wait_for_delete(v, interval=2, wait=300)
    ports = [p for p in c.network.ports(project_id=c.current_project_id)
             if not p.device_owner and not p.device_id]
    for p in ports:
        c.network.delete_port(p)
    print(cloud, len(servers), "servers,", len(vols), "volumes,", len(ports), "ports deleted")
PY
}

# cloud_run CMD...: CMD in the cloud's namespaces (the controller).
cloud_run() { "$CLOUD" run "$CLOUD_ST" "$@"; }

# os_py ARGS... <SCRIPT: a Python script (stdin) with openstacksdk, in
# the cloud's namespaces, clouds.yaml set (CLOUD_YAML, else the cloud's).
CLOUD_YAML=${CLOUD_YAML:-}
os_py() {
  cloud_run env OS_CLIENT_CONFIG_FILE="${CLOUD_YAML:-$CLOUD_ST/clouds.yaml}" \
    PYTHONPATH="$UCH_TOP/tests/cloud" /usr/bin/python3 - "$@"
}

# cloud_ssh KEY IP CMD...: root on a guest of the cloud.
cloud_ssh() {
  local key=$1 ip=$2; shift 2
  cloud_run ssh -q -i "$key" -o StrictHostKeyChecking=no \
    -o UserKnownHostsFile=/dev/null -o ConnectTimeout=30 -o BatchMode=yes \
    "root@$ip" "$@"
}

# cloud_down_checked: take the cloud down and fail if anything is left.
# (no process left in the cloud's PID or network namespace).
cloud_down_checked() {
  local t0 pidns netns left f
  if [ -n "${UCH_CLOUD_STATE:-}" ]; then CLOUD_DOWN_S=0; return 0; fi
  pidns=$(readlink "/proc/$(cat "$CLOUD_ST/holder.pid")/ns/pid")
  netns=$(readlink "/proc/$(cat "$CLOUD_ST/holder.pid")/ns/net")
  t0=$(date +%s)
  "$CLOUD" down "$CLOUD_ST"
  CLOUD_DOWN_S=$(( $(date +%s) - t0 ))
  [ ! -e "/run/netns/$CLOUD_NS" ] || die "network namespace $CLOUD_NS left behind"
  left=
  for f in /proc/[0-9]*/ns; do
    if [ "$(readlink "$f/pid" 2>/dev/null)" = "$pidns" ] ||
       [ "$(readlink "$f/net" 2>/dev/null)" = "$netns" ]; then
      left+=" $(tr '\0' ' ' <"${f%/ns}/cmdline" 2>/dev/null)"
    fi
  done
  [ -z "$left" ] || die "processes left in the cloud's namespaces:$left"
}

# appliance_user_data KEY.pub TOKEN: the user data docs/appliance.md gives.
appliance_user_data() {
  cat <<UD
#cloud-config
disable_root: false
ssh_authorized_keys:
  - $(cat "$1")
write_files:
  - path: /var/lib/uch/api-token
    permissions: "0600"
    content: |
      $2
UD
}
