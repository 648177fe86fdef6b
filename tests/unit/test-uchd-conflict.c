/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Which disks a request uses, and when two uses are the same disk:
 * files by inode (a hard link is the same file), block devices by
 * st_rdev (another node of the same device is the same device), paths
 * that do not exist yet by their resolved name. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "jobs/request.h"
#include "uchd/conflict.h"
#include "util/fs.h"
#include "tap.h"

static char dir[] = "/tmp/test-uchd-conflict.XXXXXX";

static char *p(const char *name)
{
  static char buf[4][256];
  static int i;
  i = (i + 1) % 4;
  snprintf(buf[i], sizeof buf[i], "%s/%s", dir, name);
  return buf[i];
}

static json_object *copy_req(const char *src, const char *dst)
{
  char json[1024];
  snprintf(json, sizeof json,
           "{\"type\":\"copy\",\"disks\":[{\"source\":{\"path\":\"%s\"},"
           "\"destination\":{\"path\":\"%s\"}}]}", src, dst);
  return json_tokener_parse(json);
}

/* The uses of a request as uchd finds them: typed once, then walked. */
static int uses_of(json_object *req, struct disk_uses *u)
{
  struct job_request *r = NULL;
  struct uch_error err = { 0 };
  int ret;

  if (request_load(req, &r, &err) < 0) {
    printf("# not a valid request: %s: %s\n", err.field, err.message);
    return -1;
  }
  ret = request_disk_uses(r, u);
  job_request_free(r);
  return ret;
}

static bool same(const char *a, const char *b)
{
  json_object *r = copy_req(a, b);
  struct disk_uses u = { 0 };
  bool s = uses_of(r, &u) == 0 && u.n == 2 &&
           disk_use_same(&u.v[0], &u.v[1]);
  disk_uses_free(&u);
  json_object_put(r);
  return s;
}

int main(void)
{
  if (!mkdtemp(dir))
    abort();
  FILE *f = fopen(p("a"), "w");
  fclose(f);
  f = fopen(p("b"), "w");
  fclose(f);
  link(p("a"), p("a-link"));
  mkdir(p("sub"), 0755);
  symlink(dir, p("dirlink"));

  json_object *r = copy_req(p("a"), p("new"));
  struct disk_uses u = { 0 };
  is_int(uses_of(r, &u), 0, "uses of a copy");
  is_int(u.n, 2, "a source and a destination");
  ok(!u.v[0].writes && u.v[1].writes, "reads the source, writes the dest");
  is_str(u.v[0].field, "disks[0].source.path", "source field");
  is_str(u.v[1].field, "disks[0].destination.path", "destination field");
  is_int(u.v[0].kind, USE_FILE, "existing file: by inode");
  is_int(u.v[1].kind, USE_NAME, "missing file: by name");
  disk_uses_free(&u);
  json_object_put(r);

  ok(same(p("a"), p("a")), "a file is itself");
  ok(same(p("a"), p("a-link")), "a hard link is the same file");
  ok(!same(p("a"), p("b")), "two files differ");
  ok(same(p("new"), p("dirlink/new")), "a missing file through a symlinked dir");
  /* a path with ".." is refused by the validator (naming its field)
   * before any conflict check; a link's target may hold one, below */
  r = copy_req(p("a"), p("sub/../new"));
  is_int(uses_of(r, &u), -1, "a copy naming .. is no typed request");
  is_int(u.n, 0, "and its disks are not guessed");
  disk_uses_free(&u);
  json_object_put(r);
  ok(!same(p("new"), p("new2")), "two missing files differ");

  /* symlinks, dangling or not, are followed to what they name */
  symlink(p("a"), p("link-a"));
  ok(same(p("a"), p("link-a")), "a symlink to a file is the file");
  symlink(p("new"), p("dangling"));
  ok(same(p("new"), p("dangling")), "a dangling symlink is the missing file");
  symlink("sub/../new", p("dangling-rel"));
  ok(same(p("new"), p("dangling-rel")), "a relative dangling symlink too");
  symlink(p("dangling"), p("dangling2"));
  ok(same(p("new"), p("dangling2")), "a chain of dangling symlinks too");
  symlink(p("dirlink/dangling"), p("sub/deep"));
  ok(same(p("dirlink/new"), p("sub/deep")),
     "through symlinked dirs on both sides");
  ok(!same(p("new2"), p("dangling")), "a dangling symlink to another file");
  symlink(p("loop2"), p("loop1"));
  symlink(p("loop1"), p("loop2"));
  ok(!same(p("loop1"), p("new")), "a symlink loop ends");

  if (geteuid() == 0 && mknod(p("blk1"), S_IFBLK | 0600, makedev(7, 201)) == 0 &&
      mknod(p("blk2"), S_IFBLK | 0600, makedev(7, 201)) == 0 &&
      mknod(p("blk3"), S_IFBLK | 0600, makedev(7, 202)) == 0) {
    ok(same(p("blk1"), p("blk2")), "two nodes of one device are the same");
    ok(!same(p("blk1"), p("blk3")), "two devices differ");
  } else {
    ok(1, "# SKIP block device nodes need root");
    ok(1, "# SKIP block device nodes need root");
  }

  r = json_tokener_parse("{\"type\":\"copy\",\"disks\":[{\"source\":"
                         "{\"nbdkit\":{\"plugin\":\"file\",\"file\":\"/x\"}},"
                         "\"destination\":{\"path\":\"/y\"}},{\"source\":"
                         "{\"nbd\":\"nbd://h\"},\"destination\":{\"path\":"
                         "\"/z\"}}]}");
  is_int(uses_of(r, &u), 0, "nbdkit file plugin and nbd source");
  is_int(u.n, 3, "the plugin's file, two destinations; nbd is not local");
  is_str(u.v[0].field, "disks[0].source.nbdkit.file", "plugin file field");
  is_str(u.v[2].field, "disks[1].destination.path", "second destination");
  disk_uses_free(&u);
  json_object_put(r);

  /* inplace writes its disks (the commit), by path and by volume. */
  char json[512];
  snprintf(json, sizeof json, "{\"type\":\"inplace\",\"name\":\"w\","
           "\"disks\":[{\"path\":\"%s\"},{\"volume\":\"vol-x\"}]}", p("a"));
  r = json_tokener_parse(json);
  is_int(uses_of(r, &u), 0, "uses of an inplace job");
  ok(u.n >= 2 && u.v[0].writes && u.v[1].writes, "both disks are written");
  is_str(u.n >= 1 ? u.v[0].field : "", "disks[0].path", "path field");
  is_str(u.n >= 2 ? u.v[1].field : "", "disks[1].volume", "volume field");
  is_str(u.n >= 2 ? u.v[1].name : "", "volume:vol-x", "the volume by its id");
  json_object *c = copy_req(p("a-link"), p("out"));
  struct disk_uses cu = { 0 };
  ok(uses_of(c, &cu) == 0 && u.n >= 1 &&
     disk_use_same(&u.v[0], &cu.v[0]) && !cu.v[0].writes,
     "a copy reading the same file clashes with the inplace writing it");
  disk_uses_free(&cu);
  json_object_put(c);
  disk_uses_free(&u);
  json_object_put(r);

  /* convert writes its output.block devices, by path and by volume. */
  snprintf(json, sizeof json, "{\"type\":\"convert\",\"name\":\"w\","
           "\"input\":{\"vmx\":{\"ssh\":{\"host\":\"h\",\"path\":\"/g.vmx\","
           "\"key_file\":\"/k\"}}},"   /* remote: no local disk */
           "\"output\":{\"block\":{\"devices\":[{\"path\":\"%s\"},"
           "{\"volume\":\"vol-y\"}]}}}", p("a"));
  r = json_tokener_parse(json);
  is_int(uses_of(r, &u), 0, "uses of a convert job to block devices");
  ok(u.n >= 2 && u.v[0].writes && u.v[1].writes, "both devices are written");
  is_str(u.n >= 1 ? u.v[0].field : "", "output.block.devices[0].path",
         "device path field");
  is_str(u.n >= 2 ? u.v[1].name : "", "volume:vol-y", "device volume by its id");
  disk_uses_free(&u);
  json_object_put(r);

  /* convert reads its local input: a copy writing it clashes */
  snprintf(json, sizeof json, "{\"type\":\"convert\",\"name\":\"w\","
           "\"input\":{\"disk\":{\"path\":\"%s\"}},"
           "\"output\":{\"local\":{\"dir\":\"/tmp\"}}}", p("a"));
  r = json_tokener_parse(json);
  is_int(uses_of(r, &u), 0, "uses of a convert job of a disk");
  /* and the files it writes into output.local.dir: w-sda .. w-sdz and
   * w.xml */
  is_int(u.n, 28, "its input disk and its output files");
  ok(u.n == 28 && !u.v[0].writes, "read, not written");
  is_str(u.n == 28 ? u.v[0].field : "", "input.disk.path", "input field");
  ok(u.n == 28 && u.v[1].writes && u.v[1].kind == USE_NAME &&
     strcmp(u.v[1].name, "/tmp/w-sda") == 0 &&
     strcmp(u.v[27].name, "/tmp/w.xml") == 0 &&
     strcmp(u.v[27].field, "output.local.dir") == 0,
     "NAME-sda .. and NAME.xml in the output dir, written");
  c = copy_req(p("b"), p("a-link"));
  ok(uses_of(c, &cu) == 0 && cu.n == 2 && u.n == 28 &&
     disk_use_same(&u.v[0], &cu.v[1]) && cu.v[1].writes,
     "a copy writing the convert's input is the same disk, written");
  disk_uses_free(&cu);
  json_object_put(c);
  disk_uses_free(&u);
  json_object_put(r);

  /* convert of a libvirt XML reads the disks it names */
  f = fopen(p("dom.xml"), "w");
  fprintf(f, "<domain type='kvm'><name>g</name><devices>"
          "<disk type='file' device='disk'><source file='%s'/></disk>"
          "<disk type='file' device='disk'><source file='b'/></disk>"
          "<disk type='file' device='cdrom'/>"
          "</devices></domain>", p("a-link"));
  fclose(f);
  snprintf(json, sizeof json, "{\"type\":\"convert\",\"name\":\"w\","
           "\"input\":{\"libvirtxml\":{\"path\":\"%s\"}},"
           "\"output\":{\"local\":{\"dir\":\"/tmp\"}}}", p("dom.xml"));
  r = json_tokener_parse(json);
  is_int(uses_of(r, &u), 0, "uses of a convert job of a domain XML");
  is_int(u.n, 30, "the XML, its two disks and the output files");
  ok(u.n == 30 && !u.v[0].writes && !u.v[1].writes && !u.v[2].writes,
     "all read");
  is_str(u.n == 30 ? u.v[1].field : "", "input.libvirtxml.path",
         "a disk under the XML's field");
  c = copy_req(p("b"), p("a"));
  ok(uses_of(c, &cu) == 0 && cu.n == 2 && u.n == 30 &&
     disk_use_same(&u.v[1], &cu.v[1]) && disk_use_same(&u.v[2], &cu.v[0]),
     "an absolute and a relative disk of the XML");
  disk_uses_free(&cu);
  json_object_put(c);
  disk_uses_free(&u);
  json_object_put(r);

  /* convert of a vmx reads the .vmdk files it names and their
   * extents; without a name, virt-v2v names the guest by displayName */
  f = fopen(p("g.vmx"), "w");
  fprintf(f, ".encoding = \"UTF-8\"\ndisplayName = \"web one\"\n"
          "scsi0:0.fileName = \"g.vmdk\"\nscsi0:1.fileName = \"%s\"\n"
          "ide1:0.fileName = \"cd.iso\"\n", p("h.vmdk"));
  fclose(f);
  f = fopen(p("g.vmdk"), "w");
  fprintf(f, "# Disk DescriptorFile\nversion=1\n"
          "RW 2048 VMFS \"b\"\n");
  fclose(f);
  snprintf(json, sizeof json, "{\"type\":\"convert\","
           "\"input\":{\"vmx\":{\"path\":\"%s\"}},"
           "\"output\":{\"kubevirt\":{\"dir\":\"/tmp\"}}}", p("g.vmx"));
  r = json_tokener_parse(json);
  is_int(uses_of(r, &u), 0, "uses of a convert job of a vmx");
  is_int(u.n, 31, "the vmx, two vmdks, an extent, the output files");
  ok(u.n == 31 && !u.v[1].writes && !u.v[2].writes && !u.v[3].writes &&
     strcmp(u.v[1].field, "input.vmx.path") == 0, "vmdks read, under the "
     "vmx's field");
  c = copy_req(p("a"), p("b"));
  ok(uses_of(c, &cu) == 0 && cu.n == 2 && u.n == 31 &&
     disk_use_same(&u.v[2], &cu.v[1]), "a vmdk's extent, relative to it");
  disk_uses_free(&cu);
  json_object_put(c);
  ok(u.n == 31 && u.v[3].kind == USE_NAME &&
     strcmp(u.v[3].name, p("h.vmdk")) == 0, "an absolute vmdk not there yet");
  ok(u.n == 31 && strcmp(u.v[4].name, "/tmp/web one-sda") == 0 &&
     strcmp(u.v[30].name, "/tmp/web one.yaml") == 0 &&
     strcmp(u.v[30].field, "output.kubevirt.dir") == 0,
     "kubevirt output files named by the vmx's displayName");
  disk_uses_free(&u);
  json_object_put(r);

  ok(rm_rf(dir) == 0, "cleaned up");
  return tap_done();
}
