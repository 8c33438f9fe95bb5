#!/usr/bin/env bash
# Regenerates placement's lists of standard resource classes and traits from the
# os-resource-classes and os-traits packages on PyPI (the names clients send).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
venv=$(mktemp -d)
trap 'rm -rf "$venv"' EXIT
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet os-traits os-resource-classes
out=$here/crates/placement/src/domain
"$venv/bin/python" -c "import os_resource_classes as r; print(*r.STANDARDS, sep='\n')" > "$out/standard_resource_classes.txt"
"$venv/bin/python" -c "import os_traits as t; print(*sorted(t.get_traits()), sep='\n')" > "$out/standard_traits.txt"
wc -l "$out"/standard_*.txt
