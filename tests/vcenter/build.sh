#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# build.sh: builds uch-vcsim (main.go, the tests' vCenter) offline from
# Debian's golang-go and golang-github-vmware-govmomi-dev, and prints the
# path of the binary.  Cached as
# ${UCH_CACHE:-$HOME/.cache/uch}/tools/vcsim-HASH, HASH of this script,
# the .go files and the two packages' versions; built into a temporary name
# and renamed, under a lock, so concurrent tests build it once (Go's
# build cache beside it, tools/go-build, keeps a rebuild short).  Exits
# 77 when the packages are missing (make deps).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
gopath=/usr/share/gocode
if ! command -v go >/dev/null || [ ! -d "$gopath/src/github.com/vmware/govmomi/simulator" ]; then
  echo "build.sh: golang-go or golang-github-vmware-govmomi-dev is not installed (make deps)" >&2
  exit 77
fi
hash=$( { cat "$here/build.sh" "$here"/*.go
          dpkg-query -W golang-go golang-github-vmware-govmomi-dev; } | sha256sum | cut -c1-16)
tools=${UCH_CACHE:-$HOME/.cache/uch}/tools
bin=$tools/vcsim-$hash
mkdir -p "$tools"
exec 9>"$tools/.vcsim.lock"
flock 9
if [ ! -x "$bin" ]; then
  start=$(date +%s)
  work=$(mktemp -d "$tools/.vcsim-build.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  # Debian's Go libraries live in GOPATH form: no modules, no network.
  (cd "$here" && env GOPATH="$gopath" GO111MODULE=off GOPROXY=off GOFLAGS= \
     GOCACHE="$tools/go-build" go build -trimpath -o "$work/vcsim" .)
  mv "$work/vcsim" "$bin"
  echo "build.sh: uch-vcsim built in $(( $(date +%s) - start )) s" >&2
fi
echo "$bin"
