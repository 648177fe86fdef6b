#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "probe.h"

extern char **environ;

int probe_version_argv(struct argv *a, const char *tool)
{
  return argv_add(a, tool) < 0 || argv_add(a, "--version") < 0 ? -1 : 0;
}

int probe_nbdkit_config_argv(struct argv *a)
{
  return argv_add(a, "nbdkit") < 0 || argv_add(a, "--dump-config") < 0 ? -1
                                                                         : 0;
}

/* Runs `a` (looked up in PATH), returns its stdout (64 KiB at most) when
 * it exits 0. */
static char *run_capture(const struct argv *a)
{
  int p[2];
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  sigset_t none;
  pid_t pid;
  char *out = NULL;
  size_t len = 0, cap = 65536;
  int status;

  if (pipe2(p, O_CLOEXEC) < 0)
    return NULL;
  sigemptyset(&none);
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, p[1], 1);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  int r = posix_spawnp(&pid, a->v[0], &fa, &attr, a->v, environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  close(p[1]);
  if (r != 0) {
    close(p[0]);
    return NULL;
  }
  out = malloc(cap + 1);
  for (;;) {
    ssize_t n = out && len < cap ? read(p[0], out + len, cap - len) : 0;
    if (n <= 0)
      break;
    len += n;
  }
  close(p[0]);
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (!out || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    free(out);
    return NULL;
  }
  out[len] = '\0';
  return out;
}

char *probe_version_of(const char *text)
{
  const char *p = text, *eol = strchr(text, '\n');

  if (!eol)
    eol = text + strlen(text);
  while (p < eol) {
    while (p < eol && (*p == ' ' || *p == '\t'))
      p++;
    size_t n = strcspn(p, " \t\n");
    if (n > 0 && *p >= '0' && *p <= '9')
      return strndup(p, n);
    p += n;
  }
  return NULL;
}

static json_object *tool_version(const char *tool)
{
  _cleanup_argv_ struct argv a = { 0 };
  _cleanup_free_ char *out = NULL, *version = NULL;

  if (probe_version_argv(&a, tool) < 0 || !(out = run_capture(&a)))
    return NULL;
  version = probe_version_of(out);
  json_object *o = json_object_new_object();
  json_object_object_add(o, "version",
                         version ? json_object_new_string(version) : NULL);
  return o;
}

/* nbdkit-NAME-KIND.so in dir, as a sorted list of NAME. */
static json_object *list_modules(const char *dir, const char *kind,
                                 bool *has_vddk)
{
  json_object *list = json_object_new_array();
  struct dirent **names = NULL;
  char suffix[32];
  int n;

  snprintf(suffix, sizeof suffix, "-%s.so", kind);
  n = dir ? scandir(dir, &names, NULL, alphasort) : -1;
  for (int i = 0; i < n; i++) {
    const char *f = names[i]->d_name;
    size_t len = strlen(f), sl = strlen(suffix);
    if (strncmp(f, "nbdkit-", 7) == 0 && len > 7 + sl &&
        strcmp(f + len - sl, suffix) == 0) {
      _cleanup_free_ char *name = strndup(f + 7, len - 7 - sl);
      if (name) {
        if (has_vddk && strcmp(name, "vddk") == 0)
          *has_vddk = true;
        json_object_array_add(list, json_object_new_string(name));
      }
    }
    free(names[i]);
  }
  free(names);
  return list;
}

static char *config_value(const char *config, const char *key)
{
  size_t kl = strlen(key);
  for (const char *p = config; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p)
    if (strncmp(p, key, kl) == 0 && p[kl] == '=')
      return strndup(p + kl + 1, strcspn(p + kl + 1, "\n"));
  return NULL;
}

static json_object *nbdkit_caps(bool *has_vddk)
{
  _cleanup_argv_ struct argv a = { 0 };
  _cleanup_free_ char *cfg = NULL, *version = NULL, *plugindir = NULL,
                      *filterdir = NULL;

  if (probe_nbdkit_config_argv(&a) < 0 || !(cfg = run_capture(&a)))
    return NULL;
  version = config_value(cfg, "version");
  plugindir = config_value(cfg, "plugindir");
  filterdir = config_value(cfg, "filterdir");
  json_object *o = json_object_new_object();
  json_object_object_add(o, "version",
                         version ? json_object_new_string(version) : NULL);
  json_object_object_add(o, "plugins",
                         list_modules(plugindir, "plugin", has_vddk));
  json_object_object_add(o, "filters", list_modules(filterdir, "filter", NULL));
  return o;
}

json_object *probe_capabilities(void)
{
  static const char *const tools[] = { "nbdcopy", "qemu-nbd", "qemu-img",
                                       "virt-v2v", NULL };
  json_object *caps = json_object_new_object();
  bool vddk = false;

  json_object_object_add(caps, "nbdkit", nbdkit_caps(&vddk));
  for (int i = 0; tools[i]; i++)
    json_object_object_add(caps, tools[i], tool_version(tools[i]));
  json_object_object_add(caps, "kvm",
                         json_object_new_boolean(access("/dev/kvm", F_OK) == 0));
  json_object_object_add(caps, "vddk", json_object_new_boolean(vddk));
  return caps;
}
