/* SPDX-License-Identifier: GPL-2.0-or-later */
/* `uchctl check --vcenter HOST / --esxi HOST`: can this appliance reach
 * the VMware host the way virt-v2v and VDDK will: its name resolves,
 * TCP 443 (HTTPS, the API) and 902 (NFC, VDDK's data) answer, and the
 * SHA1 thumbprint of its TLS certificate (vddk-thumbprint=...). */
#ifndef UCH_HOSTCHECK_H
#define UCH_HOSTCHECK_H

#include <json-c/json.h>

struct hostcheck_opts {
  int https_port;    /* 443 */
  int nfc_port;      /* 902 */
  int timeout_ms;    /* for each connection and the TLS handshake */
};

/* Appends the verdicts for HOST (KIND "vcenter" or "esxi") to CHECKS;
 * the TLS check's object also holds "thumbprint". */
void hostcheck_run(const char *kind, const char *host,
                   const struct hostcheck_opts *o, json_object *checks);
/* "AB:CD:…" (59 characters) of a SHA1 digest. */
void hostcheck_thumbprint_format(const unsigned char sha1[20], char out[60]);

#endif
