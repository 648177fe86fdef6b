#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# UCH's own inspect checks (issue 18 item 3) on guests libguestfs
# inspects fine but virt-v2v cannot convert (tests/guests/
# make-inspect-blockers.sh, cached):
# - a RHEL 7-like guest, FABRICATED (no CentOS mirror is reachable
#   here: CentOS 7's /etc/redhat-release and an fstab on an XFS v4
#   root made with mkfs.xfs -m crc=0), whose second disk is LUKS with no
#   key given: convertible false, the XFS v4 root and the LUKS disk each
#   a reason, xfs_version 4 in its filesystem;
# - the phony Windows guest with a hiberfil.sys holding a hibernation
#   header: convertible false, the hibernated volume the reason,
#   hibernated true in its filesystem.
# Both jobs as discovery hands them to uch_vmware_checks (the collection's
# filter): verdict blocked, each reason in its blocked list.
# uch-test: slow
# uch-test: timeout=1500
source "$UCH_TOP/tests/lib/functions.sh"
require guestfish
require jq
export LIBGUESTFS_BACKEND_SETTINGS=force_tcg

rc=0
g=$("$UCH_TOP/tests/guests/make-inspect-blockers.sh") || rc=$?
[ $rc = 77 ] && skip "cannot build the inspect test guests here"
[ $rc = 0 ] || die "make-inspect-blockers.sh failed ($rc)"
uchd_start

printf '{"type":"inspect","id":"el7","disks":[{"source":{"path":"%s"}},{"source":{"path":"%s"}}]}\n' \
  "$g/el7.img" "$g/el7-home.img" >"$T/el7.json"
printf '{"type":"inspect","id":"win","disks":[{"source":{"path":"%s"}}]}\n' \
  "$g/windows-hibernated.qcow2" >"$T/win.json"
for id in el7 win; do
  api POST /v1/jobs "$T/$id.json" >/dev/null
  [ "$(status)" = 201 ] || die "submit $id: $(status) $(cat "$T/body")"
done
for id in el7 win; do
  st=$(job_wait $id 600)
  api GET /v1/jobs/$id >"$T/$id-job.json"
  [ "$st" = succeeded ] || die "inspection $id ended $st: $(jq -c . "$T/$id-job.json")"
done

j() { jq -r "$2" "$T/$1-job.json"; }
[ "$(j el7 .result.guest.distro)" = centos ] && [ "$(j el7 .result.guest.major_version)" = 7 ] ||
  die "el7 guest: $(j el7 '.result.guest | tojson')"
jq -e '.result.filesystems | map(select(.device == "/dev/sda1")) |
       length == 1 and .[0].type == "xfs" and .[0].xfs_version == 4 and .[0].mountpoint == "/"' \
  "$T/el7-job.json" >/dev/null || die "el7 filesystems: $(j el7 '.result.filesystems | tojson')"
[ "$(j el7 .result.convertible)" = false ] && [ "$(j el7 '.result.reasons | length')" = 2 ] ||
  die "el7 verdict: $(j el7 '.result | {convertible, reasons} | tojson')"
j el7 '.result.reasons[]' | grep -q '^encrypted (LUKS) device /dev/sdb and no key was given' ||
  die "el7: no LUKS reason: $(j el7 '.result.reasons | tojson')"
j el7 '.result.reasons[]' | grep -q '^XFS v4 filesystem (made without CRCs, mkfs.xfs -m crc=0) on /dev/sda1, mounted at / by the guest (CentOS Linux release 7.9.2009 (Core)): kernels without XFS v4 support' ||
  die "el7: no XFS v4 reason: $(j el7 '.result.reasons | tojson')"
pass "RHEL 7-like guest (fabricated): not convertible, $(j el7 '.result.reasons | tojson')"

[ "$(j win .result.guest.type)" = windows ] || die "win guest: $(j win '.result.guest | tojson')"
jq -e '.result.filesystems | map(select(.type == "ntfs")) |
       length == 1 and .[0].hibernated == true and .[0].mountpoint == "/"' \
  "$T/win-job.json" >/dev/null || die "win filesystems: $(j win '.result.filesystems | tojson')"
[ "$(j win .result.convertible)" = false ] && [ "$(j win '.result.reasons | length')" = 1 ] &&
  j win '.result.reasons[0]' | grep -q '^Windows is hibernated (or was shut down with Fast Startup) on /dev/sda1: .*ntfs-3g refuses to mount the filesystem read-write' ||
  die "win verdict: $(j win '.result | {convertible, reasons} | tojson')"
pass "hibernated Windows: not convertible, $(j win '.result.reasons | tojson')"

# The jobs as discover_vmware hands them to the source checks.
PYTHONPATH=$UCH_TOP/ansible /usr/bin/python3 - "$T/el7-job.json" "$T/win-job.json" <<'PY' ||
import json, sys
from ansible_collections.uch.appliance.plugins.filter.uch_vmware import uch_vmware_checks

def vm(name, guest_id):
    return {"name": name, "kind": "vmware",
            "vmware": {"power_state": "poweredOff", "guest_id": guest_id, "snapshots": []},
            "disks": [{"name": "scsi0-0", "source": {"vmware": {"datastore": "ds"}}}]}

for path, v in zip(sys.argv[1:], (vm("el7", "centos7_64Guest"), vm("win", "windows9_64Guest"))):
    job = json.load(open(path))
    got = uch_vmware_checks(v, "cold", None, job)
    want = ["UCH inspect: " + r for r in job["result"]["reasons"]]
    blocked = [r["message"] for r in got["reasons"] if r["level"] == "blocked" and r["check"] == "inspect"]
    if got["verdict"] != "blocked" or blocked != want or len(got["reasons"]) != len(want):
        sys.exit("%s: %s" % (v["name"], json.dumps(got)))
    print("%s: %s" % (v["name"], json.dumps(got["reasons"])))
PY
  die "uch_vmware_checks did not block on the inspect verdicts"
pass "uch_vmware_checks: both VMs blocked, every inspect reason in the blocked list"
