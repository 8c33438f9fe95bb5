"""Drives a placement API for tools/bench/placement.sh: fills it with compute-node-like
providers, then times GET /allocation_candidates one request at a time.

    placement_bench.py fill URL TOKEN FIRST COUNT
    placement_bench.py time URL TOKEN REQUESTS SECONDS QUERY

`fill` creates providers FIRST..FIRST+COUNT-1 (each with VCPU, MEMORY_MB and DISK_GB,
as a compute node reports them) over 8 connections and prints how long it took.
`time` warms up, then sends up to REQUESTS requests in a row (fewer when SECONDS pass
first, but at least 5) and prints `p50_ms p99_ms candidates bytes samples`. Standard library only, so the same driver measures every server.
"""

import http.client
import json
import sys
import threading
import time
import urllib.parse
import uuid

VERSION = "placement 1.39"


class Client:
    """One keep-alive connection to the placement endpoint."""

    def __init__(self, url, token):
        parts = urllib.parse.urlsplit(url)
        self.prefix = parts.path.rstrip("/")
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
        self.headers = {"X-Auth-Token": token, "OpenStack-API-Version": VERSION, "Accept": "application/json"}

    def call(self, method, path, body=None):
        headers = dict(self.headers)
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        try:
            self.conn.request(method, self.prefix + path, body=data, headers=headers)
            res = self.conn.getresponse()
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            # The server closed the idle connection before this request reached it.
            self.conn.close()
            self.conn.request(method, self.prefix + path, body=data, headers=headers)
            res = self.conn.getresponse()
        payload = res.read()
        if res.status >= 400:
            raise RuntimeError(f"{method} {path}: {res.status} {payload[:300]!r}")
        return payload


def provider_uuid(n):
    return str(uuid.UUID(int=n + 1))


def fill(url, token, first, count):
    started = time.monotonic()
    errors = []

    def work(numbers):
        c = Client(url, token)
        try:
            for n in numbers:
                rp = provider_uuid(n)
                c.call("POST", "/resource_providers", {"name": f"compute-{n:05d}", "uuid": rp})
                c.call("PUT", f"/resource_providers/{rp}/inventories", {
                    "resource_provider_generation": 0,
                    "inventories": {
                        "VCPU": {"total": 32, "allocation_ratio": 16.0, "max_unit": 32},
                        "MEMORY_MB": {"total": 131072, "reserved": 512, "allocation_ratio": 1.5, "max_unit": 131072},
                        "DISK_GB": {"total": 2000, "allocation_ratio": 1.0, "max_unit": 2000},
                    },
                })
        except Exception as e:  # reported below, after every thread stops
            errors.append(e)

    numbers = list(range(first, first + count))
    threads = [threading.Thread(target=work, args=(numbers[i::8],)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    print(f"{time.monotonic() - started:.1f}")


def time_candidates(url, token, requests, seconds, query):
    c = Client(url, token)
    path = "/allocation_candidates?" + query
    for _ in range(3):
        c.call("GET", path)
    samples = []
    body = b""
    deadline = time.monotonic() + seconds
    while len(samples) < requests and (len(samples) < 5 or time.monotonic() < deadline):
        t0 = time.perf_counter()
        body = c.call("GET", path)
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    p50 = samples[len(samples) // 2]
    p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
    found = len(json.loads(body)["allocation_requests"])
    print(f"{p50:.2f} {p99:.2f} {found} {len(body)} {len(samples)}")


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "fill":
        fill(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
    elif cmd == "time":
        time_candidates(sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5]), sys.argv[6])
    else:
        sys.exit(f"unknown command {cmd}")
