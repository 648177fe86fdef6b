/* SPDX-License-Identifier: GPL-2.0-or-later */
/* argv_join quotes what a shell would need quoted, so logged command
 * lines can be pasted back into a shell. */
#include "util/argv.h"
#include "util/cleanup.h"
#include "tap.h"

int main(void)
{
  _cleanup_argv_ struct argv a = { 0 };
  _cleanup_free_ char *s = NULL;

  argv_add(&a, "nbdkit");
  argv_add(&a, "--exit-with-parent");
  argv_addf(&a, "file=%s", "/tmp/a b");
  argv_add(&a, "it's");
  argv_add(&a, "");
  is_int(a.n, 5, "five arguments");
  ok(a.v[5] == NULL, "NULL-terminated");
  s = argv_join(&a);
  is_str(s, "nbdkit --exit-with-parent 'file=/tmp/a b' 'it'\\''s' ''",
         "joined and quoted");
  return tap_done();
}
