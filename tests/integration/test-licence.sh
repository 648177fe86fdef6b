#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# UCH is GPL-2.0-or-later: COPYING holds the GPL version 2 text, the
# spec and galaxy.yml say so, and every source file says so in an SPDX
# line in its first five lines.  Data files that cannot hold a comment
# (JSON, the request fixtures' expected fields, VERSION) or that are
# shown verbatim to users (the appliance's motd) are exempt.
source "$UCH_TOP/tests/lib/functions.sh"

spdx='SPDX-License-Identifier: GPL-2.0-or-later'

[ -s "$UCH_TOP/COPYING" ] || die "no COPYING"
head -3 "$UCH_TOP/COPYING" | grep -q 'GNU GENERAL PUBLIC LICENSE' &&
  head -3 "$UCH_TOP/COPYING" | grep -q 'Version 2, June 1991' ||
  die "COPYING is not the GPL version 2: $(head -3 "$UCH_TOP/COPYING")"
if [ -r /usr/share/common-licenses/GPL-2 ]; then
  cmp -s "$UCH_TOP/COPYING" /usr/share/common-licenses/GPL-2 ||
    die "COPYING differs from /usr/share/common-licenses/GPL-2"
fi
pass "COPYING is the GPL version 2"

grep -qx 'License:[[:space:]]*GPL-2.0-or-later' "$UCH_TOP/rpm/uch.spec" ||
  die "rpm/uch.spec License: is not GPL-2.0-or-later"
grep -qx -- '  - GPL-2.0-or-later' \
  "$UCH_TOP/ansible/ansible_collections/uch/appliance/galaxy.yml" ||
  die "galaxy.yml license is not GPL-2.0-or-later"
pass "rpm/uch.spec and galaxy.yml: GPL-2.0-or-later"

# needs_spdx FILE: 0 when FILE is a source file.
needs_spdx() {
  case $1 in
    COPYING|VERSION|appliance/motd) return 1 ;;
    *.json|tests/requests/*.field) return 1 ;;
    *.png|*.pyc) return 1 ;;
  esac
}

files=()
while IFS= read -r f; do
  needs_spdx "$f" && files+=("$f")
done < <(repo_files)
n=${#files[@]}
# The files whose first five lines lack the line (one awk for them all).
mapfile -t missing < <(cd "$UCH_TOP" && awk -v s="$spdx" '
  FNR == 1 { if (NR > 1 && !ok) print prev; ok = 0; prev = FILENAME }
  FNR <= 5 && index($0, s) { ok = 1 }
  END { if (NR > 0 && !ok) print prev }' "${files[@]}")
[ "$n" -gt 100 ] || die "only $n source files found under $UCH_TOP"
[ ${#missing[@]} -eq 0 ] ||
  die "no '$spdx' in the first 5 lines of: ${missing[*]}"
pass "$n source files carry '$spdx'"
