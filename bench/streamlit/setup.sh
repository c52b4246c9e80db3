#!/usr/bin/env bash
# Idempotent: creates bench/streamlit/.venv (python3 -m venv) if missing and pip-installs
# requirements.txt only when the pinned versions are not already satisfied.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="$HERE/.venv"
REQ="$HERE/requirements.txt"

if [[ ! -x "$VENV/bin/python" ]]; then
  echo "setup.sh: creating $VENV" >&2
  python3 -m venv "$VENV"
fi

# Each pinned requirement must be installed at exactly its pinned version.
satisfied() {
  "$VENV/bin/python" - "$REQ" <<'PY'
import sys
from importlib.metadata import version, PackageNotFoundError
ok = True
for line in open(sys.argv[1]):
    line = line.split("#", 1)[0].strip()
    if not line:
        continue
    name, _, want = line.partition("==")
    try:
        have = version(name.strip())
    except PackageNotFoundError:
        have = None
    if have != want.strip():
        ok = False
sys.exit(0 if ok else 1)
PY
}

if satisfied; then
  echo "setup.sh: requirements already satisfied" >&2
else
  echo "setup.sh: installing requirements" >&2
  "$VENV/bin/python" -m pip install --disable-pip-version-check -q -r "$REQ"
  satisfied || { echo "setup.sh: requirements still not satisfied after install" >&2; exit 1; }
fi
