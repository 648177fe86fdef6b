# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# Sourced by the Ansible tests after functions.sh: "appliances" as
# network namespaces on one bridge, each with its own sshd (own config,
# host key, port; key auth only) and its own uchd, reached from the root
# namespace (the Ansible controller) over SSH.

APPL_SUFFIX=${APPL_SUFFIX:-$$}
APPL_BR=uchb$APPL_SUFFIX
APPL_NET=10.$(( 100 + RANDOM % 100 )).$(( RANDOM % 250 ))
APPL_N=0
APPL_NAMES=()

appliances_init() {
  [ -x /usr/sbin/sshd ] || skip "/usr/sbin/sshd not installed (openssh-server)"
  ip link add "$APPL_BR" type bridge 2>/dev/null || skip "cannot create a bridge here"
  cleanup_add "ip link del $APPL_BR"
  ip addr add "$APPL_NET.1/24" dev "$APPL_BR"
  ip link set "$APPL_BR" up
  ssh-keygen -q -t ed25519 -N '' -f "$T/id_controller" >/dev/null
  cp "$T/id_controller.pub" "$T/authorized_keys"
  mkdir -p /run/sshd
  : >"$T/inventory.hosts"
}

# appliance_add NAME MAX_JOBS [ENV=VALUE...]: a namespace with sshd and uchd.
# Sets, per appliance, $T/NAME/{state,run,by-id,secrets}; address in
# APPL_ADDR_NAME.
appliance_add() {
  local name=$1 slots=$2; shift 2
  local i ns veth addr d port
  i=$(( ++APPL_N )); ns=uch${name}$APPL_SUFFIX; veth=uchv$APPL_SUFFIX$i
  addr=$APPL_NET.$(( i + 1 )); d=$T/$name
  mkdir -p "$d/state" "$d/run" "$d/by-id" "$d/secrets"
  chmod 700 "$d/secrets"
  ip netns add "$ns" || die "cannot create namespace $ns"
  cleanup_add "ip netns del $ns"
  # last before the namespace goes: what is left in it (sshd's session
  # processes outlive the listener and would hold the test's output open)
  cleanup_add "ip netns pids $ns | xargs -r kill"
  ip link add "$veth" type veth peer name "${veth}p" || die "no veth"
  cleanup_add "ip link del $veth"
  ip link set "${veth}p" netns "$ns"
  ip link set "$veth" master "$APPL_BR"
  ip link set "$veth" up
  ip netns exec "$ns" ip addr add "$addr/24" dev "${veth}p"
  ip netns exec "$ns" ip link set "${veth}p" up
  ip netns exec "$ns" ip link set lo up

  port=$(free_port)
  ssh-keygen -q -t ed25519 -N '' -f "$d/host_key" >/dev/null
  cat >"$d/sshd_config" <<CFG
Port $port
ListenAddress $addr
HostKey $d/host_key
PidFile $d/sshd.pid
AuthorizedKeysFile $T/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
Subsystem sftp /usr/lib/openssh/sftp-server
CFG
  # sshd runs in a mount namespace of its own where root's ~/.bashrc is
  # empty: bash sources it for every command sshd runs (Debian's bash is
  # built with SSH_SOURCE_BASHRC), so every Ansible task would pay for
  # whatever the controller's root keeps there (pyenv init: 2 s a
  # command on a loaded machine), which no appliance's root has
  : >"$T/appliance-bashrc"
  # shellcheck disable=SC2016 # "$1", "$2", "$@" are the inner sh's arguments
  ip netns exec "$ns" unshare -m --propagation private sh -c \
    '[ ! -e "$1" ] || mount --bind "$2" "$1" || exit 1; shift 2; exec "$@"' sh \
    "$(getent passwd root | cut -d: -f6)/.bashrc" "$T/appliance-bashrc" \
    /usr/sbin/sshd -D -f "$d/sshd_config" -E "$d/sshd.log" &
  cleanup_add "kill $!"

  printf -v "APPL_NS_$name" %s "$ns"
  printf -v "APPL_PORT_$name" %s "$port"
  printf -v "APPL_ADDR_$name" %s "$addr"
  _uchd_start "$ns" "$d" "$slots" "$@"
  wait_for 30 ssh -q -o BatchMode=yes -o StrictHostKeyChecking=no \
    -o UserKnownHostsFile=/dev/null -i "$T/id_controller" -p "$port" "root@$addr" true ||
    { cat "$d/sshd.log" >&2; die "sshd of $name not reachable"; }
  _inventory_host "$name" "$addr" "$port" "$d"
}

_uchd_start() { # NS DIR SLOTS [ENV...]
  local ns=$1 d=$2 slots=$3 roots; shift 3
  mkdir -p "$d/state" "$d/run" "$d/by-id" "$d/secrets"
  chmod 700 "$d/secrets"
  mapfile -t roots < <(uchd_root_args)    # the test's $T, as uchd_start
  ip netns exec "$ns" env "$@" "$UCH_BUILD/uchd" --state-dir "$d/state" \
    --runtime-dir "$d/run" --listen none --unix "$d/run/uchd.sock" \
    --token-file "$d/state/api-token" --max-jobs "$slots" \
    --volume-by-id-dir "$d/by-id" "${roots[@]}" >>"$d/uchd.log" 2>&1 &
  cleanup_add "kill $!; sleep 0.2"
  wait_for 30 curl -sf --unix-socket "$d/run/uchd.sock" http://uch/v1/health -o /dev/null ||
    { cat "$d/uchd.log" >&2; die "uchd in $ns not up"; }
}

# appliance_add_uchd HOST NAME SLOTS [ENV...]: a second uchd on HOST's
# namespace, an inventory host NAME of its own (same sshd).
appliance_add_uchd() {
  local host=$1 name=$2 slots=$3; shift 3
  local ns_var=APPL_NS_$host port_var=APPL_PORT_$host addr_var=APPL_ADDR_$host
  _uchd_start "${!ns_var}" "$T/$name" "$slots" "$@"
  _inventory_host "$name" "${!addr_var}" "${!port_var}" "$T/$name"
}

_inventory_host() { # NAME ADDR PORT DIR
  local name=$1 addr=$2 port=$3 d=$4
  APPL_NAMES+=("$name")
  cat >>"$T/inventory.hosts" <<HOST
    $name:
      ansible_host: $addr
      ansible_port: $port
      uch_socket: $d/run/uchd.sock
      uch_secrets_dir: $d/secrets
      uch_export_address: $addr
      uch_uchctl: $UCH_BUILD/uchctl
      uch_space_paths: [$d/state]
HOST
}

# appl_api NAME METHOD PATH: curl on that appliance's socket.
appl_api() {
  curl -s -X "$2" --unix-socket "$T/$1/run/uchd.sock" "http://uch$3"
}

# ansible_setup: ansible.cfg (ansible_config ssh, tests/lib/ansible.sh)
# and the inventory of the appliances (groups given as
# GROUP=HOST,HOST ...).
ansible_setup() {
  local g hosts h
  mkdir -p "$T/psk"
  ansible_config ssh
  {
    echo "all:"
    echo "  vars:"
    echo "    ansible_user: root"
    echo "    ansible_ssh_private_key_file: $T/id_controller"
    echo "    ansible_python_interpreter: /usr/bin/python3"
    echo "  hosts:"
    cat "$T/inventory.hosts"
    echo "  children:"
    for g in "$@"; do
      echo "    ${g%%=*}:"
      echo "      hosts:"
      IFS=, read -ra hosts <<<"${g#*=}"
      for h in "${hosts[@]}"; do echo "        $h: {}"; done
    done
  } >"$T/inventory.yml"
}
