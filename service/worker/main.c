/* SPDX-License-Identifier: GPL-2.0-or-later */
/* uch-job: the worker that owns one job.  See docs/internals.md. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "worker/modes.h"

static void usage(FILE *f)
{
  fprintf(f,
          "Usage: uch-job [--state-dir S] [--runtime-dir R] start ID\n"
          "       uch-job run [--state-dir S] [--runtime-dir R] FILE\n"
          "       uch-job --version | --help\n"
          "\n"
          "start runs job ID of uchd's state directory (as uchd does);\n"
          "run validates the request in FILE and runs it in the foreground,\n"
          "printing progress on stderr and the final job on stdout.\n"
          "Exit status: 0 succeeded, 1 failed, 2 cancelled.\n");
}

/* Options stop at the first word ("+"), so they are parsed before the
 * command and again after it. */
static int parse_options(int argc, char **argv, const char **state_dir,
                         const char **runtime_dir)
{
  static const struct option opts[] = {
    { "state-dir", required_argument, NULL, 's' },
    { "runtime-dir", required_argument, NULL, 'r' },
    { "version", no_argument, NULL, 'V' },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  int c;

  while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
    switch (c) {
    case 's': *state_dir = optarg; break;
    case 'r': *runtime_dir = optarg; break;
    case 'V': printf("uch-job %s\n", UCH_VERSION); exit(0);
    case 'h': usage(stdout); exit(0);
    default: return -1;
    }
  }
  return 0;
}

int main(int argc, char **argv)
{
  const char *state_dir = NULL, *runtime_dir = NULL, *cmd;

  log_init("uch-job");
  if (parse_options(argc, argv, &state_dir, &runtime_dir) < 0 ||
      optind >= argc)
    goto usage;
  cmd = argv[optind++];
  if (parse_options(argc, argv, &state_dir, &runtime_dir) < 0 ||
      optind + 1 != argc)
    goto usage;
  if (strcmp(cmd, "run") == 0)
    return mode_run(state_dir, runtime_dir, argv[optind]);
  if (strcmp(cmd, "start") == 0)
    return mode_start(state_dir ? state_dir : DEFAULT_STATE_DIR,
                      runtime_dir ? runtime_dir : DEFAULT_RUNTIME_DIR,
                      argv[optind]);
usage:
  usage(stderr);
  return 1;
}
