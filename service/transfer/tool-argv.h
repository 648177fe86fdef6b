/* Every external command line of a data-moving job, each built by one
 * function so tests can compare it as a string.  Secrets are passed as
 * files only ("password=+FILE", "--tls-psk=FILE"). */
#ifndef UCH_TOOL_ARGV_H
#define UCH_TOOL_ARGV_H

#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>

#include "argv.h"

/* nbdkit serving SOURCE read-only on a Unix socket:
 *   nbdkit --exit-with-parent -r -f -U SOCK -P PIDFILE PLUGIN key=value...
 * SOURCE is {"path": P} (file plugin) or {"nbdkit": {...}}; JSON keys
 * become nbdkit parameters (known_hosts -> known-hosts); a password is
 * "password=+PASSWORD_FILE".  Returns -1 on a source it cannot express. */
int nbdkit_source_argv(struct argv *a, json_object *source, const char *sock,
                       const char *pidfile, const char *password_file);

/* nbdkit --dump-config (where its plugins are) */
int nbdkit_dump_config_argv(struct argv *a);

/* nbdkit serving the files of EXPORT_DIR read-only, one export each. */
struct export_listen {
  const char *unix_sock;     /* set for a Unix socket ... */
  const char *addr;          /* ... or addr + port + psk_file for TCP */
  const char *port;
  const char *psk_file;
  bool exit_after_last_client;
};
int nbdkit_export_argv(struct argv *a, const struct export_listen *l,
                       const char *pidfile, const char *export_dir);

/* qemu-img create -f qcow2 PATH SIZE */
int qemu_img_create_argv(struct argv *a, const char *path, uint64_t size);
/* qemu-nbd serving a qcow2 destination on a Unix socket until stopped. */
int qemu_nbd_argv(struct argv *a, const char *path, const char *sock,
                  const char *pidfile);
/* nbdcopy --flush --progress=FD [--destination-is-zero] SRC DST */
int nbdcopy_argv(struct argv *a, int progress_fd, bool destination_is_zero,
                 const char *src, const char *dst);

#endif
