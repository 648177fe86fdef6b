#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# uch-test: slow
# uch-test: timeout=3000
# The collection's uch_os_* modules (ansible/README.md: openstack.cloud
# does not run with Debian 12's openstacksdk) on the test cloud, the
# steps the volume_migration role takes, through ansible-playbook on the
# controller, in the admin project (its own: clouds.yaml entry uchos; the
# wave's test owns uch-src and uch-dst, so the two can share a cloud and
# run side by side; the wave runs the same modules as a project member):
# - uch_os_volume makes a volume from an image (a blank one: the server
#   need not run an OS) and an empty one; uch_os_port a port with a
#   MAC and a fixed IP of ours on uchos-net; uch_os_server boots a
#   server from the first with the second attached (block device
#   mappings), on that port, ACTIVE;
# - uch_os_server_action stops it and names the volume it boots from
#   (root_volume: the first);
# - uch_os_server_volume detaches the second; detaching the first fails
#   with Nova's "Cannot detach a root device volume"; uch_os_volume
#   clones the first (in-use) volume;
# - uch_os_server_volume attaches the clone and gives the second back;
# - the same playbook again: it detaches the data volume and gives it
#   back, so those two tasks change (changed=2) and every other is ok;
#   the end state declared (volumes, the port, the server with both
#   attached, stopped, the clone attached): changed=0, one port; check
#   mode on a new name: changed, nothing made; detaching a volume that
#   does not exist: unchanged (the role's rollback relies on it); the
#   port's name with another MAC: fails saying so;
# - uch_os_server absent, then uch_os_volume absent for all three, and
#   uch_os_port absent (Nova leaves a port it did not make).
# The cloud's API is asked after each play (openstacksdk), not the
# modules' own results.
source "$UCH_TOP/tests/lib/functions.sh"
source "$UCH_TOP/tests/lib/cloud.sh"
require ansible-playbook
cloud_require

CLOUD_PROJECTS=uchos
cloud_up
pass "the cloud is up in ${CLOUD_UP_S}s"
# the server need only reach ACTIVE and stop: it boots a blank disk (it
# sits in its firmware, no CPU spent on an OS under TCG) and Nova stops
# it without waiting for a guest's shutdown (os_shutdown_timeout 0)
head -c $((1024 * 1024)) /dev/zero >"$T/blank.img"
os_py "$T/blank.img" <<'PY' >"$T/img.log" 2>&1 || { cat "$T/img.log"; die "image upload failed"; }
import sys, openstack
c = openstack.connect(cloud="uchos")
# on a shared cloud an earlier test may have put it there (create_image
# would upload it again under the same name)
if not c.image.find_image("uch-blank"):
    c.create_image("uch-blank", filename=sys.argv[1], disk_format="raw",
                   container_format="bare", visibility="public",
                   meta={"os_shutdown_timeout": "0"}, wait=True)
PY

mkdir -p "$T/ansible-tmp"
cat >"$T/ansible.cfg" <<CFG
[defaults]
collections_path = $UCH_TOP/ansible
internal_poll_interval = 0.05
local_tmp = $T/ansible-tmp
interpreter_python = /usr/bin/python3
retry_files_enabled = False
CFG
cat >"$T/steps.yml" <<'YML'
- hosts: localhost
  gather_facts: false
  vars:
    c: uchos
  tasks:
    - name: root volume from the image
      uch.appliance.uch_os_volume: {cloud: "{{ c }}", name: m-root, size: 1, image: uch-blank}
      register: root
    - name: data volume
      uch.appliance.uch_os_volume: {cloud: "{{ c }}", name: m-data, size: 1}
    - name: a port with a MAC and an IP of ours
      uch.appliance.uch_os_port:
        cloud: "{{ c }}"
        name: m-port
        network: uchos-net
        mac_address: "fa:16:3e:0d:0d:01"
        fixed_ips: [{subnet: uchos-subnet, ip: 10.251.0.250}]
        security_groups: []
    - name: server from the root volume, data attached, on the port
      uch.appliance.uch_os_server:
        cloud: "{{ c }}"
        name: m-srv
        flavor: uch.guest
        ports: [m-port]
        boot_volume: m-root
        volumes: [m-data]
        timeout: 1800
    - name: stop it
      uch.appliance.uch_os_server_action: {cloud: "{{ c }}", server: m-srv, action: stop, timeout: 900}
      register: stopped
    - name: the volume it boots from is the root volume
      ansible.builtin.assert:
        that: stopped.server.root_volume == root.id
        quiet: true
    - name: detach the data volume
      uch.appliance.uch_os_server_volume: {cloud: "{{ c }}", server: m-srv, volume: m-data, state: absent}
    - name: clone the root volume
      uch.appliance.uch_os_volume: {cloud: "{{ c }}", name: m-root-src, source_volume: m-root}
    - name: attach the clone
      uch.appliance.uch_os_server_volume: {cloud: "{{ c }}", server: m-srv, volume: m-root-src}
    - name: give the data volume back
      uch.appliance.uch_os_server_volume: {cloud: "{{ c }}", server: m-srv, volume: m-data}
YML
cat >"$T/root-detach.yml" <<'YML'
- hosts: localhost
  gather_facts: false
  tasks:
    - uch.appliance.uch_os_server_volume: {cloud: uchos, server: m-srv, volume: m-root, state: absent}
YML
# the state the steps end in, declared: nothing to do
cat >"$T/end.yml" <<'YML'
- hosts: localhost
  gather_facts: false
  vars:
    c: uchos
  tasks:
    - uch.appliance.uch_os_volume: {cloud: "{{ c }}", name: m-root, size: 1, image: uch-blank}
    - uch.appliance.uch_os_volume: {cloud: "{{ c }}", name: m-data, size: 1}
    - uch.appliance.uch_os_volume: {cloud: "{{ c }}", name: m-root-src, source_volume: m-root}
    - uch.appliance.uch_os_port:
        cloud: "{{ c }}"
        name: m-port
        network: uchos-net
        mac_address: "FA:16:3E:0D:0D:01"
        fixed_ips: [{ip: 10.251.0.250}]
    - uch.appliance.uch_os_server:
        cloud: "{{ c }}"
        name: m-srv
        flavor: uch.guest
        ports: [m-port]
        boot_volume: m-root
        volumes: [m-data, m-root-src]
    - uch.appliance.uch_os_server_action: {cloud: "{{ c }}", server: m-srv, action: stop}
    - uch.appliance.uch_os_server_volume: {cloud: "{{ c }}", server: m-srv, volume: m-root-src}
    - uch.appliance.uch_os_server_volume: {cloud: "{{ c }}", server: m-srv, volume: m-data}
YML
cat >"$T/check.yml" <<'YML'
- hosts: localhost
  gather_facts: false
  tasks:
    - uch.appliance.uch_os_volume: {cloud: uchos, name: m-never, size: 1}
      check_mode: true
      register: r
    - ansible.builtin.assert: {that: r.changed, quiet: true}
    # a volume that is not there is not attached (the role's rollback)
    - uch.appliance.uch_os_server_volume: {cloud: uchos, server: m-srv, volume: m-never, state: absent}
      register: r
    - ansible.builtin.assert: {that: not r.changed, quiet: true}
    - uch.appliance.uch_os_port: {cloud: uchos, name: m-never, network: uchos-net, mac_address: "fa:16:3e:0d:0d:02"}
      check_mode: true
      register: r
    - ansible.builtin.assert: {that: r.changed, quiet: true}
    # the port's name with another MAC: not taken for the wave's own
    - uch.appliance.uch_os_port: {cloud: uchos, name: m-port, network: uchos-net, mac_address: "fa:16:3e:0d:0d:03"}
      register: r
      ignore_errors: true
    - ansible.builtin.assert:
        that: r.failed and 'exists with MAC fa:16:3e:0d:0d:01, not fa:16:3e:0d:0d:03' in r.msg
        quiet: true
YML
cat >"$T/gone.yml" <<'YML'
- hosts: localhost
  gather_facts: false
  tasks:
    - uch.appliance.uch_os_server: {cloud: uchos, name: m-srv, state: absent}
    - uch.appliance.uch_os_volume: {cloud: uchos, name: "{{ item }}", state: absent}
      loop: [m-root, m-data, m-root-src]
    - uch.appliance.uch_os_port: {cloud: uchos, name: m-port, state: absent}
YML
play() { # PLAYBOOK LOG
  cloud_run env OS_CLIENT_CONFIG_FILE="$CLOUD_ST/clouds.yaml" ANSIBLE_CONFIG="$T/ansible.cfg" \
    ANSIBLE_HOME="$T/ansible-home" ANSIBLE_NOCOLOR=1 HOME="$T" \
    ansible-playbook -i localhost, -c local "$T/$1" >"$T/$2" 2>&1
}
# what the cloud says: per volume, its status and the servers it is on
state() {
  os_py <<'PY'
import openstack
c = openstack.connect(cloud="uchos")
s = c.compute.find_server("m-srv")   # by name: the list's entry, get it whole
s = s and c.compute.get_server(s.id)
print("server", s.status if s else "none")
for n in ("m-root", "m-data", "m-root-src", "m-never"):
    v = c.block_storage.find_volume(n)   # by name: the list's entry, get it whole
    v = v and c.block_storage.get_volume(v.id)
    print(n, v.status if v else "none",
          "on-srv" if v and s and any(a["server_id"] == s.id for a in v.attachments or []) else "-")
for n in ("m-port", "m-never"):
    ps = list(c.network.ports(name=n))
    print(n, len(ps), " ".join("%s %s %s" % (p.mac_address, ",".join(f["ip_address"] for f in p.fixed_ips),
                                             "on-srv" if s and p.device_id == s.id else "-") for p in ps))
PY
}

t0=$(date +%s)
play steps.yml steps1.log || { cat "$T/steps1.log"; die "the modules' steps failed"; }
t_steps=$(( $(date +%s) - t0 ))
got=$(state)
want='server SHUTOFF
m-root in-use on-srv
m-data in-use on-srv
m-root-src in-use on-srv
m-never none -
m-port 1 fa:16:3e:0d:0d:01 10.251.0.250 on-srv
m-never 0 '
[ "$got" = "$want" ] || die "the cloud after the steps: $got"
pass "volumes made (from an image, empty, a clone of an in-use one), a port with our MAC and IP, a server booted from one on it, stopped, volumes detached and attached (${t_steps}s)"

if play root-detach.yml root.log; then die "detaching the root volume passed: $(cat "$T/root.log")"; fi
grep -q "Cannot detach a root device volume" "$T/root.log" ||
  die "detaching the root volume: $(cat "$T/root.log")"
pass "detaching the volume a server boots from fails with Nova's message"

# the steps again: the data volume is attached, so they detach it and
# give it back (those two change, as they must); every other task is ok
play steps.yml steps2.log || { cat "$T/steps2.log"; die "the steps again failed"; }
changed=$(awk '/^TASK \[/ { t = $0; sub(/^TASK \[/, "", t); sub(/\] \**$/, "", t) }
               /^changed: / { print t }' "$T/steps2.log")
[ "$changed" = "detach the data volume
give the data volume back" ] &&
  grep -qE 'localhost *: ok=[0-9]+ +changed=2 ' "$T/steps2.log" ||
  { sed -n '/PLAY RECAP/,$p' "$T/steps2.log"; die "the steps again changed other than the data volume's detach and attach: $changed"; }
[ "$(state)" = "$want" ] || die "the cloud after the steps again: $(state)"
play end.yml end.log || { cat "$T/end.log"; die "the end state declared failed"; }
grep -qE 'localhost *: ok=[0-9]+ +changed=0 ' "$T/end.log" ||
  { sed -n '/PLAY RECAP/,$p' "$T/end.log"; die "declaring the state the cloud is in changed something"; }
[ "$(state)" = "$want" ] || die "the cloud after the end state declared: $(state)"
play check.yml check.log || { cat "$T/check.log"; die "check mode failed"; }
[ "$(state)" = "$want" ] || die "check mode made something: $(state)"
pass "the same steps again: only the data volume's detach and attach changed, the cloud as it was; its end state declared: changed=0, one port; check mode makes nothing; detaching no volume changes nothing; the port's name with another MAC fails saying so"

play gone.yml gone.log || { cat "$T/gone.log"; die "deleting failed"; }
got=$(state)
[ "$got" = "server none
m-root none -
m-data none -
m-root-src none -
m-never none -
m-port 0 
m-never 0 " ] || die "the cloud after deleting: $got"
pass "server, volumes and port deleted"

cloud_down_checked
pass "the cloud is down, nothing left"
