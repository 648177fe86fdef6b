#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# uch-test: timeout=600
# ansible-lint (Debian's), as Galaxy and Automation Hub users judge a
# collection, passes on uch.appliance with the production profile: no
# violation.  The one rule the collection skips (.ansible-lint says why)
# stays skipped only while the version is below 1.0.0.  It runs on a
# copy, offline, with the copy on the collections path so that the
# playbooks' syntax check finds the collection's roles and modules.
source "$UCH_TOP/tests/lib/functions.sh"
require ansible-lint

top=$T/c
coll=$top/ansible_collections/uch/appliance
mkdir -p "$coll" "$T/home"
cp -a "$UCH_TOP/ansible/ansible_collections/uch/appliance/." "$coll/"
find "$coll" -name __pycache__ -prune -exec rm -rf {} +
lint() {
  (cd "$coll" && HOME=$T/home ANSIBLE_COLLECTIONS_PATH=$top NO_COLOR=1 \
     ansible-lint --offline --nocolor -p --profile production)
}

lint >"$T/lint.log" 2>&1 || die "ansible-lint: $(cat "$T/lint.log")"
grep -q '^Passed with production profile: 0 failure(s), 0 warning(s)' "$T/lint.log" ||
  die "ansible-lint: $(cat "$T/lint.log")"
pass "ansible-lint, production profile: $(grep '^Passed' "$T/lint.log")"

# The skip list holds galaxy[version-incorrect] only, and only below 1.0.0.
skips=$(python3 -c 'import sys, yaml; print(" ".join(yaml.safe_load(open(sys.argv[1])).get("skip_list") or []))' "$coll/.ansible-lint")
version=$(python3 -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["version"])' "$coll/galaxy.yml")
[ "$version" = "$(cat "$UCH_TOP/VERSION")" ] ||
  die "galaxy.yml's version $version is not UCH's $(cat "$UCH_TOP/VERSION")"
case $skips in
  '') ;;
  'galaxy[version-incorrect]')
    [ "${version%%.*}" -lt 1 ] ||
      die "version $version: drop galaxy[version-incorrect] from .ansible-lint's skip_list" ;;
  *) die ".ansible-lint skips more than galaxy[version-incorrect]: $skips" ;;
esac
python3 -c 'import sys, yaml; g = yaml.safe_load(open(sys.argv[1])); sys.exit(not (g.get("repository", "").startswith("https://") and g.get("tags")))' \
  "$coll/galaxy.yml" || die "galaxy.yml lacks a repository URL or tags"
pass "one skip ($skips), galaxy.yml $version with a repository and tags"

# It does judge: a task name with a template before its end fails
# name[template], a galaxy.yml without repository fails schema[galaxy].
sed -i 's/^- name: "Check the description (\(.*\))"$/- name: "\1: check the description"/' \
  "$coll/roles/conversion/tasks/main.yml"
grep -q '^- name: "{{ uch_conversion_vm.name }}: check the description"$' \
  "$coll/roles/conversion/tasks/main.yml" || die "the sed above no longer applies"
sed -i '/^repository:/d' "$coll/galaxy.yml"
if lint >"$T/bad.log" 2>&1; then
  die "ansible-lint passed a templated task name and no repository: $(cat "$T/bad.log")"
fi
grep -q 'roles/conversion/tasks/main.yml:[0-9]*: name\[template\]' "$T/bad.log" &&
  grep -q "galaxy.yml.*schema\[galaxy\].*'repository' is a required property" "$T/bad.log" ||
  die "ansible-lint: $(cat "$T/bad.log")"
pass "ansible-lint flags a template inside a task name and a missing repository"
