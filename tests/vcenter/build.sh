#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# build.sh: builds uch-vcsim (main.go and cbt.go, the tests' vCenter) from
# Debian's golang-github-vmware-govmomi-dev, and prints the path of the
# binary, cached as tests/lib/go-tool.sh says.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/lib/go-tool.sh
source "$here/../lib/go-tool.sh"
go_tool_build vcsim "$here" golang-github-vmware-govmomi-dev \
  github.com/vmware/govmomi/simulator
