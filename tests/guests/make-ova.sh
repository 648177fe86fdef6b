#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make-ova.sh DISK NAME OS_TYPE OS_ID OUT.ova: an OVA as VMware exports
# it, for virt-v2v's -i ova: an OVF (1 vCPU, 1 GiB, one disk on an LSI
# SCSI controller, an E1000 NIC on "VM Network"), the disk as a
# streamOptimized VMDK, and a SHA256 manifest, in a tar.  OS_TYPE and
# OS_ID are VMware's guest OS name and the OVF's CIM id for it
# (debian10_64Guest 96, windows9_64Guest 103).
set -euo pipefail
[ $# = 5 ] || { echo "usage: make-ova.sh DISK NAME OS_TYPE OS_ID OUT.ova" >&2; exit 2; }
src=$1 name=$2 os_type=$3 os_id=$4 out=$5
work=$(mktemp -d "$(dirname "$out")/ova.XXXXXX")
trap 'rm -rf "$work"' EXIT
ovf_file=$name.ovf disk_file=$name-disk1.vmdk

qemu-img convert -O vmdk -o subformat=streamOptimized "$src" "$work/$disk_file"
bytes=$(stat -c %s "$work/$disk_file")
capacity=$(qemu-img info --output=json "$src" |
  sed -n 's/.*"virtual-size": \([0-9]*\).*/\1/p')
cat >"$work/$ovf_file" <<OVF
<?xml version="1.0" encoding="UTF-8"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1"
  xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1"
  xmlns:rasd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData"
  xmlns:vssd="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData"
  xmlns:vmw="http://www.vmware.com/schema/ovf">
  <References>
    <File ovf:href="$disk_file" ovf:id="file1" ovf:size="$bytes"/>
  </References>
  <DiskSection>
    <Info>Virtual disk information</Info>
    <Disk ovf:capacity="$capacity" ovf:capacityAllocationUnits="byte"
      ovf:diskId="vmdisk1" ovf:fileRef="file1"
      ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"/>
  </DiskSection>
  <NetworkSection>
    <Info>The list of logical networks</Info>
    <Network ovf:name="VM Network"><Description>VM Network</Description></Network>
  </NetworkSection>
  <VirtualSystem ovf:id="$name">
    <Info>A virtual machine</Info>
    <Name>$name</Name>
    <OperatingSystemSection ovf:id="$os_id" vmw:osType="$os_type">
      <Info>The kind of installed guest operating system</Info>
    </OperatingSystemSection>
    <VirtualHardwareSection>
      <Info>Virtual hardware requirements</Info>
      <System>
        <vssd:ElementName>Virtual Hardware Family</vssd:ElementName>
        <vssd:InstanceID>0</vssd:InstanceID>
        <vssd:VirtualSystemIdentifier>$name</vssd:VirtualSystemIdentifier>
        <vssd:VirtualSystemType>vmx-14</vssd:VirtualSystemType>
      </System>
      <Item>
        <rasd:AllocationUnits>hertz * 10^6</rasd:AllocationUnits>
        <rasd:ElementName>1 virtual CPU(s)</rasd:ElementName>
        <rasd:InstanceID>1</rasd:InstanceID>
        <rasd:ResourceType>3</rasd:ResourceType>
        <rasd:VirtualQuantity>1</rasd:VirtualQuantity>
      </Item>
      <Item>
        <rasd:AllocationUnits>byte * 2^20</rasd:AllocationUnits>
        <rasd:ElementName>1024MB of memory</rasd:ElementName>
        <rasd:InstanceID>2</rasd:InstanceID>
        <rasd:ResourceType>4</rasd:ResourceType>
        <rasd:VirtualQuantity>1024</rasd:VirtualQuantity>
      </Item>
      <Item>
        <rasd:Address>0</rasd:Address>
        <rasd:ElementName>SCSI controller 0</rasd:ElementName>
        <rasd:InstanceID>3</rasd:InstanceID>
        <rasd:ResourceSubType>lsilogic</rasd:ResourceSubType>
        <rasd:ResourceType>6</rasd:ResourceType>
      </Item>
      <Item>
        <rasd:AddressOnParent>0</rasd:AddressOnParent>
        <rasd:ElementName>Hard disk 1</rasd:ElementName>
        <rasd:HostResource>ovf:/disk/vmdisk1</rasd:HostResource>
        <rasd:InstanceID>4</rasd:InstanceID>
        <rasd:Parent>3</rasd:Parent>
        <rasd:ResourceType>17</rasd:ResourceType>
      </Item>
      <Item>
        <rasd:AddressOnParent>7</rasd:AddressOnParent>
        <rasd:AutomaticAllocation>true</rasd:AutomaticAllocation>
        <rasd:Connection>VM Network</rasd:Connection>
        <rasd:ElementName>Network adapter 1</rasd:ElementName>
        <rasd:InstanceID>5</rasd:InstanceID>
        <rasd:ResourceSubType>E1000</rasd:ResourceSubType>
        <rasd:ResourceType>10</rasd:ResourceType>
      </Item>
    </VirtualHardwareSection>
  </VirtualSystem>
</Envelope>
OVF
(cd "$work" &&
  for f in "$ovf_file" "$disk_file"; do
    echo "SHA256($f)= $(sha256sum "$f" | cut -d' ' -f1)"
  done >"$name.mf" &&
  tar -cf "$name.ova" "$ovf_file" "$disk_file" "$name.mf")
mv "$work/$name.ova" "$out"
