#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The appliance's files (appliance/) as `make install-appliance` puts them
# in an image: systemd-analyze verify accepts the units, tmpfiles makes
# the directories with their modes, uchd runs from the shipped uchd.conf
# (every key in it, set or commented out, is one uchd knows), the first
# boot certificate is made and works for TLS, the cloud-init files parse.
source "$UCH_TOP/tests/lib/functions.sh"
require systemd-analyze
require systemd-tmpfiles
require certtool
require python3

root=$T/root
make -s -C "$UCH_TOP" install-appliance DESTDIR="$root" PREFIX=/usr \
  >"$T/install.log" 2>&1 || { cat "$T/install.log"; die "install-appliance"; }
for f in usr/sbin/uchd usr/libexec/uch/uch-job usr/bin/uchctl \
         usr/libexec/uch/uch-zeroscan-filter.so usr/libexec/uch/uch-disksdone-filter.so \
         usr/lib/systemd/system/uchd.service usr/lib/systemd/system/uchd.socket \
         usr/lib/systemd/system/uch-tls.service usr/libexec/uch/uch-tls-init \
         usr/lib/tmpfiles.d/uch.conf etc/uch/uchd.conf etc/motd \
         etc/cloud/cloud.cfg.d/99-uch.cfg; do
  [ -e "$root/$f" ] || die "install-appliance did not install /$f"
done
pass "install-appliance installs units, config, tmpfiles, motd, cloud-init"

# Every ExecStart= names a program that is installed where it says.
grep -h '^ExecStart=' "$root"/usr/lib/systemd/system/uch*.service |
  sed 's/^ExecStart=//; s/ .*//' | while read -r prog; do
    [ -x "$root$prog" ] || die "ExecStart program $prog is not installed"
  done
uch_job=$(sed -n 's/^Environment=UCH_JOB=//p' "$root/usr/lib/systemd/system/uchd.service")
[ -x "$root$uch_job" ] || die "uchd.service UCH_JOB=$uch_job is not installed"
pass "ExecStart programs and the worker uchd.service names exist"

# verify wants the programs on this machine's paths; copy the units
# with their ExecStart pointed at the installed tree.
ours=(uchd.service uchd.socket uch-tls.service)
copy_units() {
  local u
  mkdir -p "$1"
  for u in "${ours[@]}"; do
    sed "s|^ExecStart=/|ExecStart=$root/|" \
      "$root/usr/lib/systemd/system/$u" >"$1/$u"
  done
}
# verify_ours DIR: systemd-analyze verify on our units in DIR; prints
# its complaints about them.  verify also loads what they pull in
# (targets, cloud-init.service, and what those want) from this machine
# and complains about those units' own files ("/lib/systemd/system/
# foo.service:12: ..."): not ours to judge.  A complaint is ours when it
# names one of our units ("uchd.service: ...", "DIR/uchd.service:20:
# ...").  That a unit we name is not installed on a build host
# (network-online.target's providers, cloud-init) is no fault either.
verify_ours() {
  local dir=$1 names
  names=$(printf '%s\n' "${ours[@]}" | sed 's/[.]/[.]/g' | paste -sd'|')
  (cd "$dir" && SYSTEMD_LOG_LEVEL=warning systemd-analyze verify --man=no \
     "${ours[@]}") >"$dir.log" 2>&1 || true
  grep -E "^($dir/)?($names):" "$dir.log" |
    grep -v -e 'network-online.target' -e 'cloud-init.service' || true
}
copy_units "$T/units"
bad=$(verify_ours "$T/units")
[ -z "$bad" ] || die "systemd-analyze verify: $bad"
# The judge sees a fault in our unit, and none in another unit.
copy_units "$T/broken"
sed -i 's/^Type=notify$/Type=notfy/' "$T/broken/uchd.service"
mkdir -p "$T/foreign"
printf '[Unit]\nDescription=not ours\n[Service]\nType=notfy\nExecStart=/bin/true\n' \
  >"$T/foreign/cloud-init.service"
bad=$(SYSTEMD_UNIT_PATH=$T/foreign: verify_ours "$T/broken")
grep -q 'uchd.service:.*notfy' <<<"$bad" ||
  die "verify_ours missed a bad Type= in uchd.service: $(cat "$T/broken.log")"
grep -q 'foreign/cloud-init.service:.*notfy' "$T/broken.log" ||
  die "systemd-analyze verify did not load the foreign unit: $(cat "$T/broken.log")"
if grep -q foreign <<<"$bad"; then die "verify_ours judged another unit: $bad"; fi
pass "systemd-analyze verify: no complaints about our units (others' ignored)"

grep -qx 'Type=notify' "$root/usr/lib/systemd/system/uchd.service" &&
  grep -q '^WatchdogSec=' "$root/usr/lib/systemd/system/uchd.service" &&
  grep -qx 'ProtectSystem=strict' "$root/usr/lib/systemd/system/uchd.service" &&
  grep -qx 'NoNewPrivileges=yes' "$root/usr/lib/systemd/system/uchd.service" ||
  die "uchd.service lacks Type=notify, WatchdogSec or its hardening"
pass "uchd.service: Type=notify, WatchdogSec, hardening"

systemd-tmpfiles --root="$root" --create \
  "$root/usr/lib/tmpfiles.d/uch.conf" >"$T/tmpfiles.log" 2>&1 ||
  die "systemd-tmpfiles: $(cat "$T/tmpfiles.log")"
[ "$(stat -c %a "$root/var/lib/uch")" = 700 ] &&
  [ "$(stat -c %a "$root/run/uch")" = 755 ] &&
  [ "$(stat -c %a "$root/etc/uch/tls")" = 700 ] ||
  die "tmpfiles modes: $(ls -ld "$root/var/lib/uch" "$root/run/uch" "$root/etc/uch/tls")"
pass "tmpfiles: /var/lib/uch 0700, /run/uch 0755, /etc/uch/tls 0700"

# Each key of uchd.conf, set or commented out, is a flag of uchd --help.
conf=$root/etc/uch/uchd.conf
keys=$(sed -n 's/^#\{0,1\}\([a-z_]*\) = .*/\1/p' "$conf")
[ "$(echo "$keys" | wc -l)" -ge 9 ] || die "uchd.conf documents too few keys: $keys"
for k in $keys; do
  uchd --help | grep -q -- "--${k//_/-} " || die "uchd.conf key $k is no uchd flag"
done
for flag in $(uchd --help | grep -o -- '--[a-z-]*' | sort -u); do
  case $flag in --config|--help|--version) continue ;; esac
  k=${flag#--}; k=${k//-/_}
  grep -qx -- "$k" <<<"$keys" || die "uchd.conf does not mention $k ($flag)"
done
pass "uchd.conf: every key is a uchd flag and every flag has its key"

# The first-boot certificate, made the way uch-tls.service makes it.
"$root/usr/libexec/uch/uch-tls-init" "$T/tls" || die "uch-tls-init failed"
[ "$(stat -c %a "$T/tls/key.pem")" = 600 ] || die "key.pem not 0600"
cp "$T/tls/key.pem" "$T/key.before"
"$root/usr/libexec/uch/uch-tls-init" "$T/tls"
cmp -s "$T/tls/key.pem" "$T/key.before" || die "uch-tls-init replaced a key"
pass "uch-tls-init makes a 0600 key once, keeps it after"

# uchd runs from the shipped file; flags move only paths and the port.
port=$(free_port)
mkdir -p "$T/state" "$T/run"
uchd --config "$conf" --state-dir "$T/state" --runtime-dir "$T/run" \
  --unix "$T/run/uchd.sock" --listen "127.0.0.1:$port" \
  --token-file "$T/state/api-token" \
  --tls-cert "$T/tls/cert.pem" --tls-key "$T/tls/key.pem" \
  >"$T/uchd.log" 2>&1 &
UCHD_PID=$!
cleanup_add "kill $UCHD_PID; sleep 0.2"
UCH_SOCK=$T/run/uchd.sock uchd_wait_ready
curl -sf --cacert "$T/tls/cert.pem" "https://127.0.0.1:$port/v1/health" \
  >/dev/null || die "health over TLS with the first-boot certificate"
pass "uchd starts from appliance/uchd.conf and answers over TLS"

python3 - "$root/etc/cloud/cloud.cfg.d/99-uch.cfg" \
  "$UCH_TOP/appliance/cloud-init/user-data.example" <<'PY' || die "cloud-init YAML"
import sys, yaml
cfg = yaml.safe_load(open(sys.argv[1]))
assert "NoCloud" in cfg["datasource_list"] and "OpenStack" in cfg["datasource_list"]
text = open(sys.argv[2]).read()
assert text.startswith("#cloud-config\n")
ud = yaml.safe_load(text)
assert any(f["path"] == "/var/lib/uch/api-token" and f["permissions"] == "0600"
           for f in ud["write_files"])
PY
pass "cloud-init: NoCloud and OpenStack; example user-data writes the token 0600"
