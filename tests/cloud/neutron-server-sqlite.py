#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
# neutron-server-sqlite.py ARGS...: neutron-server (ARGS as its own),
# with sqlite's "database is locked" taken for what it is, a transaction
# that lost a race with another writer and must start again: oslo.db's
# DBDeadlock, which neutron's API and RPC handlers already retry
# (neutron_lib.db.api.retry_db_errors: the whole transaction again, with
# a fresh view of the database, as after a deadlock on MySQL).
#
# Why: neutron-server is always at least two processes on one sqlite
# file (rpc_workers cannot be 0), in WAL mode.  oslo.db begins sqlite
# transactions DEFERRED.  A transaction that read and then writes must
# upgrade to a write lock; when another connection holds it
# (SQLITE_BUSY) or committed since the read (SQLITE_BUSY_SNAPSHOT: the
# snapshot is stale), sqlite refuses at once, without its busy handler,
# to avoid a deadlock between two upgrading readers: no wait makes that
# write possible, so the URL's ?timeout=120 never applies; only starting
# the transaction again does.  A first write with no read before it does
# wait on the busy handler, and a lock held past those 120 s ends the
# same way (as a lock wait timeout does on MySQL).  Unmapped, oslo.db
# raised all this as a plain OperationalError, neutron did not retry it,
# and nova got a 500 when it bound an instance's port (UPDATE subnets SET
# in_use=... in the API worker while the RPC worker wrote what the DHCP
# agent reported: one port binding in three).
#
# (BEGIN IMMEDIATE, the other way out, took the write lock for every
# read: a reader held across an RPC call then blocked the process that
# answered it until the busy timeout, and neutron stopped writing.)
import sys

from neutron.cmd.eventlet.server import main   # eventlet's monkey-patching first
from oslo_db import exception as db_exc
from oslo_log import log as logging
from oslo_db.sqlalchemy import exc_filters
from sqlalchemy import exc as sqla_exc


LOG = logging.getLogger("uchos.sqlite")


@exc_filters.filters("sqlite", sqla_exc.OperationalError, r".*database is locked")
def _lost_race(error, match, engine_name, is_disconnect):
    orig = getattr(error, "orig", error)
    name = getattr(orig, "sqlite_errorname", None)
    if name in ("SQLITE_BUSY", "SQLITE_BUSY_SNAPSHOT"):
        LOG.warning("sqlite %s: the transaction starts again, as after a deadlock", name)
        raise db_exc.DBDeadlock(error)


if __name__ == "__main__":
    sys.argv[0] = "neutron-server"
    sys.exit(main())
