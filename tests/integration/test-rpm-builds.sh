#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `make rpm` (build-aux/make-rpm, rpm/uch.spec) builds the RPM the
# CentOS image's kickstart installs: it holds uchd, uchctl, the worker,
# the inspect helper, the units, tmpfiles.d entry and config (as
# %config), requires the tools uch-job drives, and is named as the
# kickstart asks for it.  Here on Debian rpmbuild runs with --nodeps.
# uch-test: timeout=900
source "$UCH_TOP/tests/lib/functions.sh"
require rpmbuild
require rpm

rpm=$("$UCH_TOP/build-aux/make-rpm" "$T/rpms") || die "make-rpm failed"
[ -f "$rpm" ] || die "no RPM: $rpm"
pass "built ${rpm##*/}"

rpm -qlp "$rpm" >"$T/files"
for f in /usr/sbin/uchd /usr/bin/uchctl /usr/libexec/uch/uch-job \
         /usr/libexec/uch/uch-inspect /usr/libexec/uch/uch-tls-init \
         /usr/lib/systemd/system/uchd.service /usr/lib/systemd/system/uchd.socket \
         /usr/lib/systemd/system/uch-tls.service /usr/lib/tmpfiles.d/uch.conf \
         /etc/uch/uchd.conf /etc/cloud/cloud.cfg.d/99-uch.cfg /etc/motd.d/uch \
         /usr/share/man/man8/uchd.8; do
  grep -qx "$f" "$T/files" || die "$f not in the RPM: $(cat "$T/files")"
done
! grep -qx /etc/motd "$T/files" || die "the RPM owns /etc/motd (the setup package's)"
rpm -qcp "$rpm" | grep -qx /etc/uch/uchd.conf || die "uchd.conf is not %config"
pass "it holds the programs, units, tmpfiles.d entry and config"

rpm -qp --requires "$rpm" >"$T/requires"
for r in virt-v2v nbdkit nbdkit-nbd-plugin nbdkit-ssh-plugin libnbd qemu-img libguestfs; do
  grep -qx "$r" "$T/requires" || die "does not require $r: $(cat "$T/requires")"
done
pass "it requires what uch-job drives"

name=$(rpm -qp --qf '%{NAME}' "$rpm")
grep -qx "dnf -y install $name" "$UCH_TOP/kickstart/uch.ks" ||
  die "the kickstart does not install '$name'"
ls "$T"/rpms/uch-*.src.rpm >/dev/null || die "no source RPM"
pass "the kickstart's 'dnf -y install $name' names it; a source RPM too"
