# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright: UCH project
# GNU General Public License v2.0 or later, so v3.0 or later too (see COPYING)
"""A job request as the modules uch_job and uch_jobs submit it: secrets
referred to as @secret:NAME@ and written as 0600 files, compared field
by field with the job uchd already has under its id."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import re

SECRET_RE = re.compile(r'@secret:([A-Za-z0-9._-]+)@')


def drop_none(v):
    if isinstance(v, dict):
        return dict((k, drop_none(x)) for k, x in v.items() if x is not None)
    if isinstance(v, list):
        return [drop_none(x) for x in v]
    return v


def substitute(v, paths, used):
    if isinstance(v, dict):
        return dict((k, substitute(x, paths, used)) for k, x in v.items())
    if isinstance(v, list):
        return [substitute(x, paths, used) for x in v]
    if isinstance(v, str):
        def one(m):
            name = m.group(1)
            if name not in paths:
                raise KeyError(name)
            used.add(name)
            return paths[name]
        return SECRET_RE.sub(one, v)
    return v


def differences(want, have, path=''):
    """JSON paths where want and have differ; "***" in have (an inline
    secret uchd hid) matches anything."""
    if have == '***':
        return []
    if isinstance(want, dict) and isinstance(have, dict):
        out = []
        for k in sorted(set(want) | set(have)):
            p = '%s.%s' % (path, k) if path else k
            if k not in have:
                out.append(p + ' (not in the existing job)')
            elif k not in want:
                out.append(p + ' (only in the existing job)')
            else:
                out.extend(differences(want[k], have[k], p))
        return out
    if isinstance(want, list) and isinstance(have, list):
        if len(want) != len(have):
            return ['%s (%d entries, the existing job has %d)'
                    % (path, len(want), len(have))]
        out = []
        for i, (a, b) in enumerate(zip(want, have)):
            out.extend(differences(a, b, '%s[%d]' % (path, i)))
        return out
    # the same JSON type: isinstance both ways (True is an int, 1 no bool)
    same_type = isinstance(want, type(have)) and isinstance(have, type(want))
    if want != have or not same_type and not (
            isinstance(want, (int, float)) and isinstance(have, (int, float))
            and not isinstance(want, bool) and not isinstance(have, bool)):
        return ['%s (%r, the existing job has %r)' % (path, want, have)]
    return []


def job_differences(want, have, secrets, paths):
    """What differs between the request want and the existing job have
    (its stored request), and between the secrets given and the files
    at paths that the job already reads: a list of words, empty when
    the job is the one asked for."""
    diff = differences(want, have.get('request') or {})
    for name, content in secrets.items():
        cur = read_secret(paths[name])
        if cur is not None and cur != content.rstrip('\n'):
            diff.append('secrets.%s (the file %s holds another value)'
                        % (name, paths[name]))
    return diff


def write_secret(path, content):
    tmp = path + '.tmp'
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        data = content.encode('utf-8')
        if not data.endswith(b'\n'):
            data += b'\n'
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.rename(tmp, path)


def read_secret(path):
    try:
        with open(path, 'rb') as f:
            return f.read().decode('utf-8').rstrip('\n')
    except (IOError, OSError):
        return None


def remove_secrets(d):
    if not os.path.isdir(d):
        return False
    for name in os.listdir(d):
        os.unlink(os.path.join(d, name))
    os.rmdir(d)
    return True
