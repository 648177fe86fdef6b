/* SPDX-License-Identifier: GPL-2.0-or-later */
/* virt-v2v's output and machine-readable messages become phase,
 * disk N/M and percent, warnings and its own error line, however the
 * bytes are chunked and whether lines end in "\r" or "\n". */
#include <string.h>

#include "tap.h"
#include "convert/v2v-progress.h"

/* Feed S one byte at a time: the worst chunking there is. */
static void bytewise(struct v2v_progress *p, const char *s)
{
  for (; *s; s++)
    v2v_progress_feed_output(p, s, 1);
}

static void test_session(void)
{
  struct v2v_progress p;

  v2v_progress_init(&p);
  is_int(p.percent, -1, "percent unknown at first");
  bytewise(&p, "[   0.0] Setting up the source: -i disk /g.img\n"
               "[   1.0] Opening the source\n");
  is_str(p.phase, "opening", "opening phase");
  ok(p.changed, "change flagged");
  bytewise(&p, "[   6.0] Inspecting the source\n");
  is_str(p.phase, "inspecting", "inspecting phase");
  bytewise(&p, "[  10.0] Converting Debian GNU/Linux 12 to run on KVM\n");
  is_str(p.phase, "converting", "converting phase");
  bytewise(&p, "virt-v2v: warning: could not determine a way to update the "
               "configuration of Grub2\n");
  is_int(p.n_warnings, 1, "one warning");
  is_str(p.warnings[0], "could not determine a way to update the "
         "configuration of Grub2", "warning text without the prefix");
  bytewise(&p, "[  30.0] Copying disk 1/2\n");
  is_str(p.phase, "copying", "copying phase");
  is_int(p.disk, 1, "disk 1");
  is_int(p.disks, 2, "of 2");
  is_int(p.percent, 0, "percent reset for a new disk");
  bytewise(&p, "\xe2\x96\x88 12% [*****                                   ]\r");
  is_int(p.percent, 12, "bar ending in \\r");
  bytewise(&p, "\xe2\x96\x88 57% [*********************                   ]\r"
               "\xe2\x96\x88 100% [****************************************]\n");
  is_int(p.percent, 100, "last bar of a burst wins");
  bytewise(&p, "[  40.0] Copying disk 2/2\n");
  is_int(p.disk, 2, "disk 2");
  is_int(p.percent, 0, "percent back to 0 for disk 2");
  bytewise(&p, "3/4\n");
  is_int(p.percent, 75, "machine-readable N/M line");
  bytewise(&p, "[  50.0] Creating output metadata\n");
  is_str(p.phase, "finishing", "finishing phase");
  ok(p.error == NULL, "no error yet");
  v2v_progress_free(&p);
}

static void test_error_and_noise(void)
{
  struct v2v_progress p;
  const char chunked[] = "virt-v2v: error: inspection could not detect the "
                         "source guest (or physical machine).\n\n"
                         "If reporting bugs, run virt-v2v with debugging enabled\n";

  v2v_progress_init(&p);
  v2v_progress_feed_output(&p, chunked, 20);
  ok(p.error == NULL, "half an error line is not an error yet");
  v2v_progress_feed_output(&p, chunked + 20, strlen(chunked) - 20);
  is_str(p.error, "inspection could not detect the source guest "
         "(or physical machine).", "virt-v2v's own error line");
  p.changed = false;
  v2v_progress_output_line(&p, "libguestfs: trace: 50% of something");
  is_int(p.percent, -1, "a %% outside the copy is not progress");
  v2v_progress_output_line(&p, "12/0");
  v2v_progress_output_line(&p, "5/3");
  v2v_progress_output_line(&p, "1/2 of the way");
  is_int(p.percent, -1, "N/0, N>M and trailing text ignored");
  ok(!p.changed, "noise changes nothing");
  v2v_progress_free(&p);
}

static void test_machine_readable(void)
{
  struct v2v_progress p;
  const char file[] =
    "{\"message\":\"Inspecting the source\",\"timestamp\":\"2026-11-25T05:00:00Z\","
    "\"type\":\"message\"}\n"
    "{\"message\":\"no virtio drivers\",\"timestamp\":\"t\",\"type\":\"warning\"}\n"
    "{\"message\":\"Copying disk 1/1\",\"timestamp\":\"t\",\"type\":\"message\"}\n"
    "not json\n"
    "{\"message\":\"disk full\\n\\nadvice\",\"timestamp\":\"t\",\"type\":\"error\"}\n";

  v2v_progress_init(&p);
  for (size_t i = 0; i < sizeof file - 1; i += 7)
    v2v_progress_feed_machine(&p, file + i,
                              sizeof file - 1 - i < 7 ? sizeof file - 1 - i : 7);
  is_str(p.phase, "copying", "phase from JSON messages");
  is_int(p.disks, 1, "disk count from JSON");
  is_int(p.n_warnings, 1, "warning from JSON");
  v2v_progress_output_line(&p, "virt-v2v: warning: no virtio drivers");
  is_int(p.n_warnings, 1, "the same warning on stderr is not counted twice");
  is_str(p.error, "disk full", "error from JSON");
  v2v_progress_free(&p);
}

static void test_long_line(void)
{
  struct v2v_progress p;
  char big[3 * V2V_LINE_MAX];

  v2v_progress_init(&p);
  memset(big, 'x', sizeof big);
  v2v_progress_feed_output(&p, big, sizeof big);
  v2v_progress_feed_output(&p, "\n[ 1.0] Opening the source\n", 27);
  is_str(p.phase, "opening", "an over-long line does not swallow the next");
  v2v_progress_free(&p);
}

/* virt-v2v-in-place: the same messages under its own name, and the
 * guest it names when converting. */
static void test_in_place(void)
{
  struct v2v_progress p;

  v2v_progress_init(&p);
  v2v_progress_output_line(&p, "[  76.8] Converting Windows 10 Pro (UCH phony "
                           "test guest) to run on KVM");
  is_str(p.phase, "converting", "in-place: converting");
  is_str(p.product, "Windows 10 Pro (UCH phony test guest)",
         "the guest's product name");
  v2v_progress_output_line(&p, "virt-v2v-in-place: warning: QEMU Guest Agent "
                           "MSI not found");
  ok(p.n_warnings == 1 && strcmp(p.warnings[0], "QEMU Guest Agent MSI not "
                                 "found") == 0, "in-place warning");
  v2v_progress_output_line(&p, "virt-v2v-in-place: error: inspection could "
                           "not detect the source guest");
  is_str(p.error, "inspection could not detect the source guest",
         "in-place error line");
  v2v_progress_output_line(&p, "[ 1.0] Converting to run on KVM");
  is_str(p.product, "Windows 10 Pro (UCH phony test guest)",
         "an empty name changes nothing");
  v2v_progress_free(&p);
}

/* Whether the conversion left virtio drivers: virt-v2v's info line, on
 * stderr or in the machine-readable file. */
static void test_virtio_drivers(void)
{
  struct v2v_progress p;
  const char info[] = "{\"message\":\"This guest does not have virtio "
    "drivers installed.\",\"timestamp\":\"t\",\"type\":\"info\"}\n";

  v2v_progress_init(&p);
  is_int(p.virtio_drivers, 0, "virtio drivers: not said yet");
  v2v_progress_output_line(&p, "virt-v2v-in-place: This guest has virtio "
                           "drivers installed.");
  is_int(p.virtio_drivers, 1, "virtio drivers installed (stderr)");
  v2v_progress_feed_machine(&p, info, sizeof info - 1);
  is_int(p.virtio_drivers, -1, "none installed (machine-readable info)");
  v2v_progress_output_line(&p, "virt-v2v: This guest requires UEFI on the "
                           "target to boot.");
  is_int(p.virtio_drivers, -1, "another info line changes nothing");
  is_int(p.n_warnings, 0, "an info line is no warning");
  v2v_progress_free(&p);
}

int main(void)
{
  test_virtio_drivers();
  test_in_place();
  test_session();
  test_error_and_noise();
  test_machine_readable();
  test_long_line();
  return tap_done();
}
