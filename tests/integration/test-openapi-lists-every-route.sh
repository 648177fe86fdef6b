#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# docs/openapi.yaml lists every route uchd has, and no route it lacks:
# the routes are read from the router's table (service/api/router.c),
# then each documented route is tried on a real uchd, which must know it.
source "$UCH_TOP/tests/lib/functions.sh"
require python3
require curl
python3 -c 'import yaml' 2>/dev/null || skip "python3-yaml not installed (make deps)"

# The router (service/api/router.c) is a table: each
#   static const struct path_routes NAME = { "ALLOW", { "M1", "M2" }, ... };
# gives a path's methods, and route_match()/job_path() map paths to NAME:
#   strcmp(path, "/v1/x") == 0 ... p = &NAME;       a fixed path
#   return &NAME; after !slash in job_path          /v1/jobs/{id}
#   strcmp(slash, "/sub") == 0 ... return &NAME;    /v1/jobs/{id}/sub
# Anything in the table this cannot place is an error, so a router
# written another way fails here instead of passing unread.
python3 - "$UCH_TOP" >"$T/routes" <<'PY'
import re, sys, glob
top = sys.argv[1]
src = "\n".join(open(f).read() for f in sorted(glob.glob(top + "/service/api/*.c")))
tables = dict()
for m in re.finditer(r'static\s+const\s+struct\s+path_routes\s+(\w+)\s*=\s*\{\s*"[^"]*"\s*,\s*\{([^}]*)\}', src):
    tables[m.group(1)] = re.findall(r'"([A-Z]+)"', m.group(2))
if not tables:
    sys.exit("no 'struct path_routes' table found in service/api/*.c")
paths = dict()
for m in re.finditer(r'strcmp\(path,\s*"([^"]+)"\)\s*==\s*0[^;]*?p\s*=\s*&(\w+)\s*;', src, re.S):
    for p in re.findall(r'strcmp\(path,\s*"([^"]+)"\)', m.group(0)):
        paths.setdefault(m.group(2), set()).add(p.rstrip("/") or "/")
jp = re.search(r'job_path\([^)]*\)\s*\{(.*?)\n\}', src, re.S)
if jp:
    body = jp.group(1)
    m = re.search(r'if\s*\(\s*!slash\s*\)\s*return\s*&(\w+)\s*;', body)
    if m:
        paths.setdefault(m.group(1), set()).add("/v1/jobs/{id}")
    for m in re.finditer(r'strcmp\(slash,\s*"(/[^"]+)"\)\s*==\s*0\s*\)\s*return\s*&(\w+)\s*;', body):
        paths.setdefault(m.group(2), set()).add("/v1/jobs/{id}" + m.group(1))
bad = [n for n in tables if n not in paths]
if bad:
    sys.exit("router tables with no path this test can find: %s "
             "(update tests/integration/test-openapi-lists-every-route.sh)" % ", ".join(bad))
for name, methods in tables.items():
    for p in sorted(paths[name]):
        for meth in methods:
            print(meth, p)
PY

python3 - "$UCH_TOP/docs/openapi.yaml" >"$T/documented" <<'PY'
import sys, yaml
spec = yaml.safe_load(open(sys.argv[1]))
assert str(spec.get("openapi", "")).startswith("3.0"), "not OpenAPI 3.0"
for path, item in spec["paths"].items():
    for meth in item:
        if meth in ("get", "put", "post", "delete", "patch", "head", "options"):
            if not item[meth].get("responses"):
                sys.exit("%s %s has no responses" % (meth.upper(), path))
            print(meth.upper(), path)
PY

sort -u "$T/routes" >"$T/routes.sorted"
sort -u "$T/documented" >"$T/documented.sorted"
echo "routes in the router:"; sed 's/^/  /' "$T/routes.sorted"
[ "$(wc -l <"$T/routes.sorted")" -ge 8 ] || die "only $(wc -l <"$T/routes.sorted") routes found in the router"
missing=$(comm -23 "$T/routes.sorted" "$T/documented.sorted")
extra=$(comm -13 "$T/routes.sorted" "$T/documented.sorted")
[ -z "$missing" ] || die "routes uchd has that docs/openapi.yaml lacks: $missing"
[ -z "$extra" ] || die "routes docs/openapi.yaml lists that uchd lacks: $extra"

# Where the OpenAPI validator is installed, the file must pass it too.
if python3 -c 'import openapi_spec_validator' 2>/dev/null; then
  python3 -c 'import sys, yaml, openapi_spec_validator as v; v.validate(yaml.safe_load(open(sys.argv[1])))' \
    "$UCH_TOP/docs/openapi.yaml" || die "docs/openapi.yaml is not valid OpenAPI"
fi

# And the running daemon knows every documented route: a route it lacks
# is 404 "no such resource" or 405.
uchd_start
echo '{}' >"$T/empty.json"
while read -r meth path; do
  p=${path//\{id\}/no-such-job}
  body=
  [ "$meth" = POST ] && body=$T/empty.json
  api "$meth" "$p" "$body" >"$T/resp" || true
  st=$(status)
  if [ "$st" = 405 ] || { [ "$st" = 404 ] && grep -q 'no such resource' "$T/resp"; }; then
    die "$meth $path is documented but uchd answers $st: $(cat "$T/resp")"
  fi
done <"$T/documented.sorted"
pass "$(wc -l <"$T/routes.sorted") routes, all in docs/openapi.yaml and served"
