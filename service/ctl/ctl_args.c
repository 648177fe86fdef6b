/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl_args.h"

const char ctl_usage_text[] =
  "Usage: uchctl [OPTIONS] COMMAND [ARGS]\n"
  "\n"
  "Commands:\n"
  "  submit [FILE|-]          submit a job request (JSON); prints the job id\n"
  "  list [--state STATE]     list jobs, newest first\n"
  "  show ID                  a job's state, progress per disk, error, result\n"
  "  wait ID... [--timeout S] wait until the jobs end, showing progress\n"
  "  cancel ID                cancel a job\n"
  "  delete ID                forget a finished job and its files\n"
  "  logs ID [-f]             print a job's log; -f follows it to the end\n"
  "  health                   the daemon's status and capabilities\n"
  "  check                    pre-flight checks of this host (no uchd needed)\n"
  "  sync ID [FILE|-] [--rehearse]\n"
  "                           another pass of a sync job (FILE: the\n"
  "                           changed extents, JSON; none: its bitmaps);\n"
  "                           --rehearse: then rehearse the conversion\n"
  "  cutover ID [FILE|-]      the last pass of a sync job\n"
  "  digest ID FILE|-         the source's digest for a sync job's\n"
  "                           verified pass (POST /v1/jobs/ID/digest)\n"
  "  volumes                  block devices attached to this host, who uses\n"
  "                           them\n"
  "  bandwidth ID BW          change a running copy's or sync's bandwidth\n"
  "                           limit (bits/s: 50M, 1G)\n"
  "  support-bundle [-o FILE] one archive for a support ticket: versions,\n"
  "                           check, uchd's log, every job (no secrets)\n"
  "\n"
  "Options:\n"
  "  --socket PATH      uchd's Unix socket (default $UCH_SOCKET or\n"
  "                     /run/uch/uchd.sock)\n"
  "  --url URL          talk to uchd over TCP instead (http://HOST:PORT)\n"
  "  --token-file FILE  bearer token for --url (default $UCH_TOKEN_FILE or\n"
  "                     /var/lib/uch/api-token when readable)\n"
  "  --json             print the server's JSON as is\n"
  "  --state STATE      list: only jobs in this state\n"
  "  --timeout SECONDS  wait: give up after this long (exit 2)\n"
  "  -f, --follow       logs: keep printing until the job has ended\n"
  "  -o, --output FILE  support-bundle: where to write the archive\n"
  "  --rehearse         sync: rehearse the conversion after the pass\n"
  "  --quick            check: skip booting the libguestfs appliance\n"
  "  --vcenter HOST, --esxi HOST\n"
  "                     check: DNS, TCP 443 and 902, TLS thumbprint of HOST\n"
  "                     (repeatable)\n"
  "  --ports HTTPS,NFC  check: other ports than 443,902\n"
  "  --vddk-libdir DIR  check: the VDDK library's folder (default\n"
  "                     /opt/vmware-vix-disklib-distrib); naming it makes\n"
  "                     a missing VDDK a failure\n"
  "  --state-dir DIR, --runtime-dir DIR\n"
  "                     check: uchd's folders (default /var/lib/uch, /run/uch)\n"
  "  --help             this text; 'uchctl CMD --help' or\n"
  "                     'uchctl help CMD' is CMD's\n"
  "  --version          uchctl's version\n"
  "\n"
  "Exit status: 0 success; 1 the server refused or the job failed;\n"
  "2 usage error or wait timed out; 3 uchd cannot be reached.\n";

static const struct {
  const char *name;
  enum ctl_command cmd;
  int min_args, max_args;      /* max -1: any number */
} commands[] = {
  { "submit", CMD_SUBMIT, 0, 1 }, { "list", CMD_LIST, 0, 0 },
  { "show", CMD_SHOW, 1, 1 },     { "wait", CMD_WAIT, 1, -1 },
  { "cancel", CMD_CANCEL, 1, 1 }, { "delete", CMD_DELETE, 1, 1 },
  { "logs", CMD_LOGS, 1, 1 },     { "health", CMD_HEALTH, 0, 0 },
  { "check", CMD_CHECK, 0, 0 },
  { "sync", CMD_SYNC, 1, 2 },     { "cutover", CMD_CUTOVER, 1, 2 },
  { "digest", CMD_DIGEST, 2, 2 },
  { "volumes", CMD_VOLUMES, 0, 0 }, { "bandwidth", CMD_BANDWIDTH, 2, 2 },
  { "support-bundle", CMD_SUPPORT_BUNDLE, 0, 0 },
};
#define NCOMMANDS (sizeof commands / sizeof *commands)

const char *ctl_command_name(enum ctl_command cmd)
{
  for (size_t i = 0; i < NCOMMANDS; i++)
    if (commands[i].cmd == cmd)
      return commands[i].name;
  return NULL;
}

/* Each command's help: `uchctl CMD --help`, `uchctl help CMD`. */
static const struct {
  const char *name, *text;
} command_help[] = {
  { "submit", "Usage: uchctl submit [FILE|-]\n\n"
    "Submit a job request (JSON, from FILE or stdin) to uchd; prints the\n"
    "job id.  docs/api.md describes the requests.\n" },
  { "list", "Usage: uchctl list [--state STATE]\n\n"
    "List jobs, newest first.\n\n"
    "  --state STATE  only jobs in STATE (queued, running, succeeded,\n"
    "                 failed, cancelled)\n" },
  { "show", "Usage: uchctl show ID\n\n"
    "A job's state, progress per disk, error and result.\n" },
  { "wait", "Usage: uchctl wait ID... [--timeout SECONDS]\n\n"
    "Wait until the jobs end, showing their progress; exit 1 when one\n"
    "did not succeed.\n\n"
    "  --timeout SECONDS  give up after this long (exit 2)\n" },
  { "cancel", "Usage: uchctl cancel ID\n\nCancel a queued or running job.\n" },
  { "delete", "Usage: uchctl delete ID\n\n"
    "Forget a finished job and its files.\n" },
  { "logs", "Usage: uchctl logs ID [-f]\n\n"
    "Print a job's log.\n\n"
    "  -f, --follow  keep printing until the job has ended\n" },
  { "health", "Usage: uchctl health\n\n"
    "The daemon's status, its tools and their versions, its slots.\n" },
  { "check", "Usage: uchctl check [--quick] [--vcenter HOST] [--esxi HOST]\n"
    "                    [--ports HTTPS,NFC] [--vddk-libdir DIR]\n"
    "                    [--state-dir DIR] [--runtime-dir DIR]\n\n"
    "Pre-flight checks of this host; no uchd needed.\n\n"
    "  --quick             skip booting the libguestfs appliance\n"
    "  --vcenter HOST, --esxi HOST\n"
    "                      DNS, TCP 443 and 902, TLS thumbprint of HOST\n"
    "  --ports HTTPS,NFC   other ports than 443,902\n"
    "  --vddk-libdir DIR   the VDDK library's folder; naming it makes a\n"
    "                      missing VDDK a failure\n"
    "  --state-dir DIR, --runtime-dir DIR\n"
    "                      uchd's folders (default /var/lib/uch, /run/uch)\n" },
  { "sync", "Usage: uchctl sync ID [FILE|-] [--rehearse]\n\n"
    "Another pass of a sync job.  FILE (JSON) gives each disk's changed\n"
    "extents; without it the sources' bitmaps say what changed.\n\n"
    "  --rehearse  after the pass, rehearse the conversion (virt-v2v-in-\n"
    "              place on throw-away overlays over the destinations;\n"
    "              the job needs \"inplace\"): its outcome goes to\n"
    "              result.rehearsals, its time to result.prediction\n" },
  { "cutover", "Usage: uchctl cutover ID [FILE|-]\n\n"
    "The last pass of a sync job (FILE as for sync); the job then\n"
    "ends succeeded.\n" },
  { "digest", "Usage: uchctl digest ID FILE|-\n\n"
    "Posts the source appliance's digest to the verified pass of a sync\n"
    "job that waits for one (pass 1 of a request with \"verify\": true, a\n"
    "pass asked with \"verify\": true).  FILE (JSON, - for standard\n"
    "input): {\"disks\": [DIGEST|null, ...]}, each DIGEST a digest job's\n"
    "result.disks[i].digest, e.g.\n"
    "  uchctl --url $SRC --json show d3 |\n"
    "    jq '{disks: [.result.disks[].digest]}' | uchctl digest web01 -\n" },
  { "volumes", "Usage: uchctl volumes\n\n"
    "The block devices attached to this host (whole disks with a size):\n"
    "path, size, serial, whether read-only, and who uses each: 'system'\n"
    "when it (or a partition or LVM on it) is mounted or swap, else the\n"
    "active job that reads or writes it.\n" },
  { "bandwidth", "Usage: uchctl bandwidth ID BW\n\n"
    "Change the bandwidth limit of a queued or running copy or sync job:\n"
    "its sources are read at most at BW bits per second from a second or\n"
    "two later.  BW is a number with an optional K, M or G (50M, 1G).\n" },
  { "support-bundle", "Usage: uchctl support-bundle [-o FILE] "
    "[--state-dir DIR]\n\n"
    "Write one archive (tar.gz) to attach to a support ticket: versions,\n"
    "'uchctl check --quick', uchd's journal (or its log), every job's\n"
    "state, request and log with secrets left out, the unit files, df and\n"
    "lsblk.  Run it as root on the appliance; uchd need not run.\n\n"
    "  -o, --output FILE  the archive (default\n"
    "                     uch-support-HOST-YYYYmmddTHHMMSSZ.tar.gz here)\n"
    "  --state-dir DIR    uchd's state (default /var/lib/uch)\n" },
};

const char *ctl_command_help(const char *name)
{
  for (size_t i = 0; name && i < sizeof command_help / sizeof *command_help; i++)
    if (strcmp(command_help[i].name, name) == 0)
      return command_help[i].text;
  return NULL;
}

enum { OPT_SOCKET = 256, OPT_URL, OPT_TOKEN_FILE, OPT_JSON, OPT_STATE,
       OPT_TIMEOUT, OPT_HELP, OPT_VERSION, OPT_QUICK, OPT_VCENTER, OPT_ESXI,
       OPT_PORTS, OPT_VDDK_LIBDIR, OPT_STATE_DIR, OPT_RUNTIME_DIR,
       OPT_REHEARSE };

static const struct option long_options[] = {
  { "socket", required_argument, NULL, OPT_SOCKET },
  { "url", required_argument, NULL, OPT_URL },
  { "token-file", required_argument, NULL, OPT_TOKEN_FILE },
  { "json", no_argument, NULL, OPT_JSON },
  { "state", required_argument, NULL, OPT_STATE },
  { "timeout", required_argument, NULL, OPT_TIMEOUT },
  { "follow", no_argument, NULL, 'f' },
  { "output", required_argument, NULL, 'o' },
  { "help", no_argument, NULL, OPT_HELP },
  { "version", no_argument, NULL, OPT_VERSION },
  { "quick", no_argument, NULL, OPT_QUICK },
  { "vcenter", required_argument, NULL, OPT_VCENTER },
  { "esxi", required_argument, NULL, OPT_ESXI },
  { "ports", required_argument, NULL, OPT_PORTS },
  { "vddk-libdir", required_argument, NULL, OPT_VDDK_LIBDIR },
  { "state-dir", required_argument, NULL, OPT_STATE_DIR },
  { "runtime-dir", required_argument, NULL, OPT_RUNTIME_DIR },
  { "rehearse", no_argument, NULL, OPT_REHEARSE },
  { NULL, 0, NULL, 0 },
};

static int add_host(struct ctl_options *o, const char *kind, const char *host,
                    char *err, size_t errlen)
{
  if (!*host || strlen(host) > 253 || strpbrk(host, " /")) {
    snprintf(err, errlen, "--%s: not a host name or address: '%s'", kind, host);
    return -1;
  }
  if (o->nhosts == CTL_MAX_HOSTS) {
    snprintf(err, errlen, "at most %d hosts to check", CTL_MAX_HOSTS);
    return -1;
  }
  o->host_kinds[o->nhosts] = kind;
  o->hosts[o->nhosts++] = host;
  return 0;
}

/* "HTTPS,NFC": two ports 1..65535. */
static int parse_ports(const char *s, int *https, int *nfc)
{
  int a, b, end = 0;

  if (sscanf(s, "%d,%d%n", &a, &b, &end) != 2 || s[end] || a < 1 ||
      a > 65535 || b < 1 || b > 65535)
    return -1;
  *https = a;
  *nfc = b;
  return 0;
}

static int parse_seconds(const char *s, double *out)
{
  char *end;
  double v = strtod(s, &end);

  if (end == s || *end || !(v >= 0))
    return -1;
  *out = v;
  return 0;
}

/* Options that belong to one command only. */
static int check_command_options(const struct ctl_options *o, char *err,
                                 size_t errlen)
{
  if (o->state && o->command != CMD_LIST) {
    snprintf(err, errlen, "--state is an option of 'list'");
    return -1;
  }
  if (o->timeout >= 0 && o->command != CMD_WAIT) {
    snprintf(err, errlen, "--timeout is an option of 'wait'");
    return -1;
  }
  if (o->rehearse && o->command != CMD_SYNC) {
    snprintf(err, errlen, "--rehearse is an option of 'sync'");
    return -1;
  }
  if (o->follow && o->command != CMD_LOGS) {
    snprintf(err, errlen, "-f is an option of 'logs'");
    return -1;
  }
  if (o->output && o->command != CMD_SUPPORT_BUNDLE) {
    snprintf(err, errlen, "-o is an option of 'support-bundle'");
    return -1;
  }
  if (o->state_dir && o->command != CMD_CHECK &&
      o->command != CMD_SUPPORT_BUNDLE) {
    snprintf(err, errlen, "--state-dir is an option of 'check' and "
             "'support-bundle'");
    return -1;
  }
  if ((o->quick || o->nhosts || o->vddk_libdir ||
       o->runtime_dir || o->https_port != 443 || o->nfc_port != 902) &&
      o->command != CMD_CHECK) {
    snprintf(err, errlen, "--quick, --vcenter, --esxi, --ports, --vddk-libdir "
             "and --runtime-dir are options of 'check'");
    return -1;
  }
  if (o->socket_path && o->url) {
    snprintf(err, errlen, "--socket and --url exclude each other");
    return -1;
  }
  return 0;
}

static int parse_command(int argc, char **argv, struct ctl_options *o,
                         char *err, size_t errlen)
{
  size_t i;

  if (optind >= argc) {
    snprintf(err, errlen, "no command given");
    return -1;
  }
  if (strcmp(argv[optind], "help") == 0) {   /* uchctl help [CMD] */
    if (argc - optind > 2) {
      snprintf(err, errlen, "'help' takes at most one command");
      return -1;
    }
    o->help = true;
    o->help_topic = argc - optind == 2 ? argv[optind + 1] : NULL;
    return 0;
  }
  for (i = 0; i < NCOMMANDS; i++)
    if (strcmp(argv[optind], commands[i].name) == 0)
      break;
  if (i == NCOMMANDS) {
    snprintf(err, errlen, "unknown command '%s'", argv[optind]);
    return -1;
  }
  o->command = commands[i].cmd;
  o->args = argv + optind + 1;
  o->nargs = argc - optind - 1;
  if (o->nargs < commands[i].min_args ||
      (commands[i].max_args >= 0 && o->nargs > commands[i].max_args)) {
    snprintf(err, errlen, "'%s' takes %s", commands[i].name,
             commands[i].max_args < 0 ? "one or more job ids"
             : commands[i].min_args == 1 && commands[i].max_args == 2
               ? "a job id and at most one file"
             : commands[i].cmd == CMD_DIGEST ? "a job id and a file (- for "
                                               "standard input)"
             : commands[i].min_args == 2 ? "a job id and a bandwidth"
             : commands[i].min_args == 1 ? "one job id"
             : commands[i].max_args == 1 ? "at most one file"
             : "no arguments");
    return -1;
  }
  return check_command_options(o, err, errlen);
}

int ctl_parse_args(int argc, char **argv, struct ctl_options *o,
                   char *err, size_t errlen)
{
  int c;

  memset(o, 0, sizeof *o);
  o->timeout = -1;
  o->https_port = 443;
  o->nfc_port = 902;
  err[0] = '\0';
  /* 0: full re-initialisation, so tests may parse again.  Options may
   * follow the command (GNU permutation): "uchctl logs ID -f". */
  optind = 0;
  opterr = 0;
  while ((c = getopt_long(argc, argv, ":fo:", long_options, NULL)) != -1) {
    switch (c) {
    case OPT_SOCKET: o->socket_path = optarg; break;
    case OPT_URL: o->url = optarg; break;
    case OPT_TOKEN_FILE: o->token_file = optarg; break;
    case OPT_JSON: o->json = true; break;
    case OPT_STATE: o->state = optarg; break;
    case 'f': o->follow = true; break;
    case 'o': o->output = optarg; break;
    case OPT_HELP: o->help = true; break;
    case OPT_VERSION: o->version = true; break;
    case OPT_QUICK: o->quick = true; break;
    case OPT_REHEARSE: o->rehearse = true; break;
    case OPT_VDDK_LIBDIR: o->vddk_libdir = optarg; break;
    case OPT_STATE_DIR: o->state_dir = optarg; break;
    case OPT_RUNTIME_DIR: o->runtime_dir = optarg; break;
    case OPT_VCENTER:
    case OPT_ESXI:
      if (add_host(o, c == OPT_VCENTER ? "vcenter" : "esxi", optarg, err,
                   errlen) < 0)
        return -1;
      break;
    case OPT_PORTS:
      if (parse_ports(optarg, &o->https_port, &o->nfc_port) < 0) {
        snprintf(err, errlen, "--ports: not HTTPS,NFC ports (443,902): '%s'",
                 optarg);
        return -1;
      }
      break;
    case OPT_TIMEOUT:
      if (parse_seconds(optarg, &o->timeout) < 0) {
        snprintf(err, errlen, "--timeout: not a number of seconds: '%s'",
                 optarg);
        return -1;
      }
      break;
    case ':':
      snprintf(err, errlen, "option '%s' needs a value", argv[optind - 1]);
      return -1;
    default:
      if (optopt && optopt < 256)
        snprintf(err, errlen, "unknown option '-%c'", optopt);
      else
        snprintf(err, errlen, "unknown option or missing value: '%s'",
                 argv[optind - 1]);
      return -1;
    }
  }
  if (o->help && optind < argc)     /* uchctl CMD --help */
    o->help_topic = argv[optind];
  if (o->help || o->version)
    return 0;
  return parse_command(argc, argv, o, err, errlen);
}
