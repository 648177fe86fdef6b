/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/xmlwriter.h>

#include "convert/inplace-xml.h"

void inplace_disk_target(size_t i, char out[8])
{
  if (i < 26)
    snprintf(out, 8, "sd%c", (char)('a' + i));
  else
    snprintf(out, 8, "sd%c%c", (char)('a' + (i / 26) - 1),
             (char)('a' + i % 26));
}

/* libxml2's writer escapes text and attribute values (names and paths
 * come from requests).  Attributes are in double quotes: libxml2 does not
 * escape an apostrophe in a value when asked for single quotes. */
#define X(s) ((const xmlChar *)(s))

static int attr(xmlTextWriterPtr w, const char *name, const char *value)
{
  return xmlTextWriterWriteAttribute(w, X(name), X(value));
}

/* <NAME ATTR="VALUE"/> */
static int empty(xmlTextWriterPtr w, const char *name, const char *a1,
                 const char *v1, const char *a2, const char *v2)
{
  if (xmlTextWriterStartElement(w, X(name)) < 0 ||
      (a1 && attr(w, a1, v1) < 0) || (a2 && attr(w, a2, v2) < 0))
    return -1;
  return xmlTextWriterEndElement(w);
}

static int put_disk(xmlTextWriterPtr w, const struct inplace_disk *d, size_t i)
{
  char target[8];
  bool block = strncmp(d->path, "/dev/", 5) == 0;

  inplace_disk_target(i, target);
  if (xmlTextWriterStartElement(w, X("disk")) < 0 ||
      attr(w, "type", block ? "block" : "file") < 0 ||
      attr(w, "device", "disk") < 0 ||
      empty(w, "driver", "name", "qemu", "type",
            d->format ? d->format : "raw") < 0 ||
      empty(w, "source", block ? "dev" : "file", d->path, NULL, NULL) < 0 ||
      empty(w, "target", "dev", target, "bus", "scsi") < 0)
    return -1;
  return xmlTextWriterEndElement(w);
}

static int put_nic(xmlTextWriterPtr w, const struct inplace_nic *n)
{
  bool bridge = n->bridge != NULL;

  if (xmlTextWriterStartElement(w, X("interface")) < 0 ||
      attr(w, "type", bridge ? "bridge" : "network") < 0 ||
      (n->mac && empty(w, "mac", "address", n->mac, NULL, NULL) < 0) ||
      empty(w, "source", bridge ? "bridge" : "network",
            bridge ? n->bridge : (n->network ? n->network : "default"),
            NULL, NULL) < 0)
    return -1;
  return xmlTextWriterEndElement(w);
}

static int put_domain(xmlTextWriterPtr w, const struct inplace_guest *g)
{
  if (xmlTextWriterSetIndent(w, 1) < 0 ||
      xmlTextWriterSetIndentString(w, X("  ")) < 0 ||
      xmlTextWriterStartElement(w, X("domain")) < 0 ||
      attr(w, "type", "kvm") < 0 ||
      xmlTextWriterWriteElement(w, X("name"), X(g->name)) < 0 ||
      xmlTextWriterStartElement(w, X("memory")) < 0 ||
      attr(w, "unit", "MiB") < 0 ||
      xmlTextWriterWriteFormatString(w, "%u",
                                     g->memory_mib ? g->memory_mib : 1024) < 0 ||
      xmlTextWriterEndElement(w) < 0 ||
      xmlTextWriterWriteFormatElement(w, X("vcpu"), "%u",
                                      g->vcpus ? g->vcpus : 1) < 0 ||
      xmlTextWriterStartElement(w, X("os")) < 0 ||
      (g->uefi && attr(w, "firmware", "efi") < 0) ||
      xmlTextWriterStartElement(w, X("type")) < 0 ||
      attr(w, "arch", "x86_64") < 0 ||
      xmlTextWriterWriteString(w, X("hvm")) < 0 ||
      xmlTextWriterEndElement(w) < 0 ||
      xmlTextWriterEndElement(w) < 0 ||
      xmlTextWriterStartElement(w, X("devices")) < 0)
    return -1;
  for (size_t i = 0; i < g->n_disks; i++)
    if (put_disk(w, &g->disks[i], i) < 0)
      return -1;
  for (size_t i = 0; i < g->n_nics; i++)
    if (put_nic(w, &g->nics[i]) < 0)
      return -1;
  return xmlTextWriterEndDocument(w);     /* closes devices and domain */
}

char *inplace_xml(const struct inplace_guest *g)
{
  xmlBufferPtr buf;
  xmlTextWriterPtr w;
  char *doc = NULL;
  int r;

  if (!g->name || !*g->name || g->n_disks == 0 || g->n_disks > 702) {
    errno = EINVAL;
    return NULL;
  }
  if (!(buf = xmlBufferCreate())) {
    errno = ENOMEM;
    return NULL;
  }
  if (!(w = xmlNewTextWriterMemory(buf, 0))) {
    xmlBufferFree(buf);
    errno = ENOMEM;
    return NULL;
  }
  r = put_domain(w, g);
  xmlFreeTextWriter(w);         /* flushes into buf */
  if (r >= 0 && !(doc = strdup((const char *)xmlBufferContent(buf))))
    r = -1;
  xmlBufferFree(buf);
  if (r < 0 && !doc) {
    if (!errno)
      errno = EINVAL;   /* a value libxml2 refused (not UTF-8) */
    return NULL;
  }
  return doc;
}
