#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make-inspect-blockers.sh: guests that libguestfs inspects fine but
# virt-v2v cannot convert, for UCH's own inspect checks (issue 18 item 3).
# Prints the directory holding them:
#   el7.img       raw, a RHEL 7-like guest with / on XFS v4 (mkfs.xfs -m
#                 crc=0).  FABRICATED: no CentOS mirror is reachable
#                 here, so it is an MBR disk whose one XFS v4 partition
#                 holds CentOS 7's /etc/redhat-release, an fstab mounting
#                 it at / by UUID, a hostname, an (empty) el7 kernel file
#                 and a grub2 configuration: what inspection reads, no
#                 more.  Nothing in it boots.
#   el7-home.img  raw, the same guest's second disk: a LUKS2 volume whose
#                 key nobody gives (its /home, named in /etc/crypttab).
#   windows-hibernated.qcow2
#                 the phony Windows guest (make-windows.sh) with a
#                 hiberfil.sys that starts with the "HIBR" header Windows
#                 writes when it hibernates or shuts down with Fast
#                 Startup; a qcow2 over make-windows.sh's cached image.
# Cached in ${UCH_CACHE:-$HOME/.cache/uch}/guests/blockers-HASH (HASH of
# this recipe and of the Windows image it builds on); read them only.
# Exits 77 when a tool it needs is missing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export PATH=$PATH:/usr/sbin:/sbin
for tool in guestfish qemu-img mkfs.xfs sfdisk cryptsetup; do
  command -v $tool >/dev/null ||
    { echo "make-inspect-blockers.sh: $tool is not installed" >&2; exit 77; }
done
top=${UCH_CACHE:-$HOME/.cache/uch}/guests
mkdir -p "$top"
# make-windows.sh's cached raw image (its path carries its recipe's hash)
wintmp=$(mktemp -d "$top/blockers-win.XXXXXX")
trap 'rm -rf "$wintmp"' EXIT
rc=0
"$here/make-windows.sh" "$wintmp" >&2 || rc=$?
[ $rc = 0 ] || exit $rc
winbase=$(qemu-img info --output=json "$wintmp/windows.img" |
  python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get("full-backing-filename") or d["backing-filename"])')
hash=$( (cat "$here/make-inspect-blockers.sh"; echo "$winbase") | sha256sum | cut -c1-16)
cache=$top/blockers-$hash
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9

if [ ! -s "$cache/windows-hibernated.qcow2" ]; then
  work=$(mktemp -d "$cache/build.XXXXXX")
  trap 'rm -rf "$wintmp" "$work"' EXIT
  uuid=3a7d0e4c-5b51-4c1e-9d3c-7e1b0c2f0a41
  # The XFS v4 root, made here (the libguestfs appliance has no
  # xfsprogs) and placed at 1 MiB in an MBR disk.
  truncate -s 320M "$work/root.xfs"
  # (its "V4 filesystems are deprecated" warning is the point)
  mkfs.xfs -q -f -m crc=0,uuid=$uuid -L root "$work/root.xfs" >&2
  truncate -s 330M "$work/el7.img"
  printf 'label: dos\nstart=2048, size=655360, type=83, bootable\n' |
    sfdisk -q "$work/el7.img"
  dd if="$work/root.xfs" of="$work/el7.img" bs=1M seek=1 conv=notrunc,sparse status=none
  rm "$work/root.xfs"
  truncate -s 32M "$work/el7-home.img"
  head -c 32 /dev/urandom | cryptsetup luksFormat --batch-mode --type luks2 \
    --pbkdf pbkdf2 --pbkdf-force-iterations 1000 --key-file - "$work/el7-home.img"
  home_uuid=$(cryptsetup luksUUID "$work/el7-home.img")
  qemu-img create -q -f qcow2 -F raw -b "$winbase" "$work/windows-hibernated.qcow2"
  # hiberfil.sys: the header's first four bytes are what ntfs-3g judges
  { printf 'HIBR'; head -c 65532 /dev/zero; } >"$work/hiberfil.sys"
  printf 'CentOS Linux release 7.9.2009 (Core)\n' >"$work/redhat-release"
  printf 'UUID=%s /     xfs defaults 0 0\n/dev/mapper/luks-%s /home xfs defaults 0 0\n' \
    "$uuid" "$home_uuid" >"$work/fstab"
  printf 'luks-%s UUID=%s none\n' "$home_uuid" "$home_uuid" >"$work/crypttab"
  guestfish <<GF
add $work/el7.img format:raw
add $work/windows-hibernated.qcow2 format:qcow2
run
mount /dev/sda1 /
mkdir-p /etc
mkdir-p /bin
mkdir-p /usr/bin
mkdir-p /home
mkdir-p /boot/grub2
upload $work/redhat-release /etc/redhat-release
upload $work/fstab /etc/fstab
upload $work/crypttab /etc/crypttab
write /etc/hostname "el7-xfsv4\n"
touch /boot/vmlinuz-3.10.0-1160.el7.x86_64
write /boot/grub2/grub.cfg "# el7-like test guest\n"
umount /
mount /dev/sdb1 /
upload $work/hiberfil.sys /hiberfil.sys
umount /
GF
  rm "$work/hiberfil.sys" "$work/redhat-release" "$work/fstab" "$work/crypttab"
  mv "$work/el7.img" "$work/el7-home.img" "$cache/"
  mv "$work/windows-hibernated.qcow2" "$cache/"
fi
echo "$cache"
