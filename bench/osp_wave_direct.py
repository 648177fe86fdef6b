#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""One VM's OpenStack -> OpenStack volume migration done straight, for
tests/cloud/test-cloud-osp-wave.sh to set against migrate_wave.yml with
uch_cloud: openstack (the volume_migration role's openstack_prepare.yml,
attempt.yml and openstack_finish.yml): the same cloud steps, one after
the other as the role's loops take them, through openstacksdk from one
process, each waited for as the collection's uch_os_* modules wait
(module_utils/uch_openstack.py: polls every 2 s); the same jobs on the
appliances' uchd with the requests the role's uch_job tasks send (an
export over TLS-PSK on the source, a copy job per disk on the
destination, the export cancelled after), over uchd's HTTPS API with
the token the appliances got from their config drive, polled as the
module polls (uch_api.poll_delays: 0.1 s, half as long again each time,
up to 1 s: each poll here is a TLS handshake with a TCG appliance that
is copying, where the module's is a GET on the Unix socket).  The PSK
goes to each appliance as the module puts it there, a 0600 file under
/var/lib/uch/ansible-secrets/JOB/ (uchd reads secrets from files only),
by one SSH command each, removed once uchd no longer needs it.

    osp_wave_direct.py CONFIG.json   -> the phases' seconds as JSON

CONFIG.json:
  {"wave": "osp1d",                       the job ids' and names' prefix
   "vm": {...},                           the workloads entry, as the role's
                                          uch_vm (disks[i].source.volume, size,
                                          openstack.image_metadata;
                                          openstack.server, flavor, network,
                                          new_name)
   "source": {"cloud": "uchos-src", "appliance": "uch-src-appliance",
              "address": IP},
   "destination": {"cloud": "uchos-dst", "appliance": "uch-dst-appliance",
                   "address": IP},
   "token": "...", "ssh_key": PATH}
Runs where the clouds and the appliances are reachable (the test
cloud's namespaces: cloud.sh run), OS_CLIENT_CONFIG_FILE set.
"""
import json
import math
import os
import secrets
import subprocess
import sys
import time

import openstack
import openstack.exceptions

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, 'ansible'))
from ansible_collections.uch.appliance.plugins.module_utils.uch_api import (  # noqa: E402
    FINAL_STATES, UchClient, poll_delays)

EXPORT_PORT = 10809
SECRETS_DIR = '/var/lib/uch/ansible-secrets'
CLOUD_WAIT = 600       # the uch_os_* modules' timeout
VOLUME_FAILURES = ['error', 'error_deleting', 'error_attaching', 'error_detaching',
                   'error_extending', 'error_restoring']
PHASES = []


class Phase:
    """with Phase('name'): the seconds of the block, into PHASES."""

    def __init__(self, name):
        self.name = name

    def __enter__(self):
        self.t0 = time.time()

    def __exit__(self, *exc):
        PHASES.append((self.name, time.time() - self.t0))
        print('%-40s %7.1f s' % (self.name, PHASES[-1][1]), file=sys.stderr, flush=True)


def wait_volume(conn, v, status):
    return conn.block_storage.wait_for_status(v, status=status, interval=2, wait=CLOUD_WAIT,
                                              failures=VOLUME_FAILURES)


def get_volume(conn, name_or_id):
    """As OsModule.find_volume: found (by id or name), then read whole."""
    return conn.block_storage.get_volume(
        conn.block_storage.find_volume(name_or_id, ignore_missing=False).id)


def get_server(conn, name_or_id):
    return conn.compute.get_server(conn.compute.find_server(name_or_id, ignore_missing=False).id)


def servers_of(v):
    return [a.get('server_id') for a in v.attachments or []]


def attach(conn, server, vid):
    v = get_volume(conn, vid)
    if server.id in servers_of(v):
        return v
    conn.compute.create_volume_attachment(server, volume_id=v.id)
    return wait_volume(conn, v, 'in-use')


def detach(conn, server, vid):
    v = get_volume(conn, vid)
    if server.id not in servers_of(v):
        return v
    conn.compute.delete_volume_attachment(v.id, server, ignore_missing=False)
    return wait_volume(conn, v, 'available')


def root_volume(conn, s):
    """The volume s boots from (uch_openstack.root_volume): of its
    volumes, the one at the first device name."""
    devs = []
    for a in s.attached_volumes or []:
        v = conn.block_storage.get_volume(a['id'])
        for at in v.attachments or []:
            if at.get('server_id') == s.id and at.get('device'):
                devs.append((at['device'], v.id))
    return min(devs)[1] if devs else None


def ssh(cfg, address, argv, stdin=None):
    subprocess.run(['ssh', '-q', '-i', cfg['ssh_key'], '-o', 'StrictHostKeyChecking=no',
                    '-o', 'UserKnownHostsFile=/dev/null', '-o', 'BatchMode=yes',
                    '-o', 'ConnectTimeout=30', 'root@' + address] + argv,
                   input=stdin, check=True, timeout=300)


def put_psk(cfg, address, job_id, psk):
    path = '%s/%s/psk' % (SECRETS_DIR, job_id)
    ssh(cfg, address, ['install', '-D', '-m', '600', '/dev/stdin', path],
        stdin=(psk + '\n').encode())
    return path


def drop_secrets(cfg, address, job_id):
    ssh(cfg, address, ['rm', '-r', '-f', '--', '%s/%s' % (SECRETS_DIR, job_id)])


def wait_job(client, job_id, serving=False, timeout=86400):
    deadline = time.time() + timeout
    delays = poll_delays(1.0)
    while True:
        job = client.get_job(job_id)
        if job['state'] in FINAL_STATES or (serving and job.get('phase') == 'serving'):
            return job
        if time.time() > deadline:
            raise RuntimeError('job %s: still %s after %d s' % (job_id, job.get('phase'), timeout))
        time.sleep(next(delays))


def why_queued(cfg, client, address):
    """What holds the appliance's job slots: its jobs, slots, workers."""
    print('slots: %s' % json.dumps(client.health().get('slots')), file=sys.stderr)
    for j in client.list_jobs():
        print('job %s %s %s %s started %s ended %s' % (
            j.get('id'), j.get('type'), j.get('state'), j.get('phase'),
            j.get('started_at'), j.get('ended_at')), file=sys.stderr)
    sys.stderr.flush()
    ssh(cfg, address, ['ps', '-eo', 'pid,ppid,etime,stat,args'])


def main():
    cfg = json.load(open(sys.argv[1]))
    wave, vm = cfg['wave'], cfg['vm']
    os_cfg = vm['openstack']
    sa, da = cfg['source'], cfg['destination']
    t0 = time.time()

    with Phase('connect'):
        src = openstack.connect(cloud=sa['cloud'])
        dst = openstack.connect(cloud=da['cloud'])
        src.authorize()
        dst.authorize()
        su = UchClient(api_url='https://%s:10808' % sa['address'], token=cfg['token'],
                       validate_certs=False, timeout=60)
        du = UchClient(api_url='https://%s:10808' % da['address'], token=cfg['token'],
                       validate_certs=False, timeout=60)

    # --- openstack_prepare.yml ---
    with Phase('stop the server'):
        server = get_server(src, os_cfg.get('server', vm['name']))
        if server.status == 'ACTIVE':
            src.compute.stop_server(server)
            server = src.compute.wait_for_server(server, status='SHUTOFF', failures=['ERROR'],
                                                 interval=2, wait=CLOUD_WAIT)
        elif server.status != 'SHUTOFF':
            sys.exit('server %s is %s' % (server.name, server.status))
        root = root_volume(src, server)
    with Phase('detach the non-boot volumes'):
        for d in vm['disks']:
            if d['source']['volume'] != root:
                detach(src, server, d['source']['volume'])
    clone_of = {}
    with Phase('clone the boot volume'):
        for d in vm['disks']:
            if d['source']['volume'] == root:
                v = src.block_storage.create_volume(
                    name='%s-%s-%s-src' % (wave, vm['name'], d['name']), source_volume_id=root)
                clone_of[root] = wait_volume(src, v, 'available').id
    with Phase('attach to the source appliance'):
        src_app = get_server(src, sa['appliance'])
        for d in vm['disks']:
            attach(src, src_app, clone_of.get(d['source']['volume'], d['source']['volume']))
    new_ids = []
    with Phase('create the new volumes'):
        for i, d in enumerate(vm['disks']):
            v = dst.block_storage.create_volume(
                name='%s-%s-%s' % (wave, vm['name'], d['name']),
                size=int(math.ceil(int(d['size']) / 1073741824.0)))
            v = wait_volume(dst, v, 'available')
            if i == 0:   # Nova boots only from a volume Cinder calls bootable
                dst.block_storage.set_volume_bootable_status(v, True)
            # what Nova reads to boot the guest as it booted
            # (hw_firmware_type uefi...), as uch_os_volume sets it: the
            # source volume's (disks[i].openstack.image_metadata), the
            # boot volume's disk bus virtio unless it says otherwise
            meta = dict({'hw_disk_bus': 'virtio'} if i == 0 else {},
                        **(d.get('openstack') or {}).get('image_metadata') or {})
            if meta:
                r = dst.block_storage.post('/volumes/%s/action' % v.id, json={
                    'os-set_image_metadata': {'metadata': {k: str(x) for k, x in meta.items()}}})
                openstack.exceptions.raise_from_response(r)
            v = dst.block_storage.get_volume(v.id)
            new_ids.append(v.id)
    with Phase('attach to the destination appliance'):
        dst_app = get_server(dst, da['appliance'])
        for vid in new_ids:
            attach(dst, dst_app, vid)

    # --- attempt.yml: the jobs ---
    psk = 'uch:' + secrets.token_hex(32)
    labels = {'uch_wave': wave, 'vm': vm['name']}
    eid = '%s-%s-export' % (wave, vm['name'])
    with Phase('export serving'):
        path = put_psk(cfg, sa['address'], eid, psk)
        su.submit({'type': 'export', 'id': eid, 'labels': labels,
                   'disks': [{'source': dict(d['source'], volume=clone_of.get(
                       d['source']['volume'], d['source']['volume'])), 'name': d['name']}
                       for d in vm['disks']],
                   'listen': {'tcp': '%s:%d' % (sa['address'], EXPORT_PORT),
                              'tls_psk_file': path, 'advertise': sa['address']}})
        drop_secrets(cfg, sa['address'], eid)   # uchd keeps its own copy
        try:
            job = wait_job(su, eid, serving=True, timeout=120)   # uch_export_timeout
        except RuntimeError:
            why_queued(cfg, su, sa['address'])
            raise
        if job.get('phase') != 'serving':
            sys.exit('export %s: %s %s' % (eid, job['state'], job.get('error')))
        uris = dict((e['name'], e['uri'].split('?')[0]) for e in job['result']['exports'])
    try:
        for d, vid in zip(vm['disks'], new_ids):
            cid = '%s-%s-%s' % (wave, vm['name'], d['name'])
            with Phase('copy ' + d['name']):
                path = put_psk(cfg, da['address'], cid, psk)
                du.submit({'type': 'copy', 'id': cid, 'labels': dict(labels, disk=d['name']),
                           'verify': False,
                           'disks': [{'source': {'nbd': uris[d['name']] + '?tls-psk-file=' + path},
                                      'destination': {'volume': vid, 'wait_s': 300}}]})
                job = wait_job(du, cid)
                drop_secrets(cfg, da['address'], cid)
                if job['state'] != 'succeeded':
                    sys.exit('copy %s: %s %s' % (cid, job['state'], job.get('error')))
    finally:
        with Phase('stop the export'):
            if su.get_job(eid)['state'] not in FINAL_STATES:
                su.cancel(eid)
                wait_job(su, eid, timeout=60)

    # --- openstack_finish.yml ---
    with Phase('detach the new volumes'):
        for vid in new_ids:
            detach(dst, dst_app, vid)
    with Phase('boot the new server'):
        flavor = dst.compute.find_flavor(os_cfg['flavor'], ignore_missing=False)
        net = dst.network.find_network(os_cfg['network'], ignore_missing=False)
        s = dst.compute.create_server(
            name=os_cfg.get('new_name', vm['name']), flavor_id=flavor.id,
            networks=[{'uuid': net.id}],
            block_device_mapping=[
                {'boot_index': 0 if i == 0 else -1, 'uuid': vid, 'source_type': 'volume',
                 'destination_type': 'volume', 'delete_on_termination': False}
                for i, vid in enumerate(new_ids)])
        s = dst.compute.wait_for_server(s, status='ACTIVE', failures=['ERROR'],
                                        interval=2, wait=CLOUD_WAIT)
    with Phase('detach the old volumes'):
        for d in vm['disks']:
            detach(src, src_app, clone_of.get(d['source']['volume'], d['source']['volume']))
    with Phase('give the old volumes back'):
        for d in vm['disks']:
            if d['source']['volume'] != root:
                attach(src, server, d['source']['volume'])
    with Phase('delete the clone'):
        for vid in clone_of.values():
            v = src.block_storage.get_volume(vid)
            src.block_storage.delete_volume(v)
            src.block_storage.wait_for_delete(v, interval=2, wait=CLOUD_WAIT)

    print(json.dumps({'seconds': round(time.time() - t0, 1), 'server': s.id,
                      'volumes': new_ids,
                      'phases': [[n, round(t, 1)] for n, t in PHASES]}))


if __name__ == '__main__':
    main()
