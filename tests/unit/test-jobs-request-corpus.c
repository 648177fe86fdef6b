/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Every request in tests/requests/ through request_parse and
 * request_validate: good/ accepted, bad/NN-x.json rejected naming the
 * field in bad/NN-x.field.  See tests/requests/README for "@T@". */
#include <dirent.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "jobs/request.h"
#include "util/cleanup.h"
#include "util/fs.h"
#include "tap.h"

static char tmp[] = "/tmp/test-jobs-request-corpus.XXXXXX";

/* The body with every "@T@" replaced by the temp dir; *len updated. */
static char *subst(const char *s, size_t *len)
{
  size_t tl = strlen(tmp), n = *len, out_len = 0;
  char *out = malloc(n * (tl > 3 ? tl : 3) / 3 + n + 1);

  for (size_t i = 0; i < n;) {
    if (i + 3 <= n && memcmp(s + i, "@T@", 3) == 0) {
      memcpy(out + out_len, tmp, tl);
      out_len += tl;
      i += 3;
    }
    else
      out[out_len++] = s[i++];
  }
  out[out_len] = '\0';
  *len = out_len;
  return out;
}

static int run(const char *path, struct uch_error *err, size_t *nsecrets)
{
  _cleanup_free_ char *raw = NULL, *body = NULL;
  _cleanup_json_ json_object *req = NULL, *san = NULL;
  struct secrets s = { 0 };
  size_t len;
  int r;

  if (read_file(path, &raw, &len) < 0) {
    uch_error_set(err, "test", "", "cannot read %s", path);
    return -2;
  }
  body = subst(raw, &len);
  req = request_parse(body, len, err);
  if (!req)
    return -1;
  r = request_validate(req, &san, &s, err);
  *nsecrets = s.n;
  if (r == 0 && !san)
    r = -2;
  secrets_free(&s);
  return r;
}

static int cmp_names(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted *.json names in dir. */
static size_t list_json(const char *dir, char ***names)
{
  _cleanup_closedir_ DIR *d = opendir(dir);
  struct dirent *e;
  size_t n = 0;

  *names = NULL;
  if (!d)
    return 0;
  while ((e = readdir(d))) {
    size_t l = strlen(e->d_name);
    if (l > 5 && strcmp(e->d_name + l - 5, ".json") == 0) {
      *names = realloc(*names, (n + 1) * sizeof **names);
      (*names)[n++] = strdup(e->d_name);
    }
  }
  qsort(*names, n, sizeof **names, cmp_names);
  return n;
}

static void expected_field(const char *json_path, char *out, size_t size)
{
  _cleanup_free_ char *fpath = NULL, *data = NULL;
  size_t len;

  /* "x.json" -> "x.field" */
  if (asprintf(&fpath, "%.*s.field", (int)(strlen(json_path) - 5),
               json_path) < 0)
    exit(1);
  snprintf(out, size, "(no .field file)");
  if (read_file(fpath, &data, &len) < 0)
    return;
  data[strcspn(data, "\n")] = '\0';
  snprintf(out, size, "%s", data);
}

static void check_dir(const char *top, const char *sub, bool want_ok,
                      size_t min)
{
  _cleanup_free_ char *dir = NULL;
  char **names;
  size_t n;

  if (asprintf(&dir, "%s/tests/requests/%s", top, sub) < 0)
    exit(1);
  n = list_json(dir, &names);
  ok(n >= min, "%s: %zu requests (at least %zu)", sub, n, min);
  for (size_t i = 0; i < n; i++) {
    _cleanup_free_ char *path = NULL;
    struct uch_error err = { 0 };
    size_t nsecrets = 0;
    int r;

    if (asprintf(&path, "%s/%s", dir, names[i]) < 0)
      exit(1);
    r = run(path, &err, &nsecrets);
    if (want_ok) {
      ok(r == 0, "good/%s accepted", names[i]);
      if (r != 0)
        printf("#   %s\n", err.message);
    }
    else {
      char want[256];
      expected_field(path, want, sizeof want);
      ok(r == -1 && strcmp(err.code, "invalid_request") == 0 &&
         nsecrets == 0, "bad/%s rejected (%s)", names[i], err.message);
      is_str(err.field, want, "bad/%s names its field", names[i]);
    }
    free(names[i]);
  }
  free(names);
}

static void make_files(void)
{
  static const struct { const char *name, *data; int mode; } files[] = {
    { "disk.img", "not really a disk image\n", 0644 },
    { "password", "s3cret\n", 0600 },
    { "psk", "uch:00112233445566778899aabbccddeeff\n", 0600 },
    { "public", "not-a-secret\n", 0644 },
  };
  if (!mkdtemp(tmp))
    exit(1);
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    _cleanup_free_ char *p = NULL;
    if (asprintf(&p, "%s/%s", tmp, files[i].name) < 0 ||
        write_file_atomic(p, files[i].data, strlen(files[i].data),
                          files[i].mode) < 0)
      exit(1);
  }
}

int main(void)
{
  const char *top = getenv("UCH_TOP");

  make_files();
  check_dir(top ? top : ".", "good", true, 5);
  check_dir(top ? top : ".", "bad", false, 45);
  rm_rf(tmp);
  return tap_done();
}
