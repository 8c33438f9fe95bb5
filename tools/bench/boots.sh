#!/usr/bin/env bash
# Boot benchmark: 1,000 servers created at once (50 client threads, one POST /servers
# each) on 100 and then on 1,000 fake compute hosts, timed until every one is ACTIVE,
# on the release binary with its defaults (SQLite, in-process buses), in one run.
# Prints the numbers and writes them to tools/bench/results/boots-<date>.txt. See
# BENCHMARKS.md.
#
# Knobs (environment):
#   FERROSTACK_BIN   binary to measure (default target/release/ferrostack)
#   BENCH_SERVERS    servers per run (1000)
#   BENCH_WORKERS    client threads (50)
#   BENCH_HOSTS      fake host counts, in order ("100 1000")
#   BENCH_OUT        results file
set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin=${FERROSTACK_BIN:-$repo/target/release/ferrostack}
servers=${BENCH_SERVERS:-1000}
workers=${BENCH_WORKERS:-50}
host_counts=${BENCH_HOSTS:-"100 1000"}
out=${BENCH_OUT:-$here/results/boots-$(date -u +%Y-%m-%d).txt}
log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
[ -x "$bin" ] || die "no Ferrostack binary at $bin (cargo build --release -p ferrostack)"
venv=$("$repo/compat/venv.sh")

work=$(mktemp -d /var/tmp/ferrostack-boots-bench.XXXXXX)
pid=
cleanup() {
  if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

{
  echo "machine_nproc $(nproc)"
  echo "machine_cpu $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo | tr ' ' '_')"
  echo "ferrostack_commit $(git -C "$repo" rev-parse --short HEAD)"
  echo "servers $servers"
  echo "workers $workers"
} > "$work/raw.txt"

for hosts in $host_counts; do
  data=$work/data-$hosts
  mkdir -p "$data"
  port=$(free_port)
  log "starting Ferrostack with $hosts fake hosts"
  NO_COLOR=1 FERROSTACK_LOG=warn "$bin" up --data-dir "$data" --listen "127.0.0.1:$port" --fake-computes "$hosts" \
    >"$work/server-$hosts.log" 2>&1 &
  pid=$!
  for _ in $(seq 600); do [ -s "$data/clouds.yaml" ] && curl -sf -o /dev/null "http://127.0.0.1:$port/identity/v3" && break; sleep 0.1; done
  [ -s "$data/clouds.yaml" ] || die "the cloud did not start (log: $work/server-$hosts.log)"
  log "booting $servers servers"
  read -r all_active answered p50 p99 active error < <("$venv/bin/python3" "$here/boots_bench.py" "$data/clouds.yaml" "$hosts" "$servers" "$workers") \
    || die "the boot run on $hosts hosts failed"
  rss=$(awk '/VmRSS/ {print int($2 / 1024)}' "/proc/$pid/status")
  {
    echo "hosts_${hosts}_all_active_s $all_active"
    echo "hosts_${hosts}_requests_answered_s $answered"
    echo "hosts_${hosts}_create_p50_ms $p50"
    echo "hosts_${hosts}_create_p99_ms $p99"
    echo "hosts_${hosts}_active $active"
    echo "hosts_${hosts}_error $error"
    echo "hosts_${hosts}_rss_mib $rss"
  } >> "$work/raw.txt"
  log "$hosts hosts: all $active ACTIVE after $all_active s ($error ERROR); create p50 $p50 ms, p99 $p99 ms; RSS $rss MiB"
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; pid=
done
mkdir -p "$(dirname "$out")"
cp "$work/raw.txt" "$out"
cat "$out"
