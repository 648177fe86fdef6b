/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Jobs as uchctl shows them: the list table, show's summary, wait's
 * status lines. */
#include <json-c/json.h>

#include "ctl/ctl_render.h"
#include "tap.h"

static const char job_json[] =
  "{\"id\":\"c0ffee12\",\"type\":\"copy\",\"state\":\"running\","
  "\"phase\":\"copying\",\"created_at\":\"2026-11-25T04:13:00.123Z\","
  "\"started_at\":\"2026-11-25T04:13:01.000Z\",\"finished_at\":null,"
  "\"progress\":{\"percent\":42.5,\"bytes_done\":1073741824,"
  "\"bytes_total\":2147483648},"
  "\"disks\":[{\"source\":{\"nbd\":\"nbd+unix:///?socket=/s\"},"
  "\"destination\":{\"path\":\"/out.qcow2\",\"format\":\"qcow2\"},"
  "\"percent\":42.5,\"bytes_done\":1073741824,\"bytes_total\":2147483648},"
  "{\"source\":{\"nbdkit\":{\"plugin\":\"ssh\",\"password\":\"***\"}},"
  "\"destination\":{\"path\":\"/out2.img\"},"
  "\"percent\":0,\"bytes_done\":0,\"bytes_total\":0}],"
  "\"error\":null,\"result\":null}";

int main(void)
{
  json_object *job = json_tokener_parse(job_json);
  char *s;

  ok(job != NULL, "fixture parses");

  json_object *jobs = json_object_new_array();
  json_object_array_add(jobs, json_object_get(job));
  json_object *queued = json_tokener_parse(
    "{\"id\":\"q1\",\"type\":\"export\",\"state\":\"queued\","
    "\"phase\":\"queued\",\"created_at\":\"2026-11-25T05:00:00.000Z\","
    "\"progress\":{\"percent\":0}}");
  json_object_array_add(jobs, queued);
  s = render_jobs_table(jobs);
  is_str(s,
         "ID        TYPE    STATE    PHASE    PROGRESS  CREATED\n"
         "c0ffee12  copy    running  copying  42.5%     2026-11-25 04:13:00\n"
         "q1        export  queued   queued   0.0%      2026-11-25 05:00:00\n",
         "list table");
  free(s);
  json_object_put(jobs);

  s = render_jobs_table(NULL);
  is_str(s, "ID  TYPE  STATE  PHASE  PROGRESS  CREATED\n", "no jobs");
  free(s);

  s = render_job_summary(job);
  is_str(s,
         "Job:       c0ffee12\n"
         "Type:      copy\n"
         "State:     running (copying)\n"
         "Created:   2026-11-25T04:13:00.123Z\n"
         "Started:   2026-11-25T04:13:01.000Z\n"
         "Finished:  -\n"
         "Progress:  42.5%  1.0 GiB / 2.0 GiB\n"
         "Disk 0:    nbd+unix:///?socket=/s -> /out.qcow2 (qcow2)\n"
         "           42.5%  1.0 GiB / 2.0 GiB\n"
         "Disk 1:    nbdkit ssh -> /out2.img\n"
         "           0.0%  0 B / 0 B\n",
         "summary of a running job");
  free(s);

  s = render_job_status_line(job);
  is_str(s, "c0ffee12: running (copying) 42.5%", "status line, running");
  free(s);

  json_object *failed = json_tokener_parse(
    "{\"id\":\"f1\",\"type\":\"copy\",\"state\":\"failed\",\"phase\":\"failed\","
    "\"error\":{\"code\":\"copy_failed\",\"message\":\"nbdcopy exited 1\"},"
    "\"result\":{\"disks\":[{\"path\":\"/o\",\"verified\":false}]}}");
  s = render_job_summary(failed);
  ok(s && strstr(s, "State:     failed\n"), "final state without phase");
  ok(s && strstr(s, "Error:     copy_failed: nbdcopy exited 1\n"),
     "error code and message");
  ok(s && strstr(s, "Result:\n  disks:\n    - [0]\n      path: /o\n"
                    "      verified: false\n"), "result as a tree");
  free(s);
  s = render_job_status_line(failed);
  is_str(s, "f1: failed", "status line, final");
  free(s);
  json_object_put(failed);

  json_object *tree = json_tokener_parse(
    "{\"status\":\"ok\",\"plugins\":[\"file\",\"ssh\"],\"none\":[],"
    "\"seconds\":0.145,\"kvm\":true,\"v2v\":null,\"slots\":{\"max\":2}}");
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  render_tree(f, tree, 0);
  fclose(f);
  is_str(buf,
         "status: ok\n"
         "plugins: file, ssh\n"
         "none:\n"
         "seconds: 0.145\n"
         "kvm: true\n"
         "v2v: null\n"
         "slots:\n"
         "  max: 2\n",
         "tree: scalars inline, lists of scalars on one line, objects nested");
  free(buf);
  json_object_put(tree);

  json_object *sizes = json_tokener_parse(
    "{\"free_bytes\":13207024640,\"size\":512,\"bytes_done\":2048,"
    "\"count\":4096}");
  f = open_memstream(&buf, &len);
  render_tree(f, sizes, 0);
  fclose(f);
  is_str(buf,
         "free_bytes: 12.3 GiB (13207024640)\n"
         "size: 512\n"
         "bytes_done: 2.0 KiB (2048)\n"
         "count: 4096\n",
         "byte counts of a KiB and more also in KiB, MiB, GiB");
  free(buf);
  json_object_put(sizes);

  json_object *vols = json_tokener_parse(
    "[{\"path\":\"/dev/vda\",\"serial\":null,\"size\":10737418240,"
    "\"read_only\":false,\"mounted\":true,\"job\":null},"
    "{\"path\":\"/dev/vdb\",\"serial\":\"3f1c2d3e-aaaa-4bbb-8\","
    "\"size\":1073741824,\"read_only\":true,\"mounted\":false,"
    "\"job\":\"c1\"},"
    "{\"path\":\"/dev/vdc\",\"serial\":\"x\",\"size\":0,"
    "\"read_only\":false,\"mounted\":false,\"job\":null}]");
  s = render_volumes_table(vols);
  is_str(s,
         "PATH      SIZE      SERIAL                RO   USED-BY\n"
         "/dev/vda  10.0 GiB  -                     no   system\n"
         "/dev/vdb  1.0 GiB   3f1c2d3e-aaaa-4bbb-8  yes  c1\n"
         "/dev/vdc  0 B       x                     no   -\n",
         "volumes: size, serial, read-only, who uses each");
  free(s);
  json_object_put(vols);

  s = render_volumes_table(NULL);
  is_str(s, "PATH  SIZE  SERIAL  RO  USED-BY\n", "no volumes: the header");
  free(s);
  vols = json_tokener_parse("{\"path\":\"/dev/vda\"}");
  s = render_volumes_table(vols);
  is_str(s, "PATH  SIZE  SERIAL  RO  USED-BY\n",
         "volumes not an array: the header only");
  free(s);
  json_object_put(vols);

  json_object *vol = json_tokener_parse("{\"volume\":\"v-1\"}");
  s = render_endpoint(vol);
  is_str(s, "volume v-1", "volume endpoint");
  free(s);
  json_object_put(vol);

  json_object_put(job);
  return tap_done();
}
