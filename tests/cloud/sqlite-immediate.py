#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
# sqlite-immediate.py SCRIPT ARGS...: run an OpenStack console script
# (/usr/bin/neutron-server) with every sqlite transaction it begins
# taking the write lock at once (BEGIN IMMEDIATE instead of oslo.db's
# BEGIN).
#
# Why: oslo.db begins sqlite transactions DEFERRED.  A transaction that
# read first and writes later must upgrade its lock; when another
# process wrote in between (in WAL mode: its snapshot is stale), sqlite
# refuses the upgrade at once with SQLITE_BUSY, "database is locked",
# without calling the busy handler: the URL's ?timeout=120 does not
# help.  neutron-server's API worker binding a port (UPDATE subnets SET
# in_use=...) after reading, while its RPC worker wrote what the DHCP
# agent reported about the same port, answered 500 to nova that way
# (the "500 at port creation" of test-cloud-volume-attach.sh; one port
# update in three failed).  BEGIN IMMEDIATE takes the lock before the
# first read, so the other process's write waits on the busy timeout
# (an event: the lock being released) instead of failing.
import runpy
import sqlite3
import sqlite3.dbapi2 as dbapi2
import sys


class Cursor(sqlite3.Cursor):
    def execute(self, sql, *args):
        if isinstance(sql, str) and sql.strip().upper() == "BEGIN":
            sql = "BEGIN IMMEDIATE"
        return super().execute(sql, *args)


class Connection(sqlite3.Connection):
    def cursor(self, factory=Cursor):
        return super().cursor(factory)


_connect = dbapi2.connect


def connect(*args, **kwargs):
    kwargs.setdefault("factory", Connection)
    return _connect(*args, **kwargs)


dbapi2.connect = sqlite3.connect = connect
script = sys.argv[1]
sys.argv = sys.argv[1:]
runpy.run_path(script, run_name="__main__")
