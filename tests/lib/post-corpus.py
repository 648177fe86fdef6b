#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Post every bad request of the corpus to uchd's Unix socket, one
connection each, and check the answer: 400, error.code invalid_request,
error.field as in the .field file, and no secret echoed back.  One
process for the whole corpus: a shell loop spawning curl and jq for
each of hundreds of requests took minutes on a loaded machine.

usage: post-corpus.py SOCKET BADDIR FILESDIR
Prints a line per failure and, last, "N checked, N failed"; exit 1 on
any failure."""
import http.client
import json
import os
import socket
import sys

SECRETS = (b"s3cret", b"hunter2")


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("uch", timeout=30)
        self.unix_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.unix_path)


def post(sock_path, body):
    conn = UnixConnection(sock_path)
    try:
        conn.request("POST", "/v1/jobs", body=body,
                     headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def check(sock_path, req_path, files):
    with open(req_path, "rb") as f:
        body = f.read().replace(b"@T@", files.encode())
    with open(req_path[:-len(".json")] + ".field") as f:
        want = f.readline().rstrip("\n")
    status, answer = post(sock_path, body)
    problems = []
    try:
        err = json.loads(answer).get("error") or {}
    except ValueError:
        err = {}
    code, field = err.get("code"), err.get("field") or ""
    if status != 400 or code != "invalid_request" or field != want:
        problems.append("status %s, code %r, field %r (want 400, "
                        "invalid_request, %r): %s"
                        % (status, code, field, want, answer[:300]))
    if any(s in answer for s in SECRETS):
        problems.append("the response contains a secret")
    return problems


def main():
    sock_path, bad_dir, files = sys.argv[1:4]
    names = sorted(n for n in os.listdir(bad_dir) if n.endswith(".json"))
    failed = 0
    for name in names:
        for p in check(sock_path, os.path.join(bad_dir, name), files):
            print("FAIL %s: %s" % (name[:-len(".json")], p))
            failed += 1
    print("%d checked, %d failed" % (len(names), failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
