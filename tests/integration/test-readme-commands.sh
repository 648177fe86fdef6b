#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The README's "CLI in short" works as written, from a fresh copy of the
# tree (no var/, no /run/uch): `make run` in one shell, then every
# command of the section's code blocks in another, as one script with
# set -e (man with MANPAGER=cat).  In a network namespace of its own,
# so make run's fixed 127.0.0.1:10808 meets no other uchd.
source "$UCH_TOP/tests/lib/functions.sh"
require unshare
require man
require jq
[ "$(id -u)" = 0 ] || skip "needs root for a network namespace"

# A fresh tree: the repository's files, and the programs already built
# (times kept, so make run finds them up to date and builds nothing).
tree=$T/uch
mkdir "$tree"
(cd "$UCH_TOP" && repo_files | grep -v '^var/' | cpio -pdm --quiet "$tree") ||
  die "copying the tree"
mkdir "$tree/build"
(cd "$UCH_BUILD" && cp -a uchd uch-job uch-inspect uchctl man obj ./*.a "$tree/build/")
[ ! -e "$tree/var" ] || die "the copy has a var/"

# The section's code blocks, as the script a reader types.
awk '/^## The CLI in short/ { on = 1; next } /^## / { on = 0 }
     on && /^    / { print substr($0, 5) }' "$UCH_TOP/README.md" >"$T/readme.sh"
grep -q '^uchctl health$' "$T/readme.sh" && grep -q '^uchctl wait "[$]id"' "$T/readme.sh" ||
  die "the README's blocks changed: $(cat "$T/readme.sh")"
echo "--- the README's commands:"; cat "$T/readme.sh"

cat >"$T/run.sh" <<'SH'
set -euo pipefail
tree=$1 T=$2
ip link set lo up
cd "$tree"
setsid make run >"$T/make-run.log" 2>&1 &
pid=$!
trap 'kill -- -$pid 2>/dev/null; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 300); do
  [ -S var/run/uchd.sock ] && break
  kill -0 $pid 2>/dev/null || { cat "$T/make-run.log"; exit 1; }
  sleep 0.1
done
[ -S var/run/uchd.sock ] || { echo "make run: no socket"; cat "$T/make-run.log"; exit 1; }
# a second shell: the reader's environment, not the test's
env -i HOME="$T" TERM=dumb MANPAGER=cat PAGER=cat \
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  bash -euo pipefail "$T/readme.sh" >"$T/readme.out" 2>&1
SH
unshare --net bash "$T/run.sh" "$tree" "$T" ||
  die "the README's commands failed:
$(tail -30 "$T/readme.out" 2>/dev/null)
--- make run:
$(tail -20 "$T/make-run.log")"

grep -q '^status: ok$' "$T/readme.out" || die "no health: $(cat "$T/readme.out")"
grep -Eq '^ID +TYPE +STATE' "$T/readme.out" || die "no list"
grep -q '^State: *succeeded$' "$T/readme.out" || die "the copy did not succeed: $(cat "$T/readme.out")"
grep -q ': deleted$' "$T/readme.out" || die "no delete"
grep -Eq '^PATH +SIZE' "$T/readme.out" || die "no volumes"
grep -q '^Usage: uchctl wait' "$T/readme.out" || die "no help wait"
grep -q 'uchctl - command line client of the UCH daemon' "$T/readme.out" ||
  die "man build/man/uchctl.1 showed no page: $(tail -5 "$T/readme.out")"
qemu-img compare -f raw -F qcow2 "$tree/var/images/disk.img" "$tree/var/images/copy.qcow2" >/dev/null ||
  die "the copy differs"
pass "make run, then the README's uchctl commands, from a fresh tree: health, submit, wait, show, logs, delete, volumes, help, man"
