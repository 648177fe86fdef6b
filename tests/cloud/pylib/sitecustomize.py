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
# Not every DB API call is retried, though: cinder's are retried on a
# deadlock only where its DB API marks them so (oslo_db.api's DBAPI,
# cinder.db's IMPL, wraps those alone), and volume_attachment_update,
# say, is not: nova-compute's attach of a volume at a server's boot got
# "Unable to update the attachment. (HTTP 500)" from cinder-api, and the
# server went to ERROR.  So every call through a DBAPI (cinder's is the
# only one among these services) is retried on a deadlock: each such
# call is its own transaction (cinder.db.api -> IMPL.f; IMPL's functions
# call each other directly, not through IMPL), so starting it again is
# what MySQL's deadlock would have made it do too.
#
# Nor does nova retry its writes: nova-conductor's
# schedule_and_build_instances lost the race on the API database's
# "UPDATE instance_mappings" (InstanceMapping._save_in_db), the build
# was dropped without a word, and the server stayed in BUILD for ever.
# So every function that enginefacade's writer decorator makes the
# outermost transaction of its context (nova's, placement's, cinder's
# and neutron's DB functions are written so) is run again on a
# deadlock; one nested in another's transaction is left to that one,
# which starts the whole transaction again.
#
# All three are added when oslo.db's modules are first imported (an
# import hook), so that a daemon's own order of imports (eventlet's
# monkey-patching first) is left as it is.
import importlib.abc
import importlib.util
import sys


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


def _retry_every_call(api):
    import functools
    import logging
    log = logging.getLogger("uchos.sqlite")
    getattr_ = api.DBAPI.__getattr__

    @functools.wraps(getattr_)
    def __getattr__(self, key):
        attr = getattr_(self, key)
        # (those DBAPI itself retries on a deadlock keep their one retry)
        if not callable(attr) or getattr(attr, "enable_retry_on_deadlock", False):
            return attr

        @functools.wraps(attr)
        def call(*args, **kwargs):
            return attr(*args, **kwargs)
        retried = api.wrap_db_retry(retry_on_deadlock=True, max_retries=20,
                                    retry_interval=0.1, max_retry_interval=2)(call)
        log.debug("DB API %s retried on a deadlock", key)
        return retried
    api.DBAPI.__getattr__ = __getattr__


def _retry_outermost_writers(enginefacade):
    import functools
    import inspect
    tcm = enginefacade._TransactionContextManager
    decorate = tcm.__call__

    @functools.wraps(decorate)
    def __call__(self, fn):
        wrapper = decorate(self, fn)
        if self._mode is not enginefacade._WRITER:
            return wrapper
        from oslo_db import api
        # the context argument, found as enginefacade finds it
        args_ = inspect.getfullargspec(fn).args
        index = 1 if args_[0] in ("self", "cls") else 0
        retried = api.wrap_db_retry(retry_on_deadlock=True, max_retries=20,
                                    retry_interval=0.1, max_retry_interval=2)(wrapper)

        @functools.wraps(fn)
        def writer(*args, **kwargs):
            context = kwargs.get(args_[index], None) or args[index]
            by_thread = getattr(context, "_enginefacade_context", None)
            if not self._independent and getattr(by_thread, "current", None) is not None:
                return wrapper(*args, **kwargs)
            return retried(*args, **kwargs)
        return writer
    tcm.__call__ = __call__


_TARGETS = {"oslo_db.sqlalchemy.exc_filters": _add_filter,
            "oslo_db.api": _retry_every_call,
            "oslo_db.sqlalchemy.enginefacade": _retry_outermost_writers}


class _Loader(importlib.abc.Loader):
    def __init__(self, loader, patch):
        self._loader = loader
        self._patch = patch

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        self._patch(module)


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name not in _TARGETS:
            return None
        sys.meta_path.remove(self)
        try:
            spec = importlib.util.find_spec(name)
        finally:
            sys.meta_path.insert(0, self)
        if spec is not None and spec.loader is not None:
            spec.loader = _Loader(spec.loader, _TARGETS[name])
        return spec


sys.meta_path.insert(0, _Finder())
