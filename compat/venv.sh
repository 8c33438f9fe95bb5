#!/usr/bin/env bash
# Creates (once) the Python venv holding the real OpenStack clients, and prints its path.
# Re-running is cheap: the venv is rebuilt only when requirements.txt changes.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
venv=${FERROSTACK_VENV:-$here/.venv}
stamp=$venv/.requirements.sha256
want=$(sha256sum "$here/requirements.txt" | cut -d' ' -f1)
if [ ! -x "$venv/bin/openstack" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --upgrade pip >&2
  "$venv/bin/pip" install --quiet -r "$here/requirements.txt" >&2
  echo "$want" > "$stamp"
fi
echo "$venv"
