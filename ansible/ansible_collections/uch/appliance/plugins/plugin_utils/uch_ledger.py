# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright: UCH project
# GNU General Public License v2.0 or later, so v3.0 or later too (see COPYING)
"""The ledger of a wave, on the controller: what the uch_os_* steps of
a VM created, moved or stopped in each cloud (ports, volumes, the
snapshots behind volumes, attachments, servers, the source server's
power), so that a failure or state=absent undoes it all in reverse
order, and a rerun after a crash knows what the run cut short did.

One file a VM, DIR/WAVE/VM.json, {"wave", "vm", "records": [...]}: a
VM's records only, so each append rewrites a few kB whatever the size
of the wave.  Every append is a read, the new record and a rewrite
through a temporary file, fsync and rename (the file is whole, old or
new, whatever kills the controller), under a lock on DIR/WAVE (lanes
run in parallel processes).

A step writes two records: "begin" before it runs (what it is about to
do, by the names its task gives) and "end" after (the ids it acted on,
whether it changed anything, or that it failed).  A begin with no end
is a step a crash cut short: what it did is not known, so its undo goes
by the names (every undo step leaves alone what is not there), and the
same step run again counts as the step's own even when it finds the
work done (changed=false).  What the ledger holds open is the fold of
its records (open_records): a step's own change is open until a later
change of the inverse kind on the same resource (by id) closes it - the
clone made then deleted, the volume attached to the appliance then
detached - or its undo does.  No process, no cloud call: plain data."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import errno
import fcntl
import json
import os
import re
import tempfile

INVERSE = dict(create='delete', delete='create', attach='detach', detach='attach',
               stop='start', start='stop')
MODULES = ('uch_os_port', 'uch_os_volume', 'uch_os_server', 'uch_os_server_volume',
           'uch_os_server_action')
NAME_RE = re.compile(r'^[A-Za-z0-9_][A-Za-z0-9_.@+-]{0,127}$')


class LedgerError(Exception):
    pass


def check_name(what, value):
    """A wave's or VM's name as part of a path: no slash, no dot first."""
    if not isinstance(value, str) or not NAME_RE.match(value):
        raise LedgerError('%s: %r cannot name a ledger file (letters, digits, _.@+- and not '
                          'starting with a dot)' % (what, value))
    return value


def describe(module, args):
    """(kind, op, cloud, ident) of a task of the uch_os_* MODULE with
    ARGS: what the step does and what it names; None for a module the
    ledger does not know."""
    m = module.split('.')[-1]
    if m not in MODULES:
        return None
    cloud = args.get('cloud')
    present = args.get('state', 'present') == 'present'
    if m == 'uch_os_server_volume':
        return ('attachment', 'attach' if present else 'detach', cloud,
                dict(server=str(args.get('server')), volume=str(args.get('volume'))))
    if m == 'uch_os_server_action':
        return ('power', str(args.get('action')), cloud, dict(server=str(args.get('server'))))
    ident = dict(name=str(args.get('name')))
    if m == 'uch_os_volume' and args.get('server_snapshot'):
        ident['server_snapshot'] = str(args['server_snapshot'])
    return (m[len('uch_os_'):], 'create' if present else 'delete', cloud, ident)


def step_key(kind, op, cloud, ident):
    return json.dumps([kind, op, cloud, ident], sort_keys=True)


def resource(kind, result):
    """The ids a step's result names: its resource's key."""
    if kind == 'attachment':
        v = result.get('volume') or {}
        return [v.get('id'), result.get('server_id')]
    if kind == 'power':
        return [(result.get('server') or {}).get('id')]
    return [result.get('id')]


def open_records(records):
    """What the records leave undone, oldest first: the ends of steps
    whose change is the run's own and not closed since, and the begins
    of steps a crash or a failure cut short (but an undo's: the thing
    it undoes stays open)."""
    pending = {}   # step -> its begin without an end yet (and the first such)
    opened = []
    for r in records:
        step = r['step']
        if r['phase'] == 'begin':
            prev = pending.get(step)
            pending[step] = dict(r, first=prev['first'] if prev else r, resumed=prev is not None)
            continue
        b = pending.pop(step, None)
        if r.get('failed'):
            if b is not None:   # it may have done part: stays for the undo
                pending[step] = b
            continue
        if r.get('undoes') is not None:
            opened = [o for o in opened if o['seq'] != r['undoes']]
            pending = dict((k, p) for k, p in pending.items() if p['seq'] != r['undoes'])
            continue
        resumed = b is not None and b['resumed']
        if r['op'] == 'stop':
            # the source server's power: the state the first try found
            ours = r.get('changed') or (resumed and b['first'].get('was') == 'ACTIVE')
        else:
            ours = r.get('changed') or resumed
        if not ours:
            continue
        for i in range(len(opened) - 1, -1, -1):
            o = opened[i]
            if (o['kind'], o['cloud'], o.get('key')) == (r['kind'], r['cloud'], r['key']) \
                    and INVERSE[o['op']] == r['op'] and None not in r['key']:
                del opened[i]
                break
        else:
            opened.append(r)
    left = [dict((k, v) for k, v in p.items() if k not in ('first', 'resumed'))
            for p in pending.values() if p.get('undoes') is None
            and not (p['op'] == 'stop' and p['first'].get('was') != 'ACTIVE')]
    return sorted(opened + left, key=lambda r: r['seq'])


def undo_step(rec):
    """(module, args, what) that undo REC, an open record; None when
    there is nothing to bring back (a deletion: the ledger keeps no
    copies)."""
    kind, op, cloud, ident = rec['kind'], rec['op'], rec['cloud'], rec['ident']
    key = rec.get('key') or []
    if not cloud:
        raise LedgerError('record %d (%s %s %s): no cloud name (a step given auth instead of '
                          'cloud cannot be undone from the ledger)' % (rec['seq'], op, kind, ident))
    if kind in ('port', 'volume', 'server'):
        if op != 'create':
            return None
        name = key[0] if key and key[0] else ident['name']
        args = dict(cloud=cloud, name=name, state='absent')
        if ident.get('server_snapshot'):
            # the snapshot's image goes by the volume's name
            args.update(name=ident['name'], server_snapshot=ident['server_snapshot'])
        return ('uch.appliance.uch_os_' + kind, args, 'delete %s %s' % (kind, ident['name']))
    if kind == 'attachment':
        volume = key[0] if key and key[0] else ident['volume']
        server = key[1] if len(key) > 1 and key[1] else ident['server']
        state = 'absent' if op == 'attach' else 'present'
        return ('uch.appliance.uch_os_server_volume',
                dict(cloud=cloud, server=server, volume=volume, state=state),
                '%s volume %s %s server %s' % (
                    'detach' if state == 'absent' else 'attach', ident['volume'],
                    'from' if state == 'absent' else 'to', ident['server']))
    server = key[0] if key and key[0] else ident['server']
    return ('uch.appliance.uch_os_server_action', dict(cloud=cloud, server=server, action=INVERSE[op]),
            '%s server %s' % (INVERSE[op], ident['server']))


class Ledger(object):
    """The ledger file of one VM of a wave."""

    def __init__(self, directory, wave, vm):
        self.dir = os.path.join(os.path.expanduser(str(directory)), check_name('wave', wave))
        self.wave, self.vm = wave, check_name('vm', vm)
        self.path = os.path.join(self.dir, vm + '.json')

    def _read(self):
        try:
            with open(self.path) as f:
                d = json.load(f)
        except (IOError, OSError) as e:
            if e.errno == errno.ENOENT:
                return []
            raise LedgerError('%s: %s' % (self.path, e))
        except ValueError as e:
            raise LedgerError('%s: not a ledger (%s)' % (self.path, e))
        if not isinstance(d, dict) or not isinstance(d.get('records'), list):
            raise LedgerError('%s: not a ledger (no records)' % self.path)
        return d['records']

    def records(self):
        return self._read()

    def append(self, rec):
        """REC with its seq and time, appended; the file replaced whole."""
        try:
            os.makedirs(self.dir, 0o700)
        except OSError as e:
            if e.errno != errno.EEXIST:
                raise LedgerError('%s: %s' % (self.dir, e))
        dfd = os.open(self.dir, os.O_RDONLY)
        try:
            fcntl.flock(dfd, fcntl.LOCK_EX)
            records = self._read()
            rec = dict(rec, seq=(records[-1]['seq'] + 1) if records else 1,
                       time=datetime.datetime.utcnow().strftime('%Y-%m-%dT%H:%M:%S.%fZ'))
            records.append(rec)
            text = json.dumps(dict(wave=self.wave, vm=self.vm, records=records),
                              indent=1, sort_keys=True) + '\n'
            fd, tmp = tempfile.mkstemp(dir=self.dir, prefix='.' + self.vm + '.json.')
            try:
                with os.fdopen(fd, 'w') as f:
                    f.write(text)
                    f.flush()
                    os.fsync(f.fileno())
                os.rename(tmp, self.path)
            except BaseException:
                os.unlink(tmp)
                raise
            os.fsync(dfd)
        finally:
            os.close(dfd)
        return rec

    def begin(self, module, args, **extra):
        kind, op, cloud, ident = describe(module, args)
        return self.append(dict(extra, phase='begin', kind=kind, op=op, cloud=cloud, ident=ident,
                                step=step_key(kind, op, cloud, ident)))

    def end(self, begin, result, **extra):
        rec = dict(extra, phase='end', kind=begin['kind'], op=begin['op'], cloud=begin['cloud'],
                   ident=begin['ident'], step=begin['step'])
        if result.get('failed'):
            rec.update(failed=True, msg=str(result.get('msg', ''))[:500])
        else:
            rec.update(changed=bool(result.get('changed')), key=resource(begin['kind'], result))
        return self.append(rec)


def wave_vms(directory, wave):
    """The VMs with a ledger in DIR/WAVE, by name."""
    d = os.path.join(os.path.expanduser(str(directory)), check_name('wave', wave))
    try:
        names = os.listdir(d)
    except OSError as e:
        if e.errno == errno.ENOENT:
            return []
        raise LedgerError('%s: %s' % (d, e))
    return sorted(n[:-len('.json')] for n in names if n.endswith('.json') and not n.startswith('.'))
