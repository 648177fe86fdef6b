/* SPDX-License-Identifier: GPL-2.0-or-later */
/* uchctl check: pre-flight checks of this host, done here (uchd need
 * not run): the facts of service/check/probe.c (the same uchd shows
 * under "capabilities" in GET /v1/health), judged by preflight.c, and
 * the VMware hosts named on the command line (hostcheck.c). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "check/hostcheck.h"
#include "check/preflight.h"
#include "check/probe.h"
#include "ctl/ctl_commands.h"
#include "util/cleanup.h"
#include "util/jsonutil.h"

/* A good appliance check is trusted for a day; a failed one is redone. */
#define GUESTFS_CACHE_SECONDS (24 * 3600)

static bool guestfs_fresh(json_object *g)
{
  json_object *v;

  return g && json_object_object_get_ex(g, "ok", &v) &&
         json_object_get_boolean(v) &&
         time(NULL) - json_object_get_int64(json_get(g, "checked_at")) <
           GUESTFS_CACHE_SECONDS;
}

static void print_text(json_object *checks, bool passed)
{
  size_t n = json_object_array_length(checks);

  for (size_t i = 0; i < n; i++) {
    json_object *c = json_object_array_get_idx(checks, i);
    printf("%-5s %-26s %s\n", json_get_string(c, "status"),
           json_get_string(c, "name"), json_get_string(c, "message"));
  }
  printf("%s\n", passed ? "check passed" : "check FAILED");
}

int cmd_check(struct ctl_ctx *x)
{
  const struct ctl_options *o = x->o;
  struct probe_env env = {
    .state_dir = o->state_dir ? o->state_dir : "/var/lib/uch",
    .runtime_dir = o->runtime_dir ? o->runtime_dir : "/run/uch",
    .vddk_libdir = o->vddk_libdir,
  };
  struct preflight_opts po = { .vddk_required = o->vddk_libdir != NULL,
                               .quick = o->quick };
  struct hostcheck_opts ho = { o->https_port, o->nfc_port, 3000 };
  _cleanup_json_ json_object *caps = probe_capabilities(&env);
  _cleanup_json_ json_object *out = json_object_new_object();
  json_object *checks = json_object_new_array();
  bool passed;

  if (o->quick)
    json_object_object_add(caps, "guestfs", NULL);
  else if (!guestfs_fresh(json_get(caps, "guestfs"))) {
    _cleanup_free_ char *guestfish = probe_find_program("guestfish", NULL);
    if (!o->json && guestfish) {
      printf("booting the libguestfs appliance (about 35 s without KVM)...\n");
      fflush(stdout);
    }
    json_object_object_add(caps, "guestfs", probe_guestfs_run(env.state_dir));
  }
  preflight_judge(caps, &po, checks);
  for (int i = 0; i < o->nhosts; i++)
    hostcheck_run(o->host_kinds[i], o->hosts[i], &ho, checks);
  passed = preflight_passed(checks);
  if (o->json) {
    json_object_object_add(out, "passed", json_object_new_boolean(passed));
    json_object_object_add(out, "checks", checks);
    json_object_object_add(out, "capabilities", json_object_get(caps));
    printf("%s\n", json_object_to_json_string_ext(out, JSON_C_TO_STRING_PRETTY |
                                                 JSON_C_TO_STRING_NOSLASHESCAPE));
  } else {
    print_text(checks, passed);
    json_object_put(checks);
  }
  return passed ? CTL_EXIT_OK : CTL_EXIT_FAILED;
}
