#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make-vmx.sh DISK NAME GUESTOS MAC DIR: DIR as ESXi keeps a VM in its
# datastore, for virt-v2v's -i vmx (local, NFS or over SSH): NAME.vmx
# (2 vCPUs, 2 GiB, the disk on an LSI SAS controller, an e1000e NIC on
# "VM Network" with the static MAC), and the disk as a descriptor
# NAME.vmdk with its flat extent NAME-flat.vmdk, which is what virt-v2v
# reads over SSH.  GUESTOS is VMware's name for the guest OS
# (debian11-64, windows9-64).
set -euo pipefail
[ $# = 5 ] || { echo "usage: make-vmx.sh DISK NAME GUESTOS MAC DIR" >&2; exit 2; }
disk=$1 name=$2 guestos=$3 mac=$4 dir=$5
mkdir -p "$dir"
qemu-img convert -O vmdk -o subformat=monolithicFlat "$disk" "$dir/$name.vmdk"
[ -f "$dir/$name-flat.vmdk" ] || { echo "make-vmx.sh: qemu-img wrote no flat extent" >&2; exit 1; }
cat >"$dir/$name.vmx" <<VMX
.encoding = "UTF-8"
config.version = "8"
virtualHW.version = "14"
displayName = "$name"
guestOS = "$guestos"
memSize = "2048"
numvcpus = "2"
scsi0.present = "TRUE"
scsi0.virtualDev = "lsisas1068"
scsi0:0.present = "TRUE"
scsi0:0.deviceType = "scsi-hardDisk"
scsi0:0.fileName = "$name.vmdk"
ethernet0.present = "TRUE"
ethernet0.virtualDev = "e1000e"
ethernet0.networkName = "VM Network"
ethernet0.addressType = "static"
ethernet0.address = "$mac"
VMX
