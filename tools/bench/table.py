#!/usr/bin/env python3
"""Formats identity.sh's raw 'key value' file as a Ferrostack vs Keystone table.

The ratio column is Ferrostack's advantage: Ferrostack/Keystone for requests per second,
Keystone/Ferrostack for latency, CPU, memory and time, so > 1 always means Ferrostack is
better by that factor.
"""
import sys

raw = {}
with open(sys.argv[1]) as f:
    for line in f:
        if line.startswith("#") or not line.strip():
            continue
        k, _, v = line.rstrip("\n").partition(" ")
        raw[k] = v


def num(key):
    try:
        return float(raw[key])
    except (KeyError, ValueError):
        return None


rows = []


def row(label, fkey, kkey, unit, higher_better, fmt="{:.1f}"):
    f, k = num(fkey), num(kkey)
    if f is None and k is None:
        return
    if f and k:
        ratio = f / k if higher_better else k / f
        r = f"{ratio:.1f}x" if ratio < 100 else f"{ratio:.0f}x"
    else:
        r = "n/a"
    show = lambda v: "n/a" if v is None else fmt.format(v)
    rows.append((label, f"{show(f)} {unit}", f"{show(k)} {unit}", r))


def concs(scenario):
    cs = sorted({int(k.split("_c")[1].split("_")[0]) for k in raw
                 if k.startswith(f"ferrostack_{scenario}_c") and k.endswith("_rps")})
    return cs


for sc, name in (("validate", "validate"),
                 ("rescope", "rescope (token method)"),
                 ("password", "password issue")):
    for c in concs(sc):
        p = f"{sc}_c{c}"
        row(f"{name} c={c}: throughput", f"ferrostack_{p}_rps", f"keystone_{p}_rps", "req/s", True)
        row(f"{name} c={c}: p99 latency", f"ferrostack_{p}_p99_ms", f"keystone_{p}_p99_ms", "ms",
            False, "{:.2f}")
        row(f"{name} c={c}: server CPU", f"ferrostack_{p}_cpu_ms_per_req",
            f"keystone_{p}_cpu_ms_per_req", "ms/req", False, "{:.3f}")
ev = f"{raw.get('ferrostack_revocation_events', '?')}/{raw.get('keystone_revocation_events', '?')}"
for c in concs("validate_revoked"):
    p = f"validate_revoked_c{c}"
    lab = f"validate c={c}, {raw.get('revocations_requested', '?')} tokens revoked"
    row(f"{lab}: throughput", f"ferrostack_{p}_rps", f"keystone_{p}_rps", "req/s", True)
    row(f"{lab}: p99 latency", f"ferrostack_{p}_p99_ms", f"keystone_{p}_p99_ms", "ms", False,
        "{:.2f}")
    row(f"{lab}: server CPU", f"ferrostack_{p}_cpu_ms_per_req", f"keystone_{p}_cpu_ms_per_req",
        "ms/req", False, "{:.3f}")
for side in ("ferrostack", "keystone"):
    fields = dict(f.split("=", 1) for f in raw.get(f"{side}_revoke_result", "").split(",") if "=" in f)
    if "seconds" in fields:
        raw[f"{side}_revoke_seconds"] = fields["seconds"]
row(f"issue + revoke {raw.get('revocations_requested', '?')} tokens, 8 clients (wall time)",
    "ferrostack_revoke_seconds", "keystone_revoke_seconds", "s", False)
row("first start, empty data dir, to GET /v3 answering",
    "ferrostack_start_first_ms", "keystone_start_first_ms", "ms", False, "{:.0f}")
row("restart to GET /v3 answering (median)", "ferrostack_restart_ms", "keystone_restart_ms",
    "ms", False, "{:.0f}")
for k in ("ferrostack_rss_kb_idle", "keystone_rss_kb_idle", "ferrostack_rss_kb_final",
          "keystone_rss_kb_final", "ferrostack_pss_kb_idle", "keystone_pss_kb_idle",
          "ferrostack_pss_kb_final", "keystone_pss_kb_final"):
    if k in raw:
        raw[k.replace("_kb_", "_mib_")] = str(float(raw[k]) / 1024)
row("RSS idle after restart (process tree)", "ferrostack_rss_mib_idle",
    "keystone_rss_mib_idle", "MiB", False)
row("PSS idle after restart (process tree)", "ferrostack_pss_mib_idle", "keystone_pss_mib_idle",
    "MiB", False)
row("RSS after all the load (process tree)", "ferrostack_rss_mib_final",
    "keystone_rss_mib_final", "MiB", False)
row("PSS after all the load (process tree)", "ferrostack_pss_mib_final",
    "keystone_pss_mib_final", "MiB", False)

w = [max(len(r[i]) for r in rows + [("", "Ferrostack", "Keystone 30", "ratio")]) for i in range(4)]
head = ("measurement", "Ferrostack", "Keystone 30", "ratio")
print(f"{head[0]:<{w[0]}}  {head[1]:>{w[1]}}  {head[2]:>{w[2]}}  {head[3]:>{w[3]}}")
print("-" * (sum(w) + 6))
for r in rows:
    print(f"{r[0]:<{w[0]}}  {r[1]:>{w[1]}}  {r[2]:>{w[2]}}  {r[3]:>{w[3]}}")
print()
print("ratio: Ferrostack's advantage (F/K for req/s, K/F for latency, CPU, memory, time);"
      " > 1 means Ferrostack is better.")
errs = {k: v for k, v in raw.items()
        if k.endswith("_errors") and not k.endswith("_warmup_errors") and v != "0"}
print(f"revocation events stored: Ferrostack {raw.get('ferrostack_revocation_events', '?')}, "
      f"Keystone {raw.get('keystone_revocation_events', '?')}; revocation runs: "
      f"Ferrostack {raw.get('ferrostack_revoke_result', '?')}, "
      f"Keystone {raw.get('keystone_revoke_result', '?')}")
print(f"failed requests (non-2xx, socket errors, timeouts): "
      f"{raw.get('errors_total', '?')} {errs if errs else ''}".rstrip())
warm = {k: v for k, v in raw.items() if k.endswith("_warmup_errors") and v != "0"}
if warm:
    print(f"failed requests during warm-ups (not counted above): {warm}")
if raw.get("runs_with_other_jobs_running"):
    print(f"WARNING: other build/test jobs ran during: {raw['runs_with_other_jobs_running']}")
if raw.get("machine_quiet") != "yes":
    print("WARNING: measured while the machine was busy: numbers are not comparable.")
