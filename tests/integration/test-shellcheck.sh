#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# uch-test: timeout=600
# Shellcheck passes over every shell script in the repository, at its
# default severity (style and up), with nothing to say.  A script is a
# *.sh file or a file whose #! line names sh, bash or dash; new files
# count before they are committed (repo_files).  What a script leaves
# unchecked it says on the line before, with the reason; the two checks
# off for all are in .shellcheckrc, with theirs.
source "$UCH_TOP/tests/lib/functions.sh"
require shellcheck

# *.sh files, and the others whose first line is a shell's #! (one awk
# reads them all).
mapfile -t files < <(repo_files)
mapfile -t scripts < <(cd "$UCH_TOP" && {
  printf '%s\n' "${files[@]}" | grep -E '\.(sh|bash)$'
  printf '%s\0' "${files[@]}" | grep -zvE '\.(sh|bash|json|field|pyc)$' |
    xargs -0 awk 'FNR == 1 && /^#!.*[\/ ](ba|da)?sh( |$)/ { print FILENAME } { nextfile }'
} | sort -u)
[ ${#scripts[@]} -ge 60 ] || die "only ${#scripts[@]} scripts found: ${scripts[*]}"
for must in tests/run build-aux/install-deps tests/lib/functions.sh \
            tests/integration/test-shellcheck.sh appliance/uch-tls-init; do
  grep -qx -- "$must" <<<"$(printf '%s\n' "${scripts[@]}")" || die "$must not found as a script"
done
pass "${#scripts[@]} scripts found"

# Every directive says why: "# shellcheck disable=SCnnnn # reason".
bare=$(cd "$UCH_TOP" && grep -nE '^[[:space:]]*# shellcheck disable=[A-Z0-9,]+[[:space:]]*$' \
  "${scripts[@]}") && die "shellcheck directives without a reason: $bare"
pass "every disable directive gives its reason"

# -x: a test is checked with the library it sources (tests/lib), as
# one program, so a variable or function the library gives it is known.
# In batches, two at a time: one shellcheck over all of them is one
# core for two minutes.
(cd "$UCH_TOP" && printf '%s\0' "${scripts[@]}" |
   xargs -0 -n 8 -P 2 shellcheck --external-sources --format=gcc) >"$T/sc.out" 2>&1 ||
  die "shellcheck: $(wc -l <"$T/sc.out") findings:
$(cat "$T/sc.out")"
pass "shellcheck: 0 findings in ${#scripts[@]} scripts"

# It does find things: a script with an unquoted expansion fails.
# shellcheck disable=SC2016 # the bad script's own $1
printf '#!/bin/bash\nrm $1\n' >"$T/bad.sh"
if (cd "$T" && shellcheck --format=gcc bad.sh) >"$T/bad.out" 2>&1; then
  die "shellcheck passed an unquoted \$1"
fi
grep -q SC2086 "$T/bad.out" || die "shellcheck: $(cat "$T/bad.out")"
pass "shellcheck flags an unquoted \$1 (SC2086)"
