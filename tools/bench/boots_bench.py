"""Boots many servers at once on a running Ferrostack and times them until ACTIVE.

    boots_bench.py CLOUDS_YAML HOSTS SERVERS WORKERS

Waits for HOSTS hypervisors, lifts the admin project's instance, core and RAM quotas,
uploads a tiny image, then sends SERVERS `POST /servers` requests from WORKERS threads
at once and polls `GET /servers/detail` until every server is ACTIVE or ERROR. Prints
one line: seconds until all were ACTIVE (from the first request), seconds until all
requests were answered, create-request p50 and p99 (ms), servers ACTIVE, servers ERROR.
"""

import concurrent.futures
import json
import statistics
import sys
import threading
import time
import urllib.request

import yaml


def call(method, url, token=None, body=None, headers=None, raw=None):
    req = urllib.request.Request(url, method=method, data=raw if raw is not None else (json.dumps(body).encode() if body is not None else None))
    req.add_header("Content-Type", "application/octet-stream" if raw is not None else "application/json")
    req.add_header("OpenStack-API-Version", "compute 2.96")
    if token:
        req.add_header("X-Auth-Token", token)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    with urllib.request.urlopen(req, timeout=120) as r:
        data = r.read()
        return r.status, dict(r.headers), json.loads(data) if data else None


def main():
    clouds_yaml, hosts, servers, workers = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    auth = yaml.safe_load(open(clouds_yaml))["clouds"]["ferrostack-admin"]["auth"]
    base = auth["auth_url"].rsplit("/identity", 1)[0]
    scope = {"project": {"name": "admin", "domain": {"id": "default"}}}
    body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": "admin", "domain": {"id": "default"}, "password": auth["password"]}}}, "scope": scope}}
    _, headers, tok = call("POST", base + "/identity/v3/auth/tokens", body=body)
    token = {k.lower(): v for k, v in headers.items()}["x-subject-token"]
    project = tok["token"]["project"]["id"]
    compute = base + "/compute/v2.1"

    deadline = time.time() + 600
    while True:
        _, _, hv = call("GET", compute + "/os-hypervisors/detail", token)
        up = [h for h in hv["hypervisors"] if h["state"] == "up"]
        _, _, rp = call("GET", base + "/placement/resource_providers?resources=VCPU:1", token,
                        headers={"OpenStack-API-Version": "placement 1.39"})
        if len(up) >= hosts and len(rp["resource_providers"]) >= hosts:
            break
        if time.time() > deadline:
            sys.exit(f"only {len(up)} of {hosts} hypervisors came up")
        time.sleep(1)

    call("PUT", compute + f"/os-quota-sets/{project}", token, {"quota_set": {"instances": -1, "cores": -1, "ram": -1}})
    _, _, image = call("POST", base + "/image/v2/images", token,
                       {"name": "bench", "disk_format": "raw", "container_format": "bare", "visibility": "public"})
    call("PUT", base + f"/image/v2/images/{image['id']}/file", token, raw=b"\0" * 4096)

    latencies = []
    lock = threading.Lock()

    def boot(i):
        t = time.perf_counter()
        call("POST", compute + "/servers", token,
             {"server": {"name": f"bench-{i}", "imageRef": image["id"], "flavorRef": "42", "networks": "none"}})
        with lock:
            latencies.append((time.perf_counter() - t) * 1000)

    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(boot, range(servers)))
    answered = time.perf_counter() - start
    while True:
        _, _, listed = call("GET", compute + "/servers/detail?limit=1000", token)
        statuses = [s["status"] for s in listed["servers"]]
        active, error = statuses.count("ACTIVE"), statuses.count("ERROR")
        if active + error >= servers:
            break
        if time.perf_counter() - start > 900:
            sys.exit(f"after 900 s only {active} of {servers} servers are ACTIVE ({error} ERROR)")
        time.sleep(0.2)
    all_active = time.perf_counter() - start
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    print(f"{all_active:.2f} {answered:.2f} {statistics.median(latencies):.1f} {p99:.1f} {active} {error}")


if __name__ == "__main__":
    main()
