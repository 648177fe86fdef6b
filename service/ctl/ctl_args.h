/* SPDX-License-Identifier: GPL-2.0-or-later */
/* uchctl's command line: global options anywhere, one command, its
 * arguments.  Parsing is pure (no output), so unit tests call it. */
#ifndef UCH_CTL_ARGS_H
#define UCH_CTL_ARGS_H

#include <stdbool.h>
#include <stddef.h>

enum ctl_command {
  CMD_NONE,
  CMD_SUBMIT,
  CMD_LIST,
  CMD_SHOW,
  CMD_WAIT,
  CMD_CANCEL,
  CMD_DELETE,
  CMD_LOGS,
  CMD_HEALTH,
  CMD_CHECK,
  CMD_SYNC,
  CMD_CUTOVER,
  CMD_DIGEST,
  CMD_VOLUMES,
  CMD_BANDWIDTH,
  CMD_SUPPORT_BUNDLE,
};

struct ctl_options {
  const char *socket_path;   /* --socket */
  const char *url;           /* --url */
  const char *token_file;    /* --token-file */
  bool json;
  bool help;
  const char *help_topic;    /* the command of CMD --help, help CMD */
  bool version;
  bool follow;               /* logs -f */
  bool rehearse;             /* sync --rehearse */
  const char *state;         /* list --state */
  double timeout;            /* wait --timeout; < 0: none */
  const char *output;        /* support-bundle -o */
  /* check */
  bool quick;                /* --quick: no appliance boot */
  const char *vddk_libdir;   /* --vddk-libdir */
  const char *state_dir;     /* --state-dir */
  const char *runtime_dir;   /* --runtime-dir */
  int https_port, nfc_port;  /* --ports HTTPS,NFC (443,902) */
#define CTL_MAX_HOSTS 16
  const char *hosts[CTL_MAX_HOSTS];       /* --vcenter / --esxi, in order */
  const char *host_kinds[CTL_MAX_HOSTS];  /* "vcenter" or "esxi" */
  int nhosts;
  enum ctl_command command;
  char **args;               /* the command's arguments (into argv) */
  int nargs;
};

/* 0, or -1 with a one-line reason in `err` (the caller prints usage and
 * exits 2).  --help and --version need no command. */
int ctl_parse_args(int argc, char **argv, struct ctl_options *o,
                   char *err, size_t errlen);

/* A command's name ("submit"), NULL for CMD_NONE. */
const char *ctl_command_name(enum ctl_command cmd);
/* The whole --help text. */
extern const char ctl_usage_text[];
/* A command's --help text; NULL for no such command. */
const char *ctl_command_help(const char *name);

#endif
