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

# ansible_local_dst [GROUP]: $T/inventory.yml, one host dst that is this
# machine's uchd (uchd_start first: its socket $UCH_SOCK), in GROUP
# (a wave's uch_destinations) when given.
ansible_local_dst() {
  local host="dst: {ansible_connection: local, ansible_python_interpreter: /usr/bin/python3, uch_socket: ${UCH_SOCK:-}}"
  [ -n "${UCH_SOCK:-}" ] || die "ansible_local_dst: no uchd (uchd_start first)"
  if [ $# -gt 0 ]; then
    printf 'all:\n  children:\n    %s:\n      hosts:\n        %s\n' "$1" "$host"
  else
    printf 'all:\n  hosts:\n    %s\n' "$host"
  fi >"$T/inventory.yml"
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

# vmware_ansible USER PASSWORD-FILE [GROUP]: all three for a VMware test
# that drives this machine's uchd (vcsim_start and uchd_start first).
vmware_ansible() {
  vcenter_vars "$1" "$2"
  ansible_config
  ansible_local_dst "${@:3}"
}

# vmware_play LOG PLAYBOOK ARGS...: the collection's PLAYBOOK on
# vmware_ansible's inventory and vCenter variables, its output in $T/LOG.
vmware_play() {
  local log=$1 pb=$2
  shift 2
  ansible-playbook -i "$T/inventory.yml" \
    "$UCH_TOP/ansible/ansible_collections/uch/appliance/playbooks/$pb" \
    -e "@$T/vc-vars.yml" "$@" >"$T/$log" 2>&1
}

# the job log shows virt-v2v-in-place; or the playbook has ended
_v2v_in_place_running() { # JOB: the cutover's conversion, not a rehearsal's
  awk '/cutover done: converting the destinations in place/ { cut = 1 }
       cut && /running: [^ ]*virt-v2v-in-place / { found = 1 }
       END { exit !found }' "$T/state/jobs/$1/job.log" 2>/dev/null
}
_v2v_in_place_or_gone() { # PID JOB
  kill -0 "$1" 2>/dev/null || return 0
  _v2v_in_place_running "$2"
}

# vmware_warm_converted_equal JOB FLAT DEST SECONDS PID LOG: a warm
# migration that converts in place (the playbook PID, its output in
# LOG): waits up to SECONDS for JOB's virt-v2v-in-place, which works on
# a qcow2 overlay of DEST, and checks that DEST, copied before the
# conversion commits, equals the VM's disk FLAT (the cutover pass's).
vmware_warm_converted_equal() {
  local job=$1 flat=$2 dest=$3 secs=$4 pid=$5 log=$6
  wait_for "$secs" _v2v_in_place_or_gone "$pid" "$job" &&
    _v2v_in_place_running "$job" ||
    { cat "$log"; die "virt-v2v-in-place never started"; }
  cp --sparse=always "$dest" "$T/dst-before.img"
  [ "$(job_field "$job" .state)" = running ] && [ "$(job_field "$job" .phase)" != committing ] &&
    ! grep -q "running: [^ ]*qemu-img commit" "$T/state/jobs/$job/job.log" ||
    die "the conversion ended before the test could copy the destination: $(tail -5 "$T/state/jobs/$job/job.log")"
  cmp "$flat" "$T/dst-before.img" || die "after the cutover pass the destination differs from the VM's disk"
  rm -f "$T/dst-before.img"
}

# vmware_warm_ends JOB VM USER PASSWORD-FILE LOG: what every warm VMware
# migration by the playbook warm_vmware (its output in LOG) on the tests'
# vCenter ends with: the sync job JOB succeeded, its last pass the
# cutover, VM shut down through VMware Tools and off, every incremental
# pass read what CBT answered as changed and at most 5 % more (uchd's
# bytes_read against the shim's answers, cbt_changed), no snapshot left.
# Sets WARM_PASSES (passes in all) and WARM_CHANGED (the bytes CBT
# answered in all).
vmware_warm_ends() {
  local job=$1 vm=$2 user=$3 pwfile=$4 log=$5 i id read_b changed
  api GET "/v1/jobs/$job" >"$T/$job.json"
  [ "$(jq -r .state "$T/$job.json")" = succeeded ] ||
    die "the sync job $job: $(jq -c '{state, error}' "$T/$job.json")"
  WARM_PASSES=$(jq '.result.passes | length' "$T/$job.json")
  [ "$(jq -r '.result.passes[-1].trigger' "$T/$job.json")" = cutover ] ||
    die "the last pass: $(jq -c '.result.passes[-1]' "$T/$job.json")"
  grep -Eq "Snapshot and what changed since the pass before \($vm #[0-9]+, the cutover: guest shutdown first\)" "$log" ||
    die "no guest shutdown in the playbook's output"
  vm_facts "$user" "$pwfile" "$vm" >"$T/$vm.facts"
  [ "$(jq -r .power "$T/$vm.facts")" = poweredOff ] || die "$vm is $(jq -r .power "$T/$vm.facts") after the cutover"
  [ "$(jq -c .snapshots "$T/$vm.facts")" = "[]" ] || die "snapshots left: $(jq -c .snapshots "$T/$vm.facts")"
  WARM_CHANGED=0
  for i in $(seq 1 $((WARM_PASSES - 1))); do
    id=$(jq -r ".result.passes[$i].disks[0].marker" "$T/$job.json")
    read_b=$(jq ".result.passes[$i].disks[0].pass.bytes_read" "$T/$job.json")
    changed=$(cbt_changed "$id")
    [ "$read_b" -ge "$changed" ] && [ "$read_b" -le $(( changed * 105 / 100 )) ] ||
      die "pass $((i + 1)) (changeId $id) read $read_b bytes, CBT said $changed changed"
    echo "# pass $((i + 1)) ($(jq -r ".result.passes[$i].trigger" "$T/$job.json")): CBT changed $changed, read $read_b bytes in $(jq ".result.passes[$i].seconds" "$T/$job.json") s"
    WARM_CHANGED=$((WARM_CHANGED + changed))
  done
  grep -q 'QueryChangedDiskAreas' "$T/vcsim.log" || die "the CBT shim was never asked"
}
