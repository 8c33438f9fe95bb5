#!/usr/bin/env bash
# Creates (once) tools/bench/.venv-glance holding the real Glance and uWSGI, pinned in
# glance-requirements.txt, and prints the venv's path. Installs the Debian packages that
# building uWSGI needs when they are missing (needs root for that). Re-running is cheap:
# the venv is rebuilt only when glance-requirements.txt changes. Exits non-zero, saying
# why on stderr, when Glance cannot be installed (image.sh then goes on without it).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
venv=${GLANCE_VENV:-$here/.venv-glance}
req=$here/glance-requirements.txt
stamp=$venv/.requirements.sha256
want=$(sha256sum "$req" | cut -d' ' -f1)

if [ -x "$venv/bin/uwsgi" ] && [ -x "$venv/bin/glance-manage" ] \
   && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  echo "$venv"; exit 0
fi

# Glance 33 needs Python >= 3.11 with its headers (uWSGI compiles against them).
pick_python() {
  local c
  for c in ${GLANCE_PYTHON:-} python3.11 python3.12 python3.13 python3; do
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

need_pkgs=()
command -v cc >/dev/null 2>&1 || need_pkgs+=(build-essential)
py=$(pick_python || true)
if [ -z "$py" ]; then
  need_pkgs+=(python3 python3-dev python3-venv)
fi
if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "glance-venv: installing ${need_pkgs[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_pkgs[@]}" >&2
  py=$(pick_python) || { echo "glance-venv: no Python >= 3.11 with headers" >&2; exit 1; }
fi

rm -rf "$venv"
"$py" -m venv "$venv" >&2
"$venv/bin/pip" install --quiet --upgrade pip wheel >&2
"$venv/bin/pip" install --quiet -r "$req" >&2
"$venv/bin/uwsgi" --version >/dev/null
"$venv/bin/python" -c 'import glance.common.wsgi_app, glance_store' >&2
echo "$want" > "$stamp"
echo "$venv"
