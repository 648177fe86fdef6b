/* SPDX-License-Identifier: GPL-2.0-or-later */
/* uchd's flags and config file: defaults, the file filling what flags
 * left unset, errors naming the key and line, and the refusal of a
 * non-loopback listener without TLS. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "uchd/config.h"
#include "tap.h"

static enum config_action parse(struct uchd_config *c, struct uch_error *e,
                                char **args)
{
  int n = 0;
  while (args[n])
    n++;
  memset(c, 0, sizeof *c);
  memset(e, 0, sizeof *e);
  return config_from_args(c, n, args, e);
}

static char *write_conf(const char *text)
{
  static char path[] = "/tmp/test-uchd-config.XXXXXX";
  strcpy(path, "/tmp/test-uchd-config.XXXXXX");
  int fd = mkstemp(path);
  if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
    abort();
  close(fd);
  return path;
}

int main(void)
{
  struct uchd_config c;
  struct uch_error e;

  char *a1[] = { "uchd", NULL };
  is_int(parse(&c, &e, a1), CONFIG_RUN, "no flags: run");
  is_str(c.state_dir, "/var/lib/uch", "default state dir");
  is_str(c.runtime_dir, "/run/uch", "default runtime dir");
  is_str(c.unix_path, "/run/uch/uchd.sock", "default unix socket");
  is_str(c.token_file, "/var/lib/uch/api-token", "default token file");
  is_int(c.n_listen, 1, "one default listener");
  is_str(c.listen[0], "127.0.0.1:10808", "default listener");
  ok(c.max_jobs >= 1 && c.max_jobs == default_max_jobs(), "default max jobs");
  config_free(&c);

  char *a2[] = { "uchd", "--state-dir", "/s", "--runtime-dir", "/r",
                 "--listen", "127.0.0.1:1", "--listen", "[::1]:2",
                 "--max-jobs", "3", NULL };
  is_int(parse(&c, &e, a2), CONFIG_RUN, "flags: run");
  is_str(c.unix_path, "/r/uchd.sock", "unix under the runtime dir");
  is_str(c.token_file, "/s/api-token", "token under the state dir");
  is_int(c.n_listen, 2, "two listeners");
  is_str(c.listen[1], "[::1]:2", "IPv6 loopback");
  is_int(c.max_jobs, 3, "max jobs");
  config_free(&c);

  char *vd[] = { "uchd", "--vddk-libdir", "/opt/vddk", NULL };
  is_int(parse(&c, &e, vd), CONFIG_RUN, "--vddk-libdir");
  is_str(c.vddk_libdir, "/opt/vddk", "VDDK's folder");
  config_free(&c);
  char *vd2[] = { "uchd", "--vddk-libdir", "vddk", NULL };
  is_int(parse(&c, &e, vd2), CONFIG_EXIT_USAGE, "a relative VDDK folder");
  config_free(&c);

  char *a3[] = { "uchd", "--listen", "none", NULL };
  is_int(parse(&c, &e, a3), CONFIG_RUN, "--listen none");
  is_int(c.n_listen, 0, "no TCP listener");
  config_free(&c);

  char *conf = write_conf("# comment\n\n state_dir = /from-file \n"
                          "max_jobs=5\nlisten = 127.0.0.2:99\n"
                          "runtime_dir = /rf\n");
  char *a4[] = { "uchd", "--config", conf, "--max-jobs", "2", NULL };
  is_int(parse(&c, &e, a4), CONFIG_RUN, "config file: run");
  is_str(c.state_dir, "/from-file", "file sets state_dir");
  is_str(c.runtime_dir, "/rf", "file sets runtime_dir");
  is_int(c.max_jobs, 2, "the flag wins over the file");
  is_str(c.listen[0], "127.0.0.2:99", "file sets listen");
  config_free(&c);
  char *a4b[] = { "uchd", "--listen", "127.0.0.1:7", "--config", conf, NULL };
  is_int(parse(&c, &e, a4b), CONFIG_RUN, "flag listen, file listen");
  is_int(c.n_listen, 1, "flag listeners replace the file's");
  is_str(c.listen[0], "127.0.0.1:7", "the flag's listener");
  config_free(&c);
  unlink(conf);

  conf = write_conf("state_dir = /x\nbogus = 1\n");
  char *a5[] = { "uchd", "--config", conf, NULL };
  is_int(parse(&c, &e, a5), CONFIG_EXIT_USAGE, "unknown key: usage error");
  ok(strstr(e.message, "line 2") && strstr(e.message, "bogus"),
     "message names line and key: %s", e.message);
  config_free(&c);
  unlink(conf);

  conf = write_conf("max_jobs = many\n");
  char *a6[] = { "uchd", "--config", conf, NULL };
  is_int(parse(&c, &e, a6), CONFIG_EXIT_USAGE, "bad max_jobs in file");
  ok(strstr(e.message, "line 1") && strstr(e.message, "max_jobs"),
     "message: %s", e.message);
  config_free(&c);
  unlink(conf);

  conf = write_conf("just words\n");
  char *a7[] = { "uchd", "--config", conf, NULL };
  is_int(parse(&c, &e, a7), CONFIG_EXIT_USAGE, "line without '='");
  ok(strstr(e.message, "line 1"), "message: %s", e.message);
  config_free(&c);
  unlink(conf);

  /* Read by inih: the messages are as they were before it, byte for
   * byte (the key, the file, the line, the reason in config_set's words,
   * which name the key again). */
  {
    struct { const char *text, *want; } bad[] = {
      { "state_dir = /x\nbogus = 1\n", "bogus: %s line 2: bogus: unknown key 'bogus'" },
      { "\n# c\nmax_jobs = many\n",
        "max_jobs: %s line 3: max_jobs: max_jobs: 'many' is not a number "
        "from 1 to 1024" },
      { "state_dir = relative\n",
        "state_dir: %s line 1: state_dir: state_dir: 'relative' must be an "
        "absolute path" },
      { "tls_cert =\n", "tls_cert: %s line 1: tls_cert: tls_cert: empty value" },
      { "state_dir = /x\njust words\nbogus = 1\n",
        "config: %s line 2: expected 'key = value'" },
      { "bogus = 1\njust words\n", "bogus: %s line 1: bogus: unknown key 'bogus'" },
      { "[server]\nstate_dir = /x\n",
        "state_dir: %s line 2: section [server]: uchd.conf has no "
        "sections" },
      { "listen = 127.0.0.1:1\n  listen = nothost\n",
        "listen: %s line 2: listen: listen: 'nothost' is not HOST:PORT "
        "(or 'none')" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
      char want[1024];
      conf = write_conf(bad[i].text);
      char *av[] = { "uchd", "--config", conf, NULL };
      snprintf(want, sizeof want, bad[i].want, conf);
      is_int(parse(&c, &e, av), CONFIG_EXIT_USAGE, "bad file %zu refused", i);
      is_str(e.message, want, "bad file %zu: its message", i);
      config_free(&c);
      unlink(conf);
    }
  }
  {
    char text[400];
    memset(text, 0, sizeof text);
    strcpy(text, "state_dir = /");
    memset(text + strlen(text), 'x', 250);
    strcat(text, "\n");
    conf = write_conf(text);
    char *av[] = { "uchd", "--config", conf, NULL };
    is_int(parse(&c, &e, av), CONFIG_EXIT_USAGE, "an over-long line refused");
    ok(strstr(e.message, " line 1: longer than 198 characters") != NULL,
       "not cut in two: %s", e.message);
    config_free(&c);
    unlink(conf);
  }
  {
    /* indented lines are lines (inih alone would continue the value),
     * `;` comments too, and CRLF ends */
    conf = write_conf("state_dir = /s\r\n    runtime_dir = /r\n; note\n"
                      "\tlisten = 127.0.0.1:5   # a comment line would "
                      "need its own line\n");
    char *av[] = { "uchd", "--config", conf, NULL };
    int rc = parse(&c, &e, av);
    is_int(rc, CONFIG_EXIT_USAGE, "a # inside a value is not a comment");
    config_free(&c);
    unlink(conf);
    conf = write_conf("state_dir = /s\r\n    runtime_dir = /r\n; note\n"
                      "\tlisten = 127.0.0.1:5 ; inline comment\n");
    char *av2[] = { "uchd", "--config", conf, NULL };
    is_int(parse(&c, &e, av2), CONFIG_RUN, "indented, commented, CRLF: run");
    is_str(c.state_dir, "/s", "CRLF line");
    is_str(c.runtime_dir, "/r", "an indented line is its own");
    ok(c.n_listen == 1 && strcmp(c.listen[0], "127.0.0.1:5") == 0,
       "`;` starts an inline comment");
    config_free(&c);
    unlink(conf);
  }

  char *a8[] = { "uchd", "--listen", "0.0.0.0:10808", NULL };
  is_int(parse(&c, &e, a8), CONFIG_EXIT_USAGE, "non-loopback without TLS");
  ok(strstr(e.message, "0.0.0.0:10808") && strstr(e.message, "tls"),
     "message: %s", e.message);
  config_free(&c);
  char *a9[] = { "uchd", "--listen", "0.0.0.0:10808", "--tls-cert", "/c",
                 "--tls-key", "/k", NULL };
  is_int(parse(&c, &e, a9), CONFIG_RUN, "non-loopback with TLS");
  config_free(&c);
  char *a10[] = { "uchd", "--tls-cert", "/c", NULL };
  is_int(parse(&c, &e, a10), CONFIG_EXIT_USAGE, "cert without key");
  config_free(&c);

  char *a11[] = { "uchd", "--max-jobs", "0", NULL };
  is_int(parse(&c, &e, a11), CONFIG_EXIT_USAGE, "--max-jobs 0");
  ok(strstr(e.message, "--max-jobs"), "message names the flag: %s",
     e.message);
  config_free(&c);
  char *a12[] = { "uchd", "--frobnicate", NULL };
  is_int(parse(&c, &e, a12), CONFIG_EXIT_USAGE, "unknown flag");
  ok(strstr(e.message, "--frobnicate"), "message: %s", e.message);
  config_free(&c);
  char *a13[] = { "uchd", "--state-dir", "relative", NULL };
  is_int(parse(&c, &e, a13), CONFIG_EXIT_USAGE, "relative state dir");
  config_free(&c);
  char *a14[] = { "uchd", "--listen", "nocolon", NULL };
  is_int(parse(&c, &e, a14), CONFIG_EXIT_USAGE, "listen without port");
  config_free(&c);
  char *a15[] = { "uchd", "--state-dir", NULL };
  is_int(parse(&c, &e, a15), CONFIG_EXIT_USAGE, "flag without value");
  config_free(&c);

  ok(listen_is_loopback("127.0.0.1:1"), "127.0.0.1 is loopback");
  ok(listen_is_loopback("127.9.9.9:1"), "127/8 is loopback");
  ok(listen_is_loopback("[::1]:1"), "::1 is loopback");
  ok(listen_is_loopback("localhost:1"), "localhost is loopback");
  ok(!listen_is_loopback("0.0.0.0:1"), "0.0.0.0 is not");
  ok(!listen_is_loopback("[::]:1"), ":: is not");
  ok(!listen_is_loopback("10.0.0.1:1"), "10.0.0.1 is not");
  return tap_done();
}
