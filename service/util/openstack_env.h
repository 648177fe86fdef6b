/* SPDX-License-Identifier: GPL-2.0-or-later */
/* An OpenStack credentials file in openrc form (what `openstack` users
 * source): lines "[export ] OS_NAME=VALUE", VALUE bare or quoted, blank
 * lines and # comments.  Read by the validator (every line must be one
 * of those) and by the worker, which puts the variables into virt-v2v's
 * environment: a password there is never on a command line. */
#ifndef UCH_OPENSTACK_ENV_H
#define UCH_OPENSTACK_ENV_H

#include <stddef.h>

/* Calls SET for each variable of TEXT (LEN bytes), in order.  Returns
 * 0, or the 1-based number of the first line that is not one of the
 * above (nothing of it is ever printed: it may hold a password), or
 * -1 when out of memory. */
int openstack_env_parse(const char *text, size_t len,
                        int (*set)(const char *name, const char *value,
                                   void *opaque),
                        void *opaque);

#endif
