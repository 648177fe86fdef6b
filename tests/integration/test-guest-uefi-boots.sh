#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The UEFI test guest (tests/guests/make-debian.sh uefi), which the
# OpenStack tests migrate as a UEFI server, is one: a GPT disk whose EFI
# system partition holds GRUB at the removable path and whose MBR has no
# BIOS boot code, and it boots under OVMF (q35, TCG) to its login
# prompt, its ESP mounted from fstab.
# uch-test: slow
# uch-test: timeout=900
source "$UCH_TOP/tests/lib/functions.sh"
require qemu-system-x86_64
require guestfish
require sfdisk
code=/usr/share/OVMF/OVMF_CODE_4M.fd vars=/usr/share/OVMF/OVMF_VARS_4M.fd
[ -r "$code" ] && [ -r "$vars" ] || die "no OVMF firmware in /usr/share/OVMF (make deps installs ovmf)"

rc=0; disk=$("$UCH_TOP/tests/guests/make-debian.sh" uefi) || rc=$?
[ $rc = 77 ] && skip "cannot build the Debian guest here"
[ $rc = 0 ] || die "make-debian.sh uefi failed ($rc)"

sfdisk --json "$disk" >"$T/table.json" || die "sfdisk: no partition table"
jq -e '.partitiontable.label == "gpt" and
       (.partitiontable.partitions[0].type == "C12A7328-F81F-11D2-BA4B-00A0C93EC93B")' \
  "$T/table.json" >/dev/null || die "not GPT with an ESP first: $(jq -c . "$T/table.json")"
! head -c 440 "$disk" | grep -aq GRUB || die "BIOS boot code in the MBR"
pass "GPT, the ESP first, no BIOS boot code: $(jq -r '.partitiontable.partitions | length' "$T/table.json") partitions"

qemu-img create -q -f qcow2 -F raw -b "$disk" "$T/uefi.qcow2"
cp "$vars" "$T/vars.fd"
boot_start=$(date +%s)
qemu-system-x86_64 -machine q35,accel=tcg -m 768 -display none -nic none \
  -drive "if=pflash,format=raw,readonly=on,file=$code" \
  -drive "if=pflash,format=raw,file=$T/vars.fd" \
  -drive "file=$T/uefi.qcow2,format=qcow2,if=virtio" \
  -serial "file:$T/console.log" -monitor none -pidfile "$T/qemu.pid" \
  >"$T/qemu.out" 2>&1 &
cleanup_add "kill $!"
wait_for 900 grep -qsaE "uch-debian login:|Reached target .*multi-user.target" "$T/console.log" ||
  die "the UEFI guest did not come up: $(tail -c 2000 "$T/console.log" 2>/dev/null) $(cat "$T/qemu.out")"
grep -qa "efi: EFI v" "$T/console.log" || die "its kernel did not start from UEFI: $(grep -am3 -i efi "$T/console.log")"
grep -qaE "Mounted .*/boot/efi|boot-efi.mount" "$T/console.log" ||
  die "the ESP was not mounted: $(grep -ai "boot.efi\|vfat\|fsck" "$T/console.log" | head -5)"
pass "boots under OVMF to $(grep -aoE "uch-debian login:|Reached target .*multi-user.target" "$T/console.log" | head -1 | sed 's/\x1b\[[0-9;]*m//g') in $(( $(date +%s) - boot_start )) s, from UEFI, /boot/efi mounted"
