#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Hold N half-open HTTP connections to HOST:PORT, as a client that
never finishes its request would: each sends the first header lines and
then nothing.  Writes "opened N" to READY-FILE once every connect was
tried, then counts how many the server closed; exits after HOLD seconds,
when STOP-FILE appears or when the server closed them all, printing
"opened N closed M".

usage: tcp-flood.py HOST PORT N READY-FILE STOP-FILE HOLD [SOURCE-ADDRESS]
"""
import os
import resource
import selectors
import socket
import sys
import time

host, port, n, ready, stop, hold = sys.argv[1], int(sys.argv[2]), \
    int(sys.argv[3]), sys.argv[4], sys.argv[5], float(sys.argv[6])
source = sys.argv[7] if len(sys.argv) > 7 else None
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
want = n + 64
if soft < want:
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))

sel = selectors.DefaultSelector()
opened = closed = 0
partial = b"POST /v1/jobs HTTP/1.1\r\nHost: uch\r\nContent-Type: application/json\r\n"
deadline = time.monotonic() + hold
for _ in range(n):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    if source:
        s.bind((source, 0))
    try:
        s.connect((host, port))
    except BlockingIOError:
        pass
    except OSError:
        s.close()
        continue
    opened += 1
    sel.register(s, selectors.EVENT_WRITE)

with open(ready + ".tmp", "w") as f:
    f.write("opened %d\n" % opened)
os.rename(ready + ".tmp", ready)

while time.monotonic() < deadline and not os.path.exists(stop) \
        and closed < opened:
    for key, ev in sel.select(timeout=0.2):
        s = key.fileobj
        if ev & selectors.EVENT_WRITE:
            try:
                s.send(partial)
                sel.modify(s, selectors.EVENT_READ)
            except OSError:
                sel.unregister(s)
                s.close()
                closed += 1
            continue
        try:
            data = s.recv(4096)
        except OSError:
            data = b""
        if not data:
            sel.unregister(s)
            s.close()
            closed += 1
print("opened %d closed %d" % (opened, closed))
