# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# The Ansible set-up of every test and bench of the collection (sourced
# by functions.sh): one ansible.cfg, the inventory of this machine's
# uchd, the tests' vCenter's variables.  Needs $T and $UCH_TOP.

# ansible_config [ssh]: $T/ansible.cfg - our collection, then Debian's
# (community.vmware), internal_poll_interval as ansible/README.md says
# (the default keeps a third of a core busy), temp files under $T; with
# ssh, pipelined SSH with a persistent master and no host key checks
# (appliances in network namespaces).  Exports ANSIBLE_CONFIG and an
# ANSIBLE_HOME under $T.
# shellcheck disable=SC2120 # ansible_setup (appliances.sh) passes ssh
ansible_config() {
  mkdir -p "$T/ansible-tmp"
  {
    cat <<CFG
[defaults]
collections_path = $UCH_TOP/ansible:/usr/lib/python3/dist-packages
forks = 10
internal_poll_interval = 0.05
local_tmp = $T/ansible-tmp
interpreter_python = /usr/bin/python3
retry_files_enabled = False
stdout_callback = default
CFG
    if [ "${1:-}" = ssh ]; then
      mkdir -p "$T/cp"
      cat <<CFG
host_key_checking = False
remote_tmp = $T/ansible-tmp/remote
[ssh_connection]
pipelining = True
control_path_dir = $T/cp
ssh_args = -o ControlMaster=auto -o ControlPersist=120s -o UserKnownHostsFile=/dev/null -o StrictHostKeyChecking=no
CFG
    fi
  } >"$T/ansible.cfg"
  export ANSIBLE_CONFIG=$T/ansible.cfg ANSIBLE_HOME=$T/ansible-home
  export ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0
}

# ansible_local_dst: $T/inventory.yml, one host dst that is this
# machine's uchd (uchd_start first: its socket $UCH_SOCK).
ansible_local_dst() {
  [ -n "${UCH_SOCK:-}" ] || die "ansible_local_dst: no uchd (uchd_start first)"
  cat >"$T/inventory.yml" <<YAML
all:
  hosts:
    dst: {ansible_connection: local, ansible_python_interpreter: /usr/bin/python3, uch_socket: $UCH_SOCK}
YAML
}

# vcenter_vars USER PASSWORD-FILE: $T/vc-vars.yml (0600), the variables
# of the tests' vCenter (vcsim_start first) for the collection's VMware
# playbooks; skips where pyVmomi or community.vmware are missing.
vcenter_vars() {
  /usr/bin/python3 -c 'import pyVmomi' 2>/dev/null || skip "python3-pyvmomi not installed"
  [ -d /usr/lib/python3/dist-packages/ansible_collections/community/vmware ] ||
    skip "community.vmware not installed (Debian's ansible package)"
  ( umask 077
    cat >"$T/vc-vars.yml" <<YAML
uch_vcenter_hostname: 127.0.0.1
uch_vcenter_port: $VCSIM_PORT
uch_vcenter_username: $1
uch_vcenter_password: $(head -1 "$2")
uch_vcenter_validate_certs: false
uch_vmware_password_file: $2
YAML
  )
}

# vmware_ansible USER PASSWORD-FILE: all three for a VMware test that
# drives this machine's uchd (vcsim_start and uchd_start first).
vmware_ansible() {
  vcenter_vars "$@"
  ansible_config
  ansible_local_dst
}
