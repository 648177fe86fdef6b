/* What this host can do, found once at start by running the tools. */
#ifndef UCHD_PROBE_H
#define UCHD_PROBE_H

#include <json-c/json.h>

#include "argv.h"

/* TOOL --version */
int probe_version_argv(struct argv *a, const char *tool);
/* nbdkit --dump-config */
int probe_nbdkit_config_argv(struct argv *a);
/* The first word of `text`'s first line that starts with a digit. */
char *probe_version_of(const char *text);
/* {"nbdkit":{"version","plugins":[…],"filters":[…]}, "nbdcopy":{…}, …,
 *  "kvm": bool, "vddk": bool}; tools not found are null. */
json_object *probe_capabilities(void);

#endif
