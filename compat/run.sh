#!/usr/bin/env bash
# Conformance run with the real OpenStack clients against a freshly started Ferrostack.
#
#   compat/run.sh [--bin PATH] [--tempest-filter REGEX] [--no-cli] [--no-tempest]
#
# Starts `ferrostack up` (PATH, else $FERROSTACK_BIN, else ./target/release/ferrostack) on
# a free loopback port with a throw-away data directory, then runs
#   (a) compat/cli_scenario.sh: the `openstack` CLI, every output checked;
#   (b) tempest 47.0.0: the identity, image and compute tests of the 2022.11 interop
#       guideline that the served APIs cover (compat/*-interop.loadlist, the required
#       set: all must pass; compute's lists those that need neither networks nor
#       volumes nor an action still answering 501), then the broader
#       tempest.api.identity v3 run (REGEX, default '^tempest\.api\.identity\.(admin\.)?v3\.'),
#       the tempest.api.image v2 run and the whole tempest.api.compute run, reported only.
#       Servers boot from two public images registered first (tempest-image, -alt).
# Exit status 1 when the CLI scenario fails or a required tempest test does not pass.
# Everything is kept under compat/.work/run-TIMESTAMP/ (compat/.work/latest points at it):
#   server.log, ferrostack.toml, cli_scenario.log, tempest-{interop,identity,image,compute}/ with
#   tempest.conf, console.log, results.subunit, passed/failed/skipped/missing.txt,
#   failures.txt (tracebacks), digest.txt (per failed test: the error and its 4xx/5xx
#   requests with bodies), summary.json, logs/tempest.log (every request and response).
# Environment: FERROSTACK_BIN, FERROSTACK_LOG (server log filter), KEEP_DATA=1 (keep the
# data directory), START_TIMEOUT (seconds, default 60), TEMPEST_CONCURRENCY (default 2).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
cd "$root"

DEFAULT_FILTER='^tempest\.api\.identity\.(admin\.)?v3\.'
image_filter='^tempest\.api\.image\.v2\.'
compute_filter='^tempest\.(serial_tests\.)?api\.compute\.'
usage() { sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; }

bin=${FERROSTACK_BIN:-$root/target/release/ferrostack}
filter=$DEFAULT_FILTER
run_cli=1
run_tempest=1
while [ $# -gt 0 ]; do
  case $1 in
    --bin) bin=${2:?--bin needs a path}; shift 2 ;;
    --bin=*) bin=${1#*=}; shift ;;
    --tempest-filter) filter=${2:?--tempest-filter needs a regex}; shift 2 ;;
    --tempest-filter=*) filter=${1#*=}; shift ;;
    --no-cli) run_cli=0; shift ;;
    --no-tempest) run_tempest=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run.sh: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done
case $bin in /*) ;; *) bin=$root/$bin ;; esac
if [ ! -x "$bin" ]; then
  echo "run.sh: no ferrostack binary at $bin (build it, or pass --bin / FERROSTACK_BIN)" >&2
  exit 2
fi

t0=$(date +%s)
elapsed() { echo "$(($(date +%s) - t0)) s"; }
say() { echo "==> $*"; }

venv=$("$here/venv.sh")
stamp=$(date +%Y%m%d-%H%M%S)
work=$here/.work/run-$stamp
mkdir -p "$work"
ln -sfn "run-$stamp" "$here/.work/latest"
data=$(mktemp -d "${TMPDIR:-/tmp}/ferrostack-compat.XXXXXX")
port=$("$venv/bin/python3" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base=http://127.0.0.1:$port
admin_password=compat-Admin-Pw-1

# Keystone's [security_compliance] values tempest expects (tempest_conf.py says the same).
cat >"$data/ferrostack.toml" <<'EOF'
# Written by compat/run.sh.
[identity]
password_hash_rounds = 4          # bcrypt cost: low, tests create many users

[identity.security_compliance]
lockout_failure_attempts = 2
lockout_duration = 5
unique_last_password_count = 2
minimum_password_age = 0
change_password_upon_first_use = false

# Two image stores, so that tempest's multi-store, copy-image and store tests run.
[image]
default_store = "fast"

[[image.stores]]
id = "fast"
description = "The default store"

[[image.stores]]
id = "cheap"
description = "A second store"

[compute]
fake_computes = 2                 # tempest's affinity and multi-host tests want two hosts
EOF
# web-download and the legacy import task fetch image data from this local web server
# (there is no internet here); Ferrostack is allowed to fetch from its port.
web_port=$("$venv/bin/python3" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$data/web"
head -c 1048576 /dev/urandom >"$data/web/image.qcow2"
sed -i "s/^\[image\]\$/&\nimport_allowed_ports = [80, 443, $web_port]/" "$data/ferrostack.toml"
cp "$data/ferrostack.toml" "$work/ferrostack.toml"
"$venv/bin/python3" -m http.server --bind 127.0.0.1 --directory "$data/web" "$web_port" >"$work/web.log" 2>&1 </dev/null &
web_pid=$!

server_pid=
cleanup() {
  local rc=$?
  kill "$web_pid" 2>/dev/null || true
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [ "${KEEP_DATA:-0}" = 1 ]; then
    echo "data directory kept: $data"
  else
    rm -rf "$data"
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "starting $bin on $base (data $data)"
NO_COLOR=1 FERROSTACK_LOG=${FERROSTACK_LOG:-info,identity=debug,ferrostack_http=debug,http_api=debug,sqlx=warn} \
  "$bin" up --data-dir "$data" --listen "127.0.0.1:$port" --admin-password "$admin_password" \
  --config "$data/ferrostack.toml" >"$work/server.log" 2>&1 </dev/null &
server_pid=$!

deadline=$(($(date +%s) + ${START_TIMEOUT:-60}))
until curl -sf -o /dev/null --max-time 2 "$base/identity/v3" && [ -s "$data/clouds.yaml" ]; do
  if ! kill -0 "$server_pid" 2>/dev/null; then
    wait "$server_pid" && rc=0 || rc=$?
    server_pid=
    echo "run.sh: the server exited (status $rc) before answering; its log ($work/server.log):" >&2
    tail -n 50 "$work/server.log" >&2
    exit 1
  fi
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "run.sh: GET $base/identity/v3 did not answer within ${START_TIMEOUT:-60} s; server log ($work/server.log):" >&2
    tail -n 50 "$work/server.log" >&2
    exit 1
  fi
  sleep 0.2
done
say "server up after $(elapsed): $(head -n 1 "$work/server.log")"
export OS_CLIENT_CONFIG_FILE=$data/clouds.yaml

# --- (a) CLI scenario ----------------------------------------------------------------------
cli_result="not run"
cli_status=0
if [ $run_cli = 1 ]; then
  say "CLI scenario (log: $work/cli_scenario.log)"
  t_cli=$(date +%s)
  if OPENSTACK=$venv/bin/openstack bash "$here/cli_scenario.sh" 2>&1 | tee "$work/cli_scenario.log"; then
    cli_result="PASSED ($(($(date +%s) - t_cli)) s)"
  else
    cli_status=1
    cli_result="FAILED: $(grep -m1 'cli_scenario: FAIL' "$work/cli_scenario.log" || echo 'see cli_scenario.log')"
  fi
fi

# --- (b) tempest ---------------------------------------------------------------------------
# run_tempest NAME TITLE SUMMARY-ARGS -- TEMPEST-RUN-ARGS...
run_tempest() {
  local name=$1 title=$2 expect=$3 dir=$work/tempest-$1 rc=0 t=$(date +%s)
  shift 3
  mkdir -p "$dir"
  "$venv/bin/python3" "$here/tempest_conf.py" --clouds-yaml "$data/clouds.yaml" \
    --image-url "http://127.0.0.1:$web_port/image.qcow2" --image-ref "$image_ref" --image-ref-alt "$image_ref_alt" \
    --log-dir "$dir/logs" --output "$dir/tempest.conf"
  say "tempest: $title (console: $dir/console.log)"
  (cd "$dir" && "$venv/bin/tempest" run --config-file "$dir/tempest.conf" \
    --concurrency "${TEMPEST_CONCURRENCY:-2}" "$@") >"$dir/console.log" 2>&1 || rc=$?
  if ! (cd "$dir" && "$venv/bin/stestr" last --subunit >"$dir/results.subunit" 2>>"$dir/console.log"); then
    : >"$dir/results.subunit"
  fi
  local args=("$dir/results.subunit" "$dir" --title "$title")
  [ -n "$expect" ] && args+=(--expect "$expect")
  "$venv/bin/python3" "$here/subunit_summary.py" "${args[@]}" | tee "$dir/summary.txt"
  "$venv/bin/python3" "$here/failure_digest.py" "$dir/results.subunit" "$dir/logs/tempest.log" \
    >"$dir/digest.txt" 2>&1 || echo "(failure digest failed, see $dir/digest.txt)"
  echo "    (tempest exit $rc, $(($(date +%s) - t)) s)"
}

interop_status=0
if [ $run_tempest = 1 ]; then
  # The images compute's tests boot from (the fake driver takes any bytes).
  image_ref=$("$venv/bin/openstack" --os-cloud ferrostack-admin image create --public --disk-format raw \
    --container-format bare --file "$data/web/image.qcow2" tempest-image -f value -c id)
  image_ref_alt=$("$venv/bin/openstack" --os-cloud ferrostack-admin image create --public --disk-format raw \
    --container-format bare --file "$data/web/image.qcow2" tempest-image-alt -f value -c id)
  # The required set: every interop test of a service this cloud serves.
  cat "$here/identity-interop.loadlist" "$here/image-interop.loadlist" "$here/compute-interop.loadlist" > "$work/interop.loadlist"
  run_tempest interop "required: interop 2022.11 identity, image and compute tests" "$work/interop.loadlist" \
    --load-list "$work/interop.loadlist"
  interop_bad=$("$venv/bin/python3" - "$work/tempest-interop/summary.json" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
bad = [f"failed: {t}" for t in s["failed_ids"]] + [f"no result: {t}" for t in s["missing_ids"]]
bad += [f"skipped: {t['id']} ({t['reason']})" for t in s["skipped_ids"]]
print("\n".join(bad))
EOF
)
  [ -z "$interop_bad" ] || interop_status=1

  run_tempest identity "broader: tempest.api.identity ($filter)" "" --regex "$filter"
  run_tempest image "broader: tempest.api.image ($image_filter)" "" --regex "$image_filter"
  run_tempest compute "broader: tempest.api.compute ($compute_filter)" "" --regex "$compute_filter"
fi

# --- summary -------------------------------------------------------------------------------
echo
echo "=================================== summary ==================================="
echo "binary:        $bin (built $(date -r "$bin" '+%F %T'))"
echo "results:       $work"
echo "CLI scenario:  $cli_result"
if [ $run_tempest = 1 ]; then
  echo "interop (required): $(head -n 1 "$work/tempest-interop/summary.txt")"
  if [ -n "$interop_bad" ]; then sed 's/^/    NOT PASSED  /' <<<"$interop_bad"; fi
  for set in identity image compute; do
    echo "$set (report only): $(head -n 1 "$work/tempest-$set/summary.txt")"
    sed 's/^/    FAILED  /' "$work/tempest-$set/failed.txt"
  done
  echo "per failure:   $work/tempest-*/digest.txt (error + failing requests with bodies)"
  echo "               $work/tempest-*/failures.txt (tracebacks), logs/tempest.log (all requests)"
fi
echo "server log:    $work/server.log"
echo "took:          $(elapsed)"
if [ $cli_status -ne 0 ] || [ $interop_status -ne 0 ]; then
  echo "RESULT: FAILED (CLI scenario or required tempest tests)"
  exit 1
fi
echo "RESULT: PASSED"
