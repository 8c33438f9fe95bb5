#!/usr/bin/env bash
# Image data benchmark: how fast Ferrostack (release binary) stores and serves image data,
# against the disk's own limit (dd) and the real Glance 33.0.0 (SQLite, filesystem store,
# under uWSGI as Glance documents), all on one file system, in one run. Uploads and
# downloads a 1 GiB and a 256 MiB image of random (incompressible) bytes with curl, N
# times, and samples each server's memory during every transfer. Prints a table and writes
# the raw numbers to tools/bench/results/image-<date>.txt. See BENCHMARKS.md at the
# repository root. Glance is measured only if it installs and runs; if not, the script
# says why and measures Ferrostack against dd alone.
#
# Knobs (environment):
#   FERROSTACK_BIN      binary to measure (default target/release/ferrostack)
#   BENCH_DIR           where the temporary directory (data dirs, images, dd files) goes
#                       (/var/tmp: a real disk; /tmp may be tmpfs). Needs ~5 GiB free.
#   BENCH_SIZE_MIB      the large image, MiB (1024); BENCH_SMALL_MIB the small one (256)
#   BENCH_REPEATS       measured rounds (3); the table gives medians of throughput and CPU,
#                       and the highest memory peak seen
#   BENCH_QUIET_WAIT    seconds, in all, to wait for a quiet machine (no cargo, rustc or
#                       tempest process, CPU idle) before measuring anyway (2400)
#   BENCH_NO_GLANCE=1   skip Glance (Ferrostack against dd only)
#   BENCH_UWSGI_PROCESSES / BENCH_UWSGI_THREADS   Glance's uWSGI workers (2 x 1)
#   BENCH_KEEP=1        keep the temporary directory (both servers' data and logs)
#   BENCH_OUT           results file (default tools/bench/results/image-<date>.txt)
set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin=${FERROSTACK_BIN:-$repo/target/release/ferrostack}
bench_parent=${BENCH_DIR:-/var/tmp}
size_mib=${BENCH_SIZE_MIB:-1024}
small_mib=${BENCH_SMALL_MIB:-256}
repeats=${BENCH_REPEATS:-3}
quiet_wait=${BENCH_QUIET_WAIT:-2400}
uwsgi_processes=${BENCH_UWSGI_PROCESSES:-2}
uwsgi_threads=${BENCH_UWSGI_THREADS:-1}
out=${BENCH_OUT:-$here/results/image-$(date -u +%Y-%m-%d).txt}
password=bench-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# --- tools ----------------------------------------------------------------------------
[ -x "$bin" ] || die "no Ferrostack binary at $bin (cargo build --release -p ferrostack)"
[ "$(id -u)" = 0 ] || die "run as root (resetting /proc/<pid>/clear_refs, installing tools)"
missing=()
command -v curl >/dev/null || missing+=(curl)
command -v pgrep >/dev/null || missing+=(procps)
command -v fincore >/dev/null || missing+=(util-linux)
command -v python3 >/dev/null || missing+=(python3)
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
fi
py=$(command -v python3)   # stdlib only: JSON, a free port, a token

mkdir -p "$bench_parent"
work=$(mktemp -d "$bench_parent/ferrostack-image-bench.XXXXXX")
raw=$work/raw.txt
: > "$raw"
put() { echo "$1 $2" >> "$raw"; }   # one raw number: key value
declare -A pids_started=()   # servers this script started and has not stopped yet
watcher= sampler=            # background loops of this script, while they run
cleanup() {
  local p
  for p in $watcher $sampler; do kill "$p" 2>/dev/null || true; done
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
now_ns() { date +%s%N; }
jget() {   # FIELD: a field of the JSON object on stdin; empty if there is none (or no JSON)
  "$py" -c '
import json, sys
try:
    v = json.load(sys.stdin).get(sys.argv[1])
except Exception:
    v = None
print("" if v is None else v)' "$1"
}
mbps() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.1f", (s > 0 ? b / s / 1e6 : 0) }'; }   # bytes seconds

# --- the file system ------------------------------------------------------------------
fs_type=$(findmnt -n -o FSTYPE -T "$work")
fs_source=$(findmnt -n -o SOURCE -T "$work")
fs_options=$(findmnt -n -o OPTIONS -T "$work")
free_kb=$(df -Pk "$work" | awk 'NR==2 {print $4}')
log "benchmark directory $work: $fs_type on $fs_source ($((free_kb / 1024 / 1024)) GiB free)"
case $fs_type in
  tmpfs|ramfs|overlay) log "WARNING: $work is on $fs_type, not a disk: set BENCH_DIR to a directory on a real disk" ;;
esac
need_kb=$(( (5 * size_mib + 2 * small_mib) * 1024 ))
[ "$free_kb" -gt "$need_kb" ] || die "$work has $((free_kb / 1024)) MiB free; the run needs $((need_kb / 1024)) MiB"
put fs_type "$fs_type"
put fs_source "$fs_source"
put fs_options "$fs_options"
put fs_device_model "$(lsblk -ndo MODEL "$fs_source" 2>/dev/null | tr ' ' '_' || true)"
put fs_device_rotational "$(lsblk -ndo ROTA "$fs_source" 2>/dev/null | tr -d ' ' || true)"

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
cpu_ticks_of() {   # PID...: utime+stime of those processes, in clock ticks (threads included)
  local p total=0 t
  for p in "$@"; do
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
# Every 0.1 s: the summed VmRSS of PIDs, and the largest single VmRSS; writes the maxima
# seen to OUT when it starts and when it is sent TERM.
rss_sampler() {   # OUT PID...
  local out=$1; shift
  local files=() p max_sum=0 max_one=0 sum one
  for p in "$@"; do files+=("/proc/$p/status"); done
  trap 'echo "$max_sum $max_one" > "$out"; exit 0' TERM
  while :; do
    read -r sum one < <(awk '/^VmRSS:/ { s += $2; if ($2 > m) m = $2 } END { print s + 0, m + 0 }' "${files[@]}" 2>/dev/null) || true
    [ "${sum:-0}" -gt "$max_sum" ] && max_sum=$sum
    [ "${one:-0}" -gt "$max_one" ] && max_one=$one
    [ -e "$out" ] || echo "$max_sum $max_one" > "$out"
    sleep 0.1
  done
}

# --- page cache control -----------------------------------------------------------------
# Uploads read their source from the page cache (so the disk only writes); "cold"
# downloads and reads start with the file's pages evicted (so the disk only reads).
settle() { sync; sleep 1; }   # write back everything dirty: no earlier write lands in a run
warm() { cat "$1" > /dev/null; }
evict_residue=0
evict() {   # drop FILE's pages from the page cache (written back first)
  sync "$1"
  dd if="$1" iflag=nocache count=0 status=none
  local res
  res=$(fincore -bno RES "$1" 2>/dev/null | tr -d ' ' || echo 0)
  [ "${res:-0}" -gt "$evict_residue" ] && evict_residue=$res
  return 0
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
# again before any round that finds the machine busy; past that it measures anyway.
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

# --- Glance's venv (before waiting: installing it is not measured) ---------------------
glance_status=measured
if [ -n "${BENCH_NO_GLANCE:-}" ]; then
  glance_status=skipped_BENCH_NO_GLANCE
else
  log "Glance: venv (tools/bench/service-venv.sh glance; about a minute the first time)"
  if venv=$("$here/service-venv.sh" glance 2> "$work/glance-venv.log"); then
    log "Glance venv at $venv"
  else
    glance_status="not_installed: $(grep -v '^\s*$' "$work/glance-venv.log" | tail -1 | tr -s ' \t' '  ' | cut -c1-200)"
    log "Glance did not install, so it is left out: see below"
    tail -15 "$work/glance-venv.log" >&2 || true
  fi
fi

wait_quiet
if [ "$quiet" = yes ]; then
  log "machine quiet (${pct}% CPU busy over 3 s, no build or test processes)"
else
  log "WARNING: measuring on a busy machine (${pct}% CPU busy): results are not comparable"
fi
put machine_quiet "$quiet"
put machine_busy_pct_before "$pct"

# --- the data -------------------------------------------------------------------------
big=$work/source-${size_mib}mib.bin
small=$work/source-${small_mib}mib.bin
log "writing ${size_mib} MiB from /dev/urandom to $big (and its first ${small_mib} MiB to $small)"
head -c "${size_mib}M" /dev/urandom > "$big"
head -c "${small_mib}M" "$big" > "$small"
declare -A bytes_of=([$big]=$(stat -c %s "$big") [$small]=$(stat -c %s "$small"))
declare -A md5_of=([$big]=$(md5sum "$big" | cut -d' ' -f1) [$small]=$(md5sum "$small" | cut -d' ' -f1))
declare -A mib_of=([$big]=$size_mib [$small]=$small_mib)
put size_mib "$size_mib"
put small_mib "$small_mib"
put repeats "$repeats"

# --- Ferrostack -------------------------------------------------------------------------
# Measure a copy, so that a rebuild of target/release during the run changes nothing.
cp "$bin" "$work/ferrostack-bin"
put ferrostack_binary_sha256 "$(sha256sum "$bin" | cut -c1-16)"
bin_src=$bin
bin=$work/ferrostack-bin
fs_port=$(free_port)
fs_base=http://127.0.0.1:$fs_port
fs_dir=$work/ferrostack
mkdir -p "$fs_dir"

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
stop_pid() {
  local p=$1
  unset "pids_started[$p]"
  kill -TERM "$p" 2>/dev/null || return 0
  for _ in $(seq 300); do kill -0 "$p" 2>/dev/null || { wait "$p" 2>/dev/null || true; return 0; }; sleep 0.1; done
  kill -KILL "$p" 2>/dev/null || true
  wait "$p" 2>/dev/null || true
}
median() { tr ' ' '\n' | awk 'NF' | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

log "Ferrostack: start on an empty data dir"
start_ms=$(now_ms)
"$bin" up --data-dir "$fs_dir" --listen "127.0.0.1:$fs_port" --admin-password "$password" \
  >> "$work/ferrostack.log" 2>&1 &
fs_pid=$!
pids_started[$fs_pid]=1
up_ms=$(wait_http "$fs_base/image/versions" "$fs_pid") || { tail -20 "$work/ferrostack.log" >&2; die "Ferrostack did not come up"; }
put ferrostack_start_first_ms "$up_ms"
log "Ferrostack up at $fs_base (pid $fs_pid)"

# --- Glance -------------------------------------------------------------------------------
gl_pid=
gl_dir=$work/glance
glance_setup() {   # returns 1, with glance_status saying why, if Glance does not come up
  gl_port=$(free_port)
  gl_base=http://127.0.0.1:$gl_port
  mkdir -p "$gl_dir/etc" "$gl_dir/images" "$gl_dir/staging" "$gl_dir/tasks"
  local paste=$venv/etc/glance/glance-api-paste.ini
  [ -f "$paste" ] || { glance_status="no_glance-api-paste.ini_in_the_venv"; return 1; }
  cp "$paste" "$gl_dir/etc/glance-api-paste.ini"
  # SQLite; one filesystem store (Glance's multi-store form, as devstack configures it;
  # the staging and tasks stores are Glance's reserved ones); the paste pipeline without
  # an auth flavor (no Keystone: each request gets an anonymous admin context). Glance 33's
  # new default RBAC would still refuse that anonymous context (its rules want a project
  # and roles), so the deprecated rules (Glance's `default`: anyone) are enforced instead.
  cat > "$gl_dir/etc/glance-api.conf" <<EOF
[DEFAULT]
log_file = $gl_dir/glance-api.log
enabled_backends = fs:file
[database]
connection = sqlite:///$gl_dir/glance.db
[glance_store]
default_backend = fs
[fs]
filesystem_store_datadir = $gl_dir/images/
[os_glance_staging_store]
filesystem_store_datadir = $gl_dir/staging/
[os_glance_tasks_store]
filesystem_store_datadir = $gl_dir/tasks/
[paste_deploy]
flavor =
config_file = $gl_dir/etc/glance-api-paste.ini
[oslo_policy]
enforce_new_defaults = False
enforce_scope = False
EOF
  export OS_GLANCE_CONFIG_DIR=$gl_dir/etc
  local t0
  t0=$(now_ms)
  if ! "$venv/bin/glance-manage" --config-file "$gl_dir/etc/glance-api.conf" db_sync >> "$gl_dir/manage.log" 2>&1; then
    tail -20 "$gl_dir/manage.log" >&2
    glance_status="db_sync_failed: $(tail -1 "$gl_dir/manage.log" | tr -s ' \t' '  ' | cut -c1-200)"
    return 1
  fi
  put glance_db_sync_ms $(( $(now_ms) - t0 ))
  # The uWSGI options of Glance's own sample (doc/source/admin/apache-httpd.rst): uWSGI's
  # HTTP router in front of the workers, chunked input and raw bodies passed through,
  # lazy-apps, thunder-lock, Connection: close, 64 KiB buffers, socket-timeout 10.
  local threads=()
  [ "$uwsgi_threads" -gt 1 ] && threads=(--threads "$uwsgi_threads")
  start_ms=$(now_ms)
  "$venv/bin/uwsgi" --home "$venv" --http "127.0.0.1:$gl_port" \
    --module glance.wsgi.api:application --master --processes "$uwsgi_processes" "${threads[@]}" \
    --enable-threads --lazy-apps --thunder-lock --need-app --die-on-term --exit-on-reload \
    --buffer-size 65535 --socket-timeout 10 --http-auto-chunked --http-chunked-input \
    --http-raw-body --add-header 'Connection: close' >> "$gl_dir/uwsgi.log" 2>&1 &
  gl_pid=$!
  pids_started[$gl_pid]=1
  if ! up_ms=$(wait_http "$gl_base/versions" "$gl_pid"); then
    tail -30 "$gl_dir/uwsgi.log" >&2
    glance_status="did_not_start: $(grep -v '^\s*$' "$gl_dir/uwsgi.log" | tail -1 | tr -s ' \t' '  ' | cut -c1-200)"
    stop_pid "$gl_pid"; gl_pid=
    return 1
  fi
  put glance_start_first_ms "$up_ms"
  log "Glance up at $gl_base (uWSGI master pid $gl_pid, $uwsgi_processes processes x $uwsgi_threads threads)"
}
servers=(ferrostack)
if [ "$glance_status" = measured ]; then
  if glance_setup; then servers+=(glance); else log "Glance is left out: $glance_status"; fi
fi
put glance_status "$glance_status"

# --- the image API, the same calls on both ---------------------------------------------
declare -A api=([ferrostack]=$fs_base/image [glance]=${gl_base:-})
declare -A pid_of=([ferrostack]=$fs_pid [glance]=${gl_pid:-})
declare -A auth=([glance]="X-Roles: admin")
fs_token() { auth[ferrostack]="X-Auth-Token: $("$py" "$here/bench_client.py" token "$fs_base/identity" admin "$password" --project admin)"; }
fs_token
errors_total=0
fail() { log "FAILED: $*"; errors_total=$((errors_total + 1)); }

create_image() {   # SERVER: prints the new image's id
  curl -sS --max-time 60 -X POST -H "${auth[$1]}" -H 'Content-Type: application/json' \
    -d '{"name":"bench","disk_format":"raw","container_format":"bare"}' \
    "${api[$1]}/v2/images" | jget id || true
}
delete_image() {   # SERVER ID
  local code
  code=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 120 -X DELETE -H "${auth[$1]}" "${api[$1]}/v2/images/$2")
  [ "$code" = 204 ] || fail "$1: DELETE image $2 answered $code"
}
image_field() {   # SERVER ID FIELD
  curl -sS --max-time 60 -H "${auth[$1]}" "${api[$1]}/v2/images/$2" | jget "$3" || true
}
stored_file() {   # SERVER ID: the file the server keeps the image's data in
  case $1 in
    ferrostack) find "$fs_dir" -type f -name "$2" -print -quit ;;
    glance) echo "$gl_dir/images/$2" ;;
  esac
}

# One transfer, with curl, while the server's process tree is watched. Sets x_code,
# x_seconds, x_bytes (sent or received), x_rss_kb (highest summed VmRSS of the tree, every
# 0.1 s), x_rss_one_kb (highest VmRSS of one of its processes), x_hwm_kb (the largest
# VmHWM, reset before the transfer: the exact peak of one process), x_cpu_s (the tree's
# CPU time).
xfer() {   # SERVER curl-args...
  local s=$1; shift
  local pids=() p files=() res before after
  mapfile -t pids < <(tree_pids "${pid_of[$s]}")
  for p in "${pids[@]}"; do
    echo 5 2>/dev/null > "/proc/$p/clear_refs" || true   # 5: reset the peak RSS (VmHWM)
    files+=("/proc/$p/status")
  done
  rm -f "$work/rss.txt"
  rss_sampler "$work/rss.txt" "${pids[@]}" &
  sampler=$!
  for _ in $(seq 200); do [ -e "$work/rss.txt" ] && break; sleep 0.01; done
  before=$(cpu_ticks_of "${pids[@]}")
  res=$(curl -sS --max-time 1800 -H 'Expect:' -H "${auth[$s]}" \
    -w '%{http_code} %{time_total} %{size_upload} %{size_download}' "$@") || res="000 0 0 0"
  after=$(cpu_ticks_of "${pids[@]}")
  kill -TERM "$sampler" 2>/dev/null || true
  wait "$sampler" 2>/dev/null || true
  sampler=
  local up down
  read -r x_code x_seconds up down <<< "$res"
  x_bytes=$(( up > down ? up : down ))
  read -r x_rss_kb x_rss_one_kb < "$work/rss.txt"
  x_hwm_kb=$(awk '/^VmHWM:/ { if ($2 > m) m = $2 } END { print m + 0 }' "${files[@]}" 2>/dev/null || echo 0)
  x_cpu_s=$(awk -v d=$((after - before)) -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", d / hz }')
}
rep() { echo "$1 $2" >> "$work/rep.txt"; }   # one number of this round: key value
rep_xfer() {   # KEY: the numbers of the last transfer
  rep "${1}_mbps" "$(mbps "$x_bytes" "$x_seconds")"
  rep "${1}_cpu_s" "$x_cpu_s"
  rep "${1}_rss_peak_kb" "$x_rss_kb"
  rep "${1}_rss_peak_one_kb" "$x_rss_one_kb"
  rep "${1}_hwm_kb" "$x_hwm_kb"
}

# Upload FILE to a new image on SERVER, then download it cold (to /dev/null, and for the
# large image to a file, whose md5 is checked, and once more from the page cache).
server_round() {   # SERVER FILE
  local s=$1 file=$2 id stored mib t0 t1 sum
  mib=${mib_of[$file]}
  id=$(create_image "$s")
  [ -n "$id" ] || { fail "$s: no image created"; return 0; }
  settle; warm "$file"
  xfer "$s" -o "$work/response.txt" -H 'Content-Type: application/octet-stream' -T "$file" \
    -X PUT "${api[$s]}/v2/images/$id/file"
  if [ "$x_code" != 204 ] || [ "$x_bytes" != "${bytes_of[$file]}" ]; then
    fail "$s: upload of $mib MiB answered $x_code after $x_bytes bytes: $(head -c 300 "$work/response.txt")"
    delete_image "$s" "$id"; return 0
  fi
  local up_seconds=$x_seconds
  rep_xfer "${s}_upload_${mib}mib"
  # what the upload costs once its data is on the disk: Glance's file store returns
  # before its data is written back (no fsync); Ferrostack's has already synced it
  stored=$(stored_file "$s" "$id")
  [ -f "$stored" ] || { fail "$s: no data file for image $id"; delete_image "$s" "$id"; return 0; }
  t0=$(now_ns); sync "$stored"; t1=$(now_ns)
  rep "${s}_upload_${mib}mib_fsync_after_ms" $(( (t1 - t0) / 1000000 ))
  rep "${s}_upload_${mib}mib_durable_mbps" "$(awk -v b="$x_bytes" -v s="$up_seconds" -v ns=$((t1 - t0)) 'BEGIN { printf "%.1f", b / (s + ns / 1e9) / 1e6 }')"
  sum=$(image_field "$s" "$id" checksum)
  [ "$sum" = "${md5_of[$file]}" ] || fail "$s: image checksum $sum, data md5 ${md5_of[$file]}"

  settle; evict "$stored"
  xfer "$s" -o /dev/null "${api[$s]}/v2/images/$id/file"
  [ "$x_code" = 200 ] && [ "$x_bytes" = "${bytes_of[$file]}" ] \
    || fail "$s: download of $mib MiB answered $x_code after $x_bytes bytes"
  rep_xfer "${s}_download_cold_${mib}mib"

  if [ "$file" = "$big" ]; then
    rm -f "$work/download.bin"
    settle; evict "$stored"
    xfer "$s" -o "$work/download.bin" "${api[$s]}/v2/images/$id/file"
    [ "$x_code" = 200 ] && [ "$x_bytes" = "${bytes_of[$file]}" ] \
      || fail "$s: download to a file answered $x_code after $x_bytes bytes"
    rep_xfer "${s}_download_file_${mib}mib"
    sum=$(md5sum "$work/download.bin" | cut -d' ' -f1)
    if [ "$sum" = "${md5_of[$file]}" ]; then rep "${s}_download_md5_ok" 1; else
      rep "${s}_download_md5_ok" 0; fail "$s: downloaded md5 $sum, uploaded ${md5_of[$file]}"; fi
    rm -f "$work/download.bin"

    settle; warm "$stored"
    xfer "$s" -o /dev/null "${api[$s]}/v2/images/$id/file"
    [ "$x_code" = 200 ] && [ "$x_bytes" = "${bytes_of[$file]}" ] \
      || fail "$s: warm download answered $x_code after $x_bytes bytes"
    rep_xfer "${s}_download_warm_${mib}mib"
  fi
  delete_image "$s" "$id"
  [ ! -e "$stored" ] || fail "$s: image $id deleted but its data file stays"
}

dd_round() {   # FILE: the disk's own write (fsync'd) and read, with dd, 4 MiB blocks
  local file=$1 mib t0 t1 target=$work/dd-target.bin
  mib=${mib_of[$file]}
  rm -f "$target"
  settle; warm "$file"
  t0=$(now_ns); dd if="$file" of="$target" bs=4M conv=fsync status=none; t1=$(now_ns)
  rep "dd_write_${mib}mib_mbps" "$(mbps "${bytes_of[$file]}" "$(awk -v ns=$((t1 - t0)) 'BEGIN { print ns / 1e9 }')")"
  settle; evict "$target"
  t0=$(now_ns); dd if="$target" of=/dev/null bs=4M status=none; t1=$(now_ns)
  rep "dd_read_cold_${mib}mib_mbps" "$(mbps "${bytes_of[$file]}" "$(awk -v ns=$((t1 - t0)) 'BEGIN { print ns / 1e9 }')")"
  t0=$(now_ns); dd if="$target" of=/dev/null bs=4M iflag=direct status=none; t1=$(now_ns)
  rep "dd_read_direct_${mib}mib_mbps" "$(mbps "${bytes_of[$file]}" "$(awk -v ns=$((t1 - t0)) 'BEGIN { print ns / 1e9 }')")"
  if [ "$file" = "$big" ]; then
    warm "$target"
    t0=$(now_ns); dd if="$target" of=/dev/null bs=4M status=none; t1=$(now_ns)
    rep "dd_read_warm_${mib}mib_mbps" "$(mbps "${bytes_of[$file]}" "$(awk -v ns=$((t1 - t0)) 'BEGIN { print ns / 1e9 }')")"
  fi
  rm -f "$target"
}

# --- a check, and a warm-up: one small image through each server, twice -----------------
head -c 1M "$big" > "$work/check.bin"
for s in "${servers[@]}"; do
  for _ in 1 2; do
    id=$(create_image "$s")
    [ -n "$id" ] || die "$s: creating an image failed"
    code=$(curl -sS -o "$work/response.txt" -w '%{http_code}' -H 'Expect:' -H "${auth[$s]}" \
      -H 'Content-Type: application/octet-stream' -T "$work/check.bin" -X PUT "${api[$s]}/v2/images/$id/file")
    [ "$code" = 204 ] || die "$s: upload answered $code: $(head -c 300 "$work/response.txt")"
    curl -sS -o "$work/check-back.bin" -H "${auth[$s]}" "${api[$s]}/v2/images/$id/file"
    cmp -s "$work/check.bin" "$work/check-back.bin" || die "$s: the data downloaded is not the data uploaded"
    delete_image "$s" "$id"
  done
  sleep 2
  put "${s}_rss_kb_idle_before" "$(rss_kb "${pid_of[$s]}")"
  log "$s: upload and download of 1 MiB work"
done

# --- the rounds -------------------------------------------------------------------------
# Each round: dd, then every server, on the small image and then the large one. A round
# during which a build or test job ran is run again (3 tries).
busy_rounds=""
: > "$work/reps.txt"
for r in $(seq "$repeats"); do
  for try in 1 2 3; do
    if [ -n "$(busy_procs || true)" ]; then wait_quiet; fi
    : > "$work/rep.txt"
    ( while :; do busy_procs; sleep 1; done ) > "$work/busy.txt" 2>/dev/null &
    watcher=$!
    fs_token   # a fresh token each round: a long wait for a quiet machine outlives one
    log "round $r of $repeats: dd"
    for f in "$small" "$big"; do dd_round "$f"; done
    for s in "${servers[@]}"; do
      log "round $r of $repeats: $s"
      for f in "$small" "$big"; do server_round "$s" "$f"; done
    done
    kill "$watcher" 2>/dev/null || true
    wait "$watcher" 2>/dev/null || true
    watcher=
    if [ ! -s "$work/busy.txt" ] && [ -z "$(busy_procs || true)" ]; then break; fi
    log "round $r: a build or test job ran during it (try $try of 3)"
    if [ "$try" = 3 ]; then busy_rounds="$busy_rounds $r"; fi
  done
  cat "$work/rep.txt" >> "$work/reps.txt"
  log "round $r: $(grep -E "_upload_${size_mib}mib_mbps |_download_cold_${size_mib}mib_mbps |dd_write_${size_mib}mib_mbps |dd_read_cold_${size_mib}mib_mbps " "$work/rep.txt" | tr '\n' ' ')"
done

# medians of throughput and CPU over the rounds; the highest of memory peaks
awk '{ v[$1] = v[$1] (v[$1] == "" ? "" : " ") $2; if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 } }
     END { for (i = 1; i <= n; i++) print order[i], v[order[i]] }' "$work/reps.txt" |
while read -r key values; do
  put "${key}_each" "$(echo "$values" | tr ' ' ',')"
  case $key in
    *_md5_ok) put "$key" "$(echo "$values" | tr ' ' '\n' | sort -n | head -1)" ;;
    *_kb) put "$key" "$(echo "$values" | tr ' ' '\n' | sort -n | tail -1)" ;;
    *) put "$key" "$(echo "$values" | median)" ;;
  esac
done

sleep 2
for s in "${servers[@]}"; do put "${s}_rss_kb_idle_after" "$(rss_kb "${pid_of[$s]}")"; done
put evict_residue_bytes "$evict_residue"
put errors_total "$errors_total"
put waited_for_quiet_s "$waited"
put rounds_with_other_jobs_running "$(echo $busy_rounds | tr ' ' ',')"
put ferrostack_log_error_lines "$(grep -c -E ' ERROR | WARN ' "$work/ferrostack.log" || true)"
if [ -n "$gl_pid" ]; then
  # the cinder store's driver is not installed (no os-brick): Glance logs that at start
  put glance_log_error_lines "$(grep ' ERROR ' "$gl_dir/glance-api.log" | grep -vc "os_brick" || true)"
  stop_pid "$gl_pid"
fi
stop_pid "$fs_pid"

# --- report -----------------------------------------------------------------------------
mkdir -p "$(dirname "$out")"
{
  echo "# Ferrostack vs Glance image data benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "# tools/bench/image.sh; raw numbers as 'key value' (MB = 10^6 bytes; *_each: every round); table below"
  echo "machine_nproc $(nproc)"
  echo "machine_cpu $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//' | tr ' ' '_')"
  echo "machine_kernel $(uname -r)"
  echo "machine_mem_kb $(awk '/MemTotal/ {print $2}' /proc/meminfo)"
  echo "ferrostack_version $("$bin" --version | tr ' ' '_')"
  echo "ferrostack_binary $bin_src"
  echo "ferrostack_commit $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$repo" diff --quiet HEAD -- crates 2>/dev/null || echo -dirty)"
  if [ -n "${venv:-}" ] && [ -x "$venv/bin/pip" ]; then
    echo "glance_version $("$venv/bin/pip" show glance 2>/dev/null | awk '/^Version/ {print $2}')"
    echo "glance_store_version $("$venv/bin/pip" show glance_store 2>/dev/null | awk '/^Version/ {print $2}')"
    echo "uwsgi_version $("$venv/bin/uwsgi" --version)"
    echo "python_version $("$venv/bin/python" -c 'import platform; print(platform.python_version())')"
    echo "glance_uwsgi ${uwsgi_processes}_processes_x_${uwsgi_threads}_threads"
    echo "glance_served_by uwsgi_--http_--module_glance.wsgi.api:application_(Glance's_documented_deployment)"
    echo "glance_api_command $(timeout 20 "$venv/bin/glance-api" 2>&1 | head -1 | tr -s ' ' '_' | cut -c1-120)"
    echo "glance_config enabled_backends=fs:file,sqlite,paste_flavor=none_(no_auth),enforce_new_defaults=False"
  fi
  echo "curl_version $(curl --version | head -1 | awk '{print $2}')"
  cat "$raw"
} > "$out.tmp"
"$py" "$here/image_table.py" "$out.tmp" > "$work/table.txt"
{ cat "$out.tmp"; echo; echo "# Table"; sed 's/^/# /' "$work/table.txt"; } > "$out"
rm -f "$out.tmp"
cat "$work/table.txt"
log "raw numbers in $out"
if [ "$errors_total" -ne 0 ]; then die "$errors_total checks failed (status, size, checksum): see above and $out"; fi
if [ "$(grep '^machine_quiet ' "$out" | cut -d' ' -f2)" != yes ]; then log "WARNING: measured on a busy machine"; fi
if [ -n "$busy_rounds" ]; then log "WARNING: other build or test jobs ran during round(s):$busy_rounds"; fi
if [ "$glance_status" != measured ]; then log "Glance was not measured: $glance_status"; fi
