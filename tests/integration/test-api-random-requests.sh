#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Random and broken HTTP (odd methods, long paths, bad lengths, broken
# chunking, cut-off requests, deep JSON, binary bodies) for a few seconds:
# uchd neither crashes nor wedges, answers health after, and writes no
# job for any of it.
source "$UCH_TOP/tests/lib/functions.sh"
require python3
require jq

uchd_start
python3 - "$UCH_SOCK" <<'PY'
import random, socket, sys, time
sock = sys.argv[1]
random.seed(20261125)
methods = ["GET", "POST", "DELETE", "PUT", "HEAD", "OPTIONS", "PATCH", "G\x00T", ""]
paths = ["/v1/health", "/v1/jobs", "/v1/jobs/x", "/v1/jobs/x/log?offset=",
         "/v1/jobs/x/log?offset=-1", "/v1/jobs/x/cancel", "/metrics",
         "/v1/jobs?state=%00", "/v1/jobs/%2e%2e", "/" + "a" * 5000, "*",
         "/v1/jobs/" + "b" * 64 + "/log", "/v1/jobs?type=" + "t" * 3000]
bodies = [b"", b"{", b"{}", b'{"type":"copy"}', b'{"type":"copy","disks":[]}',
          bytes(random.getrandbits(8) for _ in range(3000)), b"[" * 10000,
          b'{"a":' * 5000, b'{"type":"copy","id":"\xff\xfe"}']
end = time.time() + 8
n = 0
while time.time() < end:
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(0.2)
    try:
        s.connect(sock)
        b = random.choice(bodies)
        hdrs = ["Host: x"]
        if random.random() < 0.7:
            hdrs.append("Content-Type: " + random.choice(
                ["application/json", "application/json; charset=utf-8",
                 "text/plain", "application/jsonx"]))
        r = random.random()
        if r < 0.6:
            hdrs.append("Content-Length: %d" % len(b))
        elif r < 0.7:
            hdrs.append("Content-Length: %d" % random.choice([0, 1 << 40, len(b) + 100]))
        elif r < 0.8:
            hdrs.append("Transfer-Encoding: chunked")
            b = (b"%x\r\n" % len(b) + b + b"\r\n0\r\n\r\n") if random.random() < 0.8 else b"zz\r\n"
        req = ("%s %s HTTP/1.1\r\n" % (random.choice(methods), random.choice(paths))).encode()
        req += "\r\n".join(hdrs).encode() + b"\r\n\r\n" + b
        if random.random() < 0.1:
            req = req[:random.randrange(len(req))]
        s.sendall(req)
        s.recv(65536)
    except OSError:
        pass
    finally:
        s.close()
    n += 1
print("# %d requests" % n)
PY
kill -0 "$UCHD_PID" || die "uchd died"
api GET /v1/health >/dev/null
[ "$(status)" = 200 ] || die "health after: $(status)"
[ "$(api GET /v1/jobs | jq '.jobs | length')" = 0 ] || die "a job was created"
[ -z "$(ls -A "$T/state/jobs")" ] || die "files left: $(ls -A "$T/state/jobs")"
pass "uchd alive and answering after random requests, nothing written"
