#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The appliance's services are sandboxed: systemd-analyze security
# (offline, on the unit files make install-appliance installs, judging
# our units only) rates uchd.service at most 2.5 and uch-tls.service at
# most 3.0, with the system call filter, the capability bounding set,
# PrivateMounts, ProtectProc and a device allow-list each in place.
# That it all still works: a copy and an export in the booted image
# (test-image-boot), a conversion with systemd as PID 1 in a container
# (test-appliance-convert-hardened), the workers' units sandboxed too.
source "$UCH_TOP/tests/lib/functions.sh"
require systemd-analyze
systemd-analyze security --help 2>&1 | grep -q -- '--offline' ||
  skip "systemd-analyze has no security --offline"

root=$T/root
make -s -C "$UCH_TOP" install-appliance DESTDIR="$root" PREFIX=/usr \
  >"$T/install.log" 2>&1 || { cat "$T/install.log"; die "install-appliance"; }
units=$root/usr/lib/systemd/system

# exposure DIR UNIT: the overall exposure systemd-analyze gives UNIT's
# file in DIR (as 2.3)
exposure() {
  (cd "$1" && systemd-analyze security --offline=true --no-pager "$2") \
    >"$T/$2.security" 2>&1 || true
  sed -n "s/^→ Overall exposure level for $2: \([0-9.]*\) .*/\1/p" "$T/$2.security"
}
at_most() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }

for spec in uchd.service:2.5 uch-tls.service:3.0; do
  unit=${spec%:*} limit=${spec#*:}
  e=$(exposure "$units" "$unit")
  [ -n "$e" ] || die "no exposure for $unit: $(cat "$T/$unit.security")"
  at_most "$e" "$limit" || die "$unit: exposure $e, more than $limit:
$(grep '✗' "$T/$unit.security")"
  for want in 'SystemCallFilter=~@privileged' 'CapabilityBoundingSet=~CAP_SYS_MODULE' \
              'PrivateMounts=' 'ProtectProc=' 'ProtectKernelModules='; do
    grep -q "✓ $want" "$T/$unit.security" || die "$unit: not ✓ $want"
  done
  pass "$unit: exposure $e (at most $limit)"
done
grep -q '✗ DeviceAllow=.*some special devices: char-rtc:r /dev/kvm:rw' "$T/uchd.service.security" ||
  die "uchd.service's devices: $(grep DeviceAllow "$T/uchd.service.security")"
pass "uchd.service: a device allow-list (/dev/kvm only)"

# The judge can fail: the same unit without its sandbox is rated worse.
mkdir "$T/bare"
sed '/^# Hardening/,/^UMask=/d' "$units/uchd.service" >"$T/bare/uchd.service"
e=$(exposure "$T/bare" uchd.service)
[ -n "$e" ] && ! at_most "$e" 2.5 || die "uchd.service without its sandbox rated $e"
pass "without its sandbox uchd.service is rated $e"

# uchd's capabilities are the workers' (uchd/worker-unit.c): under
# ProtectProc=invisible uchd sees only processes whose capabilities are
# within its own.
caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$units/uchd.service")
mask=0
for c in $caps; do
  bit=$(awk -v c="$c" '$1 == "#define" && $2 == c { print $3 }' /usr/include/linux/capability.h)
  [ -n "$bit" ] || die "unknown capability $c"
  mask=$((mask | 1 << bit))
done
worker=$(sed -n '/^#define WORKER_CAPABILITIES/,/^$/p' "$UCH_TOP/service/uchd/worker-unit.h" |
  grep -o 'CAP_[A-Z_]*' | sort | tr '\n' ' ')
[ "$worker" = "$(tr ' ' '\n' <<<"$caps" | sort | tr '\n' ' ')" ] ||
  die "uchd.service's capabilities ($caps) are not the workers' ($worker)"
grep -q "CapabilityBoundingSet=$mask\\\\n" "$UCH_TOP/tests/unit/test-uchd-worker-unit.c" ||
  die "the workers' unit test does not pin the mask $mask"
pass "the workers' units get uchd's capabilities ($caps)"
