/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Keeping a Linux guest's NIC names (convert/nic-pin.h): which values of
 * a guest's network configuration name an address, which names a udev
 * rule can give, the rules file as the guest gets it, what uch-job hands
 * uch-inspect and the command line it runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "convert/nic-pin.h"
#include "jobs/job-request.h"
#include "jobs/request.h"
#include "util/cleanup.h"
#include "util/jsonutil.h"
#include "tap.h"

static void test_addr_matches(void)
{
  ok(nic_pin_addr_matches("10.0.0.5", "10.0.0.5"), "ifupdown's bare address");
  ok(nic_pin_addr_matches("10.0.0.5/24", "10.0.0.5"), "with a prefix");
  ok(nic_pin_addr_matches("\"10.0.0.5\"", "10.0.0.5"), "ifcfg's quotes");
  ok(nic_pin_addr_matches("'10.0.0.5'", "10.0.0.5"), "single quotes");
  ok(nic_pin_addr_matches("10.0.0.5/24,10.0.0.1", "10.0.0.5"),
     "NetworkManager's address1 with its gateway");
  ok(nic_pin_addr_matches("fd00::5/64", "fd00::5"), "IPv6 as written");
  ok(!nic_pin_addr_matches("10.0.0.50", "10.0.0.5"), "not a longer address");
  ok(!nic_pin_addr_matches("110.0.0.5", "10.0.0.5"), "not a suffix");
  ok(!nic_pin_addr_matches("10.0.0", "10.0.0.5"), "not a shorter one");
  ok(!nic_pin_addr_matches("\"10.0.0.5", "10.0.0.5"), "an unclosed quote");
  ok(!nic_pin_addr_matches("", "10.0.0.5"), "empty value");
  ok(!nic_pin_addr_matches("10.0.0.5", ""), "empty address");
}

static void test_unquote(void)
{
  const char *v = "\"eth1\"", *w = "eth1", *x = "\"eth1";

  ok(nic_pin_unquote(&v) == 4 && strncmp(v, "eth1", 4) == 0, "quotes off");
  ok(nic_pin_unquote(&w) == 4 && strcmp(w, "eth1") == 0, "unquoted as is");
  ok(nic_pin_unquote(&x) == 5 && x[0] == '"', "an unclosed quote kept");
}

static void test_iface_name(void)
{
  char name[16];

  ok(nic_pin_iface_name("ens192", name) && strcmp(name, "ens192") == 0,
     "ens192");
  ok(nic_pin_iface_name("ens192:1", name) && strcmp(name, "ens192") == 0,
     "an alias is its interface");
  ok(nic_pin_iface_name("enp11s0f1.100", name), "a VLAN's name");
  ok(nic_pin_iface_name("abcdefghijklmno", name), "15 characters");
  ok(!nic_pin_iface_name("abcdefghijklmnop", name), "not 16");
  ok(!nic_pin_iface_name("en*", name), "not a glob");
  ok(!nic_pin_iface_name("ens192 ens224", name), "not a list");
  ok(!nic_pin_iface_name("e\"th0", name), "no quote in a rule");
  ok(!nic_pin_iface_name("lo", name), "not lo");
  ok(!nic_pin_iface_name("", name), "not empty");
  ok(!nic_pin_iface_name(":1", name), "not an alias of nothing");
  ok(!nic_pin_iface_name("..", name), "not ..");
}

static void test_rules(void)
{
  const struct nic_pin_rule rules[] = {
    { "52:54:00:AB:CD:01", "ens192" },
    { "52:54:00:00:00:02", "ens224" },
  };
  _cleanup_free_ char *text = nic_pin_rules(rules, 2);
  const char *first;

  ok(text != NULL, "rules made");
  first = text ? strstr(text, "SUBSYSTEM") : NULL;
  is_str(first, "SUBSYSTEM==\"net\", ACTION==\"add\", "
         "ATTR{address}==\"52:54:00:ab:cd:01\", NAME=\"ens192\"\n"
         "SUBSYSTEM==\"net\", ACTION==\"add\", "
         "ATTR{address}==\"52:54:00:00:00:02\", NAME=\"ens224\"\n",
         "one NAME= rule a NIC, the MAC in lower case (sysfs's address)");
  ok(text && text[0] == '#', "the file says who wrote it");
}

static void test_request_and_argv(void)
{
  _cleanup_json_ json_object *req = json_tokener_parse(
    "{\"type\":\"inplace\",\"name\":\"w\",\"disks\":[{\"path\":\"/d/w.img\"}],"
    "\"options\":{\"macs\":[{\"mac\":\"52:54:00:00:00:01\",\"bridge\":\"br0\"},"
    "{\"mac\":\"52:54:00:00:00:02\",\"ip\":{\"address\":\"10.0.0.5\","
    "\"gateway\":\"10.0.0.1\",\"prefix\":24}}]}}");
  _cleanup_(job_request_freep) struct job_request *r = NULL;
  struct uch_error err = { 0 };
  char dir[] = "/tmp/test-nic-pin.XXXXXX", file[64];
  char *paths[] = { (char *)"/r/overlay-0.qcow2" };
  const char *formats[] = { "qcow2" };
  _cleanup_json_ json_object *written = NULL;
  struct argv a = { 0 };
  _cleanup_free_ char *line = NULL;

  ok(request_load(req, &r, &err) == 0, "request parsed");
  if (!r)
    return;
  is_int(nic_pin_count(&r->u.inplace.guest.options), 1,
         "one of the two mappings carries an ip");
  ok(mkdtemp(dir) != NULL, "temp dir");
  snprintf(file, sizeof file, "%s/%s", dir, NIC_PIN_REQUEST_FILE);
  ok(nic_pin_write_request(file, paths, formats, 1,
                           &r->u.inplace.guest.options) == 0, "written");
  written = json_read_path(file);
  is_str(json_object_to_json_string_ext(written, JSON_C_TO_STRING_PLAIN |
                                        JSON_C_TO_STRING_NOSLASHESCAPE),
         "{\"drives\":[{\"path\":\"/r/overlay-0.qcow2\",\"format\":\"qcow2\"}],"
         "\"nics\":[{\"mac\":\"52:54:00:00:00:02\",\"address\":\"10.0.0.5\"}]}",
         "the overlays, and only the mapping with an ip");
  unlink(file);
  rmdir(dir);

  ok(nic_pin_argv(&a, "/usr/libexec/uch/uch-inspect", "/run/uch/jobs/j") == 0,
     "argv");
  line = argv_join(&a);
  is_str(line, "/usr/libexec/uch/uch-inspect --pin-nics /run/uch/jobs/j",
         "the helper's command line");
  argv_free(&a);
}

/* ADDRESS in the netplan YAML TEXT: "name" (pinned-like), "mac", "virtual
 * NAME", "noname", "none", or "error" */
static const char *netplan(const char *text, const char *address)
{
  static char out[128];
  struct nic_pin_found f = { 0 };
  char err[256] = "";
  int rc = nic_pin_netplan(text, strlen(text), address, &f, err, sizeof err);

  if (rc < 0)
    snprintf(out, sizeof out, "error %s", err);
  else if (rc == 0)
    snprintf(out, sizeof out, "none");
  else if (f.by_mac)
    snprintf(out, sizeof out, "mac");
  else if (f.virtual)
    snprintf(out, sizeof out, "virtual %s", f.name);
  else if (!f.name[0])
    snprintf(out, sizeof out, "noname");
  else
    snprintf(out, sizeof out, "%s", f.name);
  return out;
}

static void test_netplan(void)
{
  static const char yaml[] =
    "# a comment\n"
    "network:\n"
    "  version: 2\n"
    "  renderer: networkd\n"
    "  ethernets:\n"
    "    ens192:\n"
    "      addresses: [10.0.0.5/24, \"fd00::5/64\"]\n"
    "      routes: [{to: default, via: 10.0.0.1}]\n"
    "    lan:\n"
    "      match: {name: ens224}\n"
    "      set-name: lan0\n"
    "      addresses:\n"
    "        - 10.0.1.5/24:\n"
    "            label: lan-main\n"
    "    wan:\n"
    "      match:\n"
    "        macaddress: 00:50:56:00:00:01\n"
    "      set-name: wan0\n"
    "      addresses: [10.0.2.5/24]\n"
    "    byglob: {match: {name: \"en*\"}, set-name: x, addresses: [10.0.3.5/24]}\n"
    "    bydriver: {match: {driver: vmxnet3}, addresses: [10.0.4.5/24]}\n"
    "    ens256: {dhcp4: false}\n"
    "  bridges:\n"
    "    br0:\n"
    "      interfaces: [ens256]\n"
    "      addresses: [10.0.5.5/24]\n"
    "  vlans:\n"
    "    vlan7: {id: 7, link: ens192, addresses: [10.0.6.5/24]}\n";

  is_str(netplan(yaml, "10.0.0.5"), "ens192", "an ethernet by its id");
  is_str(netplan(yaml, "fd00::5"), "ens192", "IPv6, quoted");
  is_str(netplan(yaml, "10.0.1.5"), "lan0",
         "match.name with set-name: set-name's; an address with options");
  is_str(netplan(yaml, "10.0.2.5"), "mac", "match.macaddress: by MAC");
  is_str(netplan(yaml, "10.0.3.5"), "en*",
         "a glob, as written (it matches whatever the name)");
  is_str(netplan("network: {ethernets: {e: {match: {name: ens3}, "
                 "addresses: [10.0.0.5/24]}}}", "10.0.0.5"), "ens3",
         "match.name alone");
  is_str(netplan(yaml, "10.0.4.5"), "noname", "match by driver: no name");
  is_str(netplan(yaml, "10.0.5.5"), "virtual br0", "a bridge");
  is_str(netplan(yaml, "10.0.6.5"), "virtual vlan7", "a VLAN");
  is_str(netplan(yaml, "10.0.0.50"), "none", "an address not there");
  is_str(netplan("network: {ethernets: {eth0: {dhcp4: true}}}\n",
                 "10.0.0.5"), "none", "flow style, no addresses");
  is_str(netplan("", "10.0.0.5"), "none", "an empty file");
  is_str(netplan("- a\n- b\n", "10.0.0.5"), "none", "no mapping");
  is_str(netplan("network: {ethernets: [1, 2]}\n", "10.0.0.5"), "none",
         "ethernets not a mapping");
  ok(strncmp(netplan("network:\n  ethernets: {eth0: [\n", "10.0.0.5"),
             "error line ", 11) == 0, "broken YAML: said where");
  is_str(netplan("a: &x {addresses: [10.0.0.5/24]}\n"
                 "network: {ethernets: {eth3: *x}}\n", "10.0.0.5"),
         "eth3", "an alias");
}

static void test_unpinned(void)
{
  _cleanup_json_ json_object *req = json_tokener_parse(
    "{\"type\":\"inplace\",\"name\":\"w\",\"disks\":[{\"path\":\"/d/w.img\"}],"
    "\"options\":{\"macs\":[{\"mac\":\"52:54:00:00:00:01\",\"bridge\":\"br0\"},"
    "{\"mac\":\"52:54:00:00:00:02\",\"ip\":{\"address\":\"10.0.0.5\"}}]}}");
  _cleanup_(job_request_freep) struct job_request *r = NULL;
  _cleanup_json_ json_object *list = NULL;
  struct uch_error err = { 0 };

  ok(request_load(req, &r, &err) == 0, "request parsed");
  if (!r)
    return;
  list = nic_pin_unpinned(&r->u.inplace.guest.options, "why");
  is_str(json_object_to_json_string_ext(list, JSON_C_TO_STRING_PLAIN),
         "[{\"mac\":\"52:54:00:00:00:02\",\"address\":\"10.0.0.5\","
         "\"pinned\":false,\"reason\":\"why\"}]",
         "each mapping with an ip, not pinned, and why");
}

int main(void)
{
  test_addr_matches();
  test_unquote();
  test_iface_name();
  test_rules();
  test_request_and_argv();
  test_netplan();
  test_unpinned();
  return tap_done();
}
