#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The warm VMware migration of one VM driven straight from one process,
for bench/vmware_warm to set against the Ansible role vmware_warm: the
same steps in the same order (CBT on, a snapshot, pass 1 of a uchd sync
job over /folder, then per pass a snapshot, QueryChangedDiskAreas since
the last changeIds, a sync pass of those extents, the snapshot removed;
the guest shut down, the last pass), with pyVmomi and uchd's Unix
socket, no Ansible.

    vmware_warm_direct.py CONF.json  -> prints the seconds

CONF.json: {"host", "port", "user", "password_file", "vm", "socket",
"job", "destination", "passes", "before_cutover": a command run before
the guest is shut down (the bench stops its writer, which stands for the
guest)}.
"""
import json
import os
import ssl
import subprocess
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, 'ansible'))
from pyVim.connect import SmartConnect, Disconnect  # noqa: E402
from pyVim.task import WaitForTask  # noqa: E402
from pyVmomi import vim  # noqa: E402
from ansible_collections.uch.appliance.plugins.module_utils.uch_api import UchClient  # noqa: E402
from ansible_collections.uch.appliance.plugins.module_utils.uch_vmware import (  # noqa: E402
    cbt_extents, folder_url)


def main():
    conf = json.load(open(sys.argv[1]))
    start = time.time()
    pw = open(conf['password_file']).readline().strip()
    si = SmartConnect(host=conf['host'], port=conf['port'], user=conf['user'], pwd=pw,
                      sslContext=ssl._create_unverified_context())
    content = si.RetrieveContent()
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
    vm = [v for v in view.view if v.name == conf['vm']][0]
    view.Destroy()
    if not vm.config.changeTrackingEnabled:
        WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(changeTrackingEnabled=True)))
    uch = UchClient(conf['socket'])

    def snapshot(n):
        snap = WaitForTask(vm.CreateSnapshot_Task('direct-%d' % n, '', False, False))
        del snap
        s = vm.snapshot.currentSnapshot
        disks = [d for d in s.config.hardware.device if isinstance(d, vim.vm.device.VirtualDisk)]
        return s, disks

    def wait_passes(n):
        while True:
            job = uch.get_job(conf['job'])
            if job['state'] == 'failed':
                raise RuntimeError(job.get('error'))
            done = len((job.get('result') or {}).get('passes') or [])
            if done >= n and (job['phase'] == 'waiting' or job['state'] == 'succeeded'):
                return job
            time.sleep(0.2)

    s, disks = snapshot(1)
    since = {d.key: d.backing.changeId for d in disks}
    url = folder_url(conf['host'], conf['port'], 'DC0', disks[0].backing.fileName)
    uch.submit({'type': 'sync', 'id': conf['job'], 'disks': [{
        'source': {'nbdkit': {'plugin': 'curl', 'url': url, 'user': conf['user'],
                              'password_file': conf['password_file'], 'sslverify': False}},
        'destination': {'path': conf['destination']}}]})
    wait_passes(1)
    WaitForTask(s.RemoveSnapshot_Task(False))
    for n in range(2, conf['passes'] + 2):
        cut = n == conf['passes'] + 1
        if cut:
            subprocess.run(conf['before_cutover'], shell=False, check=True)
            vm.ShutdownGuest()
            while str(vm.runtime.powerState) != 'poweredOff':
                time.sleep(0.2)
        s, disks = snapshot(n)
        body = []
        for d in disks:
            def query(off, d=d):
                return vm.QueryChangedDiskAreas(snapshot=s, deviceKey=d.key, startOffset=off,
                                                changeId=since[d.key])
            ext, _answers = cbt_extents(query, d.capacityInBytes or d.capacityInKB * 1024)
            body.append({'changed_extents': ext, 'change_id': d.backing.changeId})
        uch.call('POST', '/v1/jobs/%s/%s' % (conf['job'], 'cutover' if cut else 'sync'),
                 {'disks': body})
        wait_passes(n)
        since = {d.key: d.backing.changeId for d in disks}
        WaitForTask(s.RemoveSnapshot_Task(False))
    Disconnect(si)
    print('%.2f' % (time.time() - start))


if __name__ == '__main__':
    main()
