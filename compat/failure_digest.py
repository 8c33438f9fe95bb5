#!/usr/bin/env python3
"""For each failed tempest test, the error and the HTTP requests behind it.

Usage:
    failure_digest.py RESULTS.subunit TEMPEST_LOG [--all-requests] > digest.txt

Reads the subunit stream (which tests failed, their tracebacks) and tempest.log written
with `[DEFAULT] debug = true` (every request: method, URL, status, request and response
bodies, tagged with "Request (Class:method)" and the x-openstack-request-id, which the
server log carries too). Prints, per failed test, the exception line and each request of
that test that answered 4xx/5xx (or every request with --all-requests), plus the last
request made when the failure was not an HTTP error (an assertion on an answer).
"""

import argparse
import re
import sys

import subunit_summary

RECORD_START = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ \d+ (\w+) (\S+) \[(\S*)")
INFO_REQ = re.compile(r"Request \((?P<test>[^)]*)\): (?P<status>\d+) (?P<method>[A-Z]+) (?P<url>\S+)")
BODY = re.compile(r"^\s+Body: (.*)$")
SETUP_CLASS = re.compile(r"^(setUpClass|tearDownClass) \((?:.*\.)?(\w+)\)$")


def read_log(path):
    """Request records in order: dicts with test, status, method, url, req_body, resp_body."""
    records, current = [], []
    with open(path, errors="replace") as f:
        for line in f:
            if RECORD_START.match(line):
                if current:
                    records.append(current)
                current = [line.rstrip("\n")]
            elif current:
                current.append(line.rstrip("\n"))
    if current:
        records.append(current)

    by_req, order = {}, []
    for rec in records:
        m = RECORD_START.match(rec[0])
        req_id = m.group(3)
        if not req_id.startswith("req-"):
            continue
        info = INFO_REQ.search(rec[0])
        if info and m.group(1) == "INFO":
            entry = by_req.setdefault(req_id, {"req_id": req_id})
            entry.update(info.groupdict())
            order.append(req_id)
        elif "_log_request_full" in rec[-1] or "Request - Headers" in rec[0]:
            bodies = [BODY.match(line).group(1) for line in rec if BODY.match(line)]
            entry = by_req.setdefault(req_id, {"req_id": req_id})
            if bodies:
                entry["req_body"] = bodies[0]
            if len(bodies) > 1:
                entry["resp_body"] = re.sub(r" _log_request_full .*$", "", bodies[1])
    return [by_req[r] for r in order]


def test_key(test_id):
    """'Class:method' as tempest tags requests, for a subunit test id."""
    m = SETUP_CLASS.match(test_id)
    if m:
        return f"{m.group(2)}:{m.group(1)}"
    bare = subunit_summary.bare(test_id)
    parts = bare.split(".")
    return f"{parts[-2]}:{parts[-1]}"


def shorten(s, n=1500):
    return s if len(s) <= n else s[:n] + f"... ({len(s)} chars)"


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("subunit_file")
    p.add_argument("tempest_log")
    p.add_argument("--all-requests", action="store_true")
    args = p.parse_args(argv)

    tests = subunit_summary.read_stream(args.subunit_file)
    requests = read_log(args.tempest_log)
    failed = [t for t in tests if t["status"] in ("fail", "uxsuccess")]
    if not failed:
        print("no failed tests")
        return 0
    for t in sorted(failed, key=lambda t: t["id"]):
        tb = subunit_summary.detail_text(t["details"], "traceback").rstrip().splitlines()
        # The exception line(s): from the last line not starting with whitespace/"Traceback".
        tail = [ln for ln in tb if ln and not ln.startswith(" ") and not ln.startswith("Traceback")]
        key = test_key(t["id"])
        mine = [r for r in requests if r.get("test") == key]
        shown = mine if args.all_requests else [r for r in mine if int(r.get("status", 0)) >= 400]
        print("=" * 100)
        print(t["id"])
        for ln in tail[-3:]:
            print("  error: " + shorten(ln, 600))
        http_error = any(ln.startswith("tempest.lib.exceptions.") for ln in tail)
        if mine and not http_error and mine[-1] not in shown:
            # An assertion on a successful answer: the last request is the likely culprit.
            shown = shown + mine[-1:]
            print("  (the last request of the test is shown last: the failure is not an HTTP error)")
        if not mine:
            print("  (no request logged for this test: connection dropped, or it failed before any request)")
        for r in shown:
            print(f"  {r.get('status')} {r.get('method')} {r.get('url')}   [{r['req_id']}]")
            if r.get("req_body") not in (None, "None", "<omitted>"):
                print("      request:  " + shorten(r["req_body"]))
            if r.get("resp_body") is not None:
                print("      response: " + shorten(r["resp_body"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
