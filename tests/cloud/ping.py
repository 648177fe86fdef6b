#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# ping.py IP: one ICMP echo to IP (a raw socket: root), exit 0 when IP
# answers within 2 s.  The machine has no ping(8) (iputils-ping is not
# among the packages); the cloud's tests run this in a namespace of the
# cloud (`cloud.sh run STATE ip netns exec uchos-dst python3 ping.py IP`).
import os
import socket
import struct
import sys
import time


def checksum(b):
    if len(b) % 2:
        b += b"\0"
    n = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    n = (n >> 16) + (n & 0xffff)
    n += n >> 16
    return ~n & 0xffff


def main():
    ip = sys.argv[1]
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    ident = os.getpid() & 0xffff
    body = b"uch-ping"
    head = struct.pack("!BBHHH", 8, 0, 0, ident, 1)
    s.sendto(struct.pack("!BBHHH", 8, 0, checksum(head + body), ident, 1) + body, (ip, 0))
    end = time.time() + 2
    while time.time() < end:
        s.settimeout(max(end - time.time(), 0.01))
        try:
            data, addr = s.recvfrom(1500)
        except socket.timeout:
            break
        ihl = (data[0] & 15) * 4
        kind, _, _, who, _ = struct.unpack("!BBHHH", data[ihl:ihl + 8])
        if addr[0] == ip and kind == 0 and who == ident:
            return 0
    return 1


if __name__ == "__main__":
    sys.exit(main())
