#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make-debian.sh [raw|qcow2|xml|vmx|ova]: a small, real Debian 12 guest
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

need() {
  for tool; do
    command -v "$tool" >/dev/null ||
      { echo "make-debian.sh: $tool is not installed (make deps)" >&2; exit 77; }
  done
}

took() { echo "make-debian.sh: $1 took $(( $(date +%s) - $2 )) s" >&2; }

# work DIR: a private temp dir in the cache, removed on exit.
work=
cleanup() { [ -z "$work" ] || rm -rf "$work"; }
trap cleanup EXIT
new_work() { [ -n "$work" ] || work=$(mktemp -d "$cache/.build.XXXXXX"); }

# The root filesystem as a tar in the work dir: only the raw disk is
# kept (the tar is as big as the disk's data).
rootfs() {
  local start
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
    --include=linux-image-amd64,grub-pc,systemd-sysv,initramfs-tools,zstd,udev,kmod,e2fsprogs \
    --customize-hook='echo '"$name"' >"$1/etc/hostname"' \
    --customize-hook='printf "[Match]\nName=en* eth*\n\n[Network]\nDHCP=yes\n" >"$1/etc/systemd/network/80-dhcp.network"' \
    --customize-hook='chroot "$1" systemctl enable systemd-networkd.service' \
    --customize-hook=': >"$1/etc/machine-id"' \
    --customize-hook='echo MODULES=dep >"$1/etc/initramfs-tools/conf.d/modules"' \
    --customize-hook='chroot "$1" apt-get clean' \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/*' \
    bookworm "$work/rootfs.tar" "$sources" >&2
  took "rootfs (mmdebstrap)" "$start"
}

raw() {
  local out=$cache/debian.img start uuid
  [ -s "$out" ] && return
  rootfs
  need guestfish
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
tar-in $work/rootfs.tar / xattrs:true acls:true
write /etc/fstab "UUID=$uuid / ext4 errors=remount-ro 0 1\n"
write /etc/default/grub "GRUB_DEFAULT=0\nGRUB_TIMEOUT=1\nGRUB_DISTRIBUTOR=Debian\nGRUB_CMDLINE_LINUX_DEFAULT=\"\"\nGRUB_CMDLINE_LINUX=\"console=tty0 console=ttyS0,115200n8\"\nGRUB_TERMINAL=\"console serial\"\nGRUB_DISABLE_OS_PROBER=true\n"
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
  *) echo "usage: make-debian.sh [raw|qcow2|xml|vmx|ova]" >&2; exit 2 ;;
esac
