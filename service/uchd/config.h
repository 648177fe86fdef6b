/* SPDX-License-Identifier: GPL-2.0-or-later */
/* uchd's settings: command-line flags and their config-file twins.
 * The command line wins over the file. */
#ifndef UCHD_CONFIG_H
#define UCHD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "uchd/confine.h"
#include "util/error.h"

struct uchd_config {
  char *config_file;
  char *state_dir;
  char *runtime_dir;
  char **listen;          /* HOST:PORT; empty after "none" */
  size_t n_listen;
  bool listen_none;
  char *unix_path;
  int max_jobs;           /* 0: not set */
  char *token_file;
  char *tls_cert;
  char *tls_key;
  char *volume_by_id_dir; /* where volumes' by-id names are (tests) */
  char *vddk_libdir;      /* VDDK's folder, for health; NULL: the default */
  /* the confinement policy's roots (source_root, ...), each repeatable;
   * defaults when a role has none (config_finish) */
  char **roots[CONFINE_ROLES];
  size_t n_roots[CONFINE_ROLES];
  /* stall_timeout: seconds a copy may go without progress, passed to
   * workers as UCH_STALL_TIMEOUT_S; 0: not set (the environment's, or
   * the worker's default, 120) */
  int stall_timeout_s;
  /* which keys the command line set, so the file cannot override them */
  unsigned cli_set;
};

enum config_action { CONFIG_RUN, CONFIG_EXIT_OK, CONFIG_EXIT_USAGE };

/* Parses flags (and the --config file they name), then fills defaults.
 * Errors go to `err` (message names the flag, or the file, line and key). */
enum config_action config_from_args(struct uchd_config *c, int argc,
                                    char **argv, struct uch_error *err);
/* One "key = value" setting from a file; line is for messages. */
int config_set(struct uchd_config *c, const char *key, const char *value,
               bool from_cli, struct uch_error *err);
int config_load_file(struct uchd_config *c, const char *path,
                     struct uch_error *err);
int config_finish(struct uchd_config *c, struct uch_error *err);
void config_free(struct uchd_config *c);

/* What config_finish() gives a role that names no root. */
#define DEFAULT_IMAGE_ROOT "/var/lib/uch/images"
#define DEFAULT_SECRET_ROOT "/var/lib/uch/secrets"
#define DEFAULT_VDDK_LIBDIR "/opt/vmware-vix-disklib-distrib"

/* 127.0.0.0/8, ::1, localhost (with or without [brackets]). */
bool listen_is_loopback(const char *host_port);
/* Splits HOST:PORT ("[::1]:80" too); returns -1 when malformed. */
/* min(cores, MemTotal / 2 GiB), at least 1. */
int default_max_jobs(void);

#endif
