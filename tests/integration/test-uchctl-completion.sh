#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# uchctl's bash completion (service/ctl/uchctl.bash), as bash runs it:
# commands, each command's options and their values, job ids from a
# real uchd (through the --socket on the line), files; it knows every
# command and flag `uchctl --help` lists; make install puts it where
# bash-completion looks.
source "$UCH_TOP/tests/lib/functions.sh"

# complete WORD...: what TAB offers after the words (the last one is the
# word being completed, "" for a new one), one a line, sorted.
complete_line() {
  bash -c '
    source "$1"; shift
    COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 ))
    _uchctl
    printf "%s\n" "${COMPREPLY[@]}" | sort' _ "$UCH_TOP/service/ctl/uchctl.bash" "$@"
}
expect() { # expect WANT WORD...
  local want=$1 got; shift
  got=$(complete_line "$@" | tr '\n' ' ' | sed 's/ $//')
  [ "$got" = "$want" ] || die "completing '$*': got '$got', want '$want'"
}

expect "show submit support-bundle sync" uchctl s
expect "cancel check cutover" uchctl c
expect "--socket --state" uchctl list --s
expect "--socket --state-dir" uchctl support-bundle --s
expect "--timeout" uchctl wait --ti
expect "--follow" uchctl logs x --f
expect "--output" uchctl support-bundle --o
expect "running" uchctl list --state r
expect "bandwidth" uchctl help ba
expect "" uchctl health ""
pass "commands, their options, --state's values"

mkdir -p "$T/files/sub"; : >"$T/files/job1.json"
expect "$T/files/job1.json" uchctl submit "$T/files/j"
expect "$T/files/sub" uchctl support-bundle --state-dir "$T/files/s"
expect "$T/files/job1.json" uchctl --json support-bundle -o "$T/files/jo"
pass "files and folders where an option or command takes one"

# Every command and flag of --help can be completed.
help=$(uchctl --help)
cmds=$(sed -n '/^Commands:/,/^$/p' <<<"$help" | awk 'NF && !/^Commands:/ && /^  [a-z]/ { print $1 }' | sort)
[ "$(wc -l <<<"$cmds")" -ge 14 ] || die "only these commands in --help: $cmds"
[ "$cmds" = "$(complete_line uchctl "" | grep -vx help)" ] ||
  die "commands of --help: $(tr '\n' ' ' <<<"$cmds"); completed: $(complete_line uchctl "" | tr '\n' ' ')"
while read -r flag; do
  found=no
  for cmd in "" list wait logs sync check support-bundle; do
    complete_line uchctl $cmd -- | grep -qx -- "$flag" && { found=yes; break; }
  done
  [ $found = yes ] || die "no command completes $flag"
done < <(grep -o -e '--[a-z][a-z-]*' <<<"$help" | sort -u)
pass "every command and flag of uchctl --help completes"

# Job ids from the uchd named on the line.
uchd_start
make_sparse_image "$T/disk.img" $((4 * 1024 * 1024)) 1
for id in alpha1 alpha2 beta1; do
  printf '{"type":"copy","id":"%s","disks":[{"source":{"path":"%s"},"destination":{"path":"%s"}}]}\n' \
    "$id" "$T/disk.img" "$T/$id.img" >"$T/$id.json"
  uchctl --socket "$UCH_SOCK" submit "$T/$id.json" >/dev/null || die "submit $id"
done
expect "alpha1 alpha2" uchctl --socket "$UCH_SOCK" show al
expect "beta1" uchctl --socket "$UCH_SOCK" bandwidth b
expect "" uchctl --socket "$UCH_SOCK" bandwidth beta1 ""
expect "alpha1 alpha2 beta1" uchctl wait alpha1 --socket "$UCH_SOCK" ""
UCH_SOCKET=$UCH_SOCK expect "alpha1 alpha2" uchctl logs al
pass "job ids from uchd, by --socket or UCH_SOCKET"

make -s -C "$UCH_TOP" install DESTDIR="$T/inst" PREFIX=/usr >/dev/null ||
  die "make install failed"
cmp "$T/inst/usr/share/bash-completion/completions/uchctl" \
  "$UCH_TOP/service/ctl/uchctl.bash" || die "make install left out the completion"
pass "make install puts it in share/bash-completion/completions"
