#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""How late a client sees a job end: uch_api.wait_job on uchd's long
poll against the polls it replaced (delays growing from 0.1 s to a cap,
0.2 s as the wave's batch had, 1 s as uch_job's default), on the same
uchd in one run, the ways interleaved job by job.

    bench/wait_latency.py [N]   (N copies a way, default 12)

Starts build/uchd on a temporary state dir; each job is a copy of a
64 MiB file with 16 MiB of data, limited to 16, 8 or 6 MiB/s in turn
(about 1, 2 and 3 s: waits ending at different points of a poll's
growing delays).  The latency
is the wait's return minus the job's finished_at (uchd's clock, the
same machine); prints the median and the largest a way.
"""
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, 'ansible'))
from ansible_collections.uch.appliance.plugins.module_utils.uch_api import (  # noqa: E402
    FINAL_STATES, UchClient, poll_delays)


def polled(client, job_id, cap):
    """The wait before the long poll (uch_api.wait_job of 5e28256)."""
    delays = poll_delays(cap)
    while True:
        job = client.get_job(job_id)
        if job['state'] in FINAL_STATES:
            return job
        time.sleep(next(delays))


def finished(job):
    return datetime.datetime.fromisoformat(
        job['finished_at'].replace('Z', '+00:00')).timestamp()


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 12
    d = tempfile.mkdtemp(prefix='uch-wait-latency.')
    uchd = None
    try:
        os.makedirs(d + '/state')
        os.makedirs(d + '/run')
        with open(d + '/src.img', 'wb') as f:
            f.truncate(64 << 20)
            for i in range(16):
                f.seek(i * (4 << 20))
                f.write(os.urandom(1 << 20))
        sock = d + '/run/uchd.sock'
        uchd = subprocess.Popen(
            [TOP + '/build/uchd', '--state-dir', d + '/state', '--runtime-dir', d + '/run',
             '--unix', sock, '--source-root', d, '--destination-root', d,
             '--export-root', d, '--secret-root', d, '--library-root', d],
            stdout=open(d + '/uchd.log', 'w'), stderr=subprocess.STDOUT)
        for _ in range(100):
            if os.path.exists(sock):
                break
            time.sleep(0.1)
        client = UchClient(sock)
        client.health()
        ways = [('long poll', lambda c, j: c.wait_job(j, 600)[0]),
                ('polls up to 0.2 s', lambda c, j: polled(c, j, 0.2)),
                ('polls up to 1 s', lambda c, j: polled(c, j, 1.0))]
        late = dict((w, []) for w, _ in ways)
        for i in range(n):
            for name, wait in ways:
                jid = 'lat-%d-%s' % (i, name.split()[-2] if name != 'long poll' else 'lp')
                client.submit({'type': 'copy', 'id': jid,
                               'limits': {'bandwidth': ('16M', '8M', '6M')[i % 3]},
                               'disks': [{
                    'source': {'path': d + '/src.img'},
                    'destination': {'path': '%s/%s.img' % (d, jid)}}]})
                job = wait(client, jid)
                back = time.time()
                if job['state'] != 'succeeded':
                    sys.exit('%s: %s' % (jid, json.dumps(job.get('error'))))
                late[name].append(back - finished(job))
                os.unlink('%s/%s.img' % (d, jid))
        for name, _ in ways:
            v = sorted(late[name])
            print('%-20s median %6.3f s  largest %6.3f s  (%d jobs)'
                  % (name, v[len(v) // 2], v[-1], len(v)))
    finally:
        if uchd:
            uchd.terminate()
            uchd.wait()
        shutil.rmtree(d, ignore_errors=True)


if __name__ == '__main__':
    main()
