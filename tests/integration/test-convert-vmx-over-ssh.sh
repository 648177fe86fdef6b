#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# vmx over SSH (-i vmx -it ssh) through the API: an sshd on loopback
# started here (own config and host key, key auth only, a free high port)
# serves an ESXi-like datastore folder holding the phony Windows guest
# (tests/guests/make-windows.sh) as NAME.vmx + NAME.vmdk + NAME-flat.vmdk;
# the phony guest rather than the Debian one keeps this to ~1 min of CI.
# The job succeeds; the key is never on a command line, in state, log or
# API response; the worker's ssh-agent and runtime dir are gone after.
# uch-test: slow
# uch-test: timeout=900
source "$UCH_TOP/tests/lib/functions.sh"
require virt-v2v
require qemu-img
require jq
require ssh-agent
[ "$(id -u)" = 0 ] || skip "needs root (sshd, the service user's known_hosts)"
export LIBGUESTFS_BACKEND_SETTINGS=force_tcg

windows_guest
export VIRTIO_WIN=$T/guest/virtio-win

esxi_datastore win10 "$T/guest/windows.img" windows9-64 00:50:56:12:34:57
ds=$T/datastore/win10
sshd_loopback
port=$sshd_port

mkdir -p "$T/out"
uchd_start
cat >"$T/req.json" <<JSON
{"type": "convert", "id": "vmx", "name": "win10",
 "input": {"vmx": {"ssh": {"host": "127.0.0.1", "port": $port, "user": "root",
                           "path": "$ds/win10.vmx", "key_file": "$T/id_ed25519"}}},
 "output": {"local": {"dir": "$T/out", "format": "qcow2"}}}
JSON
start=$(date +%s)
api POST /v1/jobs "$T/req.json" >/dev/null
[ "$(status)" = 201 ] || die "submit: $(status) $(cat "$T/body")"

# While it runs: the agent is up on the job's socket, and no command
# line holds key material.
# (line 2 of an OpenSSH key file is the same for every unencrypted
# ed25519 key; line 4 holds this key's private part)
secret=$(sed -n 4p "$T/id_ed25519")
agent_seen=
for (( i = 0; i < 600; i++ )); do
  case $(job_field vmx .state) in succeeded|failed|cancelled) break ;; esac
  ps -eo args >"$T/ps"
  grep -qF -e "$secret" "$T/ps" && die "key material on a command line"
  grep -q "^ssh-agent -D -a $T/run/jobs/vmx/ssh-agent.sock" "$T/ps" && agent_seen=1
  sleep 1
done
st=$(job_wait vmx 600)
api GET /v1/jobs/vmx >"$T/job.json"
[ "$st" = succeeded ] || die "job ended $st: $(jq -c '{error,phase}' "$T/job.json"); log: $(tail -20 "$T/state/jobs/vmx/job.log")"
pass "vmx over SSH converted through the API in $(( $(date +%s) - start )) s"
[ -n "$agent_seen" ] || die "never saw the job's ssh-agent running"
grep -q "ssh-agent started" "$T/state/jobs/vmx/job.log" || die "no agent in the log"
pass "the worker ran its own ssh-agent; no key on any command line"

disk=$(jq -r '.result.disks[0].path' "$T/job.json")
[ "$disk" = "$T/out/win10-sda" ] || die "result disk: $disk"
qemu-img info --output=json "$disk" | jq -e '.format == "qcow2"' >/dev/null || die "not qcow2"
grep -q "<name>win10</name>" "$(jq -r .result.metadata "$T/job.json")" || die "no domain XML"
pass "result: $disk and its domain XML"

! grep -rqF -e "$secret" "$T/state" "$T/job.json" || die "key material in state, log or API"
! pgrep -f "ssh-agent -D -a $T/run" >/dev/null || die "ssh-agent left running"
[ ! -e "$T/run/jobs/vmx" ] || die "runtime dir left: $(ls -R "$T/run/jobs/vmx")"
pass "key nowhere in state, log or API; agent and runtime dir gone"
