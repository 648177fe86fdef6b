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

int main(void)
{
  test_addr_matches();
  test_unquote();
  test_iface_name();
  test_rules();
  test_request_and_argv();
  return tap_done();
}
