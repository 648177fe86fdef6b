#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# uchctl support-bundle: one tar.gz, mode 0600, with versions, check,
# uchd's health and volumes, the journal (or what journalctl said), the
# unit files, df, lsblk and every job's state, request and log; and no
# secret in it: an inline password, a password file's, an export's
# TLS key (its job still running, its secrets in the runtime dir) and
# uchd's API token are planted, then searched for in every file.
source "$UCH_TOP/tests/lib/functions.sh"
require jq
require tar

uchd_start
make_sparse_image "$T/disk.img" $((4 * 1024 * 1024)) 1
rand() { head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
pw_inline="Inline-$(rand)" pw_file="FromFile-$(rand)" psk="$(rand)$(rand)"
printf '%s' "$pw_file" >"$T/pw"; chmod 600 "$T/pw"
echo "uch:$psk" >"$T/psk"; chmod 600 "$T/psk"
closed=$(free_port)   # nothing listens: the two copies fail at once

cat >"$T/inline.json" <<JSON
{"type": "copy", "id": "inline", "disks": [
  {"source": {"nbdkit": {"plugin": "curl", "user": "bob", "password": "$pw_inline",
                         "url": "http://127.0.0.1:$closed/disk.img"}},
   "destination": {"path": "$T/inline.img"}}]}
JSON
cat >"$T/file.json" <<JSON
{"type": "copy", "id": "file", "disks": [
  {"source": {"nbdkit": {"plugin": "curl", "user": "bob", "password_file": "$T/pw",
                         "url": "http://127.0.0.1:$closed/disk.img"}},
   "destination": {"path": "$T/file.img"}}]}
JSON
cat >"$T/export.json" <<JSON
{"type": "export", "id": "serving",
 "listen": {"tcp": "127.0.0.1:$(free_port)", "tls_psk_file": "$T/psk"},
 "disks": [{"source": {"path": "$T/disk.img"}, "name": "d"}]}
JSON
export UCH_SOCKET=$UCH_SOCK
for j in inline file export; do
  uchctl submit "$T/$j.json" >/dev/null || die "submit $j"
done
uchctl wait inline file >/dev/null 2>&1 || true   # both fail: the point
wait_for 30 sh -c "uchctl --json show serving | jq -e '.phase == \"serving\"' >/dev/null" ||
  die "the export never served: $(uchctl --json show serving)"
[ -n "$(ls "$T/run/jobs/serving/secrets")" ] || die "the export's secrets are not in the runtime dir"
pass "three jobs planted: two failed copies with passwords, a TLS export serving"

mkdir "$T/out"
(cd "$T/out" && uchctl support-bundle --state-dir "$T/state" -o bundle.tar.gz \
   >"$T/bundle.out" 2>"$T/bundle.err") ||
  die "support-bundle failed: $(cat "$T/bundle.err")"
[ "$(cat "$T/bundle.out")" = "$T/out/bundle.tar.gz" ] ||
  die "support-bundle printed '$(cat "$T/bundle.out")', not the archive's path"
[ "$(stat -c %a "$T/out/bundle.tar.gz")" = 600 ] || die "the archive is not 0600"
[ "$(find "$T/out" -mindepth 1 | wc -l)" = 1 ] || die "more than the archive left: $(ls -A "$T/out")"
ls /tmp/uchctl-bundle-* >/dev/null 2>&1 && die "temporary folder left in /tmp"
pass "one archive, 0600, its path printed, nothing else left"

mkdir "$T/x"
tar -xzf "$T/out/bundle.tar.gz" -C "$T/x" || die "not a tar.gz"
mapfile -t tops < <(ls "$T/x")
[ ${#tops[@]} = 1 ] && [[ ${tops[0]} =~ ^uch-support-.+-[0-9]{8}T[0-9]{6}Z$ ]] ||
  die "the archive's top folder: ${tops[*]}"
b=$T/x/${tops[0]}
grep -q "^uchctl $(cat "$UCH_TOP/VERSION")$" "$b/versions.txt" || die "versions: $(cat "$b/versions.txt")"
grep -q "$(uname -r)" "$b/versions.txt" || die "no kernel version"
jq -e '.nbdkit.version' "$b/capabilities.json" >/dev/null || die "capabilities: no nbdkit version"
grep -Eq '^check (passed|FAILED)$' "$b/check.txt" || die "check.txt: $(cat "$b/check.txt")"
jq -e '.status == "ok"' "$b/health.json" >/dev/null || die "health.json: $(cat "$b/health.json")"
jq -e '.volumes | type == "array"' "$b/volumes.json" >/dev/null || die "volumes.json"
grep -q '^\$ journalctl .*--unit=uchd.service' "$b/journal.txt" || die "journal.txt: $(head -3 "$b/journal.txt")"
grep -q '^\$ systemctl --no-pager cat uchd.service' "$b/units.txt" || die "units.txt"
grep -q '^\$ df ' "$b/df.txt" && grep -q ' /$' "$b/df.txt" || die "df.txt: $(cat "$b/df.txt")"
grep -q '^NAME ' "$b/lsblk.txt" || die "lsblk.txt: $(cat "$b/lsblk.txt")"
pass "versions, capabilities, check, health, volumes, journal, units, df, lsblk"

for id in inline file serving; do
  for f in state.json request.json job.log; do
    cmp "$b/jobs/$id/$f" "$T/state/jobs/$id/$f" || die "jobs/$id/$f differs from the job's"
  done
done
[ "$(find "$b/jobs" -mindepth 1 -maxdepth 1 | wc -l)" = 3 ] || die "jobs: $(ls "$b/jobs")"
[ "$(jq -r .state "$b/jobs/inline/state.json")" = failed ] || die "inline did not fail"
[ "$(jq -r ".disks[0].source.nbdkit.password" "$b/jobs/inline/request.json")" = '***' ] ||
  die "the inline password is not *** in request.json: $(jq -c . "$b/jobs/inline/request.json")"
pass "every job's state, request and log"

token=$(cat "$UCH_TOKEN_FILE")
gzip -dc "$T/out/bundle.tar.gz" >"$T/bundle.tar"
for s in "$pw_inline" "$pw_file" "$psk" "$token"; do
  [ -n "$s" ] || die "an empty secret"
  grep -rqF -- "$s" "$b" && die "a secret is in $(grep -rlF -- "$s" "$b")"
  grep -qaF -- "$s" "$T/bundle.tar" && die "a secret is in the archive"
done
pass "no password, TLS key or API token anywhere in the archive"

uchctl cancel serving >/dev/null
[ "$(job_wait serving 30)" = cancelled ] || die "the export did not end"

# Without a uchd: still a bundle, saying why health is missing.
uchd_stop
uchctl support-bundle --state-dir "$T/state" -o "$T/down.tar.gz" >/dev/null 2>&1 ||
  die "support-bundle failed without uchd"
tar -xzf "$T/down.tar.gz" -C "$T/x" --wildcards '*/health.json' -O | grep -q 'cannot reach uchd' ||
  die "health.json without uchd"
uchctl support-bundle --state-dir "$T/state" -o "$T/no/such/dir/b.tar.gz" 2>"$T/err" &&
  die "a bundle into a missing folder succeeded"
grep -q "cannot write $T/no/such/dir/b.tar.gz" "$T/err" || die "error: $(cat "$T/err")"
pass "without uchd it still gathers; an unwritable -o is an error naming it"
