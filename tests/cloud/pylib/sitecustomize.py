# SPDX-License-Identifier: GPL-2.0-or-later
# The test cloud's OpenStack daemons run with this folder on PYTHONPATH
# (cloud.sh): when a daemon imports oslo.db's exception filters, one
# more is added, which takes sqlite's "database is locked" from a
# transaction that lost a race with another writer for what it is: a
# transaction that must start again, oslo.db's DBDeadlock, which the
# services already retry whole (neutron_lib.db.api.retry_db_errors,
# oslo_db.api.wrap_db_retry(retry_on_deadlock=True) in nova's and
# cinder's DB APIs), as after a deadlock on MySQL.  Each is logged
# ("uchos.sqlite").
#
# Why: each service is several processes on one sqlite file in WAL mode
# (nova-api, -conductor, -scheduler; cinder-api, -scheduler, -volume;
# neutron-server's API and RPC workers: rpc_workers cannot be 0).
# oslo.db begins sqlite transactions DEFERRED.  A transaction that read
# and then writes must upgrade to the write lock; when another
# connection holds it (SQLITE_BUSY) or has committed since the read
# (SQLITE_BUSY_SNAPSHOT: the snapshot is stale), sqlite refuses at once,
# without its busy handler (two upgrading readers would deadlock): no
# wait makes that write possible, so the URL's ?timeout=120 does not
# apply; only starting the transaction again does.  A lock held past
# those 120 s ends the same way, as a lock wait timeout does on MySQL.
# Unmapped, oslo.db raised it as a plain OperationalError, nothing
# retried it, and the API answered 500: neutron-server to nova binding
# an instance's port (UPDATE subnets SET in_use=..., one binding in
# three), cinder-api to a volume create (INSERT INTO reservations).
#
# (BEGIN IMMEDIATE, the other way out, took the write lock for every
# read: a reader held across an RPC call blocked the process that had to
# answer it until the busy timeout, and neutron-server stopped writing.)
#
# The filter is added when oslo.db's module is first imported (an import
# hook), so that a daemon's own order of imports (eventlet's
# monkey-patching first) is left as it is.
import importlib.abc
import importlib.util
import sys

_TARGET = "oslo_db.sqlalchemy.exc_filters"


def _add_filter(exc_filters):
    import logging
    from oslo_db import exception as db_exc
    from sqlalchemy import exc as sqla_exc
    log = logging.getLogger("uchos.sqlite")

    @exc_filters.filters("sqlite", sqla_exc.OperationalError, r".*database is locked")
    def _lost_race(error, match, engine_name, is_disconnect):
        orig = getattr(error, "orig", error)
        name = getattr(orig, "sqlite_errorname", None)
        if name in ("SQLITE_BUSY", "SQLITE_BUSY_SNAPSHOT"):
            log.warning("sqlite %s: the transaction starts again, as after a deadlock", name)
            raise db_exc.DBDeadlock(error)


class _Loader(importlib.abc.Loader):
    def __init__(self, loader):
        self._loader = loader

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        _add_filter(module)


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name != _TARGET:
            return None
        sys.meta_path.remove(self)
        try:
            spec = importlib.util.find_spec(name)
        finally:
            sys.meta_path.insert(0, self)
        if spec is not None and spec.loader is not None:
            spec.loader = _Loader(spec.loader)
        return spec


sys.meta_path.insert(0, _Finder())
