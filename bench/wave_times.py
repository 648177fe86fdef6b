#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Where a wave's time went, from what bench/wave keeps beside its
results: each Ansible wave's log (profile_tasks: each task's start) and
the appliances' jobs (uchd's created/started/finished, ms).

    bench/wave_times.py DIR [MIB]

For each Ansible wave in DIR (wave-MIB-NAME.log, wave-MIB-NAME-jobs-*.json):
  health     the health task, from its start to the next task's
  to 1st job from the first task after health (the batch) to the first
             of the wave's jobs created in uchd
  copies     the copies, from the first created to the last ended
  batch      from the first task after health (the batch) to the last
             copy's end: the batch's exports, copies and rounds
  round end  from the last copy's end to the report task's start
  tasks      the tasks' starts, s from the first
The playbook's start is known to the second from the log's clock and to
the millisecond from profile_tasks' elapsed times; each line narrows it.
"""
import datetime
import glob
import json
import os
import re
import sys

LINE = re.compile(r'^\w+ (\d+ \w+ \d+\s+\d+:\d+:\d+) ([+-]\d{4}) \(([\d:.]+)\)\s+([\d:.]+) \*+')
TASK = re.compile(r'^TASK \[(.*)\] \*+')


def secs(hms):
    h, m, s = hms.split(':')
    return int(h) * 3600 + int(m) * 60 + float(s)


def tasks_of(log):
    """[(name, start in epoch s)]: the playbook's start narrowed over
    every line (its clock to the second, its elapsed to the ms)."""
    rows, name, lo, hi = [], None, None, None
    for line in open(log, errors='replace'):
        m = TASK.match(line)
        if m:
            name = m.group(1)
            continue
        m = LINE.match(line)
        if not m:
            continue
        wall = datetime.datetime.strptime(m.group(1) + ' ' + m.group(2), '%d %B %Y %H:%M:%S %z').timestamp()
        el = secs(m.group(4))
        lo = max(lo, wall - el) if lo is not None else wall - el
        hi = min(hi, wall + 1 - el) if hi is not None else wall + 1 - el
        rows.append((name, el))
    start = (lo + hi) / 2 if lo is not None else 0
    # the last line is the recap's (no task of its own)
    return [(n, start + el) for n, el in rows[:-1] if n], start + rows[-1][1] if rows else None


def ts(s):
    return datetime.datetime.strptime(s.replace('Z', '+0000'), '%Y-%m-%dT%H:%M:%S.%f%z').timestamp() if s else None


def jobs_of(d, mib, name):
    out = []
    for f in glob.glob(os.path.join(d, 'wave-%s-%s-jobs-*.json' % (mib, name))):
        for j in json.load(open(f)).get('jobs') or []:
            labels = (j.get('request') or {}).get('labels') or j.get('labels') or {}
            if not (j.get('id') or '').startswith(name + '-') and labels.get('uch_wave') != name:
                continue
            out.append(j)
    return out


def main():
    d = sys.argv[1]
    mib = sys.argv[2] if len(sys.argv) > 2 else '256'
    print('%-10s %7s %9s %7s %7s %9s  %s' % ('wave', 'health', 'to 1st job', 'copies', 'batch', 'round end',
                                             'tasks (s from the first)'))
    for log in sorted(glob.glob(os.path.join(d, 'wave-%s-*.log' % mib))):
        name = os.path.basename(log)[len('wave-%s-' % mib):-4]
        tasks, end = tasks_of(log)
        if not tasks:
            continue
        jobs = jobs_of(d, mib, name)
        copies = [j for j in jobs if (j.get('type') or (j.get('request') or {}).get('type')) == 'copy'
                  or re.search(r'-sd[a-z]$', j.get('id', ''))]
        created = [ts(j.get('created_at')) for j in jobs if j.get('created_at')]
        t0 = tasks[0][1]
        health = tasks[1][1] - tasks[0][1] if len(tasks) > 1 else float('nan')
        first_job = min(created) - tasks[1][1] if created and len(tasks) > 1 else float('nan')
        c_created = [ts(j.get('created_at')) for j in copies if j.get('created_at')]
        c_end = [ts(j.get('finished_at')) for j in copies if j.get('finished_at')]
        span = max(c_end) - min(c_created) if c_created and c_end else float('nan')
        report = [t for n, t in tasks if n.startswith('Report')]
        tail = report[0] - max(c_end) if report and c_end else float('nan')
        batch = max(c_end) - tasks[1][1] if c_end and len(tasks) > 1 else float('nan')
        print('%-10s %7.2f %9.2f %7.2f %7.2f %9.2f  %s; end %.2f' % (
            name, health, first_job, span, batch, tail,
            ', '.join('%s %.2f' % (n.split(' ')[0], t - t0) for n, t in tasks),
            (end or t0) - t0))


if __name__ == '__main__':
    main()
