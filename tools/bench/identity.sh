#!/usr/bin/env bash
# Identity benchmark: Ferrostack (release binary, SQLite) side by side with the real
# Keystone 30.0.0 (SQLite, Fernet tokens, in-process dogpile cache, under uWSGI), both on
# 127.0.0.1 in one run, measured with wrk. Prints a table and writes the raw numbers to
# tools/bench/results/identity-<date>.txt. See BENCHMARKS.md at the repository root.
#
# Knobs (environment):
#   FERROSTACK_BIN      binary to measure (default target/release/ferrostack)
#   BENCH_DURATION      seconds per measured run (10); BENCH_WARMUP seconds before each (3)
#   BENCH_CONCURRENCY   connections for validate and rescope ("1 8 64")
#   BENCH_PW_CONCURRENCY connections for password issue ("1 8")
#   BENCH_PW_DURATION   seconds per measured password run (20: bcrypt allows few req/s)
#   BENCH_REVOCATIONS   tokens issued and revoked before the revocation run (5000)
#   BENCH_RESTARTS      timed restarts of each server (3)
#   BENCH_QUIET_WAIT    seconds, in all, to wait for a quiet machine (no cargo, rustc or
#                       tempest process, CPU idle) before measuring anyway (2400)
#   BENCH_KEEP=1        keep the temporary directory (both servers' data and logs)
#   BENCH_UWSGI_PROCESSES / BENCH_UWSGI_THREADS   Keystone's uWSGI workers (2 x 8)
#   BENCH_OUT           results file (default tools/bench/results/identity-<date>.txt)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin=${FERROSTACK_BIN:-$repo/target/release/ferrostack}
duration=${BENCH_DURATION:-10}
warmup=${BENCH_WARMUP:-3}
concs=${BENCH_CONCURRENCY:-"1 8 64"}
pw_concs=${BENCH_PW_CONCURRENCY:-"1 8"}
pw_duration=${BENCH_PW_DURATION:-20}
revocations=${BENCH_REVOCATIONS:-5000}
restarts=${BENCH_RESTARTS:-3}
quiet_wait=${BENCH_QUIET_WAIT:-2400}
uwsgi_processes=${BENCH_UWSGI_PROCESSES:-2}
uwsgi_threads=${BENCH_UWSGI_THREADS:-8}
out=${BENCH_OUT:-$here/results/identity-$(date -u +%Y-%m-%d).txt}
password=bench-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
clk_tck=$(getconf CLK_TCK)

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# --- tools ----------------------------------------------------------------------------
[ -x "$bin" ] || die "no Ferrostack binary at $bin (cargo build --release -p ferrostack)"
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v curl >/dev/null || missing+=(curl)
command -v pgrep >/dev/null || missing+=(procps)
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
fi
venv=$("$here/service-venv.sh" keystone)
py=$venv/bin/python
client() { "$py" "$here/bench_client.py" "$@"; }

work=$(mktemp -d /tmp/ferrostack-bench.XXXXXX)
raw=$work/raw.txt
: > "$raw"
put() { echo "$1 $2" >> "$raw"; }   # one raw number: key value
declare -A pids_started=()   # servers this script started and has not stopped yet
cleanup() {
  local p
  for p in "${!pids_started[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${!pids_started[@]}"; do
    for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
  done
  if [ -z "${BENCH_KEEP:-}" ]; then rm -rf "$work"; else log "kept $work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { "$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# --- process tree accounting ------------------------------------------------------------
tree_pids() {   # the process and all its descendants
  local root=$1 all
  all=$(ps -e -o pid=,ppid=)
  awk -v root="$root" '{ parent[$1]=$2 } END {
      keep[root]=1; changed=1
      while (changed) { changed=0
        for (p in parent) if (!(p in keep) && (parent[p] in keep)) { keep[p]=1; changed=1 } }
      for (p in keep) print p }' <<< "$all"
}
cpu_ticks() {   # utime+stime of the tree, in clock ticks (threads included)
  local p total=0 t
  for p in $(tree_pids "$1"); do
    t=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12 + $13}') || continue
    total=$(( total + ${t:-0} ))
  done
  echo "$total"
}
rss_kb() {      # summed VmRSS of the tree
  local p total=0 v
  for p in $(tree_pids "$1"); do
    v=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null) || continue
    total=$(( total + ${v:-0} ))
  done
  echo "$total"
}
pss_kb() {      # summed Pss of the tree (shared pages split between the processes)
  local p total=0 v
  for p in $(tree_pids "$1"); do
    v=$(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null) || continue
    total=$(( total + ${v:-0} ))
  done
  echo "$total"
}

# --- a quiet machine ------------------------------------------------------------------
busy_procs() {
  pgrep -a -x 'cargo|rustc|cc1|cc1plus|ld|ld.lld|rust-lld|clippy-driver' 2>/dev/null
  pgrep -a -f 'tempest|stestr|subunit' 2>/dev/null | grep -v -e pgrep -e "$here" || true
}
cpu_busy_pct() {  # share of all CPU time that was not idle over 3 seconds
  local a b
  a=($(head -1 /proc/stat)); sleep 3; b=($(head -1 /proc/stat))
  local ta=0 tb=0 i
  for i in $(seq 1 10); do ta=$((ta + ${a[i]:-0})); tb=$((tb + ${b[i]:-0})); done
  local idle=$(( (b[4] + b[5]) - (a[4] + a[5]) )) tot=$(( tb - ta ))
  echo $(( tot > 0 ? 100 * (tot - idle) / tot : 0 ))
}
# quiet = no build/test process and < 15% CPU busy, twice 30 s apart (jobs come in
# bursts). The whole run may wait BENCH_QUIET_WAIT seconds in all: before starting, and
# again before any measured run that finds the machine busy; past that it measures anyway.
waited=0
wait_quiet() {   # sets quiet=yes|no and pct
  local procs streak=0
  quiet=no
  while :; do
    procs=$(busy_procs || true)
    pct=$(cpu_busy_pct)
    if [ -z "$procs" ] && [ "$pct" -lt 15 ]; then
      streak=$((streak + 1))
      if [ "$streak" -ge 2 ] || [ "$waited" -ge "$quiet_wait" ]; then quiet=yes; return 0; fi
      sleep 30; waited=$((waited + 30)); continue
    fi
    streak=0
    if [ "$waited" -ge "$quiet_wait" ]; then return 0; fi
    log "machine busy (${pct}% CPU; $(echo "$procs" | awk 'NF{print $2}' | sort | uniq -c | tr '\n' ' ')); waiting 60 s (waited ${waited}s of ${quiet_wait}s)"
    sleep 60; waited=$((waited + 60))
  done
}
wait_quiet
if [ "$quiet" = yes ]; then
  log "machine quiet (${pct}% CPU busy over 3 s, no build or test processes)"
else
  log "WARNING: measuring on a busy machine (${pct}% CPU busy): results are not comparable"
fi
put machine_quiet "$quiet"
put machine_busy_pct_before "$pct"

# --- Ferrostack -------------------------------------------------------------------------
# Measure a copy, so that a rebuild of target/release during the run changes nothing.
cp "$bin" "$work/ferrostack-bin"
put ferrostack_binary_sha256 "$(sha256sum "$bin" | cut -c1-16)"
bin_src=$bin
bin=$work/ferrostack-bin
fs_port=$(free_port)
fs_base=http://127.0.0.1:$fs_port/identity
fs_dir=$work/ferrostack
mkdir -p "$fs_dir"
printf '[identity]\npassword_hash_rounds = 12\n' > "$work/ferrostack.toml"
fs_pid=

wait_http() {   # URL PID: poll until URL answers 200, print ms since $start_ms
  local url=$1 pid=$2 code
  for _ in $(seq 12000); do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" || true)
    if [ "$code" = 200 ]; then echo $(( $(now_ms) - start_ms )); return 0; fi
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.005
  done
  return 1
}
up_ms=
fs_start() {   # [--admin-password PW]: sets fs_pid and up_ms
  start_ms=$(now_ms)
  "$bin" up --data-dir "$fs_dir" --listen "127.0.0.1:$fs_port" "$@" \
    --config "$work/ferrostack.toml" >> "$work/ferrostack.log" 2>&1 &
  fs_pid=$!
  pids_started[$fs_pid]=1
  up_ms=$(wait_http "$fs_base/v3" "$fs_pid") || { tail -20 "$work/ferrostack.log" >&2; die "Ferrostack did not come up"; }
}
stop_pid() {
  local p=$1
  unset "pids_started[$p]"
  kill -TERM "$p" 2>/dev/null || return 0
  for _ in $(seq 300); do kill -0 "$p" 2>/dev/null || { wait "$p" 2>/dev/null || true; return 0; }; sleep 0.1; done
  kill -KILL "$p" 2>/dev/null || true
  wait "$p" 2>/dev/null || true
}

median() { tr ' ' '\n' | awk 'NF' | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

log "Ferrostack: first start on an empty data dir"
fs_start --admin-password "$password"
put ferrostack_start_first_ms "$up_ms"
put ferrostack_start_first_self_reported_ms "$(grep -o 'is up at .*(\([0-9]*\) ms)' "$work/ferrostack.log" | tail -1 | grep -o '([0-9]* ms)' | tr -dc 0-9)"
sleep 2
put ferrostack_rss_kb_after_first_start "$(rss_kb "$fs_pid")"
times=""
for i in $(seq "$restarts"); do
  stop_pid "$fs_pid"
  fs_start   # a restart needs no password: bootstrap keeps the one it has
  times="$times $up_ms"
done
put ferrostack_restart_self_reported_ms "$(grep -o 'is up at .*(\([0-9]*\) ms)' "$work/ferrostack.log" | tail -1 | grep -o '([0-9]* ms)' | tr -dc 0-9)"
put ferrostack_restart_ms_each "$(echo $times | tr ' ' ',')"
put ferrostack_restart_ms "$(echo "$times" | median)"
sleep 2
put ferrostack_rss_kb_idle "$(rss_kb "$fs_pid")"
log "Ferrostack up at $fs_base (pid $fs_pid)"

# --- Keystone ---------------------------------------------------------------------------
ks_port=$(free_port)
ks_base=http://127.0.0.1:$ks_port
ks_dir=$work/keystone
mkdir -p "$ks_dir"
cat > "$ks_dir/keystone.conf" <<EOF
[DEFAULT]
log_file = $ks_dir/keystone.log
[database]
connection = sqlite:///$ks_dir/keystone.db
[token]
provider = fernet
[fernet_tokens]
key_repository = $ks_dir/fernet-keys
[fernet_receipts]
key_repository = $ks_dir/fernet-receipts
[credential]
key_repository = $ks_dir/credential-keys
[identity]
password_hash_algorithm = bcrypt
password_hash_rounds = 12
[cache]
enabled = true
backend = dogpile.cache.memory
EOF
export OS_KEYSTONE_CONFIG_FILES=$ks_dir/keystone.conf
kmanage() { "$venv/bin/keystone-manage" --config-file "$ks_dir/keystone.conf" "$@" >> "$ks_dir/manage.log" 2>&1; }
ks_pid=
ks_start() {   # sets ks_pid and up_ms
  start_ms=$(now_ms)
  # --http + --http-keepalive: uWSGI's own asynchronous HTTP router takes the clients'
  # keep-alive connections and hands each request to a free worker thread (with
  # --http11-socket a worker thread stays bound to one client connection, so 64
  # connections would starve on 16 threads). --lazy-apps, --thunder-lock, 64 KiB
  # buffers: as devstack runs Keystone (each worker loads Keystone after the fork).
  "$venv/bin/uwsgi" --home "$venv" --http "127.0.0.1:$ks_port" --http-keepalive \
    --module keystone.wsgi.api:application --master --processes "$uwsgi_processes" \
    --threads "$uwsgi_threads" --enable-threads --lazy-apps --thunder-lock --need-app \
    --die-on-term --buffer-size 65535 --listen 128 >> "$ks_dir/uwsgi.log" 2>&1 &
  ks_pid=$!
  pids_started[$ks_pid]=1
  up_ms=$(wait_http "$ks_base/v3" "$ks_pid") || { tail -30 "$ks_dir/uwsgi.log" >&2; die "Keystone did not come up"; }
}

log "Keystone: fernet_setup, db_sync, bootstrap, then uWSGI ($uwsgi_processes processes x $uwsgi_threads threads)"
t0=$(now_ms)
kmanage fernet_setup --keystone-user root --keystone-group root
kmanage credential_setup --keystone-user root --keystone-group root
kmanage receipt_setup --keystone-user root --keystone-group root
kmanage db_sync
kmanage bootstrap --bootstrap-password "$password" --bootstrap-region-id RegionOne \
  --bootstrap-public-url "$ks_base" --bootstrap-internal-url "$ks_base" --bootstrap-admin-url "$ks_base"
setup_ms=$(( $(now_ms) - t0 ))
ks_start
put keystone_setup_ms "$setup_ms"
put keystone_uwsgi_first_start_ms "$up_ms"
put keystone_start_first_ms "$(( setup_ms + up_ms ))"
sleep 2
put keystone_rss_kb_after_first_start "$(rss_kb "$ks_pid")"
times=""
for i in $(seq "$restarts"); do
  stop_pid "$ks_pid"
  ks_start
  times="$times $up_ms"
done
put keystone_restart_ms_each "$(echo $times | tr ' ' ',')"
put keystone_restart_ms "$(echo "$times" | median)"
sleep 2
put keystone_rss_kb_idle "$(rss_kb "$ks_pid")"
put keystone_pss_kb_idle "$(pss_kb "$ks_pid")"
put ferrostack_pss_kb_idle "$(pss_kb "$fs_pid")"
log "Keystone up at $ks_base (uWSGI master pid $ks_pid)"

# --- tokens -----------------------------------------------------------------------------
declare -A base=([ferrostack]=$fs_base [keystone]=$ks_base)
declare -A pid_of=([ferrostack]=$fs_pid [keystone]=$ks_pid)
declare -A admin_tok subject_tok unscoped_tok
for s in ferrostack keystone; do
  admin_tok[$s]=$(client token "${base[$s]}" admin "$password" --project admin)
  subject_tok[$s]=$(client token "${base[$s]}" admin "$password" --project admin)
  unscoped_tok[$s]=$(client token "${base[$s]}" admin "$password")
done
put password_hash_rounds 12

# --- one measured run -------------------------------------------------------------------
# env for the Lua scripts of server $s
lua_env() {
  local s=$1
  export BENCH_LUA_DIR=$here BENCH_PASSWORD=$password
  export BENCH_ADMIN_TOKEN=${admin_tok[$s]} BENCH_SUBJECT_TOKEN=${subject_tok[$s]}
  export BENCH_UNSCOPED_TOKEN=${unscoped_tok[$s]}
}
precheck() {   # scenario server: one request with curl, must be 2xx
  local sc=$1 s=$2 code
  lua_env "$s"
  case $sc in
    validate*) code=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Auth-Token: $BENCH_ADMIN_TOKEN" \
                 -H "X-Subject-Token: $BENCH_SUBJECT_TOKEN" "${base[$s]}/v3/auth/tokens") ;;
    rescope) code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
                 -d "{\"auth\":{\"identity\":{\"methods\":[\"token\"],\"token\":{\"id\":\"$BENCH_UNSCOPED_TOKEN\"}},\"scope\":{\"project\":{\"name\":\"admin\",\"domain\":{\"name\":\"Default\"}}}}}" \
                 "${base[$s]}/v3/auth/tokens") ;;
    password) code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
                 -d "{\"auth\":{\"identity\":{\"methods\":[\"password\"],\"password\":{\"user\":{\"name\":\"admin\",\"domain\":{\"name\":\"Default\"},\"password\":\"$password\"}}},\"scope\":{\"project\":{\"name\":\"admin\",\"domain\":{\"name\":\"Default\"}}}}}" \
                 "${base[$s]}/v3/auth/tokens") ;;
  esac
  [ "${code:0:1}" = 2 ] || die "$s $sc answered $code before the run"
}
errors_total=0
busy_runs=""
run() {   # scenario lua concurrency server [duration]
  local sc=$1 lua=$2 c=$3 s=$4 d=${5:-$duration} threads=2 url line before after key
  [ "$c" -lt 2 ] && threads=1
  url=${base[$s]}/v3/auth/tokens
  key=${s}_${sc}_c${c}
  precheck "$sc" "$s"
  lua_env "$s"
  # warm-up, not counted; its failures are recorded apart
  timeout $((warmup + 60)) wrk -t "$threads" -c "$c" -d "${warmup}s" --timeout 30s \
    -s "$here/$lua" "$url" > "$work/wrk-$s-$sc-c$c-warmup.txt"
  line=$(grep '^BENCH ' "$work/wrk-$s-$sc-c$c-warmup.txt") || die "no result from wrk"
  eval "$(echo "${line#BENCH }" | tr ' ' '\n' | sed 's/^/local r_/')"
  put "${key}_warmup_errors" $(( r_non2xx + r_connect + r_read + r_write + r_timeout ))
  # measure on a quiet machine: wait for one if a build or test job is running, and run
  # again (3 tries) if one started during the measurement
  local try
  for try in 1 2 3; do
    if [ -n "$(busy_procs || true)" ]; then
      wait_quiet
      timeout $((warmup + 60)) wrk -t "$threads" -c "$c" -d "${warmup}s" \
        --timeout 30s -s "$here/$lua" "$url" > /dev/null
    fi
    # a sampler notes, every second, any build or test process that shows up meanwhile
    ( for _ in $(seq $((d + 70))); do busy_procs; sleep 1; done ) > "$work/busy.txt" 2>/dev/null &
    local sampler=$!
    before=$(cpu_ticks "${pid_of[$s]}")
    timeout $((d + 60)) wrk -t "$threads" -c "$c" -d "${d}s" --timeout 30s --latency \
      -s "$here/$lua" "$url" > "$work/wrk-$s-$sc-c$c.txt"
    after=$(cpu_ticks "${pid_of[$s]}")
    kill "$sampler" 2>/dev/null || true
    wait "$sampler" 2>/dev/null || true
    if [ ! -s "$work/busy.txt" ] && [ -z "$(busy_procs || true)" ]; then break; fi
    log "$key: a build or test job ran during the measurement (try $try of 3)"
    if [ "$try" = 3 ]; then busy_runs="$busy_runs $key"; fi
  done
  line=$(grep '^BENCH ' "$work/wrk-$s-$sc-c$c.txt") || die "no result from wrk"
  eval "$(echo "${line#BENCH }" | tr ' ' '\n' | sed 's/^/local r_/')"
  local errs=$(( r_non2xx + r_connect + r_read + r_write + r_timeout ))
  if [ "$r_requests" -eq 0 ]; then log "$s $sc c=$c: no request completed"; errs=$((errs + 1)); fi
  errors_total=$(( errors_total + errs ))
  put "${key}_requests" "$r_requests"
  put "${key}_rps" "$(awk -v n="$r_requests" -v us="$r_duration_us" 'BEGIN{printf "%.1f", n / (us / 1e6)}')"
  put "${key}_p50_ms" "$(awk -v v="$r_p50_us" 'BEGIN{printf "%.2f", v/1000}')"
  put "${key}_p99_ms" "$(awk -v v="$r_p99_us" 'BEGIN{printf "%.2f", v/1000}')"
  put "${key}_errors" "$errs"
  put "${key}_cpu_ms_per_req" "$(awk -v d=$((after - before)) -v hz="$clk_tck" -v n="$r_requests" 'BEGIN{printf "%.3f", n ? 1000 * d / hz / n : 0}')"
  log "$s $sc c=$c: $(grep "^${key}_rps " "$raw" | cut -d' ' -f2) req/s, p99 $(grep "^${key}_p99_ms " "$raw" | cut -d' ' -f2) ms, errors $errs"
}

for c in $concs; do for s in ferrostack keystone; do run validate validate.lua "$c" "$s"; done; done
for c in $concs; do for s in ferrostack keystone; do run rescope rescope.lua "$c" "$s"; done; done
for c in $pw_concs; do for s in ferrostack keystone; do run password password.lua "$c" "$s" "$pw_duration"; done; done
sleep 2
for s in ferrostack keystone; do
  put "${s}_rss_kb_after_load" "$(rss_kb "${pid_of[$s]}")"
  put "${s}_pss_kb_after_load" "$(pss_kb "${pid_of[$s]}")"
done

# --- validation with many revocation events --------------------------------------------
put revocations_requested "$revocations"
declare -A events_table=([ferrostack]=revocation_events [keystone]=revocation_event)
declare -A db_file=([ferrostack]=$fs_dir/identity.db [keystone]=$ks_dir/keystone.db)
for s in ferrostack keystone; do
  log "$s: issuing and revoking $revocations tokens"
  r=$(timeout 1900 "$py" "$here/bench_client.py" revoke "${base[$s]}" "${admin_tok[$s]}" \
    "${unscoped_tok[$s]}" "$revocations" --threads 8 --deadline 1800)
  log "$s: $r"
  put "${s}_revoke_result" "$(echo "$r" | tr ' ' ',')"
  put "${s}_revocation_events" "$(client count-events "${db_file[$s]}" "${events_table[$s]}")"
done
for s in ferrostack keystone; do run validate_revoked validate.lua 8 "$s"; done
sleep 2
for s in ferrostack keystone; do
  put "${s}_rss_kb_final" "$(rss_kb "${pid_of[$s]}")"
  put "${s}_pss_kb_final" "$(pss_kb "${pid_of[$s]}")"
done
put errors_total "$errors_total"
put waited_for_quiet_s "$waited"
put runs_with_other_jobs_running "$(echo $busy_runs | tr ' ' ',')"
put keystone_log_forbidden_action "$(grep -c 'ForbiddenAction' "$ks_dir/keystone.log" || true)"
put keystone_log_error_lines "$(grep -c ' ERROR ' "$ks_dir/keystone.log" || true)"
# the kinds of exception Keystone logged, with counts (its tracebacks span many lines)
put keystone_log_exceptions "$(grep ' ERROR ' "$ks_dir/keystone.log" | grep -oE ' [A-Za-z_.]+(Error|Exception|Action|NotFound|Unauthorized): ' \
  | tr -d ' :' | sort | uniq -c | awk '{printf "%s%s=%s", (NR>1?",":""), $2, $1}')"
put ferrostack_log_error_lines "$(grep -c -E ' ERROR | WARN ' "$work/ferrostack.log" || true)"

stop_pid "$fs_pid"
stop_pid "$ks_pid"

# --- report -----------------------------------------------------------------------------
mkdir -p "$(dirname "$out")"
{
  echo "# Ferrostack vs Keystone identity benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "# tools/bench/identity.sh; raw numbers as 'key value'; ratios in the table below"
  echo "machine_nproc $(nproc)"
  echo "machine_cpu $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//' | tr ' ' '_')"
  echo "machine_kernel $(uname -r)"
  echo "machine_mem_kb $(awk '/MemTotal/ {print $2}' /proc/meminfo)"
  echo "ferrostack_version $("$bin" --version | tr ' ' '_')"
  echo "ferrostack_binary $bin_src"
  echo "ferrostack_commit $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$repo" diff --quiet HEAD -- crates 2>/dev/null || echo -dirty)"
  echo "keystone_version $("$venv/bin/pip" show keystone 2>/dev/null | awk '/^Version/ {print $2}')"
  echo "uwsgi_version $("$venv/bin/uwsgi" --version)"
  echo "python_version $("$py" -c 'import platform; print(platform.python_version())')"
  echo "wrk_version $(wrk -v 2>&1 | head -1 | awk '{print $2}')"
  echo "keystone_uwsgi ${uwsgi_processes}_processes_x_${uwsgi_threads}_threads"
  echo "duration_s $duration"
  echo "password_duration_s $pw_duration"
  echo "warmup_s $warmup"
  cat "$raw"
} > "$out.tmp"
"$py" "$here/table.py" "$out.tmp" > "$work/table.txt"
{ cat "$out.tmp"; echo; echo "# Table"; sed 's/^/# /' "$work/table.txt"; } > "$out"
rm -f "$out.tmp"
cat "$work/table.txt"
log "raw numbers in $out"
if [ "$errors_total" -ne 0 ]; then die "$errors_total requests failed (non-2xx or socket errors): see $out"; fi
if [ "$(grep '^machine_quiet ' "$out" | cut -d' ' -f2)" != yes ]; then log "WARNING: measured on a busy machine"; fi
if [ -n "$busy_runs" ]; then log "WARNING: other build or test jobs ran during:$busy_runs"; fi
