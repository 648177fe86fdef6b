#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The copies of a migration wave submitted straight to uchd from one
process, for bench/wave to set against the Ansible wave: the same
placement (the collection's own uch_place), the same lanes in parallel
(a thread each), per VM the same export over TLS-PSK on the source, the
same copy jobs one after the other on the destination, the export
cancelled afterwards, each waited for as the modules wait (the long
poll).  No Ansible, no SSH: uchd's Unix sockets.

    wave_direct.py POOL.json WORKLOADS.json WAVE  -> prints the seconds

POOL.json: {"sources": {NAME: {...}}, "destinations": {NAME: {...}}},
each {"socket", "secrets_dir", "address", "slots"}; WORKLOADS.json as
migrate_wave's workloads file, as JSON; WAVE the job id prefix.
"""
import json
import os
import secrets
import sys
import threading
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, 'ansible'))
from ansible_collections.uch.appliance.plugins.filter.uch_wave import uch_place  # noqa: E402
from ansible_collections.uch.appliance.plugins.module_utils.uch_api import UchClient  # noqa: E402

PORT_BASE = 10809


def wait(client, job_id, serving=False, timeout=3600):
    """The collection's own wait (uch_api.wait_job: uchd's long poll),
    as the wave's modules wait."""
    job, timed_out = client.wait_job(job_id, timeout, 0.2,
                                     'serving' if serving else 'final')
    if timed_out:
        raise RuntimeError('%s: still %s after %d s' % (job_id, job['phase'], timeout))
    return job


def secret_file(d, job_id, content):
    path = os.path.join(d, job_id)
    os.makedirs(path, 0o700, exist_ok=True)
    f = os.path.join(path, 'psk')
    fd = os.open(f, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as out:
        out.write(content + '\n')
    return f


def one_vm(wave, vm, src, dst, port, limits):
    s, d = UchClient(src['socket']), UchClient(dst['socket'])
    psk = 'uch:' + secrets.token_hex(32)
    labels = {'uch_wave': wave, 'vm': vm['name']}
    eid = '%s-%s-export' % (wave, vm['name'])
    s.submit({'type': 'export', 'id': eid, 'labels': labels,
              'disks': [{'source': k['source'], 'name': k['name']} for k in vm['disks']],
              'listen': {'tcp': '%s:%d' % (src['address'], port),
                         'tls_psk_file': secret_file(src['secrets_dir'], eid, psk),
                         'advertise': src['address']}})
    try:
        job = wait(s, eid, serving=True)
        if job.get('phase') != 'serving':
            raise RuntimeError('%s: %s' % (eid, job.get('error')))
        uris = dict((e['name'], e['uri'].split('?')[0]) for e in job['result']['exports'])
        for k in vm['disks']:
            cid = '%s-%s-%s' % (wave, vm['name'], k['name'])
            req = {'type': 'copy', 'id': cid, 'labels': dict(labels, disk=k['name']),
                   'verify': False,
                   'disks': [{'source': {'nbd': uris[k['name']] + '?tls-psk-file='
                                         + secret_file(dst['secrets_dir'], cid, psk)},
                              'destination': k['destination']}]}
            if limits:
                req['limits'] = limits
            d.submit(req)
            job = wait(d, cid)
            if job['state'] != 'succeeded':
                raise RuntimeError('%s: %s' % (cid, job.get('error')))
    finally:
        s.cancel(eid)
        wait(s, eid)


def main():
    pool = json.load(open(sys.argv[1]))
    wl = json.load(open(sys.argv[2]))
    wave = sys.argv[3]
    limits = json.loads(sys.argv[4]) if len(sys.argv) > 4 and sys.argv[4] else None
    src_free = dict((n, a['slots']) for n, a in pool['sources'].items())
    dst_free = dict((n, a['slots']) for n, a in pool['destinations'].items())
    placement = uch_place(wl['vms'], src_free, dst_free, sorted(src_free)[0])
    errors = []

    def lane(l):
        for vm in l['vms']:
            try:
                one_vm(wave, vm, pool['sources'][l['source']],
                       pool['destinations'][l['destination']], PORT_BASE + l['index'], limits)
            except Exception as e:  # noqa: BLE001 (reported below)
                errors.append('%s: %s' % (vm['name'], e))

    t0 = time.time()
    threads = [threading.Thread(target=lane, args=(l,)) for l in placement['lanes']]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.time() - t0
    if errors or placement['unplaced']:
        sys.exit('direct wave failed: %s' % '; '.join(errors + [u['error'] for u in placement['unplaced']]))
    print('%.3f %d' % (seconds, len(placement['lanes'])))


if __name__ == '__main__':
    main()
