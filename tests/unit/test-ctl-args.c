/* SPDX-License-Identifier: GPL-2.0-or-later */
/* uchctl's command line: what parses, what is a usage error. */
#include "ctl/ctl_args.h"
#include "tap.h"


static int parse(int argc, char **argv, struct ctl_options *o, char *err)
{
  return ctl_parse_args(argc, argv, o, err, 256);
}

int main(void)
{
  struct ctl_options o;
  char err[256];

  {
    char *v[] = { "uchctl", "check", "--quick", "--esxi", "esx1", "--vcenter",
                  "vc.example.com", "--ports", "8443,9902", "--vddk-libdir",
                  "/opt/vddk", "--json", NULL };
    is_int(parse(12, v, &o, err), 0, "check with its options");
    is_int(o.command, CMD_CHECK, "check");
    ok(o.quick && o.json, "--quick --json");
    is_int(o.nhosts, 2, "two hosts");
    is_str(o.host_kinds[0], "esxi", "first an ESXi host");
    is_str(o.hosts[1], "vc.example.com", "then a vCenter");
    ok(o.https_port == 8443 && o.nfc_port == 9902, "--ports");
    is_str(o.vddk_libdir, "/opt/vddk", "--vddk-libdir");
  }
  {
    char *v[] = { "uchctl", "sync", "web01", "--rehearse", NULL };
    is_int(parse(4, v, &o, err), 0, "sync --rehearse");
    ok(o.command == CMD_SYNC && o.rehearse && o.nargs == 1,
       "sync of one job, rehearsing");
  }
  {
    char *v[] = { "uchctl", "cutover", "web01", "--rehearse", NULL };
    is_int(parse(4, v, &o, err), -1, "cutover --rehearse: refused");
    is_str(err, "--rehearse is an option of 'sync'", "says whose it is");
  }
  {
    char *v[] = { "uchctl", "check", NULL };
    is_int(parse(2, v, &o, err), 0, "check alone");
    ok(o.https_port == 443 && o.nfc_port == 902 && !o.quick && o.nhosts == 0,
       "defaults: 443, 902, the appliance booted, no hosts");
  }
  {
    char *v[] = { "uchctl", "check", "--ports", "443", NULL };
    is_int(parse(4, v, &o, err), -1, "--ports needs two");
    is_str(err, "--ports: not HTTPS,NFC ports (443,902): '443'", "says so");
  }
  {
    char *v[] = { "uchctl", "list", "--esxi", "h", NULL };
    is_int(parse(4, v, &o, err), -1, "--esxi only goes with check");
  }

  {
    char *v[] = { "uchctl", "list", NULL };
    is_int(parse(2, v, &o, err), 0, "list parses");
    is_int(o.command, CMD_LIST, "command is list");
    is_int(o.nargs, 0, "no arguments");
    ok(!o.json && o.timeout < 0 && !o.state, "defaults");
  }
  {
    char *v[] = { "uchctl", "list", "--state", "running", "--json", NULL };
    is_int(parse(5, v, &o, err), 0, "options after the command");
    is_str(o.state, "running", "--state");
    ok(o.json, "--json after the command");
  }
  {
    char *v[] = { "uchctl", "--socket", "/x.sock", "show", "abc", NULL };
    is_int(parse(5, v, &o, err), 0, "global option first");
    is_str(o.socket_path, "/x.sock", "--socket");
    is_int(o.command, CMD_SHOW, "show");
    is_str(o.args[0], "abc", "show's id");
  }
  {
    char *v[] = { "uchctl", "wait", "a", "b", "--timeout", "2.5", NULL };
    is_int(parse(6, v, &o, err), 0, "wait with two ids");
    is_int(o.nargs, 2, "two ids");
    ok(o.timeout == 2.5, "--timeout 2.5");
  }
  {
    char *v[] = { "uchctl", "logs", "abc", "-f", NULL };
    is_int(parse(4, v, &o, err), 0, "logs -f");
    ok(o.follow, "follow set");
  }
  {
    char *v[] = { "uchctl", "submit", "-", NULL };
    is_int(parse(3, v, &o, err), 0, "submit -");
    is_str(o.args[0], "-", "'-' is an argument, not an option");
  }
  {
    char *v[] = { "uchctl", "submit", NULL };
    is_int(parse(2, v, &o, err), 0, "submit without a file reads stdin");
  }
  {
    char *v[] = { "uchctl", "--url", "http://h:1", "--token-file", "/t",
                  "health", NULL };
    is_int(parse(6, v, &o, err), 0, "--url and --token-file");
    is_str(o.url, "http://h:1", "--url");
    is_str(o.token_file, "/t", "--token-file");
  }
  {
    char *v[] = { "uchctl", "--version", NULL };
    is_int(parse(2, v, &o, err), 0, "--version needs no command");
    ok(o.version, "version set");
  }
  {
    char *v[] = { "uchctl", "--help", NULL };
    is_int(parse(2, v, &o, err), 0, "--help needs no command");
    ok(o.help, "help set");
  }

  /* Usage errors. */
  {
    char *v[] = { "uchctl", NULL };
    is_int(parse(1, v, &o, err), -1, "no command");
    is_str(err, "no command given", "says so");
  }
  {
    char *v[] = { "uchctl", "frobnicate", NULL };
    is_int(parse(2, v, &o, err), -1, "unknown command");
    is_str(err, "unknown command 'frobnicate'", "names it");
  }
  {
    char *v[] = { "uchctl", "list", "--bogus", NULL };
    is_int(parse(3, v, &o, err), -1, "unknown long option");
    is_str(err, "unknown option or missing value: '--bogus'", "names it");
  }
  {
    char *v[] = { "uchctl", "list", "-x", NULL };
    is_int(parse(3, v, &o, err), -1, "unknown short option");
    is_str(err, "unknown option '-x'", "names it");
  }
  {
    char *v[] = { "uchctl", "list", "--state", NULL };
    is_int(parse(3, v, &o, err), -1, "missing option value");
  }
  {
    char *v[] = { "uchctl", "show", NULL };
    is_int(parse(2, v, &o, err), -1, "show without an id");
    is_str(err, "'show' takes one job id", "says what it takes");
  }
  {
    char *v[] = { "uchctl", "cancel", "a", "b", NULL };
    is_int(parse(4, v, &o, err), -1, "cancel with two ids");
  }
  {
    char *v[] = { "uchctl", "sync", "s1", "-", NULL };
    is_int(parse(4, v, &o, err), 0, "sync with a body from stdin");
    ok(o.command == CMD_SYNC && o.nargs == 2, "sync: command and arguments");
  }
  {
    char *v[] = { "uchctl", "digest", "s1", "-", NULL };
    is_int(parse(4, v, &o, err), 0, "digest with a body from stdin");
    ok(o.command == CMD_DIGEST && o.nargs == 2,
       "digest: command and arguments");
  }
  {
    char *v[] = { "uchctl", "digest", "s1", NULL };
    is_int(parse(3, v, &o, err), -1, "digest without its file");
    is_str(err, "'digest' takes a job id and a file (- for standard input)",
           "says what it takes");
  }
  {
    char *v[] = { "uchctl", "cutover", NULL };
    is_int(parse(2, v, &o, err), -1, "cutover without an id");
    is_str(err, "'cutover' takes a job id and at most one file",
           "says what it takes");
  }
  {
    char *v[] = { "uchctl", "wait", NULL };
    is_int(parse(2, v, &o, err), -1, "wait without an id");
    is_str(err, "'wait' takes one or more job ids", "says what it takes");
  }
  {
    char *v[] = { "uchctl", "health", "extra", NULL };
    is_int(parse(3, v, &o, err), -1, "health with an argument");
  }
  {
    char *v[] = { "uchctl", "show", "a", "--state", "running", NULL };
    is_int(parse(5, v, &o, err), -1, "--state outside list");
    is_str(err, "--state is an option of 'list'", "says whose");
  }
  {
    char *v[] = { "uchctl", "show", "a", "--timeout", "3", NULL };
    is_int(parse(5, v, &o, err), -1, "--timeout outside wait");
  }
  {
    char *v[] = { "uchctl", "show", "a", "-f", NULL };
    is_int(parse(4, v, &o, err), -1, "-f outside logs");
  }
  {
    char *v[] = { "uchctl", "wait", "a", "--timeout", "soon", NULL };
    is_int(parse(5, v, &o, err), -1, "--timeout not a number");
  }
  {
    char *v[] = { "uchctl", "wait", "a", "--timeout", "-1", NULL };
    is_int(parse(5, v, &o, err), -1, "--timeout negative");
  }
  {
    char *v[] = { "uchctl", "--socket", "/s", "--url", "http://h", "list",
                  NULL };
    is_int(parse(6, v, &o, err), -1, "--socket with --url");
  }
  {
    char *v[] = { "uchctl", "logs", "--help", NULL };
    is_int(parse(3, v, &o, err), 0, "logs --help");
    ok(o.help && o.help_topic && strcmp(o.help_topic, "logs") == 0,
       "logs --help: the help of logs");
  }
  {
    char *v[] = { "uchctl", "help", "wait", NULL };
    is_int(parse(3, v, &o, err), 0, "help wait");
    ok(o.help && o.help_topic && strcmp(o.help_topic, "wait") == 0,
       "help wait: the help of wait");
  }
  {
    char *v[] = { "uchctl", "help", NULL };
    is_int(parse(2, v, &o, err), 0, "help");
    ok(o.help && !o.help_topic, "help: the whole help");
  }
  {
    char *v[] = { "uchctl", "help", "a", "b", NULL };
    is_int(parse(4, v, &o, err), -1, "help of two commands");
  }
  {
    char *v[] = { "uchctl", "volumes", "--json", NULL };
    is_int(parse(3, v, &o, err), 0, "volumes");
    is_int(o.command, CMD_VOLUMES, "command is volumes");
  }
  {
    char *v[] = { "uchctl", "bandwidth", "c1", "50M", NULL };
    is_int(parse(4, v, &o, err), 0, "bandwidth ID BW");
    ok(o.command == CMD_BANDWIDTH && o.nargs == 2 &&
       strcmp(o.args[1], "50M") == 0, "bandwidth: its id and rate");
  }
  {
    char *v[] = { "uchctl", "bandwidth", "c1", NULL };
    is_int(parse(3, v, &o, err), -1, "bandwidth without a rate");
    is_str(err, "'bandwidth' takes a job id and a bandwidth",
           "says what it takes");
  }
  {
    char *v[] = { "uchctl", "support-bundle", "-o", "/tmp/b.tar.gz",
                  "--state-dir", "/s", NULL };
    is_int(parse(6, v, &o, err), 0, "support-bundle -o FILE --state-dir");
    ok(o.command == CMD_SUPPORT_BUNDLE && strcmp(o.output, "/tmp/b.tar.gz") == 0
       && strcmp(o.state_dir, "/s") == 0, "its output and state dir");
  }
  {
    char *v[] = { "uchctl", "support-bundle", "-o", NULL };
    is_int(parse(3, v, &o, err), -1, "-o without a file");
    is_str(err, "option '-o' needs a value", "says so");
  }
  {
    char *v[] = { "uchctl", "list", "-o", "x", NULL };
    is_int(parse(4, v, &o, err), -1, "-o outside support-bundle");
    is_str(err, "-o is an option of 'support-bundle'", "says whose");
  }
  {
    char *v[] = { "uchctl", "list", "--state-dir", "x", NULL };
    is_int(parse(4, v, &o, err), -1, "--state-dir outside check");
  }
  is_str(ctl_command_name(CMD_SUPPORT_BUNDLE), "support-bundle",
         "a command's name");
  ok(ctl_command_name(CMD_NONE) == NULL, "no name for no command");
  ok(ctl_command_help("volumes") && ctl_command_help("bandwidth") &&
     ctl_command_help("support-bundle"), "the new commands have their help");
  ok(ctl_command_help("cutover") && !ctl_command_help("frobnicate"),
     "a command's help, none for no command");
  ok(strstr(ctl_usage_text, "--token-file") != NULL, "usage names flags");
  return tap_done();
}
