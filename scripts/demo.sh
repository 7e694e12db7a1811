#!/usr/bin/env bash
# Install FrontCounter into .venv and start the desktop app on the embedded demo
# (SQLite, 11 Hertfordshire stations; created on first start). Extra arguments go to the app.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
exec .venv/bin/frontcounter --demo "$@"
