#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# build.sh: builds uch-openapi (main.go, the OpenAPI contract test's
# validator and linter) from Debian's golang-github-getkin-kin-openapi-dev,
# and prints the path of the binary, cached as tests/lib/go-tool.sh says.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/lib/go-tool.sh
source "$here/../lib/go-tool.sh"
go_tool_build openapi "$here" golang-github-getkin-kin-openapi-dev \
  github.com/getkin/kin-openapi/openapi3filter
