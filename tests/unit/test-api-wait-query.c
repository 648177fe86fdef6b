/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The long poll's query (api/wait-query.c): wait_s and until parsed,
 * bad values named, and which job documents end a wait. */
#include <string.h>

#include "api/wait-query.h"
#include "tap.h"

static int parse(const char *w, const char *u, struct wait_query *q,
                 const char **field)
{
  char msg[256];
  *field = NULL;
  return wait_query_parse(w, u, q, field, msg, sizeof msg);
}

static json_object *doc(const char *state, const char *phase)
{
  json_object *o = json_object_new_object();
  json_object_object_add(o, "state", json_object_new_string(state));
  json_object_object_add(o, "phase", json_object_new_string(phase));
  return o;
}

int main(void)
{
  struct wait_query q;
  const char *field;
  char msg[256];

  ok(parse(NULL, NULL, &q, &field) == 0 && q.wait_s == 0,
     "no query: no wait");
  ok(parse("30", NULL, &q, &field) == 0 && q.wait_s == 30 &&
     q.until == WAIT_UNTIL_FINAL, "wait_s=30: until final by default");
  ok(parse("0", "served", &q, &field) == 0 && q.wait_s == 0 &&
     q.until == WAIT_UNTIL_SERVED, "wait_s=0&until=served");
  ok(parse("60", "final", &q, &field) == 0 && q.wait_s == WAIT_S_MAX,
     "wait_s=60 is the most");
  const char *bad[] = { "61", "-1", "", "1.5", "abc", "5s", "0061",
                        "99999999999999999999", " 5" };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    ok(parse(bad[i], NULL, &q, &field) == -1 && field &&
       strcmp(field, "wait_s") == 0, "wait_s='%s': wait_s named", bad[i]);
  ok(parse("5", "soon", &q, &field) == -1 && strcmp(field, "until") == 0,
     "until=soon: until named");
  ok(parse(NULL, "final", &q, &field) == -1 && strcmp(field, "until") == 0,
     "until without wait_s: until named");
  wait_query_parse("61", NULL, &q, &field, msg, sizeof msg);
  ok(strstr(msg, "wait_s: '61'") && strstr(msg, "0 to 60"),
     "the message names the value and the range: %s", msg);

  json_object *running = doc("running", "copying");
  json_object *serving = doc("running", "serving");
  json_object *idle = doc("running", "idle");
  json_object *done = doc("succeeded", "succeeded");
  json_object *failed = doc("failed", "failed");
  ok(!wait_query_done(running, WAIT_UNTIL_FINAL) &&
     !wait_query_done(running, WAIT_UNTIL_SERVED), "copying: not done");
  ok(!wait_query_done(serving, WAIT_UNTIL_FINAL) &&
     wait_query_done(serving, WAIT_UNTIL_SERVED),
     "serving: served, not final");
  ok(wait_query_done(idle, WAIT_UNTIL_SERVED), "idle: served");
  ok(wait_query_done(done, WAIT_UNTIL_FINAL) &&
     wait_query_done(done, WAIT_UNTIL_SERVED), "succeeded: both");
  ok(wait_query_done(failed, WAIT_UNTIL_SERVED), "failed: served too (final)");
  json_object_put(running);
  json_object_put(serving);
  json_object_put(idle);
  json_object_put(done);
  json_object_put(failed);
  return tap_done();
}
