/* SPDX-License-Identifier: GPL-2.0-or-later */
/* uch-inspect --pin-nics RTDIR (convert/nic-pin.h says why): reads
 * RTDIR's NIC_PIN_REQUEST_FILE, writes the guest's udev rule and
 * RTDIR's NIC_PIN_RESULT_FILE, {"os_type": T, "nics": [{"mac",
 * "address", "pinned": B, "name"?, "config"?, "reason"?}]}.  Exit 0
 * when the guest was read (whether or not a NIC needed its name), 1
 * after an error said on stderr. */
#ifndef UCH_NIC_PIN_GUEST_H
#define UCH_NIC_PIN_GUEST_H

int nic_pin_guest_main(const char *rt_dir);

#endif
