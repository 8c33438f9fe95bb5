#!/usr/bin/env python3
"""Formats image.sh's raw 'key value' file as a dd / Ferrostack / Glance table.

Throughput in MB/s (10^6 bytes a second), medians over the rounds. "F % of dd": Ferrostack
as a share of what dd gets from the same disk (writes fsync'd, reads from a cold cache).
"F/G": Ferrostack's advantage over Glance: Ferrostack/Glance for throughput,
Glance/Ferrostack for CPU and memory, so > 1 always means Ferrostack is better by that
factor. Memory: the highest peak seen in any round.
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


big = raw.get("size_mib", "1024")
small = raw.get("small_mib", "256")
glance = raw.get("glance_status") == "measured"
rows = []


def fmt(v, unit, spec):
    return "n/a" if v is None else f"{spec.format(v)} {unit}"


def ratio(a, b):
    if not a or not b:
        return "n/a"
    r = a / b
    return f"{r:.2f}x" if r < 10 else f"{r:.1f}x" if r < 100 else f"{r:.0f}x"


def row(label, ddkey, fkey, gkey, unit, higher_better, spec="{:.0f}", scale=1.0):
    d, f, g = num(ddkey) if ddkey else None, num(fkey), num(gkey)
    if f is None and g is None:
        return
    f = None if f is None else f * scale
    g = None if g is None else g * scale
    pct = f"{100 * f / d:.0f}%" if (d and f is not None) else ""
    fg = (ratio(f, g) if higher_better else ratio(g, f)) if glance else ""
    rows.append((label, fmt(d, unit, spec) if ddkey else "", fmt(f, unit, spec),
                 fmt(g, unit, spec) if glance else "", pct, fg))


B, S = f"{big}mib", f"{small}mib"
tp = [
    (f"upload {big} MiB (until the API answers)", f"dd_write_{B}_mbps", f"upload_{B}_mbps"),
    (f"upload {big} MiB, data on disk (+ fsync after)", f"dd_write_{B}_mbps", f"upload_{B}_durable_mbps"),
    (f"upload {small} MiB (until the API answers)", f"dd_write_{S}_mbps", f"upload_{S}_mbps"),
    (f"download {big} MiB, cold cache, to /dev/null", f"dd_read_cold_{B}_mbps", f"download_cold_{B}_mbps"),
    (f"download {big} MiB, cold cache, to a file", f"dd_read_cold_{B}_mbps", f"download_file_{B}_mbps"),
    (f"download {big} MiB, page cache, to /dev/null", f"dd_read_warm_{B}_mbps", f"download_warm_{B}_mbps"),
    (f"download {small} MiB, cold cache, to /dev/null", f"dd_read_cold_{S}_mbps", f"download_cold_{S}_mbps"),
]
for label, dd, key in tp:
    row(label, dd, f"ferrostack_{key}", f"glance_{key}", "MB/s", True)

for label, key, mib in ((f"server CPU, upload {big} MiB", f"upload_{B}_cpu_s", big),
                        (f"server CPU, download {big} MiB cold", f"download_cold_{B}_cpu_s", big),
                        (f"server CPU, download {big} MiB warm", f"download_warm_{B}_cpu_s", big)):
    row(label + " (per GiB)", None, f"ferrostack_{key}", f"glance_{key}", "s/GiB", False, "{:.2f}",
        1024 / float(mib))

mib = 1 / 1024
for what, key in ((f"upload {small} MiB", f"upload_{S}"), (f"upload {big} MiB", f"upload_{B}"),
                  (f"download {small} MiB", f"download_cold_{S}"),
                  (f"download {big} MiB", f"download_cold_{B}")):
    row(f"peak RSS, process tree, {what}", None, f"ferrostack_{key}_rss_peak_kb",
        f"glance_{key}_rss_peak_kb", "MiB", False, "{:.1f}", mib)
for what, key in ((f"upload {small} MiB", f"upload_{S}"), (f"upload {big} MiB", f"upload_{B}"),
                  (f"download {big} MiB", f"download_cold_{B}")):
    row(f"peak RSS, largest process (VmHWM), {what}", None, f"ferrostack_{key}_hwm_kb",
        f"glance_{key}_hwm_kb", "MiB", False, "{:.1f}", mib)
row("RSS idle, process tree, before the rounds", None, "ferrostack_rss_kb_idle_before",
    "glance_rss_kb_idle_before", "MiB", False, "{:.1f}", mib)
row("RSS idle, process tree, after the rounds", None, "ferrostack_rss_kb_idle_after",
    "glance_rss_kb_idle_after", "MiB", False, "{:.1f}", mib)

gname = f"Glance {raw.get('glance_version', '')}".strip()
head = ("measurement", "dd", "Ferrostack", gname, "F % of dd", "F/G")
cols = [0, 1, 2, 3, 4, 5] if glance else [0, 1, 2, 4]
table = [[r[i] for i in cols] for r in [head] + rows]
w = [max(len(r[i]) for r in table) for i in range(len(cols))]
for n, r in enumerate(table):
    print(f"{r[0]:<{w[0]}}" + "".join(f"  {r[i]:>{w[i]}}" for i in range(1, len(cols))))
    if n == 0:
        print("-" * (sum(w) + 2 * (len(cols) - 1)))
print()
print(f"{raw.get('repeats', '?')} rounds; throughput and CPU are medians, memory the highest peak."
      f" MB = 10^6 bytes. File system: {raw.get('fs_type', '?')} on {raw.get('fs_source', '?')}.")
print("dd: write = dd bs=4M conv=fsync from a cached source; read = dd bs=4M after evicting the"
      f" file from the page cache (O_DIRECT read of {big} MiB: "
      f"{raw.get(f'dd_read_direct_{B}_mbps', '?')} MB/s). 'Cold' means not in this machine's page"
      " cache: on a virtual machine the host may still cache the disk.")
print("F % of dd: Ferrostack against dd on the same disk."
      + (" F/G: Ferrostack's advantage over Glance (F/G for MB/s, G/F for CPU and memory);"
         " > 1 means Ferrostack is better." if glance else ""))
print("Upload 'until the API answers': Ferrostack fsyncs the data before answering"
      + ("; Glance's file store does not (its data may still be in the page cache)" if glance else "")
      + ": the 'data on disk' row adds the time of an fsync of the stored file right after the"
      " answer.")
if not glance:
    print(f"Glance not measured: {raw.get('glance_status', '?')}")
print(f"failed checks (status, size, checksum): {raw.get('errors_total', '?')}; downloaded md5"
      f" matched: Ferrostack {raw.get('ferrostack_download_md5_ok', '?')}"
      + (f", Glance {raw.get('glance_download_md5_ok', '?')}" if glance else "")
      + " (1 = every round)")
if raw.get("evict_residue_bytes", "0") not in ("0", ""):
    print(f"WARNING: up to {raw['evict_residue_bytes']} bytes stayed cached after eviction:"
          " 'cold' reads were partly warm.")
if raw.get("fs_type") in ("tmpfs", "ramfs", "overlay"):
    print(f"WARNING: measured on {raw['fs_type']}, not a disk.")
if raw.get("rounds_with_other_jobs_running"):
    print(f"WARNING: other build/test jobs ran during round(s): {raw['rounds_with_other_jobs_running']}")
if raw.get("machine_quiet") != "yes":
    print("WARNING: measured while the machine was busy: numbers are not comparable.")
