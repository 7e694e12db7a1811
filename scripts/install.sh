#!/usr/bin/env bash
# Create .venv (Python 3.11+) and install FrontCounter from this checkout with the extras asked for.
# Usage: scripts/install.sh [EXTRAS]   e.g. scripts/install.sh test
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-deps.sh
python=${PYTHON:-python3}
"$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "FrontCounter needs Python 3.11 or newer")'
[ -x .venv/bin/python ] || "$python" -m venv .venv
extras=${1:-}
spec="."
[ -n "$extras" ] && spec=".[$extras]"
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install -q --disable-pip-version-check -e "$spec"
