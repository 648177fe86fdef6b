#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make-windows.sh OUT_DIR: a phony Windows 10 guest, made of Debian
# packages only, that virt-v2v inspects and converts like a real one in
# well under a minute: an MBR disk with one NTFS filesystem holding the
# SOFTWARE and SYSTEM registry hives (hivexregedit merges our .reg text
# into an empty hive) and a 64-bit console PE header as cmd.exe.  Nothing
# in it boots.  Also writes OUT_DIR/virtio-win/, a folder laid out like
# the virtio-win drivers (empty files; pass it as VIRTIO_WIN).
#
# Results are cached in ${UCH_CACHE:-$HOME/.cache/uch}/guests/windows-HASH
# (HASH of these recipe files): OUT_DIR/windows.img is a copy-on-write
# qcow2 over the cached raw image, so tests may convert it freely.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$1
recipe=(make-windows.sh make-win-files.py windows-software.reg windows-system.reg)
hash=$(cd "$here" && cat "${recipe[@]}" | sha256sum | cut -c1-16)
cache=${UCH_CACHE:-$HOME/.cache/uch}/guests/windows-$hash
mkdir -p "$out" "$cache"
# One build at a time: the tests that use this guest run alongside, and
# the second one waits for the first's result instead of building it too.
exec 9>"$cache/.lock"
flock 9

if [ ! -s "$cache/windows.img" ]; then
  for tool in guestfish hivexregedit python3; do
    command -v $tool >/dev/null || { echo "make-windows.sh: $tool is not installed" >&2; exit 77; }
  done
  mkdir -p "$cache"
  work=$(mktemp -d "$cache/build.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  python3 "$here/make-win-files.py" "$work"
  for hive in software system; do
    cp "$work/empty.hive" "$work/$hive"
    HIVE=${hive^^}
    hivexregedit --merge "$work/$hive" --prefix "HKEY_LOCAL_MACHINE\\$HIVE" \
      "$here/windows-$hive.reg"
  done
  guestfish <<GF
sparse $work/windows.img 512M
run
part-init /dev/sda mbr
part-add /dev/sda p 2048 -2048
part-set-bootable /dev/sda 1 true
mkfs ntfs /dev/sda1
mount /dev/sda1 /
mkdir-p /Windows/System32/Config
mkdir-p /Windows/System32/Drivers
mkdir-p /Windows/Temp
mkdir-p "/Program Files"
upload $work/software /Windows/System32/Config/SOFTWARE
upload $work/system /Windows/System32/Config/SYSTEM
upload $work/cmd.exe /Windows/System32/cmd.exe
touch /bootmgr
GF
  mv "$work/windows.img" "$cache/windows.img"
fi

rm -f "$out/windows.img"
qemu-img create -q -f qcow2 -F raw -b "$cache/windows.img" "$out/windows.img"
mkdir -p "$out/virtio-win"
for d in amd64/w10 amd64/Win10; do
  mkdir -p "$out/virtio-win/$d"
  for drv in viostor vioscsi netkvm balloon vioser; do
    for ext in inf sys cat; do : >"$out/virtio-win/$d/$drv.$ext"; done
  done
done
