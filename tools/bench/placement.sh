#!/usr/bin/env bash
# Placement benchmark: GET /allocation_candidates latency (p50, p99, one request at a
# time) with 1,000 and then 10,000 compute-node providers, for Ferrostack (release
# binary, on its default SQLite and on MariaDB) and the real Placement 16.0.0 from PyPI
# (MariaDB through PyMySQL, under uWSGI, noauth2), filled with the same providers by the
# same driver (placement_bench.py), in one run. Prints a table and writes raw numbers to
# tools/bench/results/placement-<date>.txt. See BENCHMARKS.md.
#
# Knobs (environment):
#   FERROSTACK_BIN         binary to measure (default target/release/ferrostack)
#   BENCH_REQUESTS         timed requests per size and query (200), or fewer when
#   BENCH_SECONDS          seconds (60) pass first (at least 5 requests)
#   BENCH_MYSQL            MariaDB admin URL for the databases the run creates and drops
#                          (mysql://root@127.0.0.1:3306)
#   BENCH_NO_PLACEMENT=1   skip the real Placement
#   BENCH_UWSGI_PROCESSES  Placement's uWSGI processes (2)
#   BENCH_OUT              results file
set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin=${FERROSTACK_BIN:-$repo/target/release/ferrostack}
requests=${BENCH_REQUESTS:-200}
seconds=${BENCH_SECONDS:-60}
mysql_url=${BENCH_MYSQL:-mysql://root@127.0.0.1:3306}
uwsgi_processes=${BENCH_UWSGI_PROCESSES:-2}
out=${BENCH_OUT:-$here/results/placement-$(date -u +%Y-%m-%d).txt}
password=bench-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
driver=$here/placement_bench.py
# What nova's scheduler asks for a small flavor (it sends limit=1000 by default), and
# the same without a limit: every host that fits.
queries=("resources=VCPU:1,MEMORY_MB:512,DISK_GB:10&limit=1000" "resources=VCPU:1,MEMORY_MB:512,DISK_GB:10")
query_names=(limit1000 all)

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
[ -x "$bin" ] || die "no Ferrostack binary at $bin (cargo build --release -p ferrostack)"
command -v mariadb >/dev/null || command -v mysql >/dev/null || die "needs the mariadb client"
sql() { "$(command -v mariadb || command -v mysql)" -h 127.0.0.1 -u root -e "$1"; }

work=$(mktemp -d /var/tmp/ferrostack-placement-bench.XXXXXX)
raw=$work/raw.txt
: > "$raw"
put() { echo "$1 $2" >> "$raw"; }
pids=()
databases=()
cleanup() {
  local p d
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  for d in "${databases[@]}"; do sql "DROP DATABASE IF EXISTS $d" || true; done
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { for _ in $(seq 300); do curl -sf -o /dev/null "$1" && return 0; sleep 0.1; done; die "$1 did not answer"; }

put machine_nproc "$(nproc)"
put machine_cpu "$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo | tr ' ' '_')"
put ferrostack_commit "$(git -C "$repo" rev-parse --short HEAD)"
put requests "$requests"

# measure LABEL URL TOKEN: fills to 1,000 then 10,000 providers, timing candidates at each.
measure() {
  local label=$1 url=$2 token=$3 have=0 size i
  for size in 1000 10000; do
    local took
    took=$(python3 "$driver" fill "$url" "$token" "$have" $((size - have))) || die "$label: filling to $size providers failed"
    put "${label}_fill_${size}_s" "$took"
    have=$size
    for i in "${!queries[@]}"; do
      local timed p50 p99 found bytes samples
      timed=$(python3 "$driver" time "$url" "$token" "$requests" "$seconds" "${queries[$i]}") || die "$label: timing ${query_names[$i]} failed"
      read -r p50 p99 found bytes samples <<<"$timed"
      put "${label}_${size}_${query_names[$i]}_samples" "$samples"
      put "${label}_${size}_${query_names[$i]}_p50_ms" "$p50"
      put "${label}_${size}_${query_names[$i]}_p99_ms" "$p99"
      put "${label}_${size}_${query_names[$i]}_candidates" "$found"
      put "${label}_${size}_${query_names[$i]}_bytes" "$bytes"
      log "$label, $size providers, ${query_names[$i]}: p50 $p50 ms, p99 $p99 ms ($found candidates, $samples requests)"
    done
  done
}

# --- Ferrostack, on SQLite (its default) and on MariaDB ---------------------------------
ferrostack() {   # LABEL [DATABASE_URL]
  local label=$1 db_url=${2:-} data port pid token
  data=$work/$label
  mkdir -p "$data"
  if [ -n "$db_url" ]; then printf '[database]\nplacement = "%s"\n' "$db_url" > "$data/ferrostack.toml"; fi
  port=$(free_port)
  FERROSTACK_LOG=warn "$bin" up --data-dir "$data" --listen "127.0.0.1:$port" --admin-password "$password" > "$data/log" 2>&1 &
  pid=$!
  pids+=("$pid")
  wait_http "http://127.0.0.1:$port/placement/"
  token=$(curl -si "http://127.0.0.1:$port/identity/v3/auth/tokens" -H 'Content-Type: application/json' -d '{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"admin","domain":{"id":"default"},"password":"'"$password"'"}}},"scope":{"project":{"name":"admin","domain":{"id":"default"}}}}}' \
    | awk 'tolower($1) == "x-subject-token:" {print $2}' | tr -d '\r')
  [ -n "$token" ] || die "no token from Ferrostack"
  measure "$label" "http://127.0.0.1:$port/placement" "$token"
  put "${label}_rss_kb" "$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")"
  kill -TERM "$pid"
  wait "$pid" || true
}
log "Ferrostack on SQLite"
ferrostack ferrostack_sqlite
log "Ferrostack on MariaDB"
sql "DROP DATABASE IF EXISTS fs_placement_bench; CREATE DATABASE fs_placement_bench"
databases+=(fs_placement_bench)
ferrostack ferrostack_mariadb "$mysql_url/fs_placement_bench"

# --- the real Placement -------------------------------------------------------------------
if [ -z "${BENCH_NO_PLACEMENT:-}" ]; then
  if venv=$("$here/service-venv.sh" placement); then
    conf=$work/placement-etc
    mkdir -p "$conf"
    sql "DROP DATABASE IF EXISTS placement_bench; CREATE DATABASE placement_bench"
    databases+=(placement_bench)
    cat > "$conf/placement.conf" <<CONF
[DEFAULT]
debug = False
[api]
auth_strategy = noauth2
[placement_database]
connection = mysql+pymysql://root@127.0.0.1/placement_bench?charset=utf8
CONF
    OS_PLACEMENT_CONFIG_DIR=$conf "$venv/bin/placement-manage" --config-dir "$conf" db sync > "$work/placement-sync.log" 2>&1 \
      || die "placement-manage db sync failed: $(tail -3 "$work/placement-sync.log")"
    port=$(free_port)
    OS_PLACEMENT_CONFIG_DIR=$conf "$venv/bin/uwsgi" --http "127.0.0.1:$port" --module placement.wsgi.api:application \
      --http-keepalive \
      --master --processes "$uwsgi_processes" --threads 1 --die-on-term --disable-logging > "$work/placement.log" 2>&1 &
    pids+=("$!")
    wait_http "http://127.0.0.1:$port/"
    put placement_version "$("$venv/bin/pip" show openstack-placement | awk '/^Version/ {print $2}')"
    put placement_uwsgi "${uwsgi_processes}_processes_x_1_thread"
    log "Placement $(awk '/placement_version/ {print $2}' "$raw") on MariaDB"
    measure placement "http://127.0.0.1:$port" admin
  else
    put placement_status "not_installed"
    log "the real Placement did not install; measuring Ferrostack alone"
  fi
fi

mkdir -p "$(dirname "$out")"
{
  echo "# Ferrostack vs Placement allocation candidates benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "# tools/bench/placement.sh; raw numbers as 'key value' (ms per request, one at a time); table below"
  cat "$raw"
  echo
  python3 - "$raw" <<'PY'
import sys
raw = dict(line.split(None, 1) for line in open(sys.argv[1]) if " " in line.strip())
raw = {k: v.strip() for k, v in raw.items()}
print(f"{'providers':>9} {'query':<10} {'server':<18} {'p50 ms':>8} {'p99 ms':>8} {'p99 vs Placement':>17}")
for size in ("1000", "10000"):
    for q in ("limit1000", "all"):
        base = raw.get(f"placement_{size}_{q}_p99_ms")
        for label in ("ferrostack_sqlite", "ferrostack_mariadb", "placement"):
            p50, p99 = raw.get(f"{label}_{size}_{q}_p50_ms"), raw.get(f"{label}_{size}_{q}_p99_ms")
            if p50 is None:
                continue
            ratio = ""
            if base and label != "placement":
                r = float(base) / float(p99)
                ratio = f"{r:.1f}x faster" if r >= 1 else f"{1 / r:.1f}x slower"
            print(f"{size:>9} {q:<10} {label:<18} {float(p50):>8.2f} {float(p99):>8.2f} {ratio:>17}")
PY
} > "$out"
tail -n 14 "$out"
log "results in $out"
