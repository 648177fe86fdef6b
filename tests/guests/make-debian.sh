#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make-debian.sh [raw|qcow2|xml|vmx|ova|uefi]: a small, real Debian 12 guest
# made from Debian's packages only, and the fixtures derived from it for
# each input virt-v2v takes.  Prints the path of what was asked for
# (default raw); build times go to stderr.
#
#   raw    debian.img: 2 GiB sparse, MBR, one ext4 root (fstab by UUID),
#          grub for BIOS in the MBR, kernel and initramfs in /boot,
#          systemd-networkd DHCP on en*/eth*, hostname uch-debian.
#   qcow2  debian.qcow2, the same disk as qcow2.
#   xml    debian.xml, a libvirt domain over the raw disk.
#   vmx    vmx/debian.vmx, .vmdk and -flat.vmdk: a VM in an ESXi datastore
#          folder (make-vmx.sh).
#   ova    debian.ova: OVF + streamOptimized VMDK + SHA256 manifest (tar).
#   uefi   debian-uefi.img: the same system for UEFI firmware only: 2 GiB
#          sparse, GPT, an EFI system partition (FAT32, /boot/efi) and
#          the ext4 root; grub-efi at the removable path
#          (EFI/BOOT/BOOTX64.EFI: no NVRAM entry needed, as a disk moved
#          to another VM has none), no BIOS boot code.
#
# Cached in ${UCH_CACHE:-$HOME/.cache/uch}/guests/debian-HASH (HASH of
# this script and the apt sources it reads); each file is built into a
# temporary name and renamed into place, so concurrent runs are safe.
# Treat the results as read-only: convert a copy or an overlay.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
what=${1:-raw}
export PATH=$PATH:/usr/sbin:/sbin
sources=/etc/apt/sources.list.d/debian.sources
[ -r "$sources" ] || sources=http://deb.debian.org/debian
hash=$( { cat "$here/make-debian.sh" "$here/make-ova.sh" "$here/make-vmx.sh"; [ -r "$sources" ] && cat "$sources"; } |
  sha256sum | cut -c1-16)
cache=${UCH_CACHE:-$HOME/.cache/uch}/guests/debian-$hash
mkdir -p "$cache"
# One build at a time: a second caller (tests run two at a time) waits
# for the first and then finds its result, rather than building the
# same disk alongside it on the same cores.
exec 9>"$cache/.lock"
flock 9
name=uch-debian
disk_size=2G
# /etc/default/grub of both disks (guestfish's quoting): a short menu,
# the kernel's console on ttyS0 too, which the boot tests read.
grub_defaults='GRUB_DEFAULT=0\nGRUB_TIMEOUT=1\nGRUB_DISTRIBUTOR=Debian\nGRUB_CMDLINE_LINUX_DEFAULT=\"\"\nGRUB_CMDLINE_LINUX=\"console=tty0 console=ttyS0,115200n8\"\nGRUB_TERMINAL=\"console serial\"\nGRUB_DISABLE_OS_PROBER=true\n'

need() {
  for tool; do
    command -v "$tool" >/dev/null ||
      { echo "make-debian.sh: $tool is not installed (make deps)" >&2; exit 77; }
  done
}

# libguestfs takes KVM whenever /dev/kvm opens, and where qemu cannot
# set a vCPU up on it (nested kvm-pvm) its qemu aborts: TCG there, as
# tests/run and uch-job decide it (build-aux/kvm-usable).
guestfs_accel() {
  if [ -z "${LIBGUESTFS_BACKEND_SETTINGS+set}" ] && ! "$here/../../build-aux/kvm-usable"; then
    export LIBGUESTFS_BACKEND_SETTINGS=force_tcg
  fi
}

took() { echo "make-debian.sh: $1 took $(( $(date +%s) - $2 )) s" >&2; }

# work DIR: a private temp dir in the cache, removed on exit.
work=
cleanup() { [ -z "$work" ] || rm -rf "$work"; }
trap cleanup EXIT
new_work() { [ -n "$work" ] || work=$(mktemp -d "$cache/.build.XXXXXX"); }

# rootfs GRUB: the root filesystem with GRUB's package GRUB (grub-pc,
# grub-efi-amd64) as a tar in the work dir, rootfs-GRUB.tar: only the
# disks are kept (the tar is as big as the disk's data).
rootfs() {
  local start grub=$1
  need mmdebstrap
  new_work
  start=$(date +%s)
  # minbase, no recommends, no docs, man pages or translations: what
  # boots and what virt-v2v looks at (kernel, initramfs, grub, fstab);
  # zstd, which initramfs-tools recommends and every Debian install has
  # (without it mkinitramfs falls back to gzip).
  # MODULES=dep (initramfs.conf(5)), as admins set it on small VMs: the
  # initramfs virt-v2v rebuilds then holds what the disk it is rebuilt
  # on needs (virt-v2v's appliance: virtio-scsi, ext4) and the modules
  # virt-v2v adds to /etc/initramfs-tools/modules (virtio_blk,
  # virtio_net...), so the tests' look for virtio_blk and virtio_net in
  # it sees virt-v2v's work, where MODULES=most takes every block and
  # net driver anyway; and the rebuild under TCG takes ~2 minutes
  # rather than ~10 (755 modules, a dozen execs each, at 60 ms an exec).
  # The guest's own first initramfs, built by the package install, is a
  # MODULES=most one.
  # shellcheck disable=SC2016 # "$1" in a hook: the root mmdebstrap gives the hook
  mmdebstrap --variant=minbase --mode=root --format=tar \
    --aptopt='Acquire::Check-Valid-Until "false"' \
    --aptopt='APT::Install-Recommends "false"' \
    --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-exclude=/usr/share/info/*' \
    --include=linux-image-amd64,"$grub",systemd-sysv,initramfs-tools,zstd,udev,kmod,e2fsprogs \
    --customize-hook='echo '"$name"' >"$1/etc/hostname"' \
    --customize-hook='printf "[Match]\nName=en* eth*\n\n[Network]\nDHCP=yes\n" >"$1/etc/systemd/network/80-dhcp.network"' \
    --customize-hook='chroot "$1" systemctl enable systemd-networkd.service' \
    --customize-hook=': >"$1/etc/machine-id"' \
    --customize-hook='echo MODULES=dep >"$1/etc/initramfs-tools/conf.d/modules"' \
    --customize-hook='chroot "$1" apt-get clean' \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/*' \
    bookworm "$work/rootfs-$grub.tar" "$sources" >&2
  took "rootfs with $grub (mmdebstrap)" "$start"
}

raw() {
  local out=$cache/debian.img start uuid
  [ -s "$out" ] && return
  rootfs grub-pc
  need guestfish
  guestfs_accel
  new_work
  start=$(date +%s)
  uuid=$(cat /proc/sys/kernel/random/uuid)
  # grub-install and update-grub run from the guest itself (guestfish's
  # sh chroots into /sysroot with the appliance's /dev, /proc and /sys
  # bound).  grub-install is told the kernel's name for the disk that
  # holds /boot, as grub-probe finds it, never "/dev/sda": the kernel
  # probes the appliance's SCSI disks in no fixed order, and libguestfs
  # translates the names its API takes (part-init /dev/sda is always the
  # first disk added) but not the words of a command it runs.  When the
  # appliance's own disk came up as sda, "grub-install /dev/sda" went for
  # the appliance's ext2 root ("File system `ext2' doesn't support
  # embedding ... cross-disk install") -- one build in a few.
  guestfish <<GF >&2
sparse $work/debian.img $disk_size
run
part-init /dev/sda mbr
part-add /dev/sda p 2048 -1
part-set-bootable /dev/sda 1 true
mke2fs /dev/sda1 fstype:ext4 uuid:$uuid label:root
mount /dev/sda1 /
tar-in $work/rootfs-grub-pc.tar / xattrs:true acls:true
write /etc/fstab "UUID=$uuid / ext4 errors=remount-ro 0 1\n"
write /etc/default/grub "$grub_defaults"
sh "grub-install --target=i386-pc \$(grub-probe --target=disk /boot)"
command "update-grub"
GF
  # boot.img, GRUB's boot sector, in our disk's MBR: grub-install
  # wrote to this disk and no other.
  head -c 440 "$work/debian.img" | grep -aq GRUB ||
    { echo "make-debian.sh: no GRUB boot sector in the disk's MBR" >&2; exit 1; }
  mv "$work/debian.img" "$out"
  took "disk (guestfish)" "$start"
}

uefi() {
  local out=$cache/debian-uefi.img start uuid
  [ -s "$out" ] && return
  rootfs grub-efi-amd64
  need guestfish
  guestfs_accel
  new_work
  start=$(date +%s)
  uuid=$(cat /proc/sys/kernel/random/uuid)
  # The ESP: 100 MiB from sector 2048, typed as one (C12A7328-...); the
  # root from there to the end.  Its fstab line names the ESP by the
  # UUID mkfs gave it, read inside the guest (findmnt), as /dev/sda1
  # in a command's words may be another disk (raw() above says why);
  # grub-install and update-grub run from the guest, as for BIOS.
  guestfish <<GF >&2
sparse $work/debian-uefi.img $disk_size
run
part-init /dev/sda gpt
part-add /dev/sda p 2048 206847
part-add /dev/sda p 206848 -34
part-set-gpt-type /dev/sda 1 C12A7328-F81F-11D2-BA4B-00A0C93EC93B
mkfs vfat /dev/sda1 label:ESP
mke2fs /dev/sda2 fstype:ext4 uuid:$uuid label:root
mount /dev/sda2 /
tar-in $work/rootfs-grub-efi-amd64.tar / xattrs:true acls:true
mkdir-p /boot/efi
mount /dev/sda1 /boot/efi
write /etc/default/grub "$grub_defaults"
sh "printf 'UUID=$uuid / ext4 errors=remount-ro 0 1\\nUUID=%s /boot/efi vfat umask=0077 0 1\\n' \$(findmnt -no UUID /boot/efi) >/etc/fstab"
sh "grub-install --target=x86_64-efi --efi-directory=/boot/efi --removable --no-nvram"
command "update-grub"
GF
  # BOOTX64.EFI on the ESP, and no BIOS boot code in the MBR (GPT's
  # protective MBR has none): only UEFI firmware boots it.
  guestfish --ro -a "$work/debian-uefi.img" run : mount /dev/sda1 / : \
    is-file /EFI/BOOT/BOOTX64.EFI 2>/dev/null | grep -qx true ||
    { echo "make-debian.sh: no EFI/BOOT/BOOTX64.EFI on the ESP" >&2; exit 1; }
  ! head -c 440 "$work/debian-uefi.img" | grep -aq GRUB ||
    { echo "make-debian.sh: BIOS boot code in the UEFI disk's MBR" >&2; exit 1; }
  mv "$work/debian-uefi.img" "$out"
  took "UEFI disk (guestfish)" "$start"
}

qcow2() {
  local out=$cache/debian.qcow2
  [ -s "$out" ] && return
  raw
  new_work
  qemu-img convert -O qcow2 "$cache/debian.img" "$work/debian.qcow2"
  mv "$work/debian.qcow2" "$out"
}

xml() {
  local out=$cache/debian.xml
  [ -s "$out" ] && return
  raw
  new_work
  cat >"$work/debian.xml" <<XML
<domain type='kvm'>
  <name>$name</name>
  <memory unit='MiB'>1024</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <boot dev='hd'/>
  </os>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='raw'/>
      <source file='$cache/debian.img'/>
      <target dev='sda' bus='scsi'/>
    </disk>
    <interface type='network'>
      <mac address='52:54:00:12:34:56'/>
      <source network='default'/>
      <model type='e1000'/>
    </interface>
  </devices>
</domain>
XML
  mv "$work/debian.xml" "$out"
}

vmx() {
  local out=$cache/vmx
  [ -s "$out/debian.vmx" ] && return
  raw
  new_work
  "$here/make-vmx.sh" "$cache/debian.img" debian debian11-64 00:50:56:12:34:56 "$work/vmx"
  mv -T "$work/vmx" "$out" 2>/dev/null || [ -s "$out/debian.vmx" ]
}

ova() {
  local out=$cache/debian.ova
  [ -s "$out" ] && return
  raw
  new_work
  "$here/make-ova.sh" "$cache/debian.img" debian debian10_64Guest 96 \
    "$work/debian.ova"
  mv "$work/debian.ova" "$out"
}

case $what in
  raw)   raw;   echo "$cache/debian.img" ;;
  qcow2) qcow2; echo "$cache/debian.qcow2" ;;
  xml)   xml;   echo "$cache/debian.xml" ;;
  vmx)   vmx;   echo "$cache/vmx/debian.vmx" ;;
  ova)   ova;   echo "$cache/debian.ova" ;;
  uefi)  uefi;  echo "$cache/debian-uefi.img" ;;
  *) echo "usage: make-debian.sh [raw|qcow2|xml|vmx|ova|uefi]" >&2; exit 2 ;;
esac
