#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A small HTTP server with Range support (nbdkit's curl plugin needs
it), serving one file, each request delayed a little so a job takes long
enough to be watched.  Records the Authorization headers it saw.

usage: range-http-server.py FILE PORTFILE AUTHLOG [DELAY]"""
import http.server
import os
import re
import sys

path, portfile, authlog = sys.argv[1:4]
delay = float(sys.argv[4]) if len(sys.argv) > 4 else 0.0


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _auth(self):
        with open(authlog, "a") as f:
            f.write((self.headers.get("Authorization") or "-") + "\n")

    def do_HEAD(self):
        self._auth()
        self.send_response(200)
        self.send_header("Content-Length", str(os.path.getsize(path)))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()

    def do_GET(self):
        import time
        self._auth()
        time.sleep(delay)
        size = os.path.getsize(path)
        m = re.match(r"bytes=(\d+)-(\d*)", self.headers.get("Range", ""))
        start, end = (int(m.group(1)), int(m.group(2) or size - 1)) if m else (0, size - 1)
        with open(path, "rb") as f:
            f.seek(start)
            data = f.read(end - start + 1)
        self.send_response(206 if m else 200)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Accept-Ranges", "bytes")
        if m:
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, end, size))
        self.end_headers()
        self.wfile.write(data)


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(portfile + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(portfile + ".tmp", portfile)
server.serve_forever()
