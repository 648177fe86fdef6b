# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# Sourced by tests/integration/test-*.sh.  Gives each test a private
# temp dir, a uchd of its own, and cleanup that leaves no process behind.
set -euo pipefail

UCH_TOP=${UCH_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
UCH_BUILD=${UCH_BUILD:-$UCH_TOP/build}
export PATH="$UCH_BUILD:$PATH"
# shellcheck source=tests/lib/netns.sh
source "$UCH_TOP/tests/lib/netns.sh"
# Where /dev/kvm is there but cannot run a vCPU (nested KVM without an
# MSR qemu sets: build-aux/kvm-usable), libguestfs takes KVM and its
# qemu aborts; every guestfish and virt-v2v a test starts (the guest
# builders in tests/guests/ among them) runs under TCG then, as on a
# machine without /dev/kvm.  tests/run asks once for the whole run.
if [ -z "${LIBGUESTFS_BACKEND_SETTINGS+set}" ] && ! "$UCH_TOP/build-aux/kvm-usable"; then
  export LIBGUESTFS_BACKEND_SETTINGS=force_tcg
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/uch-test.XXXXXX")
export T
_cleanups=()
cleanup_add() { _cleanups+=("$*"); }
_cleanup_all() {
  local rc=$? i
  for (( i=${#_cleanups[@]}-1; i>=0; i-- )); do
    eval "${_cleanups[$i]}" >/dev/null 2>&1 || true
  done
  # Anything still running from this test's temp dir is a leak.  A TERM
  # first, and time for a worker to stop its tools (5 s grace, then it
  # kills them and what they left): virt-v2v killed outright leaves its
  # libguestfs qemu (whose command line does not name $T) running.
  if pkill -TERM -f -- "$T" >/dev/null 2>&1; then
    for (( i=0; i<150; i++ )); do
      pgrep -f -- "$T" >/dev/null 2>&1 || break
      sleep 0.1
    done
  fi
  pkill -KILL -f -- "$T" >/dev/null 2>&1 || true
  rm -rf "$T"
  exit $rc
}
trap _cleanup_all EXIT

skip() { echo "SKIP: $*"; exit 77; }
die() { echo "FAIL: $*" >&2; exit 1; }
pass() { echo "ok - $*"; }
require() { command -v "$1" >/dev/null || skip "$1 not installed"; }

# A free TCP port on loopback.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# uchd's confinement roots for a test: every role's root is $T (its
# state and runtime dirs, inside, stay out of reach), and the cache for
# what reads, unless the test sets UCHD_ROOTS to its own flags
# (--source-root DIR ...).
uchd_root_args() {
  if [ -n "${UCHD_ROOTS+set}" ]; then
    # shellcheck disable=SC2086 # flags, split on purpose
    printf '%s\n' $UCHD_ROOTS
    return
  fi
  # the cached guests and images (tests/guests) are read, never written
  printf '%s\n' --source-root "$T" --destination-root "$T" --export-root "$T" \
    --secret-root "$T" --library-root "$T" \
    --source-root "${UCH_CACHE:-$HOME/.cache/uch}" \
    --export-root "${UCH_CACHE:-$HOME/.cache/uch}"
}

# Start uchd with state under $T; extra args are passed through.
# Sets UCHD_PID, UCH_SOCK, UCH_PORT, UCH_URL, UCH_TOKEN_FILE.
uchd_start() {
  local roots
  UCH_SOCK=$T/run/uchd.sock
  UCH_PORT=${UCH_PORT:-$(free_port)}
  UCH_URL=http://127.0.0.1:$UCH_PORT
  UCH_TOKEN_FILE=$T/state/api-token
  mkdir -p "$T/state" "$T/run"
  mapfile -t roots < <(uchd_root_args)
  uchd --state-dir "$T/state" --runtime-dir "$T/run" \
       --listen "127.0.0.1:$UCH_PORT" --unix "$UCH_SOCK" \
       --token-file "$UCH_TOKEN_FILE" "${roots[@]}" "$@" >>"$T/uchd.log" 2>&1 &
  UCHD_PID=$!
  cleanup_add "kill $UCHD_PID; sleep 0.2"
  uchd_wait_ready
  export UCH_SOCK UCH_PORT UCH_URL UCH_TOKEN_FILE
}

# uchd_stop: SIGTERM to the uchd of uchd_start, and wait for it to end
# (its workers, in their own units or process groups, go on).
uchd_stop() {
  kill "$UCHD_PID"
  wait "$UCHD_PID" 2>/dev/null || true
}

# uchd_restart [UCHD-ARG...]: uchd_stop, then uchd_start on the same
# state, runtime folder and port (unset UCH_PORT first for a new one).
uchd_restart() {
  uchd_stop
  uchd_start "$@"
}

uchd_wait_ready() {
  local i
  for i in $(seq 100); do
    if curl -sf --unix-socket "$UCH_SOCK" http://uch/v1/health >/dev/null 2>&1; then
      return 0
    fi
    kill -0 "$UCHD_PID" 2>/dev/null || { cat "$T/uchd.log" >&2; die "uchd exited"; }
    sleep 0.1
  done
  cat "$T/uchd.log" >&2
  die "uchd not ready after 10 s"
}

# api METHOD PATH [BODY-FILE|-]: prints the body; the HTTP status goes to
# $T/status.
api() {
  local method=$1 path=$2 body=${3:-}
  local args=(-s -o "$T/body" -w '%{http_code}' -X "$method" --unix-socket "$UCH_SOCK")
  if [ -n "$body" ]; then
    args+=(-H 'Content-Type: application/json' --data-binary "@$body")
  fi
  curl "${args[@]}" "http://uch$path" >"$T/status"
  cat "$T/body"
}
status() { cat "$T/status"; }

# jget FILTER: jq on stdin, raw output.
jget() { jq -r "$1"; }

# Wait until job $1 reaches a final state (timeout $2 s, default 120);
# prints the state.
job_wait() {
  local id=$1 limit=${2:-120} st i
  for (( i=0; i < limit*10; i++ )); do
    st=$(api GET "/v1/jobs/$id" | jq -r .state)
    case $st in succeeded|failed|cancelled) echo "$st"; return 0 ;; esac
    sleep 0.1
  done
  echo "timeout"
}

# job_succeeds ID REQUEST-FILE [TIMEOUT]: submits the request, waits for
# the job (default 600 s) and leaves it in $T/job.json; dies with its
# error, phase and log tail unless it succeeded.
job_succeeds() {
  local id=$1 req=$2 limit=${3:-600} st
  api POST /v1/jobs "$req" >/dev/null
  [ "$(status)" = 201 ] || die "$id: submit: $(status) $(cat "$T/body")"
  st=$(job_wait "$id" "$limit")
  api GET "/v1/jobs/$id" >"$T/job.json"
  [ "$st" = succeeded ] || die "$id ended $st: $(jq -c '{error,phase}' "$T/job.json"); log: $(tail -20 "$T/state/jobs/$id/job.log")"
}

# debian_overlay FORMAT: $T/debian.qcow2, a qcow2 overlay over the cached
# Debian 12 test guest (tests/guests/make-debian.sh raw|qcow2), which
# must stay read-only; skips when the guest cannot be built here.
debian_overlay() {
  local rc=0 base
  base=$("$UCH_TOP/tests/guests/make-debian.sh" "$1") || rc=$?
  [ $rc = 77 ] && skip "cannot build the Debian guest here"
  [ $rc = 0 ] || die "make-debian.sh failed ($rc)"
  qemu-img create -q -f qcow2 -F "$1" -b "$base" "$T/debian.qcow2"
}

# windows_guest: the phony Windows guest (tests/guests/make-windows.sh)
# in $T/guest: windows.img over the cached image, and virtio-win/;
# skips when it cannot be built here.
windows_guest() {
  local rc=0
  "$UCH_TOP/tests/guests/make-windows.sh" "$T/guest" || rc=$?
  [ $rc = 77 ] && skip "cannot build the phony Windows guest"
  [ $rc = 0 ] || die "make-windows.sh failed ($rc)"
}

# secret_nowhere WHAT SECRET FILE...: every FILE exists and holds no
# SECRET, nor does anything under $T/state; dies naming WHAT and where.
secret_nowhere() {
  local what=$1 secret=$2 f
  shift 2
  for f; do
    [ -e "$f" ] || die "$f missing"
    ! grep -qF -- "$secret" "$f" || die "$what shows in $f"
  done
  ! grep -rqF -- "$secret" "$T/state" || die "$what is somewhere in the state dir"
}

# v2v_phases_followed ID: the convert job in $T/job.json went through
# virt-v2v's phases (its log says so) and ended at 100 % on its disk.
v2v_phases_followed() {
  local phase
  for phase in opening inspecting converting copying finishing; do
    grep -q "phase $phase" "$T/state/jobs/$1/job.log" || die "$1: never in phase $phase"
  done
  jq -e '.progress.percent == 100 and (.disks | length) == 1 and .disks[0].percent == 100' \
    "$T/job.json" >/dev/null || die "$1: progress: $(jq -c '{progress,disks}' "$T/job.json")"
}

# Wait for a condition (a command) for up to $1 seconds.
wait_for() {
  local limit=$1; shift
  local i
  for (( i=0; i < limit*10; i++ )); do
    if "$@"; then return 0; fi
    sleep 0.1
  done
  return 1
}

# A sparse image of $2 bytes with $3 MiB of random data in 8 scattered
# chunks; prints nothing.
make_sparse_image() {
  local path=$1 size=$2 data_mib=$3 chunks=8 i off
  truncate -s "$size" "$path"
  local per=$(( data_mib / chunks ))
  for (( i=0; i<chunks; i++ )); do
    off=$(( (size / chunks) * i / 1048576 ))
    dd if=/dev/urandom of="$path" bs=1M seek="$off" count="$per" conv=notrunc status=none
  done
}

# Processes whose command line mentions $T (our children) other than uchd.
leftover_procs() {
  pgrep -af -- "$T" | grep -v -e "uchd --state-dir" -e pgrep || true
}

# The files tests/requests/ corpus requests name through "@T@" (see
# tests/requests/README), created in directory $1.
request_corpus_files() {
  local d=$1
  mkdir -p "$d"
  echo "not really a disk image" >"$d/disk.img"
  ( umask 077
    echo "s3cret" >"$d/password"
    echo "uch:00112233445566778899aabbccddeeff" >"$d/psk" )
  echo "not-a-secret" >"$d/public"; chmod 0644 "$d/public"
}
# request_corpus_subst IN DIR OUT: IN with every "@T@" replaced by DIR.
request_corpus_subst() {
  LC_ALL=C sed "s|@T@|$2|g" "$1" >"$3"
}

# slow_nbd_source NAME DATA_MIB RATE: serves a sparse 64 MiB image with
# DATA_MIB MiB of data through nbdkit's rate filter (RATE in bits/s, e.g.
# 32M = 4 MB/s) on $T/NAME.sock; sets SRC_URI to its NBD URI (not a
# $(...) subshell: nbdkit must stay a child of the test).
slow_nbd_source() {
  local name=$1 mib=$2 rate=$3
  make_sparse_image "$T/$name.img" $((64 * 1024 * 1024)) "$mib"
  nbdkit -f -U "$T/$name.sock" -P "$T/$name.pid" --filter=rate \
    file "$T/$name.img" rate="$rate" >>"$T/nbdkit-$name.log" 2>&1 &
  cleanup_add "kill $!"
  wait_for 10 test -s "$T/$name.pid" || die "nbdkit $name did not start"
  # shellcheck disable=SC2034 # set for the caller
  SRC_URI="nbd+unix:///?socket=$T/$name.sock"
}

# gated_nbd_source: 16 MiB of zeroes, all data, on $T/src.sock, every
# read waiting for a gate (the FIFO $T/gate) that opens (EOF to every
# reader) only at the test's end; nbdkit's log filter, outside the
# plugin, logs each request to $T/reads.log when it arrives (" Read
# id=") and its reply when the plugin returns ("...Read id=").  Sets
# SRC_URI (not a $(...) subshell: nbdkit must stay a child of the
# test).  nbdkit's delay filter cannot stand in: its sleeps end early
# once the client goes.
gated_nbd_source() {
  nbdkit eval --version >/dev/null 2>&1 || skip "nbdkit's eval plugin is missing"
  mkfifo "$T/gate"
  cleanup_add "exec 3<>'$T/gate'; exec 3>&-"
  nbdkit -f -U "$T/src.sock" -P "$T/src.pid" --filter=log \
    eval thread_model='echo parallel' get_size='echo 16777216' \
    pread="cat '$T/gate' >/dev/null; head -c \"\$3\" /dev/zero" \
    logfile="$T/reads.log" >>"$T/nbdkit.log" 2>&1 &
  cleanup_add "kill $!"
  wait_for 10 test -s "$T/src.pid" || die "nbdkit did not start"
  # shellcheck disable=SC2034 # set for the caller
  SRC_URI="nbd+unix:///?socket=$T/src.sock"
}

# bitmap_nbd_source: a 64 MiB qcow2 $T/src.qcow2 holding 8 MiB of 0x11 at
# 0 and 4 MiB of 0x22 at 32 MiB, with a dirty bitmap "b0" added after
# those writes, served by qemu-nbd -B b0 on $T/src.sock (its writes, by
# qemu-io over NBD, go into the bitmap); sets SRC_URI (not a $(...)
# subshell: qemu-nbd must stay a child of the test).
bitmap_nbd_source() {
  qemu-img create -q -f qcow2 "$T/src.qcow2" 64M
  qemu-io -f qcow2 -c "write -P 0x11 0 8M" -c "write -P 0x22 32M 4M" \
    "$T/src.qcow2" >/dev/null
  qemu-img bitmap --add "$T/src.qcow2" b0     # changes from here on
  qemu-nbd -t -f qcow2 -B b0 -k "$T/src.sock" --pid-file "$T/src.pid" \
    "$T/src.qcow2" >>"$T/qemu-nbd.log" 2>&1 &
  cleanup_add "kill $!; sleep 0.3"
  wait_for 10 test -s "$T/src.pid" || die "qemu-nbd did not start"
  # shellcheck disable=SC2034 # set for the caller
  SRC_URI="nbd+unix:///?socket=$T/src.sock"
}

# copy_request FILE ID SRC_URI OUT_PATH: a copy request of an NBD source.
copy_request() {
  printf '{"type":"copy","id":"%s","disks":[{"source":{"nbd":"%s"},"destination":{"path":"%s"}}]}\n' \
    "$2" "$3" "$4" >"$1"
}

# copy_nbd ID URI: submits copy_request's copy of URI to $T/ID.img;
# a 201 (new) or 202 (resubmitted, resuming) is expected.
copy_nbd() {
  copy_request "$T/$1.json" "$1" "$2" "$T/$1.img"
  api POST /v1/jobs "$T/$1.json" >/dev/null
  case $(status) in
    201 | 202) ;;
    *) die "submit $1: $(status) $(cat "$T/body")" ;;
  esac
}

# export_serving ID: waits (30 s) for the export job ID to serve; dies
# with its error if it does not.
export_serving() {
  wait_for 30 job_in_phase "$1" serving ||
    die "export not serving: $(job_field "$1" .error)"
}

# submit NAME JSON: POST JSON (kept as $T/NAME.json) to /v1/jobs; prints
# the HTTP status, the answer is in $T/body.
submit() {
  echo "$2" >"$T/$1.json"
  api POST /v1/jobs "$T/$1.json" >/dev/null
  status
}

# copy_json ID SOURCE-OBJECT DEST-PATH: a one-disk copy request.
copy_json() {
  printf '{"type":"copy","id":"%s","disks":[{"source":%s,"destination":{"path":"%s"}}]}' \
    "$1" "$2" "$3"
}

# uchd_start_confined DEST-ROOT [UCHD-ARG...]: uchd_start under the
# confinement tests' roots: sources and exports in $T/images,
# destinations in DEST-ROOT, secrets in $T/secrets, libraries in
# $T/vddk; makes those folders and $T/outside, which no root holds.
uchd_start_confined() {
  local dest=$1
  shift
  mkdir -p "$T/images" "$T/secrets" "$T/outside" "$dest"
  UCHD_ROOTS="--source-root $T/images --destination-root $dest
  --export-root $T/images --secret-root $T/secrets --library-root $T/vddk"
  uchd_start "$@"
}

# forbidden_refused ID FIELD WORDS: the last answer was the confinement
# policy's 403 forbidden_path on FIELD, its message holding WORDS, and
# nothing of job ID was made.  Needs pass() of the test.
forbidden_refused() {
  jq -e --arg f "$2" --arg w "$3" '.error.code == "forbidden_path" and
       .error.field == $f and (.error.message | startswith($f + ": ")) and
       (.error.message | contains($w))' "$T/body" >/dev/null ||
    die "$1: $(status) $(cat "$T/body")"
  [ ! -e "$T/state/jobs/$1" ] || die "refused job $1 left files"
  pass "$1: 403 $(jq -r .error.message "$T/body")"
}

# conflict_refused ID FIELD JOB: the last answer was a 409 on FIELD
# naming JOB, and the refused job left nothing in the state dir.
conflict_refused() {
  jq -e --arg f "$2" --arg j "$3" '.error.code == "conflict" and .error.field == $f
       and (.error.message | contains("job \u0027" + $j + "\u0027"))' "$T/body" >/dev/null ||
    die "$1: $(cat "$T/body")"
  [ ! -e "$T/state/jobs/$1" ] || die "refused job $1 left files"
}

# job_field ID JQ-FILTER: one field of a job, raw.
job_field() { api GET "/v1/jobs/$1" | jq -r "$2"; }

# nbdkit_reserve NAME FILE [OPTION...] [-- PARAM...]: kill -9 the server
# nbdkit_serve started as NAME and serve FILE again on the same socket,
# as a source that comes back (or starts to stall) would.  Call it
# directly, not in $(...).  A server already gone (a stalled client's
# nbdkit may have ended on its own) is fine: it is to be gone.
nbdkit_reserve() {
  local name=$1 pid
  pid=$(cat "$T/$name.pid")
  kill -KILL "$pid" 2>/dev/null || ! kill -0 "$pid" 2>/dev/null ||
    die "cannot stop nbdkit $name ($pid)"
  rm -f "$T/$name.sock" "$T/$name.pid"
  nbdkit_serve "$@"
}

# nbdkit_serve NAME IMAGE [OPTION... [-- PARAM...]]: serves IMAGE
# read-only with nbdkit's file plugin on $T/NAME.sock, OPTIONs before
# the plugin (--filter=rate), PARAMs after it (rate=20M); sets NBD_URI,
# and NBDKIT_PID (its pid, also in $T/NAME.pid).  Call it directly, not
# in $(...), so its cleanup is registered.
nbdkit_serve() {
  local _listen=(-U "$T/$1.sock")
  _nbdkit_file "$@"
  # shellcheck disable=SC2034 # set for the caller
  NBD_URI="nbd+unix:///?socket=$T/$1.sock"
}

# nbdkit_serve_tcp NAME PORT IMAGE [OPTION... [-- PARAM...]]: the same
# on 127.0.0.1:PORT, a network source (nbd://); called again with the
# same PORT, a server back where the last one was.
nbdkit_serve_tcp() {
  local name=$1 port=$2
  shift 2
  local _listen=(-i 127.0.0.1 -p "$port")
  _nbdkit_file "$name" "$@"
  # shellcheck disable=SC2034 # set for the caller
  NBD_URI="nbd://127.0.0.1:$port/"
}

# The two's body: nbdkit listening where the caller's _listen says.
_nbdkit_file() {
  local name=$1 image=$2 opts=() params=()
  shift 2
  while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  params=("$@")
  rm -f "$T/$name.pid"
  nbdkit -r -f "${_listen[@]}" -P "$T/$name.pid" "${opts[@]}" \
    file "file=$image" "${params[@]}" >>"$T/nbdkit-$name.log" 2>&1 &
  # shellcheck disable=SC2034 # set for the caller
  NBDKIT_PID=$!
  cleanup_add "kill $!"
  wait_for 10 test -s "$T/$name.pid" ||
    die "nbdkit $name did not start: $(tail -3 "$T/nbdkit-$name.log")"
}

# Tools a job may have started that are still running from $T (a
# test's own servers, their sockets and pid files directly in $T, do not
# count).
worker_leftovers() {
  pgrep -af -- "$T" | grep -E '(^[0-9]+ )(nbdkit|nbdcopy|qemu-nbd|qemu-img|uch-job|\S*/uch-job) ' \
    | grep -v -e "-U $T/[A-Za-z0-9_.-]*\.sock " -e "-P $T/[A-Za-z0-9_.-]*\.pid " || true
}

# job_in_state ID STATE: true when job ID is in STATE now (for wait_for,
# which must re-run the check: `wait_for 5 test "$(…)"` would not).
job_in_state() { [ "$(job_field "$1" .state)" = "$2" ]; }
# job_in_phase ID PHASE: the same for its phase (serving, copying, …).
job_in_phase() { [ "$(job_field "$1" .phase)" = "$2" ]; }

# sshd_loopback: an sshd on 127.0.0.1 for the ESXi-over-SSH transport,
# with its own config and host key, key auth only, on a free port
# ($sshd_port); the client key is $T/id_ed25519.  virt-v2v passes ssh no
# options, so the host key goes where the service user's ssh and libssh
# look (~/.ssh/known_hosts, under this port), removed at the end.
sshd_loopback() {
  [ -x /usr/sbin/sshd ] || skip "sshd not installed"
  mkdir -p "$T/sshd" /run/sshd
  ssh-keygen -q -t ed25519 -N '' -f "$T/sshd/host_key"
  ssh-keygen -q -t ed25519 -N '' -f "$T/id_ed25519" -C uch-test-key
  cp "$T/id_ed25519.pub" "$T/sshd/authorized_keys"
  sshd_port=$(free_port)
  cat >"$T/sshd/sshd_config" <<CONF
ListenAddress 127.0.0.1
Port $sshd_port
HostKey $T/sshd/host_key
PidFile $T/sshd/sshd.pid
AuthorizedKeysFile $T/sshd/authorized_keys
AuthenticationMethods publickey
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
# scp speaks SFTP nowadays.
Subsystem sftp internal-sftp
CONF
  /usr/sbin/sshd -D -e -f "$T/sshd/sshd_config" 2>"$T/sshd/log" &
  cleanup_add "kill $!"
  wait_for 10 bash -c "exec 3<>/dev/tcp/127.0.0.1/$sshd_port" 2>/dev/null ||
    die "sshd did not listen: $(cat "$T/sshd/log")"
  mkdir -p ~/.ssh && chmod 700 ~/.ssh
  echo "[127.0.0.1]:$sshd_port $(cut -d' ' -f1,2 "$T/sshd/host_key.pub")" >>~/.ssh/known_hosts
  cleanup_add "ssh-keygen -q -R '[127.0.0.1]:$sshd_port' -f ~/.ssh/known_hosts; rm -f ~/.ssh/known_hosts.old"
}

# esxi_datastore NAME DISK GUESTOS MAC: $T/datastore/NAME as ESXi keeps
# a VM (tests/guests/make-vmx.sh): NAME.vmx, NAME.vmdk, NAME-flat.vmdk.
esxi_datastore() {
  "$UCH_TOP/tests/guests/make-vmx.sh" "$2" "$1" "$3" "$4" "$T/datastore/$1" ||
    die "make-vmx.sh failed"
}

# debian_converted NAME: the convert job in $T/job.json turned the Debian
# 12 test guest into NAME: virt-v2v's guest facts (it names Debian by
# /etc/debian_version, "12.N"), one qcow2 disk $T/out/NAME-sda and a
# domain XML of that name with a virtio disk; sets $disk and $xml.
debian_converted() {
  jq -e '(.result.guest.product_name | startswith("12.")) and
         .result.guest.osinfo == "http://debian.org/debian/12"' "$T/job.json" >/dev/null ||
    die "result.guest: $(jq -c .result.guest "$T/job.json")"
  disk=$(jq -r '.result.disks[0].path' "$T/job.json")
  xml=$(jq -r '.result.metadata' "$T/job.json")
  [ "$disk" = "$T/out/$1-sda" ] || die "result disk: $disk"
  [ "$xml" = "$T/out/$1.xml" ] || die "result metadata: $xml"
  qemu-img info --output=json "$disk" | jq -e '.format == "qcow2"' >/dev/null ||
    die "$disk is not qcow2"
  grep -q "<name>$1</name>" "$xml" || die "domain XML: $(cat "$xml")"
  grep -q "bus='virtio'" "$xml" || die "no virtio disk in the domain XML"
  grep -q "debian.org/debian/12" "$xml" || die "no libosinfo debian 12 in the domain XML"
}

# initramfs_has_virtio DISK: the initramfs a converted Linux guest boots
# with (virt-v2v keeps the one it replaced as initrd.img-VERSION.pre-v2v)
# holds virtio_blk, virtio_net and virtio_pci; read on the host after one
# appliance boot copies /boot out.  The Debian test guest builds its
# initramfs with MODULES=dep (make-debian.sh): virtio_blk and virtio_net
# are there only because virt-v2v listed them.
initramfs_has_virtio() {
  local initrd mod start
  rm -rf "$T/copy"; mkdir -p "$T/copy"
  # a raw disk whose first partition holds an ext root (the Debian
  # guest's) is read with debugfs, without a libguestfs appliance (a boot
  # of minutes under TCG); any other with guestfish
  start=$(sfdisk -J "$1" 2>/dev/null | jq -r '.partitiontable.partitions[0].start // empty' 2>/dev/null) || start=
  if [ -n "$start" ] && command -v debugfs >/dev/null &&
     debugfs -R "rdump /boot $T/copy" "$1?offset=$((start * 512))" >/dev/null 2>&1 &&
     [ -d "$T/copy/boot" ]; then
    :
  else
    rm -rf "$T/copy"; mkdir -p "$T/copy"
    guestfish --ro -a "$1" -i copy-out /boot "$T/copy" || die "cannot read /boot of $1"
  fi
  initrd=$(printf '%s\n' "$T"/copy/boot/initrd.img-* | grep -v '\.pre-v2v$' | tail -1)
  [ -f "$initrd" ] || die "no initrd in /boot: $(ls "$T/copy/boot")"
  lsinitramfs "$initrd" >"$T/initrd.list"
  for mod in virtio_blk virtio_net virtio_pci; do
    grep -q "/$mod\.ko" "$T/initrd.list" || die "$mod not in $initrd"
  done
  pass "${initrd##*/} holds virtio_blk, virtio_net, virtio_pci"
}

_vcsim_up() {
  [ -s "$T/vcsim/ready" ] && return 0
  kill -0 "$VCSIM_PID" 2>/dev/null || die "the vCenter simulator exited: $(cat "$T/vcsim.log")"
  return 1
}

# vcsim_start USER PASSWORD-FILE [-vm NAME=DIR[,on]]...: the tests'
# vCenter (tests/vcenter: govmomi's simulator behind our entry point) on
# a free loopback port, its datastore under $T/vcsim; each -vm is a VM
# on host DC0_H0 made from an ESXi VM folder (make-vmx.sh).  Skips when
# it cannot be built here.  Sets VCSIM_PORT, VCSIM_URL (https://…/sdk)
# and VCSIM_VPX, the vpx:// URL of host DC0_H0 for USER.
vcsim_start() {
  local rc=0 bin user=$1 pwfile=$2
  shift 2
  bin=$("$UCH_TOP/tests/vcenter/build.sh") || rc=$?
  [ $rc = 77 ] && skip "cannot build the vCenter simulator here (make deps)"
  [ $rc = 0 ] || die "tests/vcenter/build.sh failed ($rc)"
  VCSIM_PORT=$(free_port)
  mkdir -p "$T/vcsim"
  TMPDIR=$T/vcsim "$bin" -listen "127.0.0.1:$VCSIM_PORT" -user "$user" \
    -password-file "$pwfile" -ready "$T/vcsim/ready" "$@" >>"$T/vcsim.log" 2>&1 &
  VCSIM_PID=$!
  cleanup_add "kill $VCSIM_PID; sleep 0.2"
  wait_for 120 _vcsim_up || die "the vCenter simulator not ready after 120 s: $(cat "$T/vcsim.log")"
  VCSIM_URL=$(cat "$T/vcsim/ready")
  VCSIM_VPX="vpx://$user@127.0.0.1:$VCSIM_PORT/DC0/DC0_H0?no_verify=1"
  export VCSIM_PORT VCSIM_URL VCSIM_VPX
}

# cbt_changed CHANGEID: the bytes the tests' vCenter answered as changed
# (its CBT shim's QueryChangedDiskAreas, all answers) for the snapshot
# whose disk carries CHANGEID.
cbt_changed() {
  grep -F "(snapshot's changeId \"$1\")" "$T/vcsim.log" |
    sed -n 's/.*: [0-9]* areas, \([0-9]*\) bytes, .*/\1/p' | awk '{s += $1} END {print s + 0}'
}

# vm_facts USER PASSWORD-FILE NAME: VM NAME of the tests' vCenter as
# pyVmomi reads it, JSON: {"power": STATE, "snapshots": [NAMES], "cbt": B}.
vm_facts() {
  /usr/bin/python3 - "$@" <<'PY'
import json, os, ssl, sys
from pyVim.connect import SmartConnect
from pyVmomi import vim
user, pwfile, name = sys.argv[1:4]
si = SmartConnect(host="127.0.0.1", port=int(os.environ["VCSIM_PORT"]), user=user,
                  pwd=open(pwfile).readline().strip(), sslContext=ssl._create_unverified_context())
c = si.RetrieveContent()
v = c.viewManager.CreateContainerView(c.rootFolder, [vim.VirtualMachine], True)
vm = [x for x in v.view if x.name == name][0]
names = []
def walk(t):
    for s in t or []:
        names.append(s.name)
        walk(s.childSnapshotList)
walk(vm.snapshot.rootSnapshotList if vm.snapshot else [])
print(json.dumps({"power": str(vm.runtime.powerState), "snapshots": names,
                  "cbt": bool(vm.config.changeTrackingEnabled)}))
PY
}

# debian_boots DISK: the converted Debian guest boots under qemu (TCG)
# from DISK as a virtio disk (writes go to a throw-away overlay): its
# kernel sees the disk as vda and the guest comes up to its login
# prompt on the serial console, or to multi-user.target (systemd says
# "Reached target multi-user.target"): under heavy load udev can take
# longer than the 90 s systemd waits for /dev/ttyS0, and then no
# serial getty ever starts, though the guest is up.
debian_boots() {
  local boot_start
  boot_start=$(date +%s)
  qemu-system-x86_64 -machine pc,accel=tcg -m 768 -display none -nic none \
    -drive "file=$1,format=qcow2,if=virtio,snapshot=on" \
    -serial "file:$T/console.log" -monitor none -pidfile "$T/qemu.pid" \
    >"$T/qemu.out" 2>&1 &
  cleanup_add "kill $!"
  wait_for 900 grep -qsaE "uch-debian login:|Reached target .*multi-user.target" "$T/console.log" ||
    die "the converted guest did not come up: $(tail -c 2000 "$T/console.log" 2>/dev/null) $(cat "$T/qemu.out")"
  grep -q " vda: vda1" "$T/console.log" ||
    die "the kernel never saw its disk as virtio vda: $(grep -m5 -i 'sd\|vd' "$T/console.log")"
  pass "the converted guest boots from a virtio disk, up in $(( $(date +%s) - boot_start )) s: $(grep -aoE "uch-debian login:|Reached target .*multi-user.target" "$T/console.log" | head -1 | tr -d '\033')"
  kill "$(cat "$T/qemu.pid")"
}

# debian_static_ens192 RAW ADDR: the Debian guest in RAW (a raw copy of
# make-debian.sh's) set up as on VMware: systemd-networkd's
# 10-static.network gives ADDR/24 to ens192 (vmxnet3 in PCI slot 192),
# its DHCP on any en* name taken out.  On KVM the same NIC would be ens3
# and the guest would come up without its address.  debugfs writes the
# root in place, without a libguestfs appliance; sets $root_offset (the
# root's byte offset in RAW, for debugfs).
debian_static_ens192() {
  local start
  start=$(sfdisk -J "$1" | jq -r '.partitiontable.partitions[0].start')
  root_offset=$((start * 512))
  printf '[Match]\nName=ens192\n\n[Network]\nAddress=%s/24\n' "$2" >"$T/10-static.network"
  printf '%s\n' "rm /etc/systemd/network/80-dhcp.network" "cd /etc/systemd/network" \
    "write $T/10-static.network 10-static.network" >"$T/debugfs.cmds"
  debugfs -w -f "$T/debugfs.cmds" "$1?offset=$root_offset" >"$T/debugfs.log" 2>&1
  debugfs -R "cat /etc/systemd/network/10-static.network" "$1?offset=$root_offset" 2>/dev/null |
    grep -qx "Name=ens192" || die "could not set the guest up: $(cat "$T/debugfs.log")"
}

# debian_answers_on_tap DISK FORMAT MAC ADDR: the converted Debian guest
# (debian_static_ens192) booted under qemu (TCG) from DISK as a virtio
# disk (writes to a throw-away overlay), its NIC with MAC on a tap in a
# network namespace of the test's own (10.77.0.1/24 on the host side;
# skips when it cannot make one): it comes up, names its NIC ens192 on
# the console and answers at ADDR from MAC (tests/cloud/ping.py: this
# machine has no ping(8)).  Leaves the guest running (killed at the
# end); its console in $T/console.log.
debian_answers_on_tap() {
  local ns=uchnic$$ boot_start deadline
  ip netns add "$ns" || skip "cannot make a network namespace"
  cleanup_add "ip netns del $ns"
  ip netns exec "$ns" ip link set lo up
  ip netns exec "$ns" ip tuntap add tap0 mode tap
  ip netns exec "$ns" ip addr add 10.77.0.1/24 dev tap0
  ip netns exec "$ns" ip link set tap0 up
  boot_start=$SECONDS
  ip netns exec "$ns" qemu-system-x86_64 -machine pc,accel=tcg -m 768 -display none \
    -drive "file=$1,format=$2,if=virtio,snapshot=on" \
    -netdev tap,id=n0,ifname=tap0,script=no,downscript=no \
    -device "virtio-net-pci,netdev=n0,mac=$3" \
    -serial "file:$T/console.log" -monitor none -pidfile "$T/qemu.pid" >"$T/qemu.out" 2>&1 &
  cleanup_add "kill $!"
  wait_for 900 grep -qsaE "uch-debian login:|Reached target .*multi-user.target" "$T/console.log" ||
    die "the guest did not come up: $(tail -c 2000 "$T/console.log") $(cat "$T/qemu.out")"
  pass "the guest is up ($((SECONDS - boot_start)) s after boot)"
  grep -qaE "ens192: renamed from (eth0|ens[0-9]+|enp[0-9a-z]+)" "$T/console.log" ||
    die "the NIC was not named ens192: $(grep -a renamed "$T/console.log")"
  # networkd sets the address once it runs: up to 5 minutes more under
  # load.  Each echo waits 2 s for its answer.
  deadline=$((SECONDS + 300))
  until ip netns exec "$ns" /usr/bin/python3 "$UCH_TOP/tests/cloud/ping.py" "$4"; do
    [ $SECONDS -lt $deadline ] ||
      die "no answer at $4 ($((SECONDS - boot_start)) s after boot): $(ip netns exec "$ns" ip neigh show dev tap0); $(grep -a -i 'ens\|network' "$T/console.log" | tail -5)"
    sleep 0.5
  done
  ip netns exec "$ns" ip neigh show "$4" dev tap0 | grep -q "lladdr $3" ||
    die "$4 answered from another MAC: $(ip netns exec "$ns" ip neigh show dev tap0)"
  pass "the guest names its NIC $(grep -aoE "ens192: renamed from [a-z0-9]+" "$T/console.log" | head -1) and answers at $4 from $3 ($((SECONDS - boot_start)) s after boot)"
}

# repo_files: the repository's files, one a line, relative to UCH_TOP:
# what git tracks plus new files it does not ignore (so a checker sees a
# script before its commit); every file but build/ outside a git
# checkout.
repo_files() {
  if git -C "$UCH_TOP" rev-parse --git-dir >/dev/null 2>&1; then
    git -C "$UCH_TOP" ls-files --cached --others --exclude-standard |
      while IFS= read -r f; do [ -f "$UCH_TOP/$f" ] && printf '%s\n' "$f"; done
  else
    (cd "$UCH_TOP" && find . -path ./build -prune -o -path ./var -prune -o \
       -type f -print | sed 's|^\./||')
  fi
}

# the Ansible set-up: ansible_config, ansible_local_dst, vcenter_vars,
# vmware_ansible
# shellcheck source=tests/lib/ansible.sh
source "$UCH_TOP/tests/lib/ansible.sh"
