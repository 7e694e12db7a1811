#!/usr/bin/env bash
# Create .venv (Python 3.11+) and install FrontCounter from this checkout, with exactly the versions
# requirements.lock pins (the app, its tests and its installer alike).
# Usage: scripts/install.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-deps.sh
python=${PYTHON:-python3}
"$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "FrontCounter needs Python 3.11 or newer")'
[ -x .venv/bin/python ] || "$python" -m venv .venv
# requirements.lock pins, with hashes, every package of the app and of all its extras (test,
# installer), so a station, a developer and CI install exactly the same versions; refresh it with
# scripts/lock.sh. The EXTRAS argument is kept for old instructions: the lock holds them all.
pip=(.venv/bin/python -m pip install -q --disable-pip-version-check)
"${pip[@]}" --require-hashes -r requirements.lock
"${pip[@]}" --no-deps --no-build-isolation -e .
