/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: any bytes through request_parse and request_validate
 * must give an object or an error, never a crash, leak or undefined
 * behaviour.  Nothing is written: secrets_store is not called. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jobs/request.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct uch_error err = { 0 };
  struct secrets secrets = { 0 };
  json_object *req, *sanitized = NULL;

  req = request_parse((const char *)data, size, &err);
  if (!req) {
    if (strcmp(err.code, "invalid_request") != 0)
      abort();
    return 0;
  }
  if (request_validate(req, &sanitized, &secrets, &err) == 0) {
    if (!sanitized)
      abort();
    for (size_t i = 0; i < secrets.n; i++) {
      char *path = secret_path("/nonexistent/job", secrets.v[i].field);
      /* A field never turns into a path outside secrets/. */
      if (!path || strstr(path + strlen("/nonexistent/job/secrets/"), "/"))
        abort();
      free(path);
    }
    json_object_put(sanitized);
  }
  else if (sanitized || strcmp(err.code, "invalid_request") != 0)
    abort();
  secrets_free(&secrets);
  json_object_put(req);
  return 0;
}
