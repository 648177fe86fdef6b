#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# holder.py STATE: PID 1 of the test cloud's PID namespace (cloud.sh
# starts it under `ip netns exec NS unshare --pid --fork --mount --uts`).
# It gives the cloud its own view of the file system: a tmpfs on /run
# (so the DHCP agent's qdhcp-* network namespaces and libvirt's sockets
# stay private), STATE's copies of /etc/SERVICE, /var/lib/SERVICE and
# /var/log/SERVICE over the real ones, its own /etc/hosts and the host
# name "uchos"; writes STATE/holder.ready; then reaps the daemons that
# cloud.sh starts inside, until SIGTERM.  When it exits the kernel kills
# everything in the namespace: nothing of the cloud outlives it.
import os
import signal
import subprocess
import sys

SERVICES = ("keystone", "glance", "placement", "nova", "cinder", "neutron",
            "libvirt", "ceph", "rabbitmq")


def mount(*args):
    subprocess.run(["mount", *args], check=True)


def main():
    state = sys.argv[1]
    mount("-t", "tmpfs", "-o", "mode=0755", "uchos-run", "/run")
    for d in ("netns", "lock", "ceph", "libvirt", "nova", "cinder",
              "neutron", "rabbitmq", "glance", "keystone", "placement"):
        os.makedirs("/run/" + d, exist_ok=True)
    for s in SERVICES:
        for real, mine in (("/etc/" + s, "etc/" + s),
                           ("/var/lib/" + s, "lib/" + s),
                           ("/var/log/" + s, "log/" + s)):
            mine = os.path.join(state, mine)
            os.makedirs(mine, exist_ok=True)
            if not os.path.isdir(real):
                sys.exit("holder: %s is missing (make deps)" % real)
            mount("--bind", mine, real)
    mount("--bind", os.path.join(state, "etc/hosts"), "/etc/hosts")
    subprocess.run(["hostname", "uchos"], check=True)

    def reap(_sig, _frame):
        while True:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return

    signal.signal(signal.SIGCHLD, reap)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with open(os.path.join(state, "holder.ready.tmp"), "w") as f:
        f.write("%d\n" % os.getpid())
    os.rename(os.path.join(state, "holder.ready.tmp"),
              os.path.join(state, "holder.ready"))
    while True:
        signal.pause()


if __name__ == "__main__":
    main()
