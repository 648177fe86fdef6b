/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The domain XML handed to virt-v2v-in-place: disks in order through
 * their overlays, NICs with their MACs, names escaped (libxml2's writer;
 * canonically the same document the hand-written one was). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <libxml/c14n.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>


#include "convert/inplace-xml.h"
#include "util/cleanup.h"
#include "tap.h"

/* The C14N form of a document: equal for equivalent documents. */
static char *canonical(const char *text)
{
  xmlDocPtr doc = xmlReadMemory(text, (int)strlen(text), "x.xml", NULL,
                                XML_PARSE_NONET);
  xmlChar *out = NULL;
  char *copy = NULL;

  if (doc && xmlC14NDocDumpMemory(doc, NULL, XML_C14N_1_0, NULL, 0, &out) >= 0)
    copy = strdup((const char *)out);
  xmlFree(out);
  xmlFreeDoc(doc);
  return copy;
}

/* An attribute read back by libxml2's parser. */
static char *attr_of(const char *text, const char *xpath)
{
  xmlDocPtr doc = xmlReadMemory(text, (int)strlen(text), "x.xml", NULL,
                                XML_PARSE_NONET);
  xmlXPathContextPtr ctx = doc ? xmlXPathNewContext(doc) : NULL;
  xmlXPathObjectPtr o = ctx ? xmlXPathEvalExpression((const xmlChar *)xpath,
                                                     ctx) : NULL;
  char *v = NULL;

  if (o && o->nodesetval && o->nodesetval->nodeNr == 1) {
    xmlChar *c = xmlNodeGetContent(o->nodesetval->nodeTab[0]);
    v = c ? strdup((const char *)c) : NULL;
    xmlFree(c);
  }
  xmlXPathFreeObject(o);
  xmlXPathFreeContext(ctx);
  xmlFreeDoc(doc);
  return v;
}

static void test_values_round_trip(void)
{
  const struct inplace_disk disk = { "/d/it's \"q\" <&> .img", "raw" };
  const struct inplace_nic nic = { "52:54:00:00:00:01", "a'b\"c", NULL };
  const struct inplace_guest g = { .name = "n'\"<&>", .disks = &disk,
                                   .n_disks = 1, .nics = &nic, .n_nics = 1 };
  _cleanup_free_ char *xml = inplace_xml(&g);
  _cleanup_free_ char *path = NULL, *net = NULL, *name = NULL;

  ok(xml != NULL, "written");
  is_str(path = attr_of(xml, "/domain/devices/disk/source/@file"),
         disk.path, "a path with quotes and markup reads back as it was");
  is_str(net = attr_of(xml, "/domain/devices/interface/source/@network"),
         nic.network, "a network name too");
  is_str(name = attr_of(xml, "/domain/name"), g.name, "and the guest's name");
}

static void test_document(void)
{
  const struct inplace_disk disks[] = {
    { "/r/jobs/j/overlay-0.qcow2", "qcow2" }, { "/dev/sdx", "raw" },
  };
  const struct inplace_nic nics[] = {
    { "52:54:00:00:00:01", "prod", NULL }, { "52:54:00:00:00:02", NULL, "br0" },
  };
  const struct inplace_guest g = {
    .name = "web<1>&'x'", .memory_mib = 2048, .vcpus = 2, .uefi = true,
    .disks = disks, .n_disks = 2, .nics = nics, .n_nics = 2,
  };
  char *xml = inplace_xml(&g);

  /* What the hand-written writer produced before libxml2's: the same
   * document once both are canonical (C14N): only the quotes differ. */
  static const char before[] =
         "<domain type='kvm'>\n"
         "  <name>web&lt;1&gt;&amp;&apos;x&apos;</name>\n"
         "  <memory unit='MiB'>2048</memory>\n"
         "  <vcpu>2</vcpu>\n"
         "  <os firmware='efi'>\n    <type arch='x86_64'>hvm</type>\n  </os>\n"
         "  <devices>\n"
         "    <disk type='file' device='disk'>\n"
         "      <driver name='qemu' type='qcow2'/>\n"
         "      <source file='/r/jobs/j/overlay-0.qcow2'/>\n"
         "      <target dev='sda' bus='scsi'/>\n    </disk>\n"
         "    <disk type='block' device='disk'>\n"
         "      <driver name='qemu' type='raw'/>\n"
         "      <source dev='/dev/sdx'/>\n"
         "      <target dev='sdb' bus='scsi'/>\n    </disk>\n"
         "    <interface type='network'>\n"
         "      <mac address='52:54:00:00:00:01'/>\n"
         "      <source network='prod'/>\n    </interface>\n"
         "    <interface type='bridge'>\n"
         "      <mac address='52:54:00:00:00:02'/>\n"
         "      <source bridge='br0'/>\n    </interface>\n"
         "  </devices>\n</domain>\n";
  is_str(xml,
         "<domain type=\"kvm\">\n"
         "  <name>web&lt;1&gt;&amp;'x'</name>\n"
         "  <memory unit=\"MiB\">2048</memory>\n"
         "  <vcpu>2</vcpu>\n"
         "  <os firmware=\"efi\">\n    <type arch=\"x86_64\">hvm</type>\n  </os>\n"
         "  <devices>\n"
         "    <disk type=\"file\" device=\"disk\">\n"
         "      <driver name=\"qemu\" type=\"qcow2\"/>\n"
         "      <source file=\"/r/jobs/j/overlay-0.qcow2\"/>\n"
         "      <target dev=\"sda\" bus=\"scsi\"/>\n    </disk>\n"
         "    <disk type=\"block\" device=\"disk\">\n"
         "      <driver name=\"qemu\" type=\"raw\"/>\n"
         "      <source dev=\"/dev/sdx\"/>\n"
         "      <target dev=\"sdb\" bus=\"scsi\"/>\n    </disk>\n"
         "    <interface type=\"network\">\n"
         "      <mac address=\"52:54:00:00:00:01\"/>\n"
         "      <source network=\"prod\"/>\n    </interface>\n"
         "    <interface type=\"bridge\">\n"
         "      <mac address=\"52:54:00:00:00:02\"/>\n"
         "      <source bridge=\"br0\"/>\n    </interface>\n"
         "  </devices>\n</domain>\n",
         "UEFI guest, file and block disks, network and bridge NICs");
  _cleanup_free_ char *c_new = canonical(xml), *c_old = canonical(before);
  ok(c_new && c_old, "both documents parse");
  is_str(c_new, c_old, "equal to the hand-written one, canonically");
  free(xml);
}

static void test_defaults_and_refusals(void)
{
  const struct inplace_disk disk = { "/d/g.img", NULL };
  struct inplace_guest g = { .name = "g", .disks = &disk, .n_disks = 1 };
  char *xml = inplace_xml(&g);

  ok(xml && strstr(xml, "<memory unit=\"MiB\">1024</memory>") &&
     strstr(xml, "<vcpu>1</vcpu>") && strstr(xml, "<os>\n") &&
     strstr(xml, "type=\"raw\""), "defaults: 1 GiB, 1 vcpu, BIOS, raw");
  free(xml);
  g.n_disks = 0;
  errno = 0;
  ok(inplace_xml(&g) == NULL && errno == EINVAL, "no disks refused");
  g.n_disks = 1;
  g.name = "";
  ok(inplace_xml(&g) == NULL && errno == EINVAL, "empty name refused");
}

static void test_targets(void)
{
  char t[8];

  inplace_disk_target(0, t);
  is_str(t, "sda", "disk 0 is sda");
  inplace_disk_target(25, t);
  is_str(t, "sdz", "disk 25 is sdz");
  inplace_disk_target(26, t);
  is_str(t, "sdaa", "disk 26 is sdaa");
  inplace_disk_target(701, t);
  is_str(t, "sdzz", "disk 701 is sdzz");
}

int main(void)
{
  test_document();
  test_defaults_and_refusals();
  test_values_round_trip();
  test_targets();
  return tap_done();
}
