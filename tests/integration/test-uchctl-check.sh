#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# uchctl check, as an admin runs it first on a fresh appliance (--quick;
# the appliance check only where it fails at once, cached for health):
# exit 0 on a host with every tool; with nbdkit missing from PATH, exit 1
# and a line naming nbdkit; --json's shape, its capabilities the same
# facts as uchd's GET /v1/health; a bad VMware host name named as not
# resolving; an "ESXi" on loopback (gnutls-serv on free ports standing
# for 443 and 902) reachable, with the SHA1 thumbprint of its certificate.
source "$UCH_TOP/tests/lib/functions.sh"
require jq
require nbdkit
require virt-v2v
require gnutls-serv
require certtool
mkdir -p "$T/state" "$T/run"
check() { uchctl check --quick --state-dir "$T/state" --runtime-dir "$T/run" "$@"; }

rc=0; check >"$T/out" 2>&1 || rc=$?
[ $rc = 0 ] || die "check on this host: exit $rc: $(cat "$T/out")"
grep -q "^ok    nbdkit .*plugins: .*file" "$T/out" || die "no nbdkit line: $(cat "$T/out")"
grep -q "^warn  libguestfs .*not checked (--quick)" "$T/out" || die "--quick: $(cat "$T/out")"
grep -q "^check passed" "$T/out" || die "no verdict: $(cat "$T/out")"
# KVM as libguestfs would take it: where qemu cannot set a vCPU up on
# /dev/kvm (nested kvm-pvm), not "works"
if "$UCH_TOP/build-aux/kvm-usable"; then
  grep -q "^ok    kvm .*/dev/kvm works" "$T/out" || die "kvm: $(grep kvm "$T/out")"
else
  grep -q "^warn  kvm .*no usable" "$T/out" || die "kvm: $(grep kvm "$T/out")"
fi
pass "the kvm line as build-aux/kvm-usable finds it: $(grep '^[a-z]* *kvm' "$T/out" | cut -c1-100)"
pass "check --quick passes here: $(grep -c '^ok' "$T/out") ok, $(grep -c '^warn' "$T/out") warnings"

# PATH with every tool but nbdkit.
mkdir "$T/bin"
for tool in virt-v2v virt-v2v-in-place nbdcopy qemu-img qemu-nbd guestfish; do
  p=$(command -v $tool) && ln -s "$p" "$T/bin/$tool"
done
rc=0; PATH=$T/bin "$(command -v uchctl)" check --quick --state-dir "$T/state" \
  --runtime-dir "$T/run" >"$T/out" 2>&1 || rc=$?
[ $rc = 1 ] || die "without nbdkit: exit $rc: $(cat "$T/out")"
grep -q "^fail  nbdkit .*nbdkit is not installed" "$T/out" || die "nbdkit not named: $(cat "$T/out")"
grep -q "^check FAILED" "$T/out" || die "no verdict: $(cat "$T/out")"
pass "without nbdkit on PATH: exit 1, $(grep '^fail  nbdkit' "$T/out" | cut -c1-70)..."

rc=0; check --json --esxi no-such-host.invalid >"$T/json" || rc=$?
[ $rc = 1 ] || die "bad host name: exit $rc"
jq -e '(.passed == false) and (.checks | length > 5) and
       (.checks | all(has("name") and has("message") and
                      (.status | IN("ok", "warn", "fail")))) and
       (.capabilities | has("nbdkit") and has("virt-v2v-in-place") and has("space"))' \
  "$T/json" >/dev/null || die "--json shape: $(cat "$T/json")"
msg=$(jq -r '.checks[] | select(.name == "esxi no-such-host.invalid dns") | .message' "$T/json")
[[ $msg == "esxi no-such-host.invalid: the name does not resolve: "* ]] || die "dns message: $msg"
pass "--json: passed, checks[{name,status,message}], capabilities; $msg"

# The Debian appliance image's case: no virt-v2v, no libguestfs.  The
# appliance check (no --quick) names guestfish as missing, at once.
mkdir "$T/bin-debian"
for tool in nbdkit nbdcopy qemu-img qemu-nbd; do
  ln -s "$(command -v $tool)" "$T/bin-debian/$tool"
done
rc=0; PATH=$T/bin-debian "$(command -v uchctl)" check --state-dir "$T/state" \
  --runtime-dir "$T/run" >"$T/out" 2>&1 || rc=$?
[ $rc = 1 ] || die "no libguestfs: exit $rc: $(cat "$T/out")"
grep -q "^fail  libguestfs .*libguestfs is not installed: no guestfish on PATH" "$T/out" ||
  die "guestfish not named: $(cat "$T/out")"
! grep -q "booting the libguestfs appliance" "$T/out" || die "said it boots an appliance it lacks"
grep -q "^fail  virt-v2v .*virt-v2v is not installed" "$T/out" || die "virt-v2v not named: $(cat "$T/out")"
pass "no virt-v2v nor guestfish: both named, exit 1"

# The appliance check (no --quick), made to fail at once: its own error
# line, kept in the state dir for uchd's health.
rc=0; LIBGUESTFS_PATH=$T/no-appliance uchctl check --state-dir "$T/state" \
  --runtime-dir "$T/run" >"$T/out" 2>&1 || rc=$?
[ $rc = 1 ] || die "appliance missing: exit $rc: $(cat "$T/out")"
grep -q "^fail  libguestfs .*does not boot.*libguestfs: error: cannot find any suitable" "$T/out" ||
  die "appliance failure: $(cat "$T/out")"
jq -e '.ok == false and (.checked_at > 0) and (.message | startswith("libguestfs: error:"))' \
  "$T/state/check/guestfs.json" >/dev/null || die "cache: $(cat "$T/state/check/guestfs.json")"
pass "appliance check fails with libguestfs's words, cached in STATE/check/guestfs.json"

# A VDDK folder (a stand-in library file) named to uchd and to check.
mkdir -p "$T/vddk/lib64"; : >"$T/vddk/lib64/libvixDiskLib.so.8"
uchd_start --vddk-libdir "$T/vddk"
api GET /v1/health >"$T/health"
diff <(jq -S '.capabilities | keys' "$T/health") <(jq -S '.capabilities | keys' "$T/json") ||
  die "health and check differ in their facts"
jq -e --arg s "$T/state" '.capabilities.space.state.dir == $s and
       (.capabilities.space.runtime.free_bytes > 0) and
       (.capabilities.guestfs.ok == false) and
       (.capabilities.vddk_library == {"libdir": "\($s | rtrimstr("/state"))/vddk", "found": true})' \
  "$T/health" >/dev/null ||
  die "health capabilities: $(jq -c .capabilities "$T/health")"
pass "GET /v1/health has the same facts under capabilities (VDDK library found)"

if ! nbdkit vddk --version >/dev/null 2>&1; then
  rc=0; check --vddk-libdir "$T/vddk" >"$T/out" 2>&1 || rc=$?
  [ $rc = 1 ] || die "VDDK asked for, no plugin: exit $rc: $(cat "$T/out")"
  grep -q "^ok    vddk-library .*$T/vddk/lib64" "$T/out" || die "library: $(cat "$T/out")"
  grep -q "^fail  vddk-plugin .*Debian's nbdkit has no vddk plugin" "$T/out" ||
    die "plugin: $(cat "$T/out")"
  pass "--vddk-libdir with no vddk plugin: exit 1, \"Debian's nbdkit has no vddk plugin\""
fi

# An "ESXi" on loopback: TLS on one free port (for 443), the other (902).
certtool --generate-privkey --outfile "$T/key.pem" 2>/dev/null
printf 'cn = esx.test\nexpiration_days = 1\n' >"$T/cert.cfg"
certtool --generate-self-signed --load-privkey "$T/key.pem" --template "$T/cert.cfg" \
  --outfile "$T/cert.pem" 2>/dev/null
want=$(python3 -c 'import ssl, hashlib, sys
der = ssl.PEM_cert_to_DER_cert(open(sys.argv[1]).read())
print(":".join("%02X" % b for b in hashlib.sha1(der).digest()))' "$T/cert.pem")
https=$(free_port); nfc=$(free_port)
servers=()
for port in $https $nfc; do
  gnutls-serv --x509certfile "$T/cert.pem" --x509keyfile "$T/key.pem" -p "$port" \
    >>"$T/gnutls-serv.log" 2>&1 &
  servers+=($!)
  cleanup_add "kill $! 2>/dev/null"
done
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_for 10 listening "$https" && wait_for 10 listening "$nfc" || die "gnutls-serv did not start"
rc=0; check --esxi 127.0.0.1 --ports "$https,$nfc" >"$T/out" 2>&1 || rc=$?
[ $rc = 0 ] || die "loopback ESXi: exit $rc: $(cat "$T/out")"
grep -q "^ok    esxi 127.0.0.1 tcp/$https .*answers" "$T/out" || die "https port: $(cat "$T/out")"
grep -q "^ok    esxi 127.0.0.1 tcp/$nfc .*answers" "$T/out" || die "nfc port: $(cat "$T/out")"
got=$(sed -n 's/^ok    esxi 127.0.0.1 tls .*thumbprint (SHA1) //p' "$T/out")
[ "$got" = "$want" ] || die "thumbprint $got, want $want: $(cat "$T/out")"
pass "loopback ESXi: both ports answer, thumbprint $got"

kill "${servers[@]}"; wait "${servers[@]}" 2>/dev/null || true
rc=0; check --esxi 127.0.0.1 --ports "$https,$nfc" >"$T/out" 2>&1 || rc=$?
[ $rc = 1 ] && grep -q "^fail  esxi 127.0.0.1 tcp/$nfc .*Connection refused" "$T/out" ||
  die "ports closed: exit $rc: $(cat "$T/out")"
pass "closed ports fail, named: $(grep "^fail  esxi 127.0.0.1 tcp/$nfc" "$T/out" | cut -c1-80)"
