/* SPDX-License-Identifier: GPL-2.0-or-later */
/* uchd's command line: every flag is the twin of a config-file key. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "uchd/config.h"

static const char usage[] =
  "Usage: uchd [OPTION]...\n"
  "The UCH daemon: HTTP API and job scheduler.\n"
  "\n"
  "  --config FILE        read 'key = value' settings (flags win)\n"
  "  --state-dir DIR      jobs and token (default /var/lib/uch)\n"
  "  --runtime-dir DIR    sockets and secrets (default /run/uch)\n"
  "  --listen HOST:PORT   TCP listener, repeatable; 'none' for no TCP\n"
  "                       (default 127.0.0.1:10808)\n"
  "  --unix PATH          Unix socket (default RUNTIME/uchd.sock)\n"
  "  --max-jobs N         jobs running at once (default from cores and memory)\n"
  "  --token-file FILE    bearer token for TCP (default STATE/api-token)\n"
  "  --tls-cert FILE      TLS certificate (PEM), needed off loopback\n"
  "  --tls-key FILE       TLS private key (PEM)\n"
  "  --volume-by-id-dir DIR  where {\"volume\": ID} looks for by-id names\n"
  "                       (default /dev/disk/by-id)\n"
  "  --vddk-libdir DIR    where VDDK is unpacked, for GET /v1/health\n"
  "                       (default /opt/vmware-vix-disklib-distrib)\n"
  "  --source-root DIR    a folder whose files jobs may read (repeatable;\n"
  "                       default /var/lib/uch/images)\n"
  "  --destination-root DIR  a folder jobs may write in (repeatable;\n"
  "                       default /var/lib/uch/images)\n"
  "  --export-root DIR    a folder whose files exports may serve (repeatable;\n"
  "                       default /var/lib/uch/images)\n"
  "  --secret-root DIR    a folder of password, key and PSK files (repeatable;\n"
  "                       default /var/lib/uch/secrets)\n"
  "  --library-root DIR   a folder a request's VDDK libdir may be in\n"
  "                       (repeatable; default the --vddk-libdir folder)\n"
  "  --stall-timeout S    seconds a copy may make no progress before it\n"
  "                       stops, code timeout (default 120)\n"
  "  --version            print the version and exit\n"
  "  --help               print this help and exit\n";

enum { OPT_CONFIG = 256, OPT_VERSION, OPT_HELP, OPT_SOURCE_ROOT,
       OPT_DESTINATION_ROOT, OPT_EXPORT_ROOT, OPT_SECRET_ROOT,
       OPT_LIBRARY_ROOT, OPT_STALL_TIMEOUT };

static const struct option options[] = {
  { "config", required_argument, NULL, OPT_CONFIG },
  { "state-dir", required_argument, NULL, 's' },
  { "runtime-dir", required_argument, NULL, 'r' },
  { "listen", required_argument, NULL, 'l' },
  { "unix", required_argument, NULL, 'u' },
  { "max-jobs", required_argument, NULL, 'j' },
  { "token-file", required_argument, NULL, 't' },
  { "tls-cert", required_argument, NULL, 'c' },
  { "tls-key", required_argument, NULL, 'k' },
  { "volume-by-id-dir", required_argument, NULL, 'v' },
  { "vddk-libdir", required_argument, NULL, 'V' },
  { "source-root", required_argument, NULL, OPT_SOURCE_ROOT },
  { "destination-root", required_argument, NULL, OPT_DESTINATION_ROOT },
  { "export-root", required_argument, NULL, OPT_EXPORT_ROOT },
  { "secret-root", required_argument, NULL, OPT_SECRET_ROOT },
  { "library-root", required_argument, NULL, OPT_LIBRARY_ROOT },
  { "stall-timeout", required_argument, NULL, OPT_STALL_TIMEOUT },
  { "version", no_argument, NULL, OPT_VERSION },
  { "help", no_argument, NULL, OPT_HELP },
  { NULL, 0, NULL, 0 },
};

static const char *key_of(int opt)
{
  switch (opt) {
  case 's': return "state_dir";
  case 'r': return "runtime_dir";
  case 'l': return "listen";
  case 'u': return "unix";
  case 'j': return "max_jobs";
  case 't': return "token_file";
  case 'c': return "tls_cert";
  case 'k': return "tls_key";
  case 'v': return "volume_by_id_dir";
  case 'V': return "vddk_libdir";
  case OPT_SOURCE_ROOT: return "source_root";
  case OPT_DESTINATION_ROOT: return "destination_root";
  case OPT_EXPORT_ROOT: return "export_root";
  case OPT_SECRET_ROOT: return "secret_root";
  case OPT_LIBRARY_ROOT: return "library_root";
  case OPT_STALL_TIMEOUT: return "stall_timeout";
  }
  return NULL;
}

enum config_action config_from_args(struct uchd_config *c, int argc,
                                    char **argv, struct uch_error *err)
{
  int opt;

  opterr = 0;
  optind = 1;
  while ((opt = getopt_long(argc, argv, ":", options, NULL)) != -1) {
    switch (opt) {
    case OPT_HELP:
      fputs(usage, stdout);
      return CONFIG_EXIT_OK;
    case OPT_VERSION:
      printf("uchd %s\n", UCH_VERSION);
      return CONFIG_EXIT_OK;
    case OPT_CONFIG:
      free(c->config_file);
      c->config_file = strdup(optarg);
      break;
    case ':':
      uch_error_set(err, "invalid_config", argv[optind - 1],
                    "%s needs a value", argv[optind - 1]);
      return CONFIG_EXIT_USAGE;
    case '?':
      uch_error_set(err, "invalid_config", argv[optind - 1],
                    "unknown option '%s' (see --help)", argv[optind - 1]);
      return CONFIG_EXIT_USAGE;
    default:
      if (config_set(c, key_of(opt), optarg, true, err) < 0) {
        /* say it the way it was given: "--state-dir: ..." */
        char *m = err->message;
        size_t n = strnlen(m, sizeof err->message - 3);
        memmove(m + 2, m, n);
        m[0] = m[1] = '-';
        m[n + 2] = '\0';
        for (char *p = m + 2; *p && *p != ':'; p++)
          if (*p == '_')
            *p = '-';
        return CONFIG_EXIT_USAGE;
      }
    }
  }
  if (optind < argc) {
    uch_error_set(err, "invalid_config", argv[optind],
                  "unexpected argument '%s'", argv[optind]);
    return CONFIG_EXIT_USAGE;
  }
  if (c->config_file && config_load_file(c, c->config_file, err) < 0)
    return CONFIG_EXIT_USAGE;
  if (config_finish(c, err) < 0)
    return CONFIG_EXIT_USAGE;
  return CONFIG_RUN;
}
