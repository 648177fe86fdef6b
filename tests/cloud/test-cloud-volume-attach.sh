#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# uch-test: slow
# uch-test: timeout=3000
# Passed automated (make check-cloud; 28 min at load 21, cold database
# cache); the 500 from neutron-server at the port that stopped it before
# was sqlite refusing a write to a transaction that lost a race, now
# retried as a deadlock by the services (pylib/sitecustomize.py).
# The test cloud (tests/cloud/cloud.sh: a one-node OpenStack from
# Debian's packages) comes up; the UCH appliance image (make image) goes
# into Glance and boots as a Nova server with a config drive (root's SSH
# key and the API token in its user data, as docs/appliance.md says); a
# Cinder volume (RBD on the cloud's ceph) is created, becomes available,
# is attached to the running server, and the guest sees it as
# /dev/disk/by-id/virtio-<first 20 characters of the volume id>; uchd in
# the guest is healthy over TLS with that token.  Then the cloud goes
# down and nothing of it is left: no process in its namespaces, no
# network namespace.  Phase times go to
# build/test-logs/cloud-volume-attach.figures.
source "$UCH_TOP/tests/lib/functions.sh"
source "$UCH_TOP/tests/lib/cloud.sh"
require ssh
require ssh-keygen
require curl
cloud_require

figures=$UCH_BUILD/test-logs/cloud-volume-attach.figures
t0=$(date +%s)
"$UCH_TOP/image-build/build-debian" >"$T/built" 2>"$T/build.log" ||
  { tail -30 "$T/build.log"; die "image build failed"; }
image=$(head -1 "$T/built")
t_image=$(( $(date +%s) - t0 ))

cloud_up
pass "the cloud is up in ${CLOUD_UP_S}s ($(tr '\n' ',' <"$CLOUD_ST/timings"))"

token=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
ssh-keygen -q -t ed25519 -N '' -f "$T/key"
appliance_user_data "$T/key.pub" "$token" >"$T/user-data"

t0=$(date +%s)
os_py "$image" "$T/user-data" "$T/out" <<'PY' >"$T/sdk.log" 2>&1 ||
import base64, sys, time
import openstack
image_file, user_data, out = sys.argv[1:4]
c = openstack.connect(cloud="uchos-src")
admin = openstack.connect(cloud="uchos")
t = time.time()
def step(what):
    global t
    print("%s %.0f" % (what, time.time() - t), flush=True)
    t = time.time()
# public, as the other tests upload it (one image of the name, reused
# on a shared cloud when its checksums match)
img = admin.create_image("uch-appliance", filename=image_file, disk_format="qcow2",
                         container_format="bare", visibility="public", wait=True)
step("image_upload_s")
vol = c.block_storage.create_volume(name="data1", size=1)
vol = c.block_storage.wait_for_status(vol, "available", failures=["error"], wait=300)
step("volume_available_s")
net = c.network.find_network("uchos-net")
srv = c.compute.create_server(
    name="app1", image_id=img.id, flavor_id=c.compute.find_flavor("uch.appliance").id,
    networks=[{"uuid": net.id}], config_drive=True,
    user_data=base64.b64encode(open(user_data, "rb").read()).decode())
srv = c.compute.wait_for_server(srv, wait=1200, interval=3)
step("server_active_s")
c.compute.create_volume_attachment(srv, volume_id=vol.id)
c.block_storage.wait_for_status(vol, "in-use", failures=["error", "error_attaching"], wait=300)
step("volume_attached_s")
ip = [a["addr"] for n in srv.addresses.values() for a in n][0]
with open(out, "w") as f:
    f.write("%s %s %s\n" % (srv.id, vol.id, ip))
PY
  { cat "$T/sdk.log"; tail -30 "$CLOUD_ST"/log/nova/nova-compute.log 2>/dev/null; die "boot and attach failed"; }
t_boot=$(( $(date +%s) - t0 ))
read -r srv_id vol_id guest_ip <"$T/out"
pass "image in glance, volume $vol_id available, server $srv_id ACTIVE at $guest_ip, volume attached ($(grep '_s [0-9]' "$T/sdk.log" | tr '\n' ' '))"

guest() { cloud_ssh "$T/key" "$guest_ip" "$@"; }
t0=$(date +%s)
cloud_init_done() { guest test -f /var/lib/cloud/instance/boot-finished; }
wait_for 1200 cloud_init_done || die "no ssh to the server, or cloud-init never finished"
t_ssh=$(( $(date +%s) - t0 ))
guest "test -b /dev/disk/by-id/virtio-${vol_id:0:20}" ||
  die "the guest has no /dev/disk/by-id/virtio-${vol_id:0:20}: $(guest 'ls /dev/disk/by-id' 2>&1)"
pass "the guest sees the volume as /dev/disk/by-id/virtio-${vol_id:0:20}"
guest test -s /var/lib/uch/api-token || die "no API token from the user data"
code=$(cloud_run curl -sk -o /dev/null -w '%{http_code}' \
  -H "Authorization: Bearer $token" "https://$guest_ip:10808/v1/health")
[ "$code" = 200 ] || die "uchd health over TLS with the token: $code"
pass "cloud-init wrote the token from the config drive; uchd healthy over TLS"

cloud_down_checked
pass "the cloud is down: no namespace, no process left (${CLOUD_DOWN_S}s)"
{ printf 'image_build_s=%s\ncloud_up_s=%s\n' "$t_image" "$CLOUD_UP_S"
  sed -n 's/^\([a-z_]*_s\) \([0-9]*\)$/\1=\2/p' "$T/sdk.log"
  printf 'boot_and_attach_s=%s\nguest_ssh_after_attach_s=%s\ncloud_down_s=%s\n' \
    "$t_boot" "$t_ssh" "$CLOUD_DOWN_S"
  sed 's/^/up_phase /' "$CLOUD_ST/timings"; } | tee "$figures"
