#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# An inspect job of the real Debian 12 test guest (tests/guests/
# make-debian.sh, cached), given as a qcow2 overlay over the cached raw
# disk: distro debian, major version 12, BIOS firmware, its hostname,
# kernels listed, grub found, the root filesystem with its free space,
# and convertible true with no reasons.
# uch-test: slow
# uch-test: timeout=1800
source "$UCH_TOP/tests/lib/functions.sh"
require guestfish
require jq
export LIBGUESTFS_BACKEND_SETTINGS=force_tcg

debian_overlay raw
uchd_start

printf '{"type":"inspect","id":"debian","disks":[{"source":{"path":"%s"}}]}\n' \
  "$T/debian.qcow2" >"$T/req.json"
api POST /v1/jobs "$T/req.json" >/dev/null
[ "$(status)" = 201 ] || die "submit: $(status) $(cat "$T/body")"
st=$(job_wait debian 600)
api GET /v1/jobs/debian >"$T/job.json"
[ "$st" = succeeded ] || die "inspection ended $st: $(jq -c . "$T/job.json")"
r() { jq -r "$1" "$T/job.json"; }
[ "$(r .result.guest.type)" = linux ] && [ "$(r .result.guest.distro)" = debian ] &&
  [ "$(r .result.guest.major_version)" = 12 ] ||
  die "guest: $(jq -c .result.guest "$T/job.json")"
[ "$(r .result.guest.firmware)" = bios ] || die "firmware: $(r .result.guest.firmware)"
[ "$(r .result.guest.arch)" = x86_64 ] || die "arch: $(r .result.guest.arch)"
[ "$(r .result.guest.hostname)" = uch-debian ] || die "hostname: $(r .result.guest.hostname)"
pass "guest: $(r .result.guest.product_name) ($(r .result.guest.distro) $(r .result.guest.major_version).$(r .result.guest.minor_version), $(r .result.guest.arch), $(r .result.guest.firmware))"

r '.result.kernels[]' | grep -q '^vmlinuz-6\.1\..*-amd64$' || die "kernels: $(jq -c .result.kernels "$T/job.json")"
[ "$(r .result.bootloader)" = grub2 ] || die "bootloader: $(r .result.bootloader)"
jq -e '.result.filesystems | map(select(.mountpoint == "/")) | length == 1 and
       .[0].type == "ext4" and .[0].free > 104857600' "$T/job.json" >/dev/null ||
  die "root filesystem: $(jq -c .result.filesystems "$T/job.json")"
pass "kernels $(jq -c .result.kernels "$T/job.json"), grub2, / with $(( $(r '.result.filesystems[] | select(.mountpoint == "/") | .free') >> 20 )) MiB free"

[ "$(r .result.convertible)" = true ] && [ "$(r '.result.reasons | length')" = 0 ] ||
  die "verdict: $(jq -c '{convertible: .result.convertible, reasons: .result.reasons}' "$T/job.json")"
[ "$(r .result.luks)" = false ] || die "luks: $(r .result.luks)"
pass "convertible, no reasons"
