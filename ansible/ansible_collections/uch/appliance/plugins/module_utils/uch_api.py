# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright: UCH project
# GNU General Public License v2.0 or later, so v3.0 or later too (see COPYING)
"""A small client for uchd's HTTP API, standard library only.

uchd listens on a Unix socket (its file mode is the access control, no
token) and optionally on TCP (Bearer token, TLS off loopback).  Modules
run on the appliance over SSH and use the socket; a controller that
reaches the API over the network gives api_url and a token instead.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import math
import os
import re
import socket
import ssl
import time

try:
    import http.client as http_client
    from urllib.parse import urlsplit, quote
except ImportError:  # Python 2 is not supported; keep ansible-doc happy
    http_client = None

DEFAULT_SOCKET = '/run/uch/uchd.sock'
DEFAULT_TOKEN_FILE = '/var/lib/uch/api-token'
FINAL_STATES = ('succeeded', 'failed', 'cancelled')
# The longest wait_s of one long poll (GET /v1/jobs/{id}?wait_s=N, uchd's
# WAIT_S_MAX); a longer wait is one long poll after another.
WAIT_S_MAX = 60
PHASE_RE = re.compile(r'\bphase (\S.*)$')


def uch_argument_spec():
    """The connection options every module of the collection takes."""
    return dict(
        socket=dict(type='path', default=DEFAULT_SOCKET),
        api_url=dict(type='str'),
        token=dict(type='str', no_log=True),
        token_file=dict(type='path'),
        validate_certs=dict(type='bool', default=True),
        ca_path=dict(type='path'),
        timeout=dict(type='float', default=30.0),
    )


def nbdkit_argument_spec():
    """require_plugins and require_filters (doc fragment
    uch.appliance.nbdkit)."""
    return dict(
        require_plugins=dict(type='list', elements='str', default=[]),
        require_filters=dict(type='list', elements='str', default=[]),
    )


def job_wait_argument_spec(wait_timeout):
    """wait_timeout, poll_interval and log_lines (doc fragment
    uch.appliance.job_wait); the modules differ in wait_timeout's
    default."""
    return dict(
        wait_timeout=dict(type='int', default=wait_timeout),
        poll_interval=dict(type='float', default=1.0),
        log_lines=dict(type='int', default=20),
    )


class UchError(Exception):
    """An API call that did not succeed: status, code, message, field."""

    def __init__(self, message, status=None, code=None, field=None, body=None):
        super(UchError, self).__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.field = field
        self.body = body


if http_client is not None:
    class _UnixHTTPConnection(http_client.HTTPConnection):
        """http.client over an AF_UNIX stream socket."""

        def __init__(self, path, timeout):
            http_client.HTTPConnection.__init__(self, 'uch', timeout=timeout)
            self._path = path

        def connect(self):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(self.timeout)
            try:
                s.connect(self._path)
            except Exception:
                s.close()
                raise
            self.sock = s


class UchClient(object):
    def __init__(self, socket_path=DEFAULT_SOCKET, api_url=None, token=None,
                 token_file=None, validate_certs=True, ca_path=None,
                 timeout=30.0):
        self.socket_path = socket_path
        self.api_url = api_url
        self.timeout = timeout
        self.token = token
        self.validate_certs = validate_certs
        self.ca_path = ca_path
        if api_url and not token:
            tf = token_file or DEFAULT_TOKEN_FILE
            try:
                with open(tf) as f:
                    self.token = f.readline().strip()
            except (IOError, OSError) as e:
                raise UchError('api_url given without token, and the token '
                               'file %s cannot be read: %s' % (tf, e))

    @classmethod
    def from_module(cls, module):
        p = module.params
        try:
            return cls(socket_path=p.get('socket') or DEFAULT_SOCKET,
                       api_url=p.get('api_url'), token=p.get('token'),
                       token_file=p.get('token_file'),
                       validate_certs=p.get('validate_certs', True),
                       ca_path=p.get('ca_path'),
                       timeout=p.get('timeout') or 30.0)
        except UchError as e:
            module.fail_json(msg=e.message)

    def where(self):
        return self.api_url or ('unix:' + self.socket_path)

    def _connection(self):
        if not self.api_url:
            return _UnixHTTPConnection(self.socket_path, self.timeout), ''
        u = urlsplit(self.api_url)
        base = u.path.rstrip('/')
        if u.scheme == 'https':
            ctx = ssl.create_default_context(cafile=self.ca_path)
            if not self.validate_certs:
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
            return http_client.HTTPSConnection(u.hostname, u.port or 443,
                                               timeout=self.timeout,
                                               context=ctx), base
        if u.scheme != 'http':
            raise UchError('api_url must start with http:// or https://: %s'
                           % self.api_url)
        return http_client.HTTPConnection(u.hostname, u.port or 80,
                                          timeout=self.timeout), base

    def raw(self, method, path, body=None):
        """One request; returns (status, headers dict, body bytes)."""
        headers = {'Accept': 'application/json'}
        data = None
        if body is not None:
            data = json.dumps(body).encode('utf-8')
            headers['Content-Type'] = 'application/json'
        if self.api_url and self.token:
            headers['Authorization'] = 'Bearer ' + self.token
        try:
            conn, base = self._connection()
            try:
                conn.request(method, base + path, body=data, headers=headers)
                r = conn.getresponse()
                out = r.read()
                return r.status, dict((k.lower(), v) for k, v in r.getheaders()), out
            finally:
                conn.close()
        except (socket.error, OSError, http_client.HTTPException) as e:
            raise UchError('cannot reach uchd at %s: %s' % (self.where(), e))

    def call(self, method, path, body=None, ok=(200, 201, 202, 204)):
        """A JSON call; returns (status, decoded body or None); raises
        UchError with uchd's own message for any other status."""
        status, _headers, out = self.raw(method, path, body)
        doc = None
        if out:
            try:
                doc = json.loads(out.decode('utf-8'))
            except ValueError:
                doc = None
        if status in ok:
            return status, doc
        err = (doc or {}).get('error') if isinstance(doc, dict) else None
        if isinstance(err, dict):
            raise UchError('%s %s: %s %s: %s' % (method, path, status,
                                                 err.get('code'),
                                                 err.get('message')),
                           status=status, code=err.get('code'),
                           field=err.get('field'), body=doc)
        raise UchError('%s %s: HTTP %s: %s' % (method, path, status,
                                               out[:200].decode('utf-8', 'replace')),
                       status=status, body=doc)

    # -- the routes --------------------------------------------------------

    def health(self):
        return self.call('GET', '/v1/health')[1]

    def get_job(self, job_id, wait_s=None, until='final'):
        """The job, or None when uchd does not know it.  With wait_s, a
        long poll: uchd answers once the job has reached `until` (see
        job_reached) or after wait_s seconds, with the job as it is."""
        path = '/v1/jobs/' + quote(job_id, safe='')
        if wait_s is not None:
            path += '?wait_s=%d&until=%s' % (
                wait_s, 'served' if until == 'serving' else 'final')
        try:
            return self.call('GET', path)[1]
        except UchError as e:
            if e.status == 404:
                return None
            raise

    def wait_s_for(self, left):
        """The wait_s of one long poll with `left` seconds to go: whole
        seconds, at most WAIT_S_MAX and well within the HTTP timeout; 0
        once the time is up (the job as it is, at once)."""
        if left <= 0:
            return 0
        cap = max(1, int(self.timeout) - 5)
        return max(1, min(WAIT_S_MAX, cap, int(math.ceil(left))))

    def list_jobs(self, state=None, job_type=None):
        q = []
        if state:
            q.append('state=' + quote(state))
        if job_type:
            q.append('type=' + quote(job_type))
        path = '/v1/jobs' + ('?' + '&'.join(q) if q else '')
        return self.call('GET', path)[1].get('jobs', [])

    def submit(self, request):
        return self.call('POST', '/v1/jobs', request)

    def cancel(self, job_id):
        return self.call('POST', '/v1/jobs/%s/cancel' % quote(job_id, safe=''),
                         ok=(202,))[1]

    def delete(self, job_id):
        return self.call('DELETE', '/v1/jobs/' + quote(job_id, safe=''),
                         ok=(204,))

    def log(self, job_id):
        status, _headers, out = self.raw('GET', '/v1/jobs/%s/log' % quote(job_id, safe=''))
        if status != 200:
            return ''
        return out.decode('utf-8', 'replace')

    def log_tail(self, job_id, lines=20):
        return self.log_tail_and_phase(job_id, lines)[0]

    def log_tail_and_phase(self, job_id, lines=20):
        """The last lines of the job's log, and the last phase the worker
        logged ("phase serving"): the job's own phase is only its final
        state once it has ended, the log says where it was."""
        try:
            text = self.log(job_id)
        except UchError:
            return [], None
        all_lines = text.splitlines()
        phase = None
        for line in reversed(all_lines):
            m = PHASE_RE.search(line)
            if m:
                phase = m.group(1)
                break
        return all_lines[-lines:], phase

    def volumes(self):
        return self.call('GET', '/v1/volumes')[1].get('volumes', [])

    def wait_job(self, job_id, timeout, poll=1.0, until='final'):
        """Wait until the job is final (or, until='serving', served: see
        job_reached), one long poll after another: uchd answers each as
        the job changes.  A uchd without the long poll answers at once:
        then the waits between polls grow from 0.1 s to `poll`.
        Returns (job, timed_out)."""
        deadline = time.time() + timeout
        delays = poll_delays(poll)
        while True:
            wait_s = self.wait_s_for(deadline - time.time())
            asked = time.time()
            job = self.get_job(job_id, wait_s, until)
            if job is None:
                raise UchError('job %s disappeared while waiting for it' % job_id)
            if job_reached(job, until):
                return job, False
            if time.time() >= deadline:
                return job, True
            if time.time() - asked < wait_s / 2.0:
                # answered before its wait, and not there: no long poll
                time.sleep(min(next(delays), max(0.05, deadline - time.time())))


def job_served(job):
    """Whether an export job serves its disks: phase serving, or idle
    (an export until: disks-done, every disk read, waiting out idle_s:
    it served, and still would).  The one test of it, for uch_job,
    uch_jobs and wait_job alike (uchd's until=served is the same)."""
    return job.get('phase') in ('serving', 'idle')


def job_reached(job, until='final'):
    """Whether a wait for `until` ('final' or 'serving') is over: the
    job is final, or it waits for serving and the job is served."""
    return job.get('state') in FINAL_STATES or (
        until == 'serving' and job_served(job))


FIRST_POLL = 0.1


def poll_delays(poll):
    """Seconds to sleep between polls of a job: from FIRST_POLL up to
    `poll`, half as long again each time.  Most waits of a wave are
    seconds long (an export starting, a cancel, a small copy): a fixed
    1 s poll lost half a second on average on each, three times a VM,
    while a GET on the socket costs a millisecond; long copies still
    settle at one poll per `poll` seconds."""
    d = min(FIRST_POLL, poll)
    while True:
        yield d
        d = min(d * 1.5, poll)


def volume_matches(vol, volume_id):
    """Whether a GET /v1/volumes entry is the volume uchd would resolve
    volume_id to (virtio serial of 20 characters, or a by-id name)."""
    short = volume_id[:20]
    if vol.get('serial') in (short, volume_id):
        return True
    names = ('virtio-' + short, 'scsi-0QEMU_QEMU_HARDDISK_' + volume_id,
             volume_id)
    return any(i in names for i in (vol.get('ids') or []))


def job_failure_message(job, log_tail, last_phase=None):
    """The words a failed task shows: uchd's error, the phase, the log."""
    err = job.get('error') or {}
    msg = 'job %s %s' % (job.get('id'), job.get('state'))
    if err:
        msg += ' (%s): %s' % (err.get('code'), err.get('message'))
    phase = job.get('phase')
    if phase in FINAL_STATES:
        phase = last_phase or ('queued' if not job.get('started_at') else 'starting')
    msg += ' [phase: %s]' % phase
    if log_tail:
        msg += '\nlast %d lines of the job log:\n%s' % (len(log_tail),
                                                        '\n'.join(log_tail))
    return msg


def job_late_message(job, wait_for, wait_timeout, log_tail):
    """The words a task shows when its job did not serve or end within
    wait_timeout seconds (the job itself keeps running)."""
    prog = job.get('progress') or {}
    msg = ('job %s did not %s within %d s: state %s, phase %s, %s%% '
           '(the job keeps running)' % (
               job.get('id'), 'serve' if wait_for == 'serving' else 'end',
               wait_timeout, job.get('state'), job.get('phase'),
               prog.get('percent')))
    if log_tail:
        msg += '\nlast %d lines of the job log:\n%s' % (len(log_tail),
                                                        '\n'.join(log_tail))
    return msg


def nbdkit_problems(nbdkit, plugins, filters):
    """What is missing of the nbdkit `plugins` and `filters` a role
    needs, given the nbdkit capabilities uchd or uchctl reported (None
    or {} when nbdkit itself is missing)."""
    problems = []
    if nbdkit:
        for pl in plugins:
            if pl not in (nbdkit.get('plugins') or []):
                problems.append('nbdkit plugin %s is missing' % pl)
        for fl in filters:
            if fl not in (nbdkit.get('filters') or []):
                problems.append('nbdkit filter %s is missing' % fl)
    elif plugins or filters:
        problems.append('nbdkit plugins %s and filters %s cannot be there: nbdkit is missing'
                        % (', '.join(plugins) or '-', ', '.join(filters) or '-'))
    return problems


def pass_summaries(job):
    """A sync job's passes (result.passes), numbered from 1, each with
    its bytes and seconds and a line in words."""
    out = []
    for i, p in enumerate(((job or {}).get('result') or {}).get('passes') or []):
        b = int(p.get('bytes') or 0)
        s = round(float(p.get('seconds') or 0), 3)
        out.append(dict(number=i + 1, kind=p.get('kind'), trigger=p.get('trigger'),
                        bytes=b, seconds=s, started_at=p.get('started_at'),
                        disks=p.get('disks') or [],
                        line='pass %d (%s, %s): %d bytes in %s s'
                        % (i + 1, p.get('kind'), p.get('trigger'), b, s)))
    return out
