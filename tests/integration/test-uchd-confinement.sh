#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The confinement policy: a request may name only files under the roots
# uchd.conf gives its role (source_root, destination_root, export_root,
# secret_root), resolved through symlinks (dangling ones too), never
# uchd's own files (state dir, runtime dir, token) whatever the roots,
# never a device the system uses or a file backing one.  Each case of
# issue 14 item 4 refused with 403 forbidden_path naming the field and
# the rule, nothing written, the file untouched.
source "$UCH_TOP/tests/lib/functions.sh"
require nbdkit
require jq

mkdir -p "$T/by-id"
uchd_start_confined "$T/images" --volume-by-id-dir "$T/by-id"

# what an attacker wants: a root-only file outside every root
( umask 077; echo "root-only secret" >"$T/outside/shadow" )
cp "$T/outside/shadow" "$T/shadow.orig"
make_sparse_image "$T/images/src.img" $((4 * 1024 * 1024)) 1
( umask 077; echo "s3cret" >"$T/secrets/pw"; echo "s3cret" >"$T/outside/pw" )

SRC="{\"path\":\"$T/images/src.img\"}"

# a destination that is a symlink to a root-only file, and a dangling
# one to a file outside the roots
ln -s "$T/outside/shadow" "$T/images/link"
[ "$(submit dlink "$(copy_json dlink "$SRC" "$T/images/link")")" = 403 ] || die "dlink: $(cat "$T/body")"
forbidden_refused dlink disks[0].destination.path "$T/images/link -> $T/outside/shadow is not under a folder allowed for files a job writes (destination_root in uchd.conf: $T/images)"
ln -s "$T/outside/new.img" "$T/images/dangling"
[ "$(submit dangle "$(copy_json dangle "$SRC" "$T/images/dangling")")" = 403 ] || die "dangle: $(cat "$T/body")"
forbidden_refused dangle disks[0].destination.path "-> $T/outside/new.img is not under"
[ ! -e "$T/outside/new.img" ] || die "the dangling link's target was written"

# another job's state.json, and the token file, through links in the
# root, and with roots that hold the state dir
[ "$(submit ok1 "$(copy_json ok1 "$SRC" "$T/images/ok1.img")")" = 201 ] || die "ok1: $(cat "$T/body")"
[ "$(job_wait ok1 60)" = succeeded ] || die "ok1 did not succeed: $(job_field ok1 .error)"
cmp -n $((4 * 1024 * 1024)) "$T/images/src.img" "$T/images/ok1.img" || die "ok1 copied wrong"
pass "a copy inside the roots runs"
ln -s "$T/state/jobs/ok1/state.json" "$T/images/state-link"
[ "$(submit dstate "$(copy_json dstate "$SRC" "$T/images/state-link")")" = 403 ] || die "dstate: $(cat "$T/body")"
forbidden_refused dstate disks[0].destination.path "is in uchd's state dir $T/state (jobs' state, logs, checkpoints): never a job's file"
ln -s "$UCH_TOKEN_FILE" "$T/images/token-link"
[ "$(submit dtoken "$(copy_json dtoken "$SRC" "$T/images/token-link")")" = 403 ] || die "dtoken: $(cat "$T/body")"
forbidden_refused dtoken disks[0].destination.path "is uchd's API token file: never a job's file"
cmp -s "$T/outside/shadow" "$T/shadow.orig" || die "the root-only file changed"

# a request with a mistake in it is told of the mistake first, even
# when a path of it is out of bounds
[ "$(submit mistake "$(copy_json mistake "$SRC" "$T/outside/x.img" | sed 's/"path"/"format":"qcow3","path"/2')")" = 400 ] ||
  die "mistake: $(status) $(cat "$T/body")"
jq -e '.error.code == "invalid_request" and .error.field == "disks[0].destination.format"' \
  "$T/body" >/dev/null || die "mistake: $(cat "$T/body")"
pass "a wrong format with a destination out of bounds: 400 on the format"

# a root-only file as a copy source, and as an export
[ "$(submit sshadow "$(copy_json sshadow "{\"path\":\"$T/outside/shadow\"}" "$T/images/x.img")")" = 403 ] ||
  die "sshadow: $(cat "$T/body")"
forbidden_refused sshadow disks[0].source.path "is not under a folder allowed for files a job reads (source_root in uchd.conf: $T/images)"
[ "$(submit eshadow "{\"type\":\"export\",\"id\":\"eshadow\",\"disks\":[{\"source\":{\"path\":\"$T/images/link\"}}],\"listen\":{\"unix\":true}}")" = 403 ] ||
  die "eshadow: $(cat "$T/body")"
forbidden_refused eshadow disks[0].source.path "is not under a folder allowed for files an export serves (export_root"
[ "$(submit nkfile "$(copy_json nkfile "{\"nbdkit\":{\"plugin\":\"file\",\"file\":\"$T/outside/shadow\"}}" "$T/images/y.img")")" = 403 ] ||
  die "nkfile: $(cat "$T/body")"
forbidden_refused nkfile disks[0].source.nbdkit.file "is not under a folder allowed for files a job reads"

# a password_file that is a root-owned 0600 file outside secret_root
# (and one inside, which is fine); a URI's tls-psk-file=
pw() { # ID FILE
  copy_json "$1" "{\"nbdkit\":{\"plugin\":\"curl\",\"url\":\"http://127.0.0.1:9/d.img\",\"user\":\"u\",\"password_file\":\"$2\"}}" "$T/images/$1.img"
}
[ "$(submit pwout "$(pw pwout "$T/outside/pw")")" = 403 ] || die "pwout: $(cat "$T/body")"
forbidden_refused pwout disks[0].source.nbdkit.password_file "is not under a folder allowed for secret files (passwords, keys, PSKs, CA and host keys) (secret_root in uchd.conf: $T/secrets)"
[ "$(submit pwtok "$(pw pwtok "$UCH_TOKEN_FILE")")" = 403 ] || die "pwtok: $(cat "$T/body")"
forbidden_refused pwtok disks[0].source.nbdkit.password_file "is uchd's API token file"
[ "$(submit pwin "$(pw pwin "$T/secrets/pw")")" = 201 ] || die "pwin: $(cat "$T/body")"
api POST /v1/jobs/pwin/cancel >/dev/null
pass "a password_file under secret_root is taken"
[ "$(submit psk "$(copy_json psk "{\"nbd\":\"nbds://127.0.0.1:9/x?tls-psk-file=$T/outside/shadow\"}" "$T/images/z.img")")" = 403 ] ||
  die "psk: $(cat "$T/body")"
forbidden_refused psk disks[0].source.nbd "$T/outside/shadow is not under a folder allowed for secret files"

# a convert's output folder, an inplace's disk
[ "$(submit cout "{\"type\":\"convert\",\"id\":\"cout\",\"name\":\"g\",\"input\":{\"disk\":{\"path\":\"$T/images/src.img\"}},\"output\":{\"local\":{\"dir\":\"$T/outside\"}}}")" = 403 ] ||
  die "cout: $(cat "$T/body")"
forbidden_refused cout output.local.dir "is not under a folder allowed for files a job writes"
[ "$(submit inpl "{\"type\":\"inplace\",\"id\":\"inpl\",\"name\":\"g\",\"disks\":[{\"path\":\"$T/images/link\"}]}")" = 403 ] ||
  die "inpl: $(cat "$T/body")"
forbidden_refused inpl disks[0].path "is not under a folder allowed for files a job writes"

# the backing file of a mounted loop file system, and its device
if [ "$(id -u)" = 0 ] && command -v losetup >/dev/null && command -v mkfs.ext4 >/dev/null; then
  truncate -s 16M "$T/images/fs.img"
  mkfs.ext4 -q -F "$T/images/fs.img"
  if dev=$(losetup -f --show "$T/images/fs.img" 2>/dev/null); then
    cleanup_add "losetup -d $dev"
    mkdir "$T/mnt"
    if mount "$dev" "$T/mnt" 2>/dev/null; then
      cleanup_add "umount $T/mnt"
      [ "$(submit dloop "$(copy_json dloop "$SRC" "$T/images/fs.img")")" = 403 ] || die "dloop: $(cat "$T/body")"
      forbidden_refused dloop disks[0].destination.path "$T/images/fs.img backs loop device"
      [ "$(submit ddev "$(copy_json ddev "$SRC" "$dev")")" = 403 ] || die "ddev: $(cat "$T/body")"
      forbidden_refused ddev disks[0].destination.path "$dev is in use by the system"
      umount "$T/mnt"
      # an attached volume (a by-id name) that backs a mounted loop
      truncate -s 16M "$T/outside/vol.img"
      if vol=$(losetup -f --show "$T/outside/vol.img" 2>/dev/null); then
        cleanup_add "losetup -d $vol"
        ln -s "$vol" "$T/by-id/virtio-confinevol1"
        [ "$(submit vok "$(copy_json vok "$SRC" "$vol")")" = 201 ] || die "vok: $(cat "$T/body")"
        [ "$(job_wait vok 60)" = succeeded ] || die "vok: $(job_field vok .error)"
        pass "an attached volume's device is a destination, outside the roots"
        mkfs.ext4 -q -F "$vol"
        if top=$(losetup -f --show "$vol" 2>/dev/null); then
          cleanup_add "losetup -d $top"
          mount "$top" "$T/mnt"
          cleanup_add "umount $T/mnt"
          [ "$(submit dvol "$(copy_json dvol "$SRC" "$vol")")" = 403 ] || die "dvol: $(cat "$T/body")"
          forbidden_refused dvol disks[0].destination.path "$vol backs loop device"
          umount "$T/mnt"
        fi
      fi
      # unmounted, the file is an ordinary image in the root again
      [ "$(submit dfree "$(copy_json dfree "$SRC" "$T/images/fs.img")")" = 201 ] || die "dfree: $(cat "$T/body")"
      api POST /v1/jobs/dfree/cancel >/dev/null
      pass "once unmounted, the backing file is an image like any other"
    else
      echo "# cannot mount here: the mounted-loop cases are not run"
    fi
  fi
fi

# roots that would let a job reach uchd's own files: refused at start
rc=0
uchd --state-dir "$T/state2" --runtime-dir "$T/run2" --listen none \
  --unix "$T/run2/uchd.sock" --destination-root "$T/state2" >"$T/bad.out" 2>&1 || rc=$?
[ "$rc" = 2 ] && grep -qF "destination_root: $T/state2 is uchd's state dir" "$T/bad.out" ||
  die "a root at the state dir: exit $rc: $(cat "$T/bad.out")"
rc=0
uchd --state-dir "$T/state2" --runtime-dir "$T/run2" --listen none \
  --unix "$T/run2/uchd.sock" --secret-root "$T/state2/jobs/x" >"$T/bad.out" 2>&1 || rc=$?
[ "$rc" = 2 ] && grep -qF "secret_root: $T/state2/jobs/x is or holds $T/state2/jobs, where uchd keeps its own files" "$T/bad.out" ||
  die "a root in STATE/jobs: exit $rc: $(cat "$T/bad.out")"
pass "roots at the state dir or in what uchd keeps there: uchd refuses to start"
