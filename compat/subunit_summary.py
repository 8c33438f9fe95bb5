#!/usr/bin/env python3
"""Summarises a subunit v2 stream (from `stestr last --subunit`) into plain files.

Usage:
    subunit_summary.py RESULTS.subunit OUT_DIR [--expect LOADLIST] [--title TEXT]

Writes into OUT_DIR:
    passed.txt    one test id a line
    failed.txt    one test id a line (setUpClass/tearDownClass errors included)
    skipped.txt   test id, a tab, the skip reason
    missing.txt   ids of LOADLIST that produced no result at all (with --expect)
    failures.txt  each failure's traceback and captured log
    summary.json  the counts and the lists above
and prints the counts and the failing ids. Exit status: 0, or 1 when --strict and
something failed or is missing.
"""

import argparse
import json
import os
import re
import sys

import subunit
import testtools

ATTRS = re.compile(r"\[.*\]$")


def bare(test_id):
    """The id without its `[id-...,smoke]` attributes."""
    return ATTRS.sub("", test_id)


def read_stream(path):
    tests = []
    with open(path, "rb") as f:
        stream = subunit.ByteStreamToStreamResult(f, non_subunit_name="stdout")
        result = testtools.StreamToDict(tests.append)
        result.startTestRun()
        try:
            stream.run(result)
        finally:
            result.stopTestRun()
    return tests


def detail_text(details, name):
    d = details.get(name)
    if d is None:
        return ""
    return b"".join(bytes(x) for x in d.iter_bytes()).decode("utf-8", "replace")


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("subunit_file")
    p.add_argument("out_dir")
    p.add_argument("--expect", help="load list whose every id must have a result")
    p.add_argument("--title", default="tempest")
    p.add_argument("--strict", action="store_true", help="exit 1 on failed or missing tests")
    args = p.parse_args(argv)

    os.makedirs(args.out_dir, exist_ok=True)
    tests = read_stream(args.subunit_file) if os.path.getsize(args.subunit_file) else []

    passed, failed, skipped = [], [], []
    failure_text = []
    seen = set()
    for t in tests:
        tid, status = t["id"], t["status"]
        if tid is None or status in (None, "exists", "inprogress"):
            continue
        seen.add(bare(tid))
        if status in ("success", "xfail"):
            passed.append(tid)
        elif status == "skip":
            reason = detail_text(t["details"], "reason").strip().replace("\n", " ")
            skipped.append((tid, reason))
        else:  # fail, uxsuccess, unknown
            failed.append(tid)
            tb = detail_text(t["details"], "traceback")
            log = detail_text(t["details"], "pythonlogging")
            failure_text.append(f"{'=' * 78}\nFAIL: {tid} ({status})\n{'-' * 78}\n{tb}\n")
            if log:
                failure_text.append(f"--- captured log ---\n{log}\n")

    missing = []
    if args.expect:
        with open(args.expect) as f:
            expected = [line.strip() for line in f if line.strip() and not line.startswith("#")]
        missing = [e for e in expected if bare(e) not in seen]

    passed.sort()
    failed.sort()
    skipped.sort()

    def write(name, lines):
        with open(os.path.join(args.out_dir, name), "w") as f:
            f.writelines(line + "\n" for line in lines)

    write("passed.txt", passed)
    write("failed.txt", failed)
    write("skipped.txt", [f"{t}\t{r}" for t, r in skipped])
    write("missing.txt", missing)
    with open(os.path.join(args.out_dir, "failures.txt"), "w") as f:
        f.write("".join(failure_text))
    summary = {
        "title": args.title,
        "passed": len(passed), "failed": len(failed), "skipped": len(skipped),
        "missing": len(missing),
        "failed_ids": failed, "missing_ids": missing,
        "skipped_ids": [{"id": t, "reason": r} for t, r in skipped],
        "passed_ids": passed,
    }
    with open(os.path.join(args.out_dir, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)

    print(f"{args.title}: {len(passed)} passed, {len(failed)} failed, {len(skipped)} skipped"
          + (f", {len(missing)} missing (no result)" if args.expect else ""))
    for t in failed:
        print(f"  FAILED  {t}")
    for t in missing:
        print(f"  MISSING {t}")
    if args.strict and (failed or missing):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
