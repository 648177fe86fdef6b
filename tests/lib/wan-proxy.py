#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A WAN between two network namespaces, in user space: this kernel has
no netem (sch_netem), so a TCP proxy of ours delays every byte by half
the round trip in each direction and holds each direction to a
bandwidth, as a link would.

Run it in the namespace that holds the server, listening on the address
the other namespace reaches, forwarding to the server's address:

    wan-proxy.py LISTEN-ADDR LISTEN-PORT TARGET-ADDR TARGET-PORT \
                 RTT-MS BITS-PER-S READY-FILE

Each direction is one link shared by all connections (a pipe of
BITS-PER-S, 0 for none): a chunk read at time t leaves the link at
max(t, when the link is free) + its size / rate, and is written on
RTT-MS / 2 later.  Reading never waits for the chunks before it to be
written (the stream stays pipelined, not stop-and-wait); a direction
stops reading only when more than its buffer (twice the bandwidth-delay
product, at least 8 MiB) waits in it, as a router's queue would fill.
Writes "ready" to READY-FILE once listening; stops on SIGTERM.

LISTEN-PORT and TARGET-PORT may each be a comma-separated list of the
same length (a source appliance's export ports, one a lane): the
proxy listens on each and forwards it to the target port at the same
place in the list, all of them over the one link.
"""
import asyncio
import collections
import os
import signal
import sys

CHUNK = 64 * 1024


class Link:
    """One direction: its rate (bytes/s, 0 for none), delay and queue."""

    def __init__(self, rate, delay):
        self.rate = rate
        self.delay = delay
        self.free_at = 0.0
        bdp = int(rate * delay * 2) if rate else 0
        self.buffer = max(8 << 20, 2 * bdp)

    def arrival(self, now, size):
        """When a chunk of size bytes read now reaches the other end."""
        if not self.rate:
            return now + self.delay
        start = max(now, self.free_at)
        self.free_at = start + size / self.rate
        return self.free_at + self.delay


async def pump(reader, writer, link):
    """Copies reader to writer through link until EOF on either."""
    loop = asyncio.get_running_loop()
    queue = collections.deque()
    queued = 0
    more = asyncio.Event()       # a chunk (or EOF) was queued
    room = asyncio.Event()       # the queue fell below its buffer
    room.set()

    async def read_side():
        nonlocal queued
        try:
            while True:
                await room.wait()
                data = await reader.read(CHUNK)
                if not data:
                    break
                queue.append((link.arrival(loop.time(), len(data)), data))
                queued += len(data)
                if queued > link.buffer:
                    room.clear()
                more.set()
        except (ConnectionError, OSError):
            pass
        queue.append((None, b""))
        more.set()

    async def write_side():
        nonlocal queued
        try:
            while True:
                while not queue:
                    more.clear()
                    await more.wait()
                at, data = queue.popleft()
                if at is None:
                    break
                wait = at - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                writer.write(data)
                queued -= len(data)
                if queued <= link.buffer:
                    room.set()
                await writer.drain()
            if writer.can_write_eof():
                writer.write_eof()
        except (ConnectionError, OSError):
            pass

    reading = asyncio.ensure_future(read_side())
    await write_side()
    reading.cancel()


async def main():
    laddr, lports, taddr, tports, rtt_ms, bits, ready = sys.argv[1:8]
    lports = [int(p) for p in lports.split(",")]
    tports = [int(p) for p in tports.split(",")]
    if len(lports) != len(tports):
        sys.exit("wan-proxy: as many listening ports as target ports")
    delay = float(rtt_ms) / 2000
    rate = int(bits) / 8
    up = Link(rate, delay)          # client to server
    down = Link(rate, delay)        # server to client

    async def client(creader, cwriter, tport):
        try:
            sreader, swriter = await asyncio.open_connection(taddr, tport)
        except OSError:
            cwriter.close()
            return
        # the connection itself crosses the link: a round trip
        await asyncio.sleep(2 * delay)
        await asyncio.gather(pump(creader, swriter, up),
                             pump(sreader, cwriter, down))
        for w in (cwriter, swriter):
            w.close()

    servers = []
    for lport, tport in zip(lports, tports):
        def handler(r, w, tport=tport):
            return client(r, w, tport)
        servers.append(await asyncio.start_server(handler, laddr, lport,
                                                  reuse_address=True))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    tmp = ready + ".tmp"
    with open(tmp, "w") as f:
        f.write("ready\n")
    os.rename(tmp, ready)
    await stop.wait()
    for server in servers:
        server.close()


if __name__ == "__main__":
    if len(sys.argv) != 8:
        sys.exit(__doc__)
    asyncio.run(main())
