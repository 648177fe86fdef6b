#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# kickstart/uch.ks is well formed: every %section is closed by %end before
# the next opens, every %post/%pre body passes bash -n, %packages is
# exactly kickstart/packages.txt, and the units it enables are ours or
# CentOS's.  (pykickstart's ksvalidator is not packaged for Debian.)
source "$UCH_TOP/tests/lib/functions.sh"
require python3
ks=$UCH_TOP/kickstart/uch.ks
list=$UCH_TOP/kickstart/packages.txt

cat >"$T/sections.py" <<'PY'
import re, sys
ks, out = sys.argv[1], sys.argv[2]
section, body, n = None, [], 0
known = {"%packages", "%post", "%pre", "%pre-install", "%onerror", "%addon"}
for lineno, line in enumerate(open(ks), 1):
    word = line.split()[0] if line.split() else ""
    if word.startswith("%") and word != "%end":
        if word not in known:
            sys.exit(f"line {lineno}: unknown section {word}")
        if section:
            sys.exit(f"line {lineno}: {word} opens inside {section} (no %end)")
        section, body, args = word, [], line.split()[1:]
        if section in ("%post", "%pre", "%pre-install", "%onerror"):
            interp = [a for a in args if a.startswith("--interpreter")]
            if interp and "bash" not in interp[0]:
                sys.exit(f"line {lineno}: {word} not bash: {interp}")
    elif word == "%end":
        if not section:
            sys.exit(f"line {lineno}: %end with no section open")
        n += 1
        open(f"{out}/section-{n}{section}", "w").write("".join(body))
        section = None
    elif section:
        body.append(line)
if section:
    sys.exit(f"{section} never closed by %end")
PY
# The checker itself must catch a section left open.
sed '0,/^%end$/{/^%end$/d}' "$ks" >"$T/broken.ks"
mkdir -p "$T/broken"
python3 "$T/sections.py" "$T/broken.ks" "$T/broken" 2>/dev/null &&
  die "a kickstart with a %end removed passed the check"
python3 "$T/sections.py" "$ks" "$T" || die "kickstart sections"
pass "every section closed by %end"

scripts=0
for s in "$T"/section-*%post "$T"/section-*%pre; do
  [ -e "$s" ] || continue
  bash -n "$s" 2>"$T/bash-n.err" || die "bash -n ${s##*/}: $(cat "$T/bash-n.err")"
  scripts=$((scripts + 1))
done
[ "$scripts" -ge 1 ] || die "no %post script found"
pass "bash -n accepts all $scripts scripts"

pk=$(ls "$T"/section-*%packages)
diff <(grep -v '^#' "$list" | grep .) <(grep . "$pk") >"$T/pk.diff" ||
  die "%packages differs from packages.txt: $(cat "$T/pk.diff")"
pass "%packages is packages.txt"

grep -q '^bootloader .*console=ttyS0' "$ks" || die "no serial console"
grep -q '^services .*--enabled=.*uchd' "$ks" || die "uchd not enabled"
for u in $(sed -n 's/^services .*--enabled=\([^ ]*\).*/\1/p' "$ks" | tr , ' '); do
  case $u in
    uchd|uch-tls) [ -e "$UCH_TOP/appliance/$u.service" ] ||
                    die "services enables $u, not in appliance/" ;;
  esac
done
pass "serial console; uchd and uch-tls enabled, both in appliance/"


grep -qx 'firewall --enabled --service=ssh' "$ks" ||
  die "firewall: $(grep '^firewall' "$ks") (want SSH only)"
grep -q '^selinux --enforcing' "$ks" || die "SELinux not enforcing"
grep -q '^rootpw --lock' "$ks" || die "root not locked"
pass "firewall allows SSH only; SELinux enforcing; root locked"
