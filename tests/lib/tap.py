# SPDX-License-Identifier: GPL-2.0-or-later
"""TAP-like checks for the Python parts of the tests: check() prints
"ok - WHAT" or "not ok - WHAT" with what it got and wanted; finish()
exits 1 when any check failed."""
import sys

_failed = 0


def check(what, got, want):
    global _failed
    if got != want:
        print("not ok - %s:\n  got  %r\n  want %r" % (what, got, want))
        _failed += 1
    else:
        print("ok - %s" % what)


def finish():
    sys.exit(1 if _failed else 0)
