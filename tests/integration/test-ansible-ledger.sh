#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The wave's ledger (plugins/plugin_utils/uch_ledger.py) on the cases a
# cloud run reaches only by luck of timing, without a cloud: what stays
# open after a whole migration (the stop of a running server, the new
# volumes, ports and server; the clone, the appliance attachments and
# the detached data volume closed), what a crash leaves (a begin with
# no end: undone by name), a rerun that finds a crashed step done (its
# own) and a stop whose first try found the server running (started
# again by the undo, though the rerun found it stopped) or stopped (left
# so), undo records closing what they undo; twelve processes appending
# at once lose no record and the file is JSON all along; and
# uch_ledger (state present) through ansible-playbook lists what is
# open, and refuses a wave name that is a path.
source "$UCH_TOP/tests/lib/functions.sh"
require ansible-playbook
py=/usr/bin/python3

PYTHONPATH=$UCH_TOP/ansible:$UCH_TOP/tests/lib "$py" - "$T" <<'PY' || die "a ledger check failed"
import json, multiprocessing, os, sys
from ansible_collections.uch.appliance.plugins.plugin_utils.uch_ledger import (
    Ledger, LedgerError, open_records, undo_step)
from tap import check, finish

T = sys.argv[1]
S, D = "src", "dst"


def mk(vm):
    return Ledger(T + "/ledger", "w1", vm)


def step(led, mod, args, res=None, was=None, crash=False, failed=False):
    b = led.begin(mod, args, **({"was": was} if was else {}))
    if crash:
        return b
    if failed:
        res = {"failed": True, "msg": "boom"}
    return led.end(b, res)


def summary(led):
    return [(r["phase"], r["op"], r["kind"], r["ident"].get("name") or r["ident"].get("server"))
            for r in open_records(led.records())]


def undos(led):
    return [u[:2] for u in (undo_step(r) for r in reversed(open_records(led.records()))) if u]


# a whole migration of a running server booted from a volume, with a
# data volume and a port
L = mk("web01")
step(L, "uch_os_port", dict(cloud=D, name="w1-web01-nic0", network="n"), dict(changed=True, id="P1"))
step(L, "uch_os_server_action", dict(cloud=S, server="web01", action="stop"),
     dict(changed=True, server=dict(id="S1")), was="ACTIVE")
step(L, "uch.appliance.uch_os_server_volume", dict(cloud=S, server="web01", volume="V2", state="absent"),
     dict(changed=True, volume=dict(id="V2"), server_id="S1"))
step(L, "uch_os_volume", dict(cloud=S, name="w1-web01-root-src", source_volume="V1"), dict(changed=True, id="C1"))
step(L, "uch_os_server_volume", dict(cloud=S, server="appl", volume="C1"),
     dict(changed=True, volume=dict(id="C1"), server_id="A1"))
step(L, "uch_os_server_volume", dict(cloud=S, server="appl", volume="V2"),
     dict(changed=True, volume=dict(id="V2"), server_id="A1"))
for d in ("root", "data"):
    step(L, "uch_os_volume", dict(cloud=D, name="w1-web01-" + d, size=1), dict(changed=True, id="N" + d))
    step(L, "uch_os_server_volume", dict(cloud=D, server="dappl", volume="N" + d),
         dict(changed=True, volume=dict(id="N" + d), server_id="A2"))
check("prepared: the port, the stop, the detach, the clone, four attachments, two volumes open",
      [o[1:3] for o in summary(L)],
      [("create", "port"), ("stop", "power"), ("detach", "attachment"), ("create", "volume"),
       ("attach", "attachment"), ("attach", "attachment"), ("create", "volume"),
       ("attach", "attachment"), ("create", "volume"), ("attach", "attachment")])
check("its undo, newest first, by ids",
      undos(L)[:3],
      [("uch.appliance.uch_os_server_volume", dict(cloud=D, server="A2", volume="Ndata", state="absent")),
       ("uch.appliance.uch_os_volume", dict(cloud=D, name="Ndata", state="absent")),
       ("uch.appliance.uch_os_server_volume", dict(cloud=D, server="A2", volume="Nroot", state="absent"))])
check("... down to the data volume back on its server and the server started",
      undos(L)[-3:],
      [("uch.appliance.uch_os_server_volume", dict(cloud=S, server="S1", volume="V2", state="present")),
       ("uch.appliance.uch_os_server_action", dict(cloud=S, server="S1", action="start")),
       ("uch.appliance.uch_os_port", dict(cloud=D, name="P1", state="absent"))])
# the finish, as openstack_finish.yml does it (by names where it has them)
for d in ("root", "data"):
    step(L, "uch_os_server_volume", dict(cloud=D, server="dappl", volume="w1-web01-" + d, state="absent"),
         dict(changed=True, volume=dict(id="N" + d), server_id="A2"))
step(L, "uch_os_server", dict(cloud=D, name="web01"), dict(changed=True, id="NS"))
step(L, "uch_os_server_action", dict(cloud=S, server="web01", action="stop"),
     dict(changed=False, server=dict(id="S1")), was="SHUTOFF")
step(L, "uch_os_server_volume", dict(cloud=S, server="appl", volume="w1-web01-root-src", state="absent"),
     dict(changed=True, volume=dict(id="C1"), server_id="A1"))
step(L, "uch_os_server_volume", dict(cloud=S, server="appl", volume="V2", state="absent"),
     dict(changed=True, volume=dict(id="V2"), server_id="A1"))
step(L, "uch_os_server_volume", dict(cloud=S, server="web01", volume="V2"),
     dict(changed=True, volume=dict(id="V2"), server_id="S1"))
step(L, "uch_os_volume", dict(cloud=S, name="w1-web01-root-src", state="absent"), dict(changed=True, id="C1"))
check("finished: the port, the stop, the two new volumes and the new server open",
      summary(L), [("end", "create", "port", "w1-web01-nic0"), ("end", "stop", "power", "web01"),
                   ("end", "create", "volume", "w1-web01-root"), ("end", "create", "volume", "w1-web01-data"),
                   ("end", "create", "server", "web01")])
check("its undo: the server, the volumes, the start, the port",
      [u[1].get("name") or u[1].get("action") for u in undos(L)], ["NS", "Ndata", "Nroot", "start", "P1"])
# the same steps again (a rerun of a finished wave): nothing more open
n = len(open_records(L.records()))
step(L, "uch_os_server", dict(cloud=D, name="web01"), dict(changed=False, id="NS"))
step(L, "uch_os_volume", dict(cloud=D, name="w1-web01-root", size=1), dict(changed=False, id="Nroot"))
check("a rerun that changes nothing opens nothing", len(open_records(L.records())), n)
# undo records close what they undo, changed or not
for r in reversed(open_records(L.records())):
    mod, args, _ = undo_step(r)
    b = L.begin(mod, args, undoes=r["seq"])
    L.end(b, dict(changed=r["kind"] != "volume", id=None), undoes=r["seq"])
check("undone: nothing open", open_records(L.records()), [])

# a crash in the stop: the first try found the server running, the
# rerun finds it stopped (changed=false); the undo starts it
L = mk("db01")
step(L, "uch_os_server_action", dict(cloud=S, server="db01", action="stop"), was="ACTIVE", crash=True)
step(L, "uch_os_server_action", dict(cloud=S, server="db01", action="stop"),
     dict(changed=False, server=dict(id="S2")), was="SHUTOFF")
check("a stop cut short, found done by the rerun: the wave's own (it was ACTIVE)",
      undos(L), [("uch.appliance.uch_os_server_action", dict(cloud=S, server="S2", action="start"))])
L = mk("db02")
step(L, "uch_os_server_action", dict(cloud=S, server="db02", action="stop"), was="SHUTOFF", crash=True)
step(L, "uch_os_server_action", dict(cloud=S, server="db02", action="stop"),
     dict(changed=False, server=dict(id="S3")), was="SHUTOFF")
check("a server stopped before the wave stays stopped, crash or not", undos(L), [])
L = mk("db03")
step(L, "uch_os_server_action", dict(cloud=S, server="db03", action="stop"), was="ACTIVE", crash=True)
check("a stop cut short and not run again: undone by name",
      undos(L), [("uch.appliance.uch_os_server_action", dict(cloud=S, server="db03", action="start"))])
# a crash in a create: undone by name; a rerun that finds it done owns it
L = mk("app01")
step(L, "uch_os_volume", dict(cloud=S, name="w1-app01-vda-src", server_snapshot="app01", size=4), crash=True)
check("a volume from a snapshot cut short: deleted by name, with its snapshot image",
      undos(L), [("uch.appliance.uch_os_volume",
                  dict(cloud=S, name="w1-app01-vda-src", server_snapshot="app01", state="absent"))])
step(L, "uch_os_volume", dict(cloud=S, name="w1-app01-vda-src", server_snapshot="app01", size=4),
     dict(changed=False, id="X1"))
check("... the rerun finds it made: the wave's own, one record open",
      summary(L), [("end", "create", "volume", "w1-app01-vda-src")])
step(L, "uch_os_volume", dict(cloud=D, name="w1-app01-vda", size=4), failed=True)
check("a create that failed stays open (it may have made it)",
      summary(L)[-1], ("begin", "create", "volume", "w1-app01-vda"))
# a volume of the wave's name there before: not the wave's
L = mk("old01")
step(L, "uch_os_volume", dict(cloud=D, name="w1-old01-vda", size=1), dict(changed=False, id="Z"))
check("what a step found there, not cut short, is not the wave's", undos(L), [])

try:
    Ledger(T + "/ledger", "../x", "a")
    check("a wave that is a path refused", False, True)
except LedgerError as e:
    check("a wave that is a path refused", "cannot name a ledger file" in str(e), True)


# twelve processes appending 20 records each to one VM's ledger
def writer(i):
    led = mk("many")
    for j in range(20):
        step(led, "uch_os_port", dict(cloud=D, name="p%d-%d" % (i, j)), dict(changed=True, id="%d-%d" % (i, j)))


procs = [multiprocessing.Process(target=writer, args=(i,)) for i in range(12)]
for p in procs:
    p.start()
for p in procs:
    p.join()
recs = mk("many").records()
check("twelve writers at once: every record there, seq 1..480 in order",
      [r["seq"] for r in recs], list(range(1, 481)))
check("... 240 ports open", len(open_records(recs)), 240)
check("no temporary file left", sorted(f for f in os.listdir(T + "/ledger/w1") if f.startswith(".")), [])
finish()
PY
pass "the ledger's fold, crashes and undo steps; concurrent appends"

source "$UCH_TOP/tests/lib/ansible.sh"
ansible_config
cat >"$T/read.yml" <<'YML'
- name: Read a ledger
  hosts: localhost
  gather_facts: false
  tasks:
    - name: What is open
      uch.appliance.uch_ledger:
        dir: "{{ dir }}"
        wave: w1
        vms: [db01, old01]
      register: led
    - name: Said
      ansible.builtin.assert:
        that:
          - led is not changed
          - led.vms.db01.open | length == 1
          - led.vms.db01.open[0].op == 'stop'
          - led.vms.old01.open == []
    - name: A wave that is a path
      uch.appliance.uch_ledger:
        dir: "{{ dir }}"
        wave: ../w1
      register: bad
      ignore_errors: true
    - name: Refused
      ansible.builtin.assert:
        that: bad is failed and 'cannot name a ledger file' in bad.msg
YML
ansible-playbook -i localhost, -c local "$T/read.yml" -e "dir=$T/ledger" >"$T/read.log" 2>&1 ||
  { cat "$T/read.log"; die "uch_ledger did not read the ledger"; }
pass "uch_ledger (state present) lists what is open and refuses a wave that is a path"
