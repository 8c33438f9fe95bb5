#!/usr/bin/env bash
# service-venv.sh SERVICE: creates (once) tools/bench/.venv-SERVICE holding the real
# OpenStack service (keystone or glance) and uWSGI, pinned in SERVICE-requirements.txt,
# and prints the venv's path. Installs the Debian packages that building uWSGI needs
# when they are missing (needs root for that). Re-running is cheap: the venv is rebuilt
# only when the requirements file changes. Exits non-zero, saying why on stderr, when
# the service cannot be installed. SERVICE_VENV (e.g. GLANCE_VENV) moves the venv, and
# SERVICE_PYTHON picks the interpreter.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
service=${1:?usage: service-venv.sh keystone|glance|placement}
upper=$(echo "$service" | tr '[:lower:]' '[:upper:]')
venv_var=${upper}_VENV python_var=${upper}_PYTHON
venv=${!venv_var:-$here/.venv-$service}
req=$here/$service-requirements.txt
[ -f "$req" ] || { echo "$service-venv: no $req" >&2; exit 1; }
stamp=$venv/.requirements.sha256
want=$(sha256sum "$req" | cut -d' ' -f1)

if [ -x "$venv/bin/uwsgi" ] && [ -x "$venv/bin/$service-manage" ] \
   && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  echo "$venv"; exit 0
fi

# Keystone 30 and Glance 33 need Python >= 3.11 with its headers (uWSGI compiles
# against them).
pick_python() {
  local c
  for c in ${!python_var:-} python3.11 python3.12 python3.13 python3; do
    command -v "$c" >/dev/null 2>&1 || continue
    "$c" - <<'PY' 2>/dev/null && { echo "$c"; return 0; }
import sys, sysconfig, os
assert sys.version_info >= (3, 11)
assert os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h"))
import venv, ensurepip
PY
  done
  return 1
}

# uWSGI's build wants libxml2/pcre/ssl headers only for optional plugins; it needs a
# compiler, make and Python's headers. Debian's python3-dev gives the headers when the
# Python in use is Debian's own.
need_pkgs=()
command -v cc >/dev/null 2>&1 || need_pkgs+=(build-essential)
py=$(pick_python || true)
if [ -z "$py" ]; then
  need_pkgs+=(python3 python3-dev python3-venv)
fi
if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "$service-venv: installing ${need_pkgs[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}" >&2
  py=$(pick_python) || { echo "$service-venv: no Python >= 3.11 with headers" >&2; exit 1; }
fi

rm -rf "$venv"
"$py" -m venv "$venv" >&2
"$venv/bin/pip" install --quiet --upgrade pip wheel >&2
"$venv/bin/pip" install --quiet -r "$req" >&2
"$venv/bin/uwsgi" --version >/dev/null
"$venv/bin/python" -c "import $service" >&2
echo "$want" > "$stamp"
echo "$venv"
