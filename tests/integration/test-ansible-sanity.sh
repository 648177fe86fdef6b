#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# uch-test: timeout=1200
# ansible-test sanity, as Ansible's own CI judges a collection, passes on
# uch.appliance with no error: validate-modules (documentation, argument
# specs, licence headers), pylint, pep8, yamllint, compile, import,
# ansible-doc, runtime-metadata and the rest.  Offline, with Debian's
# pylint, pycodestyle, yamllint and voluptuous in place of the versions
# ansible-test would pip-install (build-aux/ansible-test-offline).  It
# runs on a copy, so its output and bytecode stay out of the tree.
source "$UCH_TOP/tests/lib/functions.sh"
require ansible-test
require pylint
require pycodestyle
require yamllint
/usr/bin/python3 -c 'import voluptuous' 2>/dev/null || skip "python3-voluptuous not installed"

coll=$T/ansible_collections/uch/appliance
mkdir -p "$coll"
cp -a "$UCH_TOP/ansible/ansible_collections/uch/appliance/." "$coll/"
find "$coll" -name __pycache__ -prune -exec rm -rf {} +
mkdir -p "$T/home"
(cd "$coll" && HOME=$T/home "$UCH_TOP/build-aux/ansible-test-offline" \
   sanity --python 3.11 --color no) >"$T/sanity.log" 2>&1 ||
  die "ansible-test sanity: $(grep -v '^ansible-test-offline:' "$T/sanity.log")"
for t in validate-modules pylint pep8 yamllint compile import ansible-doc \
         runtime-metadata; do
  grep -q "^Running sanity test \"$t\"" "$T/sanity.log" ||
    die "ansible-test did not run $t: $(cat "$T/sanity.log")"
done
if grep -q -i 'skipping sanity test' "$T/sanity.log"; then
  die "ansible-test skipped tests: $(grep -i 'skipping' "$T/sanity.log")"
fi
pass "ansible-test sanity: $(grep -c '^Running sanity test' "$T/sanity.log") tests, no errors"

# It does judge: a module whose author is not "Name (@handle)" fails.
sed -i 's/^author: .*/author: somebody/' "$coll/plugins/modules/uch_health.py"
if (cd "$coll" && HOME=$T/home "$UCH_TOP/build-aux/ansible-test-offline" \
      sanity --python 3.11 --color no --test validate-modules) >"$T/bad.log" 2>&1; then
  die "validate-modules passed a module with a bad author"
fi
grep -q 'uch_health.py.*invalid-documentation' "$T/bad.log" ||
  die "validate-modules: $(cat "$T/bad.log")"
pass "validate-modules flags a bad author"
