#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# cloud.sh up STATE | down STATE | run STATE CMD... | status STATE
#
# A one-node OpenStack (Zed, from Debian 12's packages) for the tests:
# keystone, glance, placement, nova (libvirt, qemu TCG), cinder (RBD on a
# one-node ceph: one mon, one mgr, one bluestore OSD on a sparse file,
# pool size 1), neutron (ML2 linuxbridge, two flat networks with DHCP),
# rabbitmq for RPC, sqlite for every database.  Every daemon is started
# here, inside a network namespace "uchos-N" and, under it, PID, mount
# and UTS namespaces of its own (holder.py is their PID 1): the daemons
# see STATE's /etc, /var/lib and /var/log for their service and a
# private /run; `down` ends the PID namespace, which kills all of them,
# and deletes the network namespace.
#
# The flat network is physnet1 on the veth uchos-phys, 10.251.0.0/24; the
# controller (the namespace) is 10.251.0.1, where every API listens and
# what the guests reach; instances get 10.251.0.100-199 by DHCP.
# A second flat network, physnet2 on the veth uchos-phys2, the same
# 10.251.0.0/24 (DHCP from .200), stands for a destination cloud's
# network: "uchos-dst-net", owned by the project uch-dst (so that its
# member may give a port a MAC and a fixed IP: Neutron lets only the
# network's owner or an admin), where a migrated server can take the
# MAC and IP its source still holds on uchos-net.  The other end of
# that veth is 10.251.0.1 in the network namespace "uchos-dst" inside
# the cloud (`run STATE ip netns exec uchos-dst CMD`): that network's
# gateway, from where a test sees what answers there.
# `up` writes STATE/clouds.yaml (clouds "uchos" as admin, "uchos-src"
# and "uchos-dst" as the demo projects' members), STATE/env and
# STATE/timings; `run` runs a command in the cloud's namespaces (the
# controller's view: the flat network, the APIs).
#
# The databases, after their migrations and keystone's set-up, are
# cached in ${UCH_CACHE:-$HOME/.cache/uch}/cloud/db-HASH.tar (HASH of
# these scripts and the packages' versions).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export PATH=$PATH:/usr/sbin:/sbin
ip=10.251.0.1
cmd=${1:?usage: cloud.sh up|down|run|status STATE}
state=${2:?usage: cloud.sh up|down|run|status STATE}
shift 2
mkdir -p "$state"
state=$(cd "$state" && pwd)

log() { echo "cloud.sh: $*" >&2; }
die() { echo "cloud.sh: $*" >&2; exit 1; }

holder_pid() { cat "$state/holder.pid" 2>/dev/null; }
# Debian's python (not a pyenv one ahead on PATH) and the sudo shim
syspath=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# PYTHONPATH: pylib/sitecustomize.py, sqlite's lost races retried as
# deadlocks by the services (it says why)
inns() { nsenter -t "$(holder_pid)" -n -m -u -p -- env PATH="$state/bin:$syspath" \
  PYTHONPATH="$here/pylib" "$@"; }
# daemon NAME CMD...: start CMD in the cloud, detached; output to
# STATE/log/NAME.out.
daemon() {
  local name=$1; shift
  # fd 9 closed: the database cache's lock, held until keystone's
  # set-up is done; a daemon (keystone) that kept it would block every
  # other cloud's "up" of the same cache for as long as it runs
  inns setsid -f "$@" >"$state/log/$name.out" 2>&1 </dev/null 9>&-
}
# wait_for SECONDS CMD...
wait_for() {
  local limit=$1 i; shift
  for (( i=0; i < limit*5; i++ )); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  return 1
}
http_up() { inns curl -s -o /dev/null --max-time 5 "$1"; }
port_open() { inns bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; }
mark() {   # mark PHASE: seconds since `up` began, into STATE/timings
  echo "$1 $(( $(date +%s) - t_up ))" >>"$state/timings"
  log "$1 at $(( $(date +%s) - t_up )) s"
}

down() {
  local pid ns
  pid=$(holder_pid || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for (( i=0; i<300; i++ )); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  ns=$(cat "$state/netns" 2>/dev/null || true)
  if [ -n "$ns" ] && [ -e "/run/netns/$ns" ]; then
    ip netns del "$ns" 2>/dev/null || true
  fi
  rm -f "$state/holder.pid" "$state/holder.ready"
}

case $cmd in
  down) down; exit 0 ;;
  run) exec nsenter -t "$(holder_pid)" -n -m -u -p -- env PATH="$syspath" "$@" ;;
  status) [ -n "$(holder_pid)" ] && kill -0 "$(holder_pid)" 2>/dev/null; exit ;;
  up) ;;
  *) die "unknown command $cmd" ;;
esac

for t in keystone-manage glance-manage placement-manage nova-manage \
    cinder-manage neutron-db-manage nova-compute cinder-volume \
    neutron-linuxbridge-agent neutron-dhcp-agent libvirtd ceph-mon ceph-osd \
    ceph-mgr keystone-wsgi-public placement-api /usr/lib/rabbitmq/bin/rabbitmq-server nsenter unshare; do
  command -v "$t" >/dev/null || die "$t is not installed (make deps)"
done
/usr/bin/python3 -c 'import openstack, rados' 2>/dev/null ||
  die "python3-openstacksdk or python3-rados is not installed (make deps)"

t_up=$(date +%s)
: >"$state/timings"
ns=uchos-$$
echo "$ns" >"$state/netns"
mkdir -p "$state/log" "$state/bin" "$state/etc" "$state/lib"
# We run the daemons as root: the sudo they call (rootwrap, privsep)
# is a no-op.
printf '#!/bin/sh\n# the test cloud runs as root\nexec "$@"\n' >"$state/bin/sudo"
chmod +x "$state/bin/sudo"
printf '127.0.0.1 localhost uchos\n%s uchos-ctl\n' "$ip" >"$state/etc/hosts"

# --- configuration: the packages' files, our .conf files over them ---
for s in keystone glance placement nova cinder neutron libvirt ceph rabbitmq; do
  rm -rf "${state:?}/etc/$s"
  if [ -d "/etc/$s" ]; then cp -a "/etc/$s" "$state/etc/$s"; else mkdir -p "$state/etc/$s"; fi
done
# the databases' cache (below) holds keystone's users: their password
# is the one the services' configuration must have
cache=${UCH_CACHE:-$HOME/.cache/uch}/cloud
pkgs=$(dpkg-query -W -f='${Package}=${Version}\n' keystone glance-api \
  placement-api nova-api nova-compute cinder-volume neutron-server \
  python3-openstacksdk 2>/dev/null)
hash=$( { cat "$here/cloud.sh" "$here/setup.py" "$here/holder.py"; echo "$pkgs"; } |
  sha256sum | cut -c1-16)
dbtar=$cache/db-$hash.tar
if [ -s "$state/password" ]; then pw=$(cat "$state/password")
elif [ -s "$dbtar" ]; then pw=$(tar -xOf "$dbtar" password)
else pw=$(head -c 18 /dev/urandom | base64 | tr -d '/+='); fi
ksauth() {   # the [keystone_authtoken]-style auth options for user $1
  cat <<EOF
auth_type = password
auth_url = http://$ip:5000/v3
project_domain_name = Default
user_domain_name = Default
project_name = service
username = $1
password = $pw
region_name = RegionOne
EOF
}
rabbit=rabbit://guest:guest@127.0.0.1:5672/

cat >"$state/etc/keystone/keystone.conf" <<EOF
[DEFAULT]
log_dir = /var/log/keystone
[database]
connection = sqlite:////var/lib/keystone/keystone.sqlite?timeout=120
[token]
provider = fernet
[fernet_tokens]
key_repository = /var/lib/keystone/fernet-keys
[fernet_receipts]
key_repository = /var/lib/keystone/fernet-keys
[credential]
key_repository = /var/lib/keystone/credential-keys
EOF

cat >"$state/etc/glance/glance-api.conf" <<EOF
[DEFAULT]
bind_host = 0.0.0.0
bind_port = 9292
workers = 1
log_dir = /var/log/glance
enabled_backends = file:file
[database]
connection = sqlite:////var/lib/glance/glance.sqlite?timeout=120
[keystone_authtoken]
www_authenticate_uri = http://$ip:5000
$(ksauth glance)
[paste_deploy]
flavor = keystone
[glance_store]
default_backend = file
[file]
filesystem_store_datadir = /var/lib/glance/images/
[os_glance_staging_store]
filesystem_store_datadir = /var/lib/glance/staging/
[os_glance_tasks_store]
filesystem_store_datadir = /var/lib/glance/tasks/
[oslo_concurrency]
lock_path = /var/lib/glance/lock
EOF

cat >"$state/etc/placement/placement.conf" <<EOF
[DEFAULT]
log_dir = /var/log/placement
[placement_database]
connection = sqlite:////var/lib/placement/placement.sqlite?timeout=120
[api]
auth_strategy = keystone
[keystone_authtoken]
www_authenticate_uri = http://$ip:5000
$(ksauth placement)
EOF

cat >"$state/etc/nova/nova.conf" <<EOF
[DEFAULT]
host = uchos
my_ip = $ip
transport_url = $rabbit
state_path = /var/lib/nova
instances_path = /var/lib/nova/instances
log_dir = /var/log/nova
osapi_compute_workers = 1
metadata_workers = 1
enabled_apis = osapi_compute
compute_driver = libvirt.LibvirtDriver
force_config_drive = true
# the appliance and test guests are small; TCG is slow to boot
instance_build_timeout = 1200
# a port Neutron failed to make (a 500 when both cores are busy, its
# sqlite slow) is asked for again rather than the server put in ERROR
network_allocate_retries = 3
reserved_host_memory_mb = 512
ram_allocation_ratio = 1.0
[api]
auth_strategy = keystone
[api_database]
connection = sqlite:////var/lib/nova/nova_api.sqlite?timeout=120
[database]
connection = sqlite:////var/lib/nova/nova.sqlite?timeout=120
[conductor]
workers = 1
[scheduler]
workers = 1
discover_hosts_in_cells_interval = 2
[keystone_authtoken]
www_authenticate_uri = http://$ip:5000
service_token_roles_required = true
$(ksauth nova)
[service_user]
send_service_user_token = true
$(ksauth nova)
[placement]
$(ksauth placement)
[neutron]
$(ksauth neutron)
[cinder]
os_region_name = RegionOne
$(ksauth cinder)
[glance]
[libvirt]
virt_type = qemu
cpu_mode = none
[vnc]
enabled = false
[oslo_concurrency]
lock_path = /var/lib/nova/lock
[os_vif_linux_bridge]
use_ipv6 = false
EOF

cat >"$state/etc/cinder/cinder.conf" <<EOF
[DEFAULT]
host = uchos
my_ip = $ip
transport_url = $rabbit
auth_strategy = keystone
state_path = /var/lib/cinder
log_dir = /var/log/cinder
osapi_volume_listen = 0.0.0.0
osapi_volume_workers = 1
enabled_backends = rbd
default_volume_type = rbd
[database]
connection = sqlite:////var/lib/cinder/cinder.sqlite?timeout=120
[keystone_authtoken]
www_authenticate_uri = http://$ip:5000
service_token_roles_required = true
$(ksauth cinder)
[service_user]
send_service_user_token = true
$(ksauth cinder)
[nova]
$(ksauth nova)
[oslo_concurrency]
lock_path = /var/lib/cinder/lock
[rbd]
volume_driver = cinder.volume.drivers.rbd.RBDDriver
volume_backend_name = rbd
rbd_pool = volumes
rbd_ceph_conf = /etc/ceph/ceph.conf
rbd_flatten_volume_from_snapshot = false
EOF

cat >"$state/etc/neutron/neutron.conf" <<EOF
[DEFAULT]
host = uchos
core_plugin = ml2
service_plugins =
auth_strategy = keystone
transport_url = $rabbit
state_path = /var/lib/neutron
log_dir = /var/log/neutron
api_workers = 1
rpc_workers = 1
rpc_state_report_workers = 1
notify_nova_on_port_status_changes = true
notify_nova_on_port_data_changes = true
dhcp_agents_per_network = 1
[database]
connection = sqlite:////var/lib/neutron/neutron.sqlite?timeout=120
[keystone_authtoken]
www_authenticate_uri = http://$ip:5000
$(ksauth neutron)
[nova]
$(ksauth nova)
[oslo_concurrency]
lock_path = /var/lib/neutron/lock
[agent]
root_helper = sudo
[experimental]
linuxbridge = true
EOF
mkdir -p "$state/etc/neutron/plugins/ml2"
cat >"$state/etc/neutron/plugins/ml2/ml2_conf.ini" <<EOF
[ml2]
type_drivers = flat
tenant_network_types =
mechanism_drivers = linuxbridge
extension_drivers = port_security
[ml2_type_flat]
flat_networks = physnet1,physnet2
EOF
cat >"$state/etc/neutron/plugins/ml2/linuxbridge_agent.ini" <<EOF
[linux_bridge]
physical_interface_mappings = physnet1:uchos-phys,physnet2:uchos-phys2
[vxlan]
enable_vxlan = false
[securitygroup]
enable_security_group = false
firewall_driver = noop
EOF
cat >"$state/etc/neutron/dhcp_agent.ini" <<EOF
[DEFAULT]
interface_driver = linuxbridge
enable_isolated_metadata = false
EOF

cat >"$state/etc/libvirt/libvirtd.conf" <<EOF
unix_sock_group = "root"
unix_sock_rw_perms = "0770"
auth_unix_ro = "none"
auth_unix_rw = "none"
EOF
cat >"$state/etc/libvirt/qemu.conf" <<EOF
user = "root"
group = "root"
dynamic_ownership = 0
cgroup_controllers = [ ]
stdio_handler = "file"
EOF

fsid=5a1c7e0e-0b7e-4c55-9d2c-0c10d0000001
cat >"$state/etc/ceph/ceph.conf" <<EOF
[global]
fsid = $fsid
mon_host = [v2:$ip:3300,v1:$ip:6789]
public_network = 10.251.0.0/24
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
osd_pool_default_size = 1
osd_pool_default_min_size = 1
osd_pool_default_pg_num = 8
osd_crush_chooseleaf_type = 0
mon_allow_pool_size_one = true
mon_warn_on_pool_no_redundancy = false
mon_data_avail_warn = 1
mon_data_avail_crit = 0
osd_objectstore = bluestore
osd_memory_target = 805306368
bluestore_block_create = true
bluestore_block_size = 21474836480
mgr_initial_modules = restful
[mon]
mon_data = /var/lib/ceph/mon/ceph-\$id
[osd]
osd_data = /var/lib/ceph/osd/ceph-\$id
[mgr]
mgr_data = /var/lib/ceph/mgr/ceph-\$id
EOF

# --- the namespaces ---
ip netns add "$ns"
ip netns exec "$ns" unshare --pid --fork --mount-proc --mount --uts --propagation private \
  --kill-child /usr/bin/python3 "$here/holder.py" "$state" >"$state/log/holder.out" 2>&1 &
unshare_pid=$!
ready() { [ -s "$state/holder.ready" ]; }
wait_for 60 ready || { cat "$state/log/holder.out" >&2; die "the namespaces did not come up"; }
pgrep -P "$unshare_pid" >"$state/holder.pid"
inns ip link set lo up
# the flat network's "physical" interface is one end of a veth pair,
# the controller's address is on the other: the linuxbridge agent
# makes the network's bridge and enslaves uchos-phys, the instances'
# taps and the DHCP port; the controller reaches them through the pair
inns ip link add uchos-phys type veth peer name uchos-ctl
inns ip addr add "$ip/24" dev uchos-ctl
inns ip link set uchos-phys up
inns ip link set uchos-ctl up
# physnet2 (the destination's network, uchos-dst-net): the same, with
# the controller's end in a namespace of its own, so that the same
# addresses can be on both networks
inns ip netns add uchos-dst
inns ip link add uchos-phys2 type veth peer name uchos-gw2
inns ip link set uchos-gw2 netns uchos-dst
inns ip netns exec uchos-dst ip link set lo up
inns ip netns exec uchos-dst ip addr add "$ip/24" dev uchos-gw2
inns ip netns exec uchos-dst ip link set uchos-gw2 up
inns ip link set uchos-phys2 up
mark namespaces

# --- rabbitmq, ceph, libvirtd: they take a while, start them first ---
daemon rabbitmq env HOME=/var/lib/rabbitmq RABBITMQ_NODENAME=rabbit@localhost \
  RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_DIST_PORT=25672 \
  ERL_EPMD_ADDRESS=127.0.0.1 RABBITMQ_MNESIA_BASE=/var/lib/rabbitmq/mnesia \
  RABBITMQ_LOG_BASE=/var/log/rabbitmq RABBITMQ_ENABLED_PLUGINS_FILE=/var/lib/rabbitmq/enabled_plugins \
  /usr/lib/rabbitmq/bin/rabbitmq-server
daemon libvirtd libvirtd
inns mkdir -p /var/lib/ceph/mon/ceph-a /var/lib/ceph/osd/ceph-0 /var/lib/ceph/mgr/ceph-x
if [ ! -e "$state/lib/ceph/mon/ceph-a/store.db" ]; then
  inns monmaptool --create --clobber --fsid "$fsid" \
    --addv a "[v2:$ip:3300,v1:$ip:6789]" /var/lib/ceph/monmap >/dev/null
  inns ceph-mon --mkfs -i a --monmap /var/lib/ceph/monmap >"$state/log/ceph-mkfs.out" 2>&1
fi
daemon ceph-mon ceph-mon -f -i a
mark "rabbitmq, libvirtd, ceph-mon started"

# --- databases: from the cache, or migrated now ---
mkdir -p "$cache"
exec 9>"$cache/.lock-$hash"
flock 9
if [ -s "$dbtar" ]; then
  tar -C "$state" -xf "$dbtar"
  pw=$(cat "$state/password")
  mark "databases from the cache"
  cached=1
else
  cached=0
  echo "$pw" >"$state/password"
  { inns keystone-manage fernet_setup --keystone-user root --keystone-group root
    inns keystone-manage credential_setup --keystone-user root --keystone-group root
    inns keystone-manage db_sync
    inns keystone-manage bootstrap --bootstrap-password "$pw" \
      --bootstrap-admin-url "http://$ip:5000/v3/" \
      --bootstrap-internal-url "http://$ip:5000/v3/" \
      --bootstrap-public-url "http://$ip:5000/v3/" \
      --bootstrap-region-id RegionOne; } >"$state/log/keystone-db.out" 2>&1
  mark "keystone database"
  inns glance-manage db_sync >"$state/log/glance-db.out" 2>&1
  inns placement-manage db sync >"$state/log/placement-db.out" 2>&1
  mark "glance, placement databases"
  { inns nova-manage api_db sync
    inns nova-manage cell_v2 map_cell0 \
      --database_connection "sqlite:////var/lib/nova/nova_cell0.sqlite?timeout=120"
    inns nova-manage cell_v2 create_cell --name cell1
    inns nova-manage db sync; } >"$state/log/nova-db.out" 2>&1
  mark "nova databases"
  inns cinder-manage db sync >"$state/log/cinder-db.out" 2>&1
  mark "cinder database"
  # neutron's migrations alter constraints, which sqlite cannot
  # (alembic: "No support for ALTER of constraints in SQLite dialect"):
  # the schema comes from neutron's models, as its own unit tests make
  # it, and is stamped as at the migrations' heads
  { inns /usr/bin/python3 -c 'import sys, sqlalchemy
from neutron.db.migration.models import head
from neutron_lib.db import model_base
model_base.BASEV2.metadata.create_all(sqlalchemy.create_engine(sys.argv[1]))' \
      sqlite:////var/lib/neutron/neutron.sqlite
    inns neutron-db-manage --config-file /etc/neutron/neutron.conf \
      --config-file /etc/neutron/plugins/ml2/ml2_conf.ini stamp heads
  } >"$state/log/neutron-db.out" 2>&1
  mark "neutron database"
  # several processes (nova's api, conductor, scheduler) share a file:
  # in WAL mode readers do not block the writer (a request that read
  # while another wrote failed with "database is locked")
  inns /usr/bin/python3 -c 'import sqlite3, sys
for f in sys.argv[1:]:
    sqlite3.connect(f).execute("pragma journal_mode=wal").fetchall()' \
    /var/lib/keystone/keystone.sqlite /var/lib/glance/glance.sqlite \
    /var/lib/placement/placement.sqlite /var/lib/nova/nova_api.sqlite \
    /var/lib/nova/nova.sqlite /var/lib/nova/nova_cell0.sqlite \
    /var/lib/cinder/cinder.sqlite /var/lib/neutron/neutron.sqlite
fi

# --- keystone, and the identity set-up (users, services, endpoints) ---
# keystone and placement: their WSGI scripts' own server (wsgiref, one
# request at a time: plenty here).  Under uwsgi's http-socket, keystone
# reset token requests on this loaded machine.
wsgi_app() {   # wsgi_app NAME PORT WSGI-SCRIPT
  daemon "$1" "$3" --host 0.0.0.0 --port "$2"
}
wsgi_app keystone 5000 /usr/bin/keystone-wsgi-public
wait_for 120 http_up "http://$ip:5000/v3" || die "keystone did not answer (see $state/log)"
mark "keystone up"
cat >"$state/clouds.yaml" <<EOF
clouds:
  uchos:
    auth:
      auth_url: http://$ip:5000/v3
      username: admin
      password: $pw
      project_name: admin
      user_domain_name: Default
      project_domain_name: Default
    region_name: RegionOne
    identity_api_version: 3
  uchos-src:
    auth:
      auth_url: http://$ip:5000/v3
      username: uch-src
      password: $pw
      project_name: uch-src
      user_domain_name: Default
      project_domain_name: Default
    region_name: RegionOne
    identity_api_version: 3
  uchos-dst:
    auth:
      auth_url: http://$ip:5000/v3
      username: uch-dst
      password: $pw
      project_name: uch-dst
      user_domain_name: Default
      project_domain_name: Default
    region_name: RegionOne
    identity_api_version: 3
EOF
chmod 600 "$state/clouds.yaml"
export OS_CLIENT_CONFIG_FILE=$state/clouds.yaml
if [ "$cached" = 0 ]; then
  inns env OS_CLIENT_CONFIG_FILE="$state/clouds.yaml" /usr/bin/python3 "$here/setup.py" identity \
    >"$state/log/setup-identity.out" 2>&1 || { tail -20 "$state/log/setup-identity.out" >&2; die "identity set-up failed"; }
  mark "identity set-up"
  # cache what the migrations and keystone made (the daemons but
  # keystone do not run yet; keystone's sqlite is consistent at rest
  # between requests)
  tar -C "$state" -cf "$dbtar.tmp" password lib/keystone lib/glance \
    lib/placement lib/nova lib/cinder lib/neutron
  mv "$dbtar.tmp" "$dbtar"
fi
exec 9>&-

# --- ceph: the OSD, the manager, the volumes pool ---
wait_for 120 port_open "$ip" 6789 || die "ceph-mon did not come up"
inns /usr/bin/python3 "$here/setup.py" ceph >"$state/log/setup-ceph.out" 2>&1 ||
  { tail -20 "$state/log/setup-ceph.out" >&2; die "ceph set-up failed"; }
# PGs that stay laggy after a stall of the OSD: re-peered (setup.py
# says why)
daemon ceph-watch /usr/bin/python3 "$here/setup.py" ceph-watch
mark "ceph ready"

# --- the other services ---
mkdir -p "$state/lib/nova/instances" "$state/lib/glance/images" \
  "$state/lib/glance/staging" "$state/lib/glance/tasks"
wait_for 180 port_open 127.0.0.1 5672 || die "rabbitmq did not come up (see $state/log/rabbitmq.out)"
mark "rabbitmq up"
daemon glance-api glance-api --config-file /etc/glance/glance-api.conf
wsgi_app placement 8778 /usr/bin/placement-api
daemon nova-api nova-api --config-file /etc/nova/nova.conf
daemon nova-conductor nova-conductor --config-file /etc/nova/nova.conf
daemon nova-scheduler nova-scheduler --config-file /etc/nova/nova.conf
daemon nova-compute nova-compute --config-file /etc/nova/nova.conf
daemon neutron-server neutron-server --config-file /etc/neutron/neutron.conf \
  --config-file /etc/neutron/plugins/ml2/ml2_conf.ini
daemon neutron-linuxbridge-agent neutron-linuxbridge-agent \
  --config-file /etc/neutron/neutron.conf \
  --config-file /etc/neutron/plugins/ml2/linuxbridge_agent.ini
daemon neutron-dhcp-agent neutron-dhcp-agent --config-file /etc/neutron/neutron.conf \
  --config-file /etc/neutron/dhcp_agent.ini
daemon cinder-api cinder-api --config-file /etc/cinder/cinder.conf
daemon cinder-scheduler cinder-scheduler --config-file /etc/cinder/cinder.conf
daemon cinder-volume cinder-volume --config-file /etc/cinder/cinder.conf
mark "services started"
inns env OS_CLIENT_CONFIG_FILE="$state/clouds.yaml" /usr/bin/python3 "$here/setup.py" services \
  >"$state/log/setup-services.out" 2>&1 || { tail -20 "$state/log/setup-services.out" >&2; die "set-up failed"; }
mark "cloud ready"
cat >"$state/env" <<EOF
UCHOS_NETNS=$ns
UCHOS_HOLDER=$(holder_pid)
UCHOS_IP=$ip
OS_CLIENT_CONFIG_FILE=$state/clouds.yaml
EOF
