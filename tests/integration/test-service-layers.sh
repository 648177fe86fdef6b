#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The rooms of service/ form layers (docs/internals.md, "Rooms"): a file
# includes headers of its own room or of rooms in lower layers only,
# always by path ("runner/children.h"; the build has one -Iservice), and
# no room is named like a system header folder, so nothing of ours can
# stand in for a header of the C library.  Checked on the tree, then on
# copies of it with one wrong include each, which must fail.
source "$UCH_TOP/tests/lib/functions.sh"

# Lowest first; a room may include the rooms of the lines above its own.
LAYERS=(
  "util"
  "volumes firewall check"
  "jobs"
  "runner uchd ctl"
  "transfer api"
  "convert server"
  "sync guestfs"
  "worker"
)

# check_tree DIR: prints each include that breaks a rule; fails if any.
# One awk over every file (a process per include is minutes on a busy
# machine).
check_tree() {
  local top=$1 i room bad=0
  local -a table=()
  for i in "${!LAYERS[@]}"; do
    for room in ${LAYERS[$i]}; do table+=("$room=$i"); done
  done
  for f in "$top"/*; do
    room=${f##*/}
    if [ ! -d "$f" ]; then
      echo "$room: a file outside any room"; bad=1
    elif [ -e "/usr/include/$room" ]; then
      echo "$room/: named like /usr/include/$room"; bad=1
    fi
  done
  (cd "$top" && find . -mindepth 2 -maxdepth 2 -name '*.h' | sed 's|^\./||') \
    >"$T/headers"
  (cd "$top" && awk -v table="${table[*]}" -v rooms="$(echo */)" '
    BEGIN {
      n = split(table, t, " ")
      for (i = 1; i <= n; i++) { split(t[i], kv, "="); layer[kv[1]] = kv[2] }
      n = split(rooms, r, " ")
      for (i = 1; i <= n; i++) {
        sub(/\/$/, "", r[i])
        if (!(r[i] in layer)) {
          print r[i] "/: a room in no layer (add it to LAYERS and internals.md)"
          bad = 1
        }
      }
    }
    FILENAME ~ /headers$/ { have[$0] = 1; next }
    /^[ \t]*#[ \t]*include[ \t]*"/ {
      inc = $0; sub(/^[^"]*"/, "", inc); sub(/".*/, "", inc)
      f = FILENAME; sub(/^\.\//, "", f); room = f; sub(/\/.*/, "", room)
      if (inc !~ /\//) { print f ": #include \"" inc "\" names no room"; bad = 1; next }
      if (!(inc in have)) { print f ": #include \"" inc "\": no such header"; bad = 1; next }
      to = inc; sub(/\/.*/, "", to)
      if (to == room) next
      if (!(room in layer) || !(to in layer) || layer[to] >= layer[room]) {
        print f ": #include \"" inc "\" goes up or across a layer (" room " -> " to ")"
        bad = 1
      }
    }
    END { exit bad }
  ' "$T/headers" ./*/*.[ch]) || bad=1
  return "$bad"
}

check_tree "$UCH_TOP/service" || die "service/ breaks its layers"
pass "service/ keeps its layers"

# The check itself: each of these must be caught.
try_bad() {
  local what=$1 file=$2 text=$3
  rm -rf "$T/tree"
  cp -r "$UCH_TOP/service" "$T/tree"
  printf '%s\n' "$text" >>"$T/tree/$file"
  if check_tree "$T/tree" >"$T/out"; then
    die "not caught: $what"
  fi
  grep -q . "$T/out" || die "caught without a word: $what"
  pass "caught: $what ($(head -1 "$T/out"))"
}
try_bad "an include up a layer" util/fs.c '#include "runner/runner.h"'
try_bad "an include across a layer" api/http.c '#include "transfer/extents.h"'
try_bad "an include without its room" jobs/job.c '#include "fs.h"'
try_bad "a header that is not there" jobs/job.c '#include "jobs/nope.h"'
mkdir -p "$T/tree2"
cp -r "$UCH_TOP/service/." "$T/tree2/"
mkdir "$T/tree2/sys"
if check_tree "$T/tree2" >"$T/out"; then
  die "not caught: a room named like a system header folder"
fi
pass "caught: a room named like a system header folder"
