#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Every man page passes podchecker without warnings, and documents every
# --flag its program's --help lists (so the two cannot drift apart).
source "$UCH_TOP/tests/lib/functions.sh"
require podchecker

for pod in "$UCH_TOP"/docs/man/*.pod; do
  out=$(podchecker -warnings "$pod" 2>&1) || die "podchecker $pod: $out"
  if grep -q -e WARNING -e ERROR <<<"$out"; then
    die "podchecker $pod: $out"
  fi
done
pass "podchecker: every page"

for prog in uchd:8 uch-job:8 uchctl:1; do
  name=${prog%:*} section=${prog#*:}
  pod=$UCH_TOP/docs/man/$name.$section.pod
  [ -f "$pod" ] || die "no man page $pod"
  [ -x "$UCH_BUILD/$name" ] || die "$UCH_BUILD/$name not built"
  help=$("$UCH_BUILD/$name" --help) || die "$name --help failed"
  flags=$(grep -o -e '--[a-z][a-z-]*' <<<"$help" | sort -u)
  [ -n "$flags" ] || die "$name --help lists no flags"
  for flag in $flags; do
    grep -q -e "B<$flag>" "$pod" || die "$name.$section.pod does not document $flag"
  done
  for s in NAME SYNOPSIS DESCRIPTION OPTIONS FILES ENVIRONMENT \
           'EXIT STATUS' EXAMPLES 'SEE ALSO'; do
    grep -q "^=head1 $s\$" "$pod" || die "$name.$section.pod has no $s section"
  done
  pass "$name.$section documents $(wc -w <<<"$flags") flags of --help"
done
