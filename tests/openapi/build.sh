#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# build.sh: builds uch-openapi (main.go, the OpenAPI contract test's
# validator) offline from Debian's golang-go and
# golang-github-getkin-kin-openapi-dev, and prints the path of the
# binary.  Cached as ${UCH_CACHE:-$HOME/.cache/uch}/tools/openapi-HASH,
# HASH of this script, main.go and the two packages' versions; built
# into a temporary name and renamed, under a lock, so concurrent tests
# build it once (Go's build cache beside it, tools/go-build, keeps a
# rebuild short).  Exits 77 when the packages are missing (make deps).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
gopath=/usr/share/gocode
if ! command -v go >/dev/null || [ ! -d "$gopath/src/github.com/getkin/kin-openapi/openapi3filter" ]; then
  echo "build.sh: golang-go or golang-github-getkin-kin-openapi-dev is not installed (make deps)" >&2
  exit 77
fi
hash=$( { cat "$here/build.sh" "$here/main.go"
          dpkg-query -W golang-go golang-github-getkin-kin-openapi-dev; } | sha256sum | cut -c1-16)
tools=${UCH_CACHE:-$HOME/.cache/uch}/tools
bin=$tools/openapi-$hash
mkdir -p "$tools"
exec 9>"$tools/.openapi.lock"
flock 9
if [ ! -x "$bin" ]; then
  start=$(date +%s)
  work=$(mktemp -d "$tools/.openapi-build.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  # Debian's Go libraries live in GOPATH form: no modules, no network.
  (cd "$here" && env GOPATH="$gopath" GO111MODULE=off GOPROXY=off GOFLAGS= \
     GOCACHE="$tools/go-build" go build -trimpath -o "$work/openapi" .)
  mv "$work/openapi" "$bin"
  echo "build.sh: uch-openapi built in $(( $(date +%s) - start )) s" >&2
fi
echo "$bin"
