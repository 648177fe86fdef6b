/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/probe.h"
#include "convert/v2v-openstack.h"
#include "jobs/request.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/openstack_env.h"

static int set_var(const char *name, const char *value, void *opaque)
{
  (void)opaque;
  return setenv(name, value, 1);
}

static int from_env_file(struct runner *r, struct job_failure *f)
{
  _cleanup_free_ char *path = secret_path(r->rt_dir,
                                          "output.openstack.credentials.env_file");
  char *text = NULL;
  size_t len;
  int line;

  if (!path || read_file(path, &text, &len) < 0) {
    failure_set(f, "internal", "output.openstack.credentials.env_file: the "
                "job's copy is missing: %s", strerror(errno));
    return -1;
  }
  line = openstack_env_parse(text, len, set_var, NULL);
  explicit_bzero(text, len);
  free(text);
  if (line != 0) {
    failure_set(f, "invalid_request", "output.openstack.credentials.env_file: "
                "line %d cannot be used", line);
    return -1;
  }
  return 0;
}

int v2v_openstack_prepare(struct runner *r, const struct convert_request *req,
                          struct job_failure *f)
{
  const struct convert_openstack *os = &req->output.openstack;
  _cleanup_free_ char *client = NULL, *yaml = NULL;
  const char *cloud = os->cloud;

  if (req->output.kind != CONVERT_OUT_OPENSTACK)
    return 0;
  /* virt-v2v runs it for everything (server show, volume create, …) */
  if (!(client = probe_find_program("openstack", NULL))) {
    failure_set(f, "missing_dependency", "output.openstack: the openstack "
                "command is not installed on this host, virt-v2v -o "
                "openstack runs it (Debian: apt-get install "
                "python3-openstackclient)");
    return -1;
  }
  if (os->credentials == OPENSTACK_ENV_FILE) {
    if (from_env_file(r, f) < 0)
      return -1;
    runner_log(r, "OpenStack credentials: OS_* from the request's env_file");
    return 0;
  }
  if (!(yaml = secret_path(r->rt_dir,
                           "output.openstack.credentials.clouds_yaml")) ||
      setenv("OS_CLIENT_CONFIG_FILE", yaml, 1) < 0 ||
      setenv("OS_CLOUD", cloud ? cloud : "", 1) < 0) {
    failure_set(f, "internal", "setenv: %s", strerror(errno));
    return -1;
  }
  runner_log(r, "OpenStack credentials: OS_CLIENT_CONFIG_FILE=%s OS_CLOUD=%s",
             yaml, cloud ? cloud : "");
  return 0;
}
