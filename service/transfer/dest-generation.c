/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "transfer/dest-generation.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "util/jsonutil.h"

static char *marker_path(const char *job_dir, const struct stat *st,
                         bool make_dir)
{
  _cleanup_free_ char *dir = NULL;
  char *p;

  /* job_dir is STATE/jobs/ID */
  if (asprintf(&dir, "%s/../../destinations", job_dir) < 0)
    return NULL;
  if (make_dir && mkdir_p(dir, 0700) < 0)
    return NULL;
  if (S_ISBLK(st->st_mode)) {
    if (asprintf(&p, "%s/rdev-%llu.json", dir,
                 (unsigned long long)st->st_rdev) < 0)
      return NULL;
  } else if (asprintf(&p, "%s/dev-%llu-ino-%llu.json", dir,
                      (unsigned long long)st->st_dev,
                      (unsigned long long)st->st_ino) < 0)
    return NULL;
  return p;
}

int dest_generation_read(const char *job_dir, const struct stat *st,
                         char gen[DEST_GENERATION_LEN], char *job,
                         size_t job_len)
{
  _cleanup_free_ char *path = marker_path(job_dir, st, false);
  _cleanup_json_ json_object *o = path ? json_read_path(path) : NULL;
  const char *g = json_get_string(o, "generation");
  const char *j = json_get_string(o, "job");

  if (job && job_len)
    snprintf(job, job_len, "%s", j ? j : "?");
  if (!g || strlen(g) != DEST_GENERATION_LEN - 1)
    return -1;
  memcpy(gen, g, DEST_GENERATION_LEN);
  return 0;
}

int dest_generation_new(const char *job_dir, const struct stat *st,
                        const char *job_id, char gen[DEST_GENERATION_LEN])
{
  _cleanup_free_ char *path = marker_path(job_dir, st, true);
  _cleanup_json_ json_object *o = json_object_new_object();
  unsigned char rnd[16];

  if (!path || !o)
    return -1;
  if (getrandom(rnd, sizeof rnd, 0) != sizeof rnd)
    return -1;
  for (size_t i = 0; i < sizeof rnd; i++)
    snprintf(gen + 2 * i, 3, "%02x", rnd[i]);
  json_object_object_add(o, "job", json_object_new_string(job_id));
  json_object_object_add(o, "generation", json_object_new_string(gen));
  return json_write_path(path, o, 0600);
}
