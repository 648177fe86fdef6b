#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Export jobs with listen.open_firewall, against a fake firewalld on a
# private D-Bus bus (DBUS_SYSTEM_BUS_ADDRESS): the port is opened in the
# default zone while the export serves and closed when it ends (cancel,
# success, failure, and by uchd when the worker is killed); a port that
# was open already is left alone; a request without the field makes no
# call; with no firewalld on the bus the job fails at once, naming it.
source "$UCH_TOP/tests/lib/functions.sh"
require nbdkit
require nbdcopy
require jq
require dbus-daemon
PY=/usr/bin/python3
$PY -c 'import dbus, gi' 2>/dev/null || skip "python3-dbus or python3-gi missing"

make_sparse_image "$T/disk.img" $((8 * 1024 * 1024)) 2

# --- a private bus and the fake firewalld on it
mkdir -p "$T/fw"
cat >"$T/bus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>custom</type>
  <listen>unix:path=$T/bus.sock</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
EOF
bus_start() {
  rm -f "$T/bus.sock"
  dbus-daemon --config-file="$T/bus.conf" --nofork --nopidfile \
    >>"$T/dbus.log" 2>&1 &
  BUS_PID=$!
  cleanup_add "kill $BUS_PID"
  wait_for 10 test -S "$T/bus.sock" || die "dbus-daemon did not start"
}
bus_start
export DBUS_SYSTEM_BUS_ADDRESS=unix:path=$T/bus.sock

fake_start() {
  rm -f "$T/fw/ready"
  $PY "$UCH_TOP/tests/lib/fake-firewalld.py" "$DBUS_SYSTEM_BUS_ADDRESS" \
    "$T/fw" >>"$T/fw.log" 2>&1 &
  FAKE_PID=$!
  cleanup_add "kill $FAKE_PID"
  wait_for 10 test -e "$T/fw/ready" || { cat "$T/fw.log" >&2; die "fake firewalld did not start"; }
}
fake_start

uchd_start

calls() { cat "$T/fw/calls" 2>/dev/null || true; }
ncalls() { calls | wc -l; }
# the calls after the first $1 as "method arg arg …" lines
calls_since() { calls | tail -n +$(( $1 + 1 )) | jq -r '[.method] + (.args | map(tostring)) | join(" ")'; }

submit() { # ID REQUEST-JSON: waits until it serves (or ended)
  echo "$2" >"$T/req-$1.json"
  api POST /v1/jobs "$T/req-$1.json" >/dev/null
  [ "$(status)" = 201 ] || die "submit $1: $(status) $(cat "$T/body")"
  wait_for 30 sh -c "curl -s --unix-socket '$UCH_SOCK' http://uch/v1/jobs/$1 |
    jq -e '.phase == \"serving\" or .state != \"running\" and .state != \"queued\"' >/dev/null" ||
    die "$1 never serving"
}
tcp_export() { # ID PORT EXTRA-LISTEN-JSON [UNTIL]
  submit "$1" '{"type": "export", "id": "'"$1"'", "until": "'"${4:-cancel}"'",
    "listen": {"tcp": "127.0.0.1:'"$2"'" '"$3"'},
    "disks": [{"source": {"path": "'"$T/disk.img"'"}}]}'
}
cancel() {
  api POST "/v1/jobs/$1/cancel" >/dev/null
  [ "$(job_wait "$1" 30)" = cancelled ] || die "$1 not cancelled"
}
is_open() { # ID PORT: the fake has exactly that port open
  [ "$(cat "$T/fw/open")" = "public $2/tcp" ] || die "$1: not open: $(cat "$T/fw/open")"
}
closed() { # ID: no port open, and the job's result says closed
  [ ! -s "$T/fw/open" ] || die "$1: still open: $(cat "$T/fw/open")"
  [ "$(job_field "$1" .result.firewall.status)" = closed ] ||
    die "$1: result.firewall $(job_field "$1" .result.firewall)"
}

# --- opened while serving, closed after cancel
port=$(free_port)
n0=$(ncalls)
tcp_export open "$port" ', "open_firewall": true'
api GET /v1/jobs/open >"$T/open.json"
[ "$(jq -r .phase "$T/open.json")" = serving ] || die "open: $(jq -c . "$T/open.json")"
[ "$(calls_since "$n0")" = "getDefaultZone
queryPort public $port tcp
addPort public $port tcp 0" ] || die "calls while serving: $(calls_since "$n0")"
is_open open "$port"
jq -e --argjson p "$port" '.result.firewall == {"zone": "public", "port": $p,
  "protocol": "tcp", "status": "open"}' "$T/open.json" >/dev/null ||
  die "result.firewall: $(jq -c .result.firewall "$T/open.json")"
pass "open_firewall: $port/tcp opened in the default zone while serving"
n1=$(ncalls)
cancel open
[ "$(calls_since "$n1")" = "removePort public $port tcp" ] ||
  die "calls at cancel: $(calls_since "$n1")"
closed open
pass "cancel closes it (removePort), result.firewall.status closed"

# --- no field: no call at all
port=$(free_port)
n0=$(ncalls)
tcp_export plain "$port" ''
cancel plain
[ "$(ncalls)" = "$n0" ] || die "calls without open_firewall: $(calls_since "$n0")"
[ "$(job_field plain .result.firewall)" = null ] || die "result.firewall without the field"
pass "without open_firewall no firewalld call"

# --- success (until=client-done) closes it too
port=$(free_port)
n0=$(ncalls)
tcp_export "done" "$port" ', "open_firewall": true' client-done
psk=$(job_field "done" .result.tls_psk_file)
is_open "done" "$port"
nbdcopy "nbds://uch@127.0.0.1:$port/disk0?tls-psk-file=$psk" "$T/back.img" ||
  die "nbdcopy from the export failed"
[ "$(job_wait "done" 30)" = succeeded ] || die "client-done export: $(job_field "done" .error)"
closed "done"
[ "$(calls_since "$n0" | tail -1)" = "removePort public $port tcp" ] || die "no removePort at success"
pass "until=client-done: succeeded, port closed"

# --- failure (nbdkit killed) closes it
port=$(free_port)
tcp_export dies "$port" ', "open_firewall": true'
kit=$(pgrep -f -- "nbdkit.*$T/run/jobs/dies/nbdkit.pid") || die "no nbdkit for dies"
kill -KILL "$kit"
[ "$(job_wait dies 30)" = failed ] || die "dies did not fail"
closed dies
pass "failed export (nbdkit killed): port closed"

# --- worker killed: uchd closes it when it marks the job failed
port=$(free_port)
n0=$(ncalls)
tcp_export killed "$port" ', "open_firewall": true'
is_open killed "$port"
wpid=$(jq -r .worker.pid "$T/state/jobs/killed/state.json")
[ "$wpid" -gt 0 ] 2>/dev/null || die "no worker pid"
kill -KILL "$wpid"
[ "$(job_wait killed 30)" = failed ] || die "killed worker: job not failed"
[ "$(job_field killed .error.code)" = worker_lost ] || die "killed: $(job_field killed .error)"
[ "$(calls_since "$n0" | tail -1)" = "removePort public $port tcp" ] || die "uchd made no removePort"
closed killed
grep -q "closed the export's port in firewalld" "$T/uchd.log" || die "uchd did not log it"
pass "worker killed: uchd closed the port and marked the job failed"
wait_for 10 sh -c "! pgrep -f -- '[n]bdkit .*$T/run/jobs/killed/' >/dev/null" ||
  die "nbdkit of the killed worker left"

# --- the bus restarted under a serving export: the worker connects again
# to close the port (the fake, restarted too, keeps what was open)
port=$(free_port)
tcp_export rebus "$port" ', "open_firewall": true'
is_open rebus "$port"
kill "$FAKE_PID" "$BUS_PID"
wait_for 10 sh -c "! kill -0 $FAKE_PID 2>/dev/null && ! kill -0 $BUS_PID 2>/dev/null" ||
  die "bus did not stop"
bus_start
fake_start
is_open rebus "$port"
n0=$(ncalls)
cancel rebus
[ "$(calls_since "$n0")" = "removePort public $port tcp" ] || die "rebus calls: $(calls_since "$n0")"
closed rebus
pass "dbus-daemon restarted while serving: the worker reconnects and closes the port"

# --- a port open before the job is left open
port=$(free_port)
gdbus call --address "$DBUS_SYSTEM_BUS_ADDRESS" --dest org.fedoraproject.FirewallD1 \
  --object-path /org/fedoraproject/FirewallD1 \
  --method org.fedoraproject.FirewallD1.zone.addPort public "$port" tcp 0 >/dev/null ||
  die "could not pre-open $port"
n0=$(ncalls)
tcp_export admin "$port" ', "open_firewall": true'
[ "$(job_field admin .result.firewall.status)" = already_open ] || die "admin: $(job_field admin .result.firewall)"
cancel admin
! calls_since "$n0" | grep -Eq '^(addPort|removePort)' || die "touched an open port: $(calls_since "$n0")"
is_open admin "$port"
pass "a port open already is left as it was (already_open)"

# --- no firewalld: fails at once, naming it, before nbdkit starts
kill "$FAKE_PID"
wait_for 10 sh -c "! kill -0 $FAKE_PID 2>/dev/null" || die "fake did not stop"
port=$(free_port)
tcp_export nofw "$port" ', "open_firewall": true'
[ "$(job_wait nofw 10)" = failed ] || die "nofw not failed"
api GET /v1/jobs/nofw >"$T/nofw.json"
jq -e '.error.code == "missing_dependency" and
  (.error.message | startswith("listen.open_firewall: firewalld is not running"))' \
  "$T/nofw.json" >/dev/null || die "nofw error: $(jq -c .error "$T/nofw.json")"
! grep -q "nbdkit" "$T/state/jobs/nofw/job.log" || die "nbdkit started without firewalld"
pass "no firewalld: $(jq -r .error.message "$T/nofw.json")"
[ -z "$(worker_leftovers)" ] || die "left running: $(worker_leftovers)"
