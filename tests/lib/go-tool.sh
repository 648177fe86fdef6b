# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
# go-tool.sh: go_tool_build, for a tests/*/build.sh that builds one of
# the tests' Go tools (tests/vcenter, tests/openapi) offline from Debian's
# golang-go and Debian's Go libraries, and prints the binary's path.
#
#   go_tool_build NAME DIR LIBRARY-PACKAGE LIBRARY-DIR
#
# The binary is cached as ${UCH_CACHE:-$HOME/.cache/uch}/tools/NAME-HASH,
# HASH of DIR's build.sh and .go files, this file and the versions of
# golang-go and LIBRARY-PACKAGE; built into a temporary name and renamed,
# under a lock, so concurrent tests build it once (Go's build cache
# beside it, tools/go-build, keeps a rebuild short).  Exits 77 when
# golang-go or LIBRARY-DIR (below GOPATH) is missing (make deps).

go_tool_build() {
  local name=$1 dir=$2 package=$3 libdir=$4
  local gopath=/usr/share/gocode tools hash bin start work
  if ! command -v go >/dev/null || [ ! -d "$gopath/src/$libdir" ]; then
    echo "build.sh: golang-go or $package is not installed (make deps)" >&2
    exit 77
  fi
  hash=$( { cat "$dir/build.sh" "$dir"/*.go "${BASH_SOURCE[0]}"
            dpkg-query -W golang-go "$package"; } | sha256sum | cut -c1-16)
  tools=${UCH_CACHE:-$HOME/.cache/uch}/tools
  bin=$tools/$name-$hash
  mkdir -p "$tools"
  exec 9>"$tools/.$name.lock"
  flock 9
  if [ ! -x "$bin" ]; then
    start=$(date +%s)
    work=$(mktemp -d "$tools/.$name-build.XXXXXX")
    # Debian's Go libraries live in GOPATH form: no modules, no network.
    if ! (cd "$dir" && env GOPATH="$gopath" GO111MODULE=off GOPROXY=off \
            GOFLAGS= GOCACHE="$tools/go-build" go build -trimpath \
            -o "$work/$name" .); then
      rm -rf "$work"
      exit 1
    fi
    mv "$work/$name" "$bin"
    rm -rf "$work"
    echo "build.sh: uch-$name built in $(( $(date +%s) - start )) s" >&2
  fi
  exec 9>&-
  echo "$bin"
}
