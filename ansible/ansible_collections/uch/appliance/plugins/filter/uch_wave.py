# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-2.0-or-later
# Copyright: UCH project
# GNU General Public License v2.0 or later, so v3.0 or later too (see COPYING)
"""Filters for migrate_wave.yml (placement of VMs on appliance slots,
the wave report as Markdown) and warm_migration (sync disks, passes)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ansible.errors import AnsibleFilterError
from ansible_collections.uch.appliance.plugins.module_utils.uch_api import pass_summaries
from ansible_collections.uch.appliance.plugins.module_utils.uch_os_match import storage_for
from ansible_collections.uch.appliance.plugins.module_utils.uch_uri import uri_host


def _load(vm):
    """How much work a VM is: the sum of its disks' sizes when given,
    else its disk count."""
    disks = vm.get('disks') or []
    sizes = [d.get('size') for d in disks]
    if sizes and all(isinstance(s, int) for s in sizes):
        return sum(sizes)
    return len(disks)


# what a VM's "inplace" may set of an inplace request (docs/api.md)
INPLACE_FIELDS = ('memory_mib', 'vcpus', 'firmware', 'macs', 'options')


def uch_vm_invalid(vm):
    """Why a VM's description cannot be migrated, or None.  uch_place
    checks it once for a whole wave (so that volume_migration need not,
    a task per VM); the role on its own asserts it."""
    name = vm.get('name')
    if not isinstance(name, str) or not re.match(r'^[A-Za-z0-9._-]+$', name):
        return 'the name must be letters, digits, dots, dashes or underscores'
    checks = vm.get('checks')   # discover_vmware's source checks
    if isinstance(checks, dict) and checks.get('verdict') == 'blocked':
        reasons = checks.get('reasons') or []
        return 'source checks: blocked: %s%s' % (
            '; '.join(r.get('message', '') for r in reasons if r.get('level') == 'blocked'),
            ''.join(' (warning: %s)' % r.get('message', '') for r in reasons
                    if r.get('level') != 'blocked'))
    kind = vm.get('kind', 'volume')
    if kind not in ('volume', 'vmware'):
        return ('kind %s: a wave migrates volumes (kind: volume) or vSphere VMs'
                ' (kind: vmware); a warm migration of volumes runs with'
                ' playbooks/warm_migration.yml' % kind)
    if kind == 'vmware':
        return _vmware_invalid(vm)
    disks = vm.get('disks')
    if not isinstance(disks, list) or not disks:
        return 'no disks'
    if not all(isinstance(d, dict) for d in disks):
        return 'each disk must be a mapping'
    names = [d.get('name') for d in disks]
    if not all(names) or len(set(names)) != len(names):
        return 'each disk needs a name of its own'
    for d in disks:
        if not d.get('source'):
            return 'disk %s has no source' % d['name']
    inplace = vm.get('inplace', False)
    if not isinstance(inplace, (bool, dict)):
        return 'inplace must be true, false or a mapping'
    unknown = sorted(set(inplace) - set(INPLACE_FIELDS)) if isinstance(inplace, dict) else []
    if unknown:
        return 'inplace: unknown field %s (known: %s)' % (unknown[0], ', '.join(INPLACE_FIELDS))
    return None


VMWARE_PLANS = ('cold', 'warm')


def _destination_invalid(dest):
    if not isinstance(dest, dict) or len([k for k in ('path', 'volume') if dest.get(k)]) != 1:
        return 'must be {path: ABS} or {volume: ID}'
    if dest.get('path') and not str(dest['path']).startswith('/'):
        return 'path must be absolute'
    return None


def _vmware_invalid(vm):
    """Why a vSphere VM of a wave (kind vmware, discover_vmware's entry
    with a destination per disk) cannot be migrated, or None.  Its plan
    (the VM's, else the file's, see uch_wave_vms): cold, a convert job
    reading the VM from the vCenter (virt-v2v, vpx://) and writing each
    disk's destination (a block device or volume), or the VM's
    "output" (the convert request's, e.g. {local: {dir, format}});
    warm, a sync job driven over the vCenter API (role vmware_warm),
    each disk's destination raw."""
    plan = vm.get('plan', 'cold')
    if plan not in VMWARE_PLANS:
        return 'plan must be cold or warm, not %r' % (plan,)
    vw = vm.get('vmware')
    if not isinstance(vw, dict) or not vw.get('host') or not vw.get('datacenter'):
        return ('kind vmware needs vmware.datacenter and vmware.host (the ESXi '
                'host), as discover_vmware writes them')
    disks = vm.get('disks')
    if not isinstance(disks, list) or not disks or not all(isinstance(d, dict) for d in disks):
        return 'no disks'
    names = [d.get('name') for d in disks]
    if not all(names) or len(set(names)) != len(names):
        return 'each disk needs a name of its own'
    output = vm.get('output')
    if output is not None:
        if plan == 'warm':
            return 'output is for a cold plan (a convert job); a warm plan writes each disk\'s destination'
        if not isinstance(output, dict) or len(output) != 1:
            return 'output must be a convert request\'s output ({local: {dir: ABS, format: qcow2}}...)'
    for d in disks:
        if not isinstance(d.get('source'), dict) or not isinstance(d['source'].get('vmware'), dict):
            return 'disk %s has no source.vmware (discover_vmware writes it)' % d['name']
        if output is not None and 'destination' not in d:
            continue
        why = _destination_invalid(d.get('destination'))
        if why:
            return 'disk %s: destination %s' % (d['name'], why)
    inplace = vm.get('inplace', False)
    if inplace is not False and plan == 'cold':
        return 'inplace is for a warm plan (a cold plan\'s convert job converts)'
    if not isinstance(inplace, (bool, dict)):
        return 'inplace must be true, false or a mapping'
    return None


def uch_wave_vms(doc, plan=None):
    """The VMs of a workloads file as the wave takes them: a vSphere VM
    (kind vmware) gets the file's plan (discover_vmware writes it;
    PLAN, uch_plan, overrides the file's) unless it has its own."""
    if not isinstance(doc, dict) or not isinstance(doc.get('vms'), list):
        raise AnsibleFilterError('the workloads file must be a mapping with a list "vms"')
    default = plan or doc.get('plan') or 'cold'
    out = []
    for vm in doc['vms']:
        if isinstance(vm, dict) and vm.get('kind') == 'vmware' and 'plan' not in vm:
            vm = dict(vm, plan=default)
        out.append(vm)
    return out


def _esxi_host(vm):
    """The ESXi host a VM's disks are read from (VDDK's NFC sessions are
    per host): its esxi_host, else discover_vmware's vmware.host."""
    return vm.get('esxi_host') or (vm.get('vmware') or {}).get('host')


def uch_place(vms, sources, destinations, default_source=None, existing=None,
              esxi_host_limit=0):
    """Lanes for a wave.

    sources, destinations: {appliance: free slots}.  A lane is one slot on
    a source and one on a destination; it runs its VMs one after the
    other, so an appliance never has more of the wave's jobs than the
    lanes it got, which is never more than its free slots.  Each VM goes
    to the least loaded lane of its source (and of its destination, when
    the VM names one).  existing: {VM: destination} where a VM's copy
    jobs already are (an earlier run of the wave): the VM stays there, so
    a rerun finds its jobs.  A VM whose description is invalid (see
    uch_vm_invalid) is not placed.  esxi_host_limit: at most that many
    lanes (so that many transfers at once, a lane running one VM at a
    time) hold VMs of one ESXi host (_esxi_host); 0: no limit.  Among the
    lanes a VM may take, the least loaded wins, then the one holding
    fewest VMs of its host, so a host's VMs spread up to the limit.
    Returns {"lanes": [...], "unplaced": [...]}, each unplaced VM with
    its name and the error saying why.
    """
    try:
        esxi_host_limit = int(esxi_host_limit or 0)
    except (TypeError, ValueError):
        raise AnsibleFilterError('uch_place: the ESXi host limit must be a number, not %r'
                                 % (esxi_host_limit,))
    if esxi_host_limit < 0:
        raise AnsibleFilterError('uch_place: the ESXi host limit must be 0 (none) or more')
    existing = existing or {}
    if not isinstance(vms, list):
        raise AnsibleFilterError('uch_place: the workloads must be a list of VMs')
    dfree = dict((h, int(n)) for h, n in destinations.items())
    lanes = []
    # One lane per round per destination, so a source's lanes spread
    # over the destinations instead of filling the first.
    for src in sorted(sources):
        k = int(sources[src])
        while k > 0 and any(n > 0 for n in dfree.values()):
            for dst in sorted(dfree, key=lambda h: (-dfree[h], h)):
                if k == 0:
                    break
                if dfree[dst] <= 0:
                    continue
                lanes.append(dict(name='lane-%s-%s-%d' % (src, dst, len(lanes)),
                                  source=src, destination=dst, vms=[], load=0,
                                  index=sum(1 for l in lanes if l['source'] == src)))
                dfree[dst] -= 1
                k -= 1
    # destination slots no source lane took: lanes of their own for the
    # vSphere VMs (kind vmware), which read from the vCenter, not from a
    # source appliance
    for dst in sorted(dfree):
        for i in range(dfree[dst]):
            lanes.append(dict(name='lane-vcenter-%s-%d' % (dst, len(lanes)),
                              source=None, destination=dst, vms=[], load=0, index=i))
    unplaced = []
    names = set()
    for vm in sorted(vms, key=lambda v: (-_load(v), v.get('name', ''))):
        name = vm.get('name')
        if not name:
            raise AnsibleFilterError('uch_place: a VM without a name: %r' % (vm,))
        if name in names:
            raise AnsibleFilterError('uch_place: VM %s is listed twice' % name)
        names.add(name)
        why = uch_vm_invalid(vm)
        if why:
            unplaced.append(dict(name=name, error='not placed, invalid description: ' + why))
            continue
        vmware = vm.get('kind') == 'vmware'
        src = None if vmware else vm.get('source') or default_source
        pin = vm.get('destination') or existing.get(name)
        cand = [l for l in lanes if (vmware or (src and l['source'] == src)) and
                (not pin or l['destination'] == pin)]
        if not cand:
            why = ('a VM of kind volume needs a source appliance, and the pool has none'
                   ' (uch_sources)' if not vmware and not src else
                   'source appliance %s is not in the pool or has no free slot' % src
                   if not vmware and not any(l['source'] == src for l in lanes) else
                   'no destination appliance has a free slot' if not pin else
                   'destination appliance %s is not in the pool or has no free slot'
                   % pin)
            unplaced.append(dict(name=name, error='not placed: ' + why))
            continue
        host = _esxi_host(vm)
        if host and esxi_host_limit:
            holding = [l for l in lanes if any(_esxi_host(v) == host for v in l['vms'])]
            if len(holding) >= esxi_host_limit:
                cand = [l for l in cand if l in holding]
            if not cand:
                unplaced.append(dict(name=name, error=(
                    'not placed: ESXi host %s has its limit of %d lanes, none of '
                    'them on this VM\'s appliances' % (host, esxi_host_limit))))
                continue

        def of_host(l):
            return sum(1 for v in l['vms'] if host and _esxi_host(v) == host)
        lane = min(cand, key=lambda l: (l['load'], of_host(l), len(l['vms']), l['name']))
        lane['vms'].append(vm)
        lane['load'] += _load(vm)
    for l in lanes:
        l['vms'].sort(key=lambda v: v['name'])
    return dict(lanes=[l for l in lanes if l['vms']], unplaced=unplaced)


def _cell(v):
    s = '' if v is None else str(v)
    return s.replace('|', '\\|').replace('\n', ' ')


def uch_report_md(report):
    """The wave report (a list of VM results) as a Markdown table."""
    rows = ['| VM | source | destination | state | bytes moved | seconds | error |',
            '|---|---|---|---|---:|---:|---|']
    for r in sorted(report, key=lambda r: r.get('name', '')):
        err = r.get('error') or ''
        if len(err) > 300:
            err = err[:300] + '...'
        rows.append('| ' + ' | '.join(_cell(x) for x in (
            r.get('name'), r.get('source'), r.get('destination'), r.get('state'),
            r.get('bytes'), r.get('seconds'), err)) + ' |')
    return '\n'.join(rows) + '\n'


def uch_export_disk(disk):
    """A workloads disk as an export request's disk."""
    return dict(source=disk['source'], name=disk['name'])


def uch_os_prepared_disks(disks, new_ids, clones=None, snapshots=None):
    """uch_cloud=openstack: the VM's disks as its copies see them, each
    copying onto its new volume (new_ids, in the disks' order; waiting
    for it to be attached) and exported from the volume the source
    appliance has: the clone (clones, {source volume id: clone id}) for
    the volume the server boots from, which Nova does not detach; for
    the disk of a server booted from an image (source.snapshot), the
    volume made from its snapshot (snapshots, {disk name: volume id})."""
    clones = clones or {}
    snapshots = snapshots or {}
    out = []
    for disk, vol in zip(disks, new_ids):
        d = dict(disk)
        src = (disk.get('source') or {}).get('volume')
        if (disk.get('source') or {}).get('snapshot') and disk.get('name') in snapshots:
            d['source'] = dict((k, v) for k, v in disk['source'].items() if k != 'snapshot')
            d['source']['volume'] = snapshots[disk['name']]
        elif src in clones:
            d['source'] = dict(disk['source'], volume=clones[src])
        d['destination'] = dict(volume=vol, wait_s=300)
        out.append(d)
    return out


def uch_os_storage(disk, storage_map=None):
    """uch_cloud=openstack: {volume_type, availability_zone} of a disk's
    new volume from the storage map's entry for the source volume's
    type (disk.openstack.volume_type); each None where the map does not
    say (the destination's default)."""
    found = storage_for(disk, storage_map)
    return dict(volume_type=found[0], availability_zone=found[1])


def uch_vm_locations(results, hosts):
    """{VM: destination appliance} from each destination's
    uch_job_info result (in the order of hosts): where an earlier run of
    the wave left a VM's copies."""
    out = {}
    for host, res in zip(hosts, results):
        for job in (res or {}).get('jobs') or []:
            vm = ((job.get('request') or {}).get('labels') or {}).get('vm')
            if vm and vm not in out:
                out[vm] = host
    return out


def uch_wave_free(free, results, hosts):
    """{appliance: free slots} as the wave may use them: each host's free
    slots (free, from uch_health) plus one for each VM of the wave that
    still has a queued or running job there (results: each host's
    uch_job_info result for the wave's label, in the order of hosts).
    A wave cut short leaves such jobs behind; its rerun's lanes take them
    up again (a job's id comes from the wave, VM and disk), so they hold
    the rerun's own slots, not another's: without this, an appliance
    whose every slot an earlier run still holds would place nothing."""
    out = dict((h, int(n)) for h, n in (free or {}).items())
    for host, res in zip(hosts, results):
        if host not in out:
            continue
        vms = set()
        for job in (res or {}).get('jobs') or []:
            labels = (job.get('request') or {}).get('labels') or {}
            # a VM's jobs, or a lane's export (the batch, uch_batch_exports);
            # an export only waiting out its idle time is free already
            # (uch_health's slots.idle)
            vm = labels.get('vm') or ('lane:' + labels['lane'] if labels.get('lane') else None)
            if vm and job.get('state') in ('queued', 'running') and job.get('phase') != 'idle':
                vms.add(vm)
        out[host] += len(vms)
    return out


def uch_jobs_labelled(jobs, labels):
    """The jobs (GET /v1/jobs entries) whose request carries every one of
    labels, as uch_job_info's labels option selects them."""
    return [j for j in jobs or []
            if all(((j.get('request') or {}).get('labels') or {}).get(k) == str(v)
                   for k, v in (labels or {}).items())]


def _type(job):
    return (job.get('request') or {}).get('type')


def uch_vmware_job_id(vm, wave):
    """The job that migrates a vSphere VM of a wave: WAVE-VM-convert (a
    cold plan's convert job), WAVE-VM (a warm plan's sync job, as role
    vmware_warm names it)."""
    if vm.get('plan', 'cold') == 'warm':
        return '%s-%s' % (wave, vm['name'])
    return '%s-%s-convert' % (wave, vm['name'])


def uch_vmware_macs(vm):
    """The options.macs of a vSphere VM's conversion that keep its
    static addresses (docs/api.md, convert): each NIC of discover_vmware's
    file with an "ip" (the address its guest has, as VMware Tools
    reported it), as virt-v2v 2.2 (Debian 12's) takes --mac MAC:ip:...,
    by position without an empty field: the prefix only after a
    gateway, the name servers only after both (at most 8)."""
    out = []
    for nic in (vm.get('vmware') or {}).get('nics') or []:
        ip = nic.get('ip')
        if not ip or not nic.get('mac') or not ip.get('address'):
            continue
        v2v = {'address': ip['address']}
        if ip.get('gateway'):
            v2v['gateway'] = ip['gateway']
            if ip.get('prefix'):
                v2v['prefix'] = ip['prefix']
                if ip.get('nameservers'):
                    v2v['nameservers'] = list(ip['nameservers'])[:8]
        out.append({'mac': nic['mac'].lower(), 'ip': v2v})
    return out


def uch_vmware_inplace(vm, keep_ips=True):
    """A warm plan's "inplace" of the sync request: the VM's own, with
    uch_vmware_macs added to its options.macs (the MACs it names itself
    left as they are) when KEEP_IPS."""
    inplace = dict(vm.get('inplace') or {})
    macs = uch_vmware_macs(vm) if keep_ips else []
    options = dict(inplace.get('options') or {})
    have = set((m.get('mac') or '').lower() for m in options.get('macs') or [] if m.get('ip'))
    add = [m for m in macs if m['mac'] not in have]
    if add:
        options['macs'] = list(options.get('macs') or []) + add
        inplace['options'] = options
    return inplace


def uch_vmware_convert_request(vm, vcenter, user, password_file, labels=None,
                               validate_certs=True, keep_ips=True):
    """A cold plan's convert job of a vSphere VM: virt-v2v reads it from
    the vCenter (input.vcenter, vpx://USER@VCENTER[:PORT]/DC/[CLUSTER/]HOST,
    the disks over HTTPS /folder), and writes the VM's "output" when it
    gives one, else each disk's destination (output.block, in the VM's
    disk order).  VCENTER: the workloads file's {hostname, port}.  With
    KEEP_IPS its NICs' static addresses are kept (uch_vmware_macs)."""
    try:
        from urllib.parse import quote
    except ImportError:     # Python 2
        from urllib import quote
    if not isinstance(vcenter, dict) or not vcenter.get('hostname'):
        raise AnsibleFilterError('%s: the vCenter is not known (the workloads file\'s'
                                 ' vcenter.hostname, or uch_vcenter_hostname)' % vm.get('name'))
    vw = vm['vmware']
    port = int(vcenter.get('port') or 443)
    host = vcenter['hostname'] + ('' if port == 443 else ':%d' % port)
    path = '/'.join(quote(str(x), safe='') for x in
                    [vw['datacenter']] + ([vw['cluster']] if vw.get('cluster') else []) + [vw['host']])
    url = 'vpx://%s@%s/%s%s' % (quote(user, safe=''), host, path,
                                '' if validate_certs else '?no_verify=1')
    output = vm.get('output') or {'block': {'devices': [d['destination'] for d in vm['disks']]}}
    req = dict(type='convert', name=vm['name'],
               input={'vcenter': {'url': url, 'vm': vm['name'], 'password_file': password_file}},
               output=output)
    macs = uch_vmware_macs(vm) if keep_ips else []
    if macs:
        req['options'] = {'macs': macs}
    if labels:
        req['labels'] = labels
    return req


def uch_vmware_vm_result(job, vm, destination, error=None):
    """A vSphere VM's entry in the wave report from its job (convert or
    sync, as uchd returns it): bytes a sync job's passes moved."""
    job = job or {}
    state = job.get('state') if not error else 'failed'
    passes = ((job.get('result') or {}).get('passes')) or []
    err = error
    if state != 'succeeded' and not err:
        e = job.get('error') or {}
        err = '%s: %s' % (e.get('code'), e.get('message')) if e else 'job %s' % state
    return dict(name=vm['name'], source='vcenter:%s' % (vm.get('vmware') or {}).get('host'),
                destination=destination, state='succeeded' if state == 'succeeded' else 'failed',
                plan=vm.get('plan', 'cold'), jobs=[job['id']] if job.get('id') else [],
                bytes=sum(int(p.get('bytes') or 0) for p in passes),
                seconds=round(sum(float(p.get('seconds') or 0) for p in passes), 2),
                error=None if state == 'succeeded' else err)


def uch_vm_done(jobs, vm, inplace_default=False):
    """Whether jobs (this VM's jobs on its destination) hold a succeeded
    copy for each of the VM's disks, and the in-place conversion after
    them when the VM asks for one (a vSphere VM: its convert or sync
    job succeeded): an earlier run finished it, and this one has nothing
    to do."""
    done = [j for j in jobs or [] if j.get('state') == 'succeeded']
    if vm.get('kind') == 'vmware':
        return any(_type(j) in ('convert', 'sync') for j in done)
    copies = set(j.get('id') for j in done if _type(j) == 'copy')
    if len(copies) < len(vm.get('disks') or []):
        return False
    return (not uch_inplace_wanted(vm, inplace_default)
            or any(_type(j) == 'inplace' for j in done))


def uch_inplace_wanted(vm, default=False):
    """The VM's own "inplace" (true, or a mapping of request fields),
    else the role's uch_inplace_after_copy."""
    want = vm.get('inplace', default)
    return isinstance(want, dict) or bool(want)


def uch_inplace_request(vm, copy_jobs, labels=None):
    """The inplace request converting a VM's disks where its copy jobs
    (in disk order) wrote them."""
    disks = [dict(path=d['path'], format=d.get('format') or 'raw')
             for j in copy_jobs for d in ((j.get('result') or {}).get('disks') or [])]
    req = dict(type='inplace', name=vm['name'], disks=disks)
    if labels:
        req['labels'] = labels
    if isinstance(vm.get('inplace'), dict):
        req.update(vm['inplace'])     # its fields checked by uch_vm_invalid
    return req


def uch_vm_result(name, source, destination, state, jobs, error=None):
    """A VM's entry in the wave report, from its jobs as uchd returns
    them: bytes moved and seconds summed over the copies' disks."""
    disks = [d for j in jobs or [] for d in ((j.get('result') or {}).get('disks') or [])]
    return dict(name=name, source=source, destination=destination, state=state,
                jobs=sorted(j.get('id') for j in jobs or []),
                bytes=sum(int(d.get('bytes_copied') or 0) for d in disks),
                seconds=round(sum(float(d.get('seconds') or 0) for d in disks), 2),
                error=None if state == 'succeeded' else (error or 'failed'))


def uch_wave_results(placement, reported, wave_jobs, inplace_default=False):
    """Every VM of a wave, for its report.

    placement: uch_place's lanes and unplaced VMs; reported: the results
    the lanes set (uch_wave_results); wave_jobs: {destination: the
    wave's jobs there when the wave started}.  A placed VM the lanes
    did not report either was done before this run (its copies say so)
    or was never reached: its lane stopped first."""
    by_name = dict((r['name'], r) for r in reported or [])
    out = []
    for lane in placement.get('lanes') or []:
        src, dst = lane['source'], lane['destination']
        for vm in lane['vms']:
            if vm['name'] in by_name:
                out.append(by_name[vm['name']])
                continue
            jobs = uch_jobs_labelled((wave_jobs or {}).get(dst), {'vm': vm['name']})
            done = [j for j in jobs if j.get('state') == 'succeeded']
            if uch_vm_done(jobs, vm, inplace_default) and vm.get('kind') == 'vmware':
                out.append(uch_vmware_vm_result(
                    [j for j in done if _type(j) in ('convert', 'sync')][0], vm, dst))
            elif uch_vm_done(jobs, vm, inplace_default):
                out.append(uch_vm_result(vm['name'], src, dst, 'succeeded', done))
            else:
                out.append(uch_vm_result(vm['name'], src, dst, 'failed', [],
                                         'no result: its lane stopped before reaching it'
                                         ' (see the playbook output)'))
    for vm in placement.get('unplaced') or []:
        out.append(uch_vm_result(vm['name'], None, None, 'failed', [], vm.get('error')))
    return sorted(out, key=lambda r: r['name'])


# A wave's batch (migrate_wave.yml): each appliance gets its whole queue
# in one module round (uch_jobs) instead of one round over SSH per VM:
# a source one export per lane serving all the lane's VMs' disks, a
# destination all the copies of its lanes, which uchd's slots pace.
# What the batch did not finish goes through volume_migration per VM,
# with its attempts, as before.

def _lane_export_id(wave, lane):
    # ".export": no job id of a VM (WAVE-VM-export, WAVE-VM-DISK) ends so
    return '%s-lane.%d.export' % (wave, lane['index'])


def _export_name(vm, disk):
    return '%s-%s' % (vm['name'], disk['name'])


def uch_batch_lanes(placement, wave_jobs, inplace_default=False):
    """The lanes of a placement (uch_place) as the batch takes them: each
    with the VMs of kind volume that want no in-place conversion and
    that an earlier run did not finish (wave_jobs: {destination: the
    wave's jobs there}); lanes left without VMs dropped."""
    out = []
    for lane in (placement or {}).get('lanes') or []:
        if not lane.get('source'):
            continue
        jobs = (wave_jobs or {}).get(lane['destination']) or []
        vms = [vm for vm in lane['vms']
               if vm.get('kind', 'volume') == 'volume'
               and not uch_inplace_wanted(vm, inplace_default)
               and not uch_vm_done(uch_jobs_labelled(jobs, {'vm': vm['name']}), vm, inplace_default)]
        if vms:
            out.append(dict(name=lane['name'], source=lane['source'],
                            destination=lane['destination'], index=lane['index'], vms=vms))
    return out


def uch_batch_names(lanes, host, role):
    """The names of the VMs in the batch's lanes (uch_batch_lanes) whose
    ROLE ("source" or "destination", or "any": either) is HOST."""
    return [vm['name'] for lane in lanes or []
            if host in ((lane.get('source'), lane.get('destination')) if role == 'any'
                        else (lane.get(role),))
            for vm in lane['vms']]


def uch_batch_hosts(lanes):
    """The appliances with a VM in the batch's lanes (uch_batch_lanes),
    sources and destinations, each once, in the lanes' order: the hosts
    of the batch's round (an appliance with nothing in it gets no
    round)."""
    out = []
    for lane in lanes or []:
        if not lane.get('vms'):
            continue
        for host in (lane.get('source'), lane.get('destination')):
            if host and host not in out:
                out.append(host)
    return out


def uch_export_endpoint(hv):
    """Where a source's exports are reached, from its host variables (hv:
    hostvars[SOURCE]), as the batch's exports advertise it: {"address":
    uch_export_advertise, else uch_export_listen, uch_export_address,
    ansible_host, the host's name; "port_base": uch_export_port_base,
    else 10809}."""
    def get(key):
        return hv[key] if key in hv else None
    address = None
    for key in ('uch_export_advertise', 'uch_export_listen', 'uch_export_address',
                'ansible_host', 'inventory_hostname'):
        address = get(key)
        if address is not None:
            break
    return dict(address=address, port_base=int(get('uch_export_port_base') or 10809))


def uch_batch_exports(lanes, host, wave, port_base, listen, advertise, psks, idle=None,
                      port_wait=None):
    """The export jobs (uch_jobs entries) of source HOST: one per lane,
    on the lane's port (port_base + its index), serving each disk of the
    lane's VMs as VM-DISK, TLS-PSK with one line per VM (user: the VM's
    name, key: psks[VM], the VM's own key as volume_migration uses it).
    With IDLE (uch_batch_export_end=idle), each ends by itself once every
    disk was read and no client came back for IDLE seconds (until
    disks-done): a wave whose batch finished every VM needs no round to
    stop them.  Without, each serves until it is stopped: a copy that
    comes back after a pause longer than IDLE (its verify after a long
    flush, on a loaded appliance) still finds it.  PORT_WAIT: how long
    each may wait for its port (port_wait_s), which an earlier wave's
    export may hold while it waits out its idle time."""
    out = []
    for lane in lanes or []:
        if lane['source'] != host:
            continue
        disks = [dict(source=d['source'], name=_export_name(vm, d))
                 for vm in lane['vms'] for d in vm['disks']]
        request = dict(type='export', labels=dict(uch_wave=wave, lane=lane['name']),
                       disks=disks,
                       listen=dict(tcp='%s:%d' % (listen, int(port_base) + lane['index']),
                                   tls_psk_file='@secret:psk@', advertise=advertise))
        if idle is not None:
            request.update(until='disks-done', idle_s=int(idle))
        if port_wait:
            request['port_wait_s'] = int(port_wait)
        out.append(dict(
            id=_lane_export_id(wave, lane),
            request=request,
            secrets=dict(psk='\n'.join('%s:%s' % (vm['name'], psks[vm['name']])
                                       for vm in lane['vms']))))
    return out


def uch_batch_round(lanes, host, wave, exports, sources, psks, verify=False, limits=None,
                    source_wait=30):
    """The jobs (uch_jobs entries) of HOST in the batch's one round: its
    exports as a source (exports: uch_batch_exports' list for HOST,
    each waited for until it serves, and replaced when its lane's export
    differs) and its copies as a destination,
    all handed to the appliances at once.  A copy's URI is known before
    its export runs (sources: {source: uch_export_endpoint}, the export's name
    VM-DISK): the copy waits up to source_wait seconds for its source to
    serve (source_wait_s), since it may start before its export listens.
    Copies as volume_migration submits them (id WAVE-VM-DISK, the same
    labels, the VM's user and key), in turns over the lanes."""
    out = [dict(e, wait_for='serving', replace=True) for e in exports or []]
    rows = []
    for lane in lanes or []:
        if lane['destination'] != host:
            continue
        src = (sources or {}).get(lane['source'])
        if not src or not src.get('address'):
            raise AnsibleFilterError('source %s: its export address is not known'
                                     % lane['source'])
        base = 'nbds://%s@%s:%d/' % ('%s', uri_host(src['address']),
                                     int(src.get('port_base') or 10809) + lane['index'])
        for pos, vm in enumerate(lane['vms']):
            for d in vm['disks']:
                req = dict(type='copy', labels=dict(uch_wave=wave, vm=vm['name'], disk=d['name']),
                           verify=bool(verify), source_wait_s=int(source_wait),
                           disks=[dict(source=dict(nbd=(base % vm['name']) + _export_name(vm, d)
                                                   + '?tls-psk-file=@secret:psk@'),
                                       destination=d['destination'])])
                if limits:
                    req['limits'] = limits
                rows.append((pos, lane['index'], dict(
                    id='%s-%s-%s' % (wave, vm['name'], d['name']), request=req,
                    secrets=dict(psk='%s:%s' % (vm['name'], psks[vm['name']])))))
    return out + [r[2] for r in sorted(rows, key=lambda r: (r[0], r[1]))]


def uch_batch_outcome(lanes, wave, copies):
    """What the batch did, from the destinations' uch_jobs results
    (copies: {destination: result}): "results", the report entries of
    the VMs all of whose copies succeeded; "done", their names; "forget",
    {VM: ids of its copies that succeeded}, for a VM the batch did not
    finish, whose copies volume_migration submits again (from its own
    export: another request under the same id)."""
    results, done, forget = [], [], {}
    for lane in lanes or []:
        jobs = dict((j.get('id'), j) for j in
                    ((copies or {}).get(lane['destination']) or {}).get('jobs') or [])
        for vm in lane['vms']:
            mine = [jobs.get('%s-%s-%s' % (wave, vm['name'], d['name'])) for d in vm['disks']]
            ok = [j for j in mine if j and not j.get('failed')
                  and (j.get('job') or {}).get('state') == 'succeeded']
            if len(ok) == len(mine):
                done.append(vm['name'])
                results.append(uch_vm_result(vm['name'], lane['source'], lane['destination'],
                                             'succeeded', [j['job'] for j in ok]))
            elif ok:
                forget[vm['name']] = [j['id'] for j in ok]
    return dict(results=results, done=done, forget=forget)


def uch_batch_unfinished_sources(lanes, batch_done, export_end='idle'):
    """The sources whose exports of the batch (uch_batch_lanes) are
    stopped in a round. export_end "stop": every source with one, right
    after the copies, so that their slots and ports are free when the
    wave ends. "idle" (uch_batch_export_end's default): only
    those with a VM the batch did not finish (batch_done: the names it
    did): their exports may still serve (a disk never read), and the
    lanes' own exports need the port; the others end by themselves
    (until disks-done) up to uch_batch_export_idle seconds later, and
    when the batch finished every VM the round is not run at all."""
    if export_end not in ('stop', 'idle'):
        raise AnsibleFilterError('uch_batch_export_end must be "stop" or "idle", not %r'
                                 % (export_end,))
    done = set(batch_done or [])
    out = []
    for lane in lanes or []:
        if lane['source'] not in out and (export_end == 'stop' or any(
                vm['name'] not in done for vm in lane['vms'])):
            out.append(lane['source'])
    return out


def uch_lanes_left(placement, batch_done, wave_jobs, inplace_default=False, cloud='none'):
    """The lanes of a placement with the VMs the lanes still migrate one
    by one: not finished by the batch (batch_done: their names), nor, for
    volumes without a cloud's steps, by an earlier run (wave_jobs:
    {destination: the wave's jobs there}; the report gives those their
    entries; with uch_cloud=openstack such a VM still boots its new
    server).  Lanes left without VMs dropped."""
    done = set(batch_done or [])
    out = []
    for lane in (placement or {}).get('lanes') or []:
        jobs = (wave_jobs or {}).get(lane['destination']) or []
        vms = [vm for vm in lane['vms'] if vm['name'] not in done and not (
            vm.get('kind', 'volume') == 'volume' and cloud == 'none'
            and uch_vm_done(uch_jobs_labelled(jobs, {'vm': vm['name']}), vm, inplace_default))]
        if vms:
            out.append(dict(lane, vms=vms))
    return out


def uch_job_refs(result, names=None):
    """[{id}] for uch_jobs: the jobs of a uch_jobs result, or of forget
    (uch_batch_outcome) for the VMs named, or of a list of jobs (a
    uch_job_info result's jobs), those of the VMs named (label vm) when
    names are given."""
    if isinstance(result, list):
        return [dict(id=j['id']) for j in result
                if names is None or ((j.get('request') or {}).get('labels') or {}).get('vm') in names]
    if names is not None:
        return [dict(id=i) for n in names for i in (result or {}).get(n, [])]
    return [dict(id=j['id']) for j in (result or {}).get('jobs') or [] if j.get('job')]


def uch_sync_disk(disk):
    """A disk of a warm_migration VM as a sync request's disk: the
    bitmap may be given beside the source or in it."""
    src = dict(disk.get('source') or {})
    if disk.get('bitmap') and not src.get('bitmap'):
        src['bitmap'] = disk['bitmap']
    return dict(source=src, destination=disk.get('destination'))


def uch_sync_passes(job):
    """A sync job's passes with bytes and seconds, for the report."""
    return pass_summaries(job)


class FilterModule(object):
    def filters(self):
        return dict(uch_place=uch_place, uch_report_md=uch_report_md,
                    uch_export_disk=uch_export_disk,
                    uch_os_prepared_disks=uch_os_prepared_disks,
                    uch_os_storage=uch_os_storage,
                    uch_vm_locations=uch_vm_locations,
                    uch_wave_free=uch_wave_free,
                    uch_jobs_labelled=uch_jobs_labelled,
                    uch_vm_done=uch_vm_done,
                    uch_inplace_wanted=uch_inplace_wanted,
                    uch_inplace_request=uch_inplace_request,
                    uch_vm_result=uch_vm_result,
                    uch_wave_results=uch_wave_results,
                    uch_batch_lanes=uch_batch_lanes,
                    uch_batch_names=uch_batch_names,
                    uch_batch_hosts=uch_batch_hosts,
                    uch_batch_exports=uch_batch_exports,
                    uch_batch_round=uch_batch_round,
                    uch_export_endpoint=uch_export_endpoint,
                    uch_batch_outcome=uch_batch_outcome,
                    uch_batch_unfinished_sources=uch_batch_unfinished_sources,
                    uch_lanes_left=uch_lanes_left,
                    uch_job_refs=uch_job_refs,
                    uch_vm_invalid=uch_vm_invalid,
                    uch_wave_vms=uch_wave_vms,
                    uch_vmware_job_id=uch_vmware_job_id,
                    uch_vmware_convert_request=uch_vmware_convert_request,
                    uch_vmware_macs=uch_vmware_macs, uch_vmware_inplace=uch_vmware_inplace,
                    uch_vmware_vm_result=uch_vmware_vm_result,
                    uch_sync_disk=uch_sync_disk,
                    uch_sync_passes=uch_sync_passes)
