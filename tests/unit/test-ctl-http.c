/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Where uchctl looks for uchd and its token: option, then environment,
 * then the default. */
#include <stdlib.h>

#include "ctl/ctl_args.h"
#include "ctl/ctl_http.h"
#include "tap.h"

int main(void)
{
  struct ctl_options o = { .timeout = -1 };
  int required;

  unsetenv("UCH_SOCKET");
  unsetenv("UCH_TOKEN_FILE");
  is_str(ctl_socket_path(&o), CTL_DEFAULT_SOCKET, "default socket");
  setenv("UCH_SOCKET", "/env.sock", 1);
  is_str(ctl_socket_path(&o), "/env.sock", "$UCH_SOCKET");
  o.socket_path = "/opt.sock";
  is_str(ctl_socket_path(&o), "/opt.sock", "--socket wins");
  setenv("UCH_SOCKET", "", 1);
  o.socket_path = NULL;
  is_str(ctl_socket_path(&o), CTL_DEFAULT_SOCKET, "empty $UCH_SOCKET");

  setenv("UCH_TOKEN_FILE", "/env-token", 1);
  is_str(ctl_token_file(&o, &required), "/env-token", "$UCH_TOKEN_FILE");
  ok(required, "a named token file is required");
  o.token_file = "/opt-token";
  is_str(ctl_token_file(&o, &required), "/opt-token", "--token-file wins");
  ok(required, "still required");
  o.token_file = NULL;
  unsetenv("UCH_TOKEN_FILE");
  const char *def = ctl_token_file(&o, &required);
  ok(!required, "the default is optional");
  ok(def == NULL || strcmp(def, CTL_DEFAULT_TOKEN_FILE) == 0,
     "the default, only when readable");
  return tap_done();
}
