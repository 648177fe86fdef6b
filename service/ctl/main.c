/* SPDX-License-Identifier: GPL-2.0-or-later */
/* uchctl: the command line client of uchd. */
#include <stdio.h>

#include "ctl/ctl_args.h"
#include "ctl/ctl_commands.h"

static int (*const handlers[])(struct ctl_ctx *) = {
  [CMD_SUBMIT] = cmd_submit, [CMD_LIST] = cmd_list,
  [CMD_SHOW] = cmd_show,     [CMD_WAIT] = cmd_wait,
  [CMD_CANCEL] = cmd_cancel, [CMD_DELETE] = cmd_delete,
  [CMD_LOGS] = cmd_logs,     [CMD_HEALTH] = cmd_health,
  [CMD_CHECK] = cmd_check,
  [CMD_SYNC] = cmd_sync,     [CMD_CUTOVER] = cmd_cutover,
  [CMD_DIGEST] = cmd_digest,
  [CMD_VOLUMES] = cmd_volumes, [CMD_BANDWIDTH] = cmd_bandwidth,
  [CMD_SUPPORT_BUNDLE] = cmd_support_bundle,
};

int main(int argc, char **argv)
{
  struct ctl_options o;
  struct ctl_ctx x = { .o = &o };
  char err[256];
  int rc;

  if (ctl_parse_args(argc, argv, &o, err, sizeof err) < 0) {
    /* one line and a hint, as git and kubectl do, not the whole help */
    if (o.command != CMD_NONE && ctl_command_help(ctl_command_name(o.command)))
      fprintf(stderr, "uchctl: %s\nTry 'uchctl %s --help'.\n", err,
              ctl_command_name(o.command));
    else
      fprintf(stderr, "uchctl: %s\nTry 'uchctl --help'.\n", err);
    return CTL_EXIT_USAGE;
  }
  if (o.help && o.help_topic) {
    const char *text = ctl_command_help(o.help_topic);
    if (!text) {
      fprintf(stderr, "uchctl: unknown command '%s'\nTry 'uchctl --help'.\n",
              o.help_topic);
      return CTL_EXIT_USAGE;
    }
    fputs(text, stdout);
    printf("\nGlobal options (--socket, --url, --token-file, --json): "
           "'uchctl --help'.\n");
    return 0;
  }
  if (o.help) {
    fputs(ctl_usage_text, stdout);
    return 0;
  }
  if (o.version) {
    printf("uchctl %s\n", UCH_VERSION);
    return 0;
  }
  if (ctl_client_init(&x.client, &o) < 0) {
    fprintf(stderr, "uchctl: %s\n", x.client.error);
    ctl_client_free(&x.client);
    return CTL_EXIT_FAILED;
  }
  rc = handlers[o.command](&x);
  ctl_client_free(&x.client);
  return rc;
}
