/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convert/inplace-xml.h"

void inplace_disk_target(size_t i, char out[8])
{
  if (i < 26)
    snprintf(out, 8, "sd%c", (char)('a' + i));
  else
    snprintf(out, 8, "sd%c%c", (char)('a' + (i / 26) - 1),
             (char)('a' + i % 26));
}

/* Text and attribute values: names and paths come from requests. */
static void put_escaped(FILE *f, const char *s)
{
  for (; *s; s++)
    switch (*s) {
    case '&': fputs("&amp;", f); break;
    case '<': fputs("&lt;", f); break;
    case '>': fputs("&gt;", f); break;
    case '\'': fputs("&apos;", f); break;
    case '"': fputs("&quot;", f); break;
    default: fputc(*s, f);
    }
}

static void put_disk(FILE *f, const struct inplace_disk *d, size_t i)
{
  char target[8];
  bool block = strncmp(d->path, "/dev/", 5) == 0;

  inplace_disk_target(i, target);
  fprintf(f, "    <disk type='%s' device='disk'>\n"
          "      <driver name='qemu' type='", block ? "block" : "file");
  put_escaped(f, d->format ? d->format : "raw");
  fprintf(f, "'/>\n      <source %s='", block ? "dev" : "file");
  put_escaped(f, d->path);
  fprintf(f, "'/>\n      <target dev='%s' bus='scsi'/>\n    </disk>\n",
          target);
}

static void put_nic(FILE *f, const struct inplace_nic *n)
{
  bool bridge = n->bridge != NULL;

  fprintf(f, "    <interface type='%s'>\n", bridge ? "bridge" : "network");
  if (n->mac) {
    fputs("      <mac address='", f);
    put_escaped(f, n->mac);
    fputs("'/>\n", f);
  }
  fprintf(f, "      <source %s='", bridge ? "bridge" : "network");
  put_escaped(f, bridge ? n->bridge : (n->network ? n->network : "default"));
  fputs("'/>\n    </interface>\n", f);
}

char *inplace_xml(const struct inplace_guest *g)
{
  char *doc = NULL;
  size_t len;
  FILE *f;

  if (!g->name || !*g->name || g->n_disks == 0 || g->n_disks > 702) {
    errno = EINVAL;
    return NULL;
  }
  if (!(f = open_memstream(&doc, &len)))
    return NULL;
  fputs("<domain type='kvm'>\n  <name>", f);
  put_escaped(f, g->name);
  fprintf(f, "</name>\n  <memory unit='MiB'>%u</memory>\n"
          "  <vcpu>%u</vcpu>\n",
          g->memory_mib ? g->memory_mib : 1024, g->vcpus ? g->vcpus : 1);
  fprintf(f, "  <os%s>\n    <type arch='x86_64'>hvm</type>\n  </os>\n",
          g->uefi ? " firmware='efi'" : "");
  fputs("  <devices>\n", f);
  for (size_t i = 0; i < g->n_disks; i++)
    put_disk(f, &g->disks[i], i);
  for (size_t i = 0; i < g->n_nics; i++)
    put_nic(f, &g->nics[i]);
  fputs("  </devices>\n</domain>\n", f);
  if (fclose(f) != 0) {
    free(doc);
    return NULL;
  }
  return doc;
}
