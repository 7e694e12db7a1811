#!/usr/bin/env bash
# Install FrontCounter with its test extras into .venv and run the whole test suite
# (unit, UI offscreen, and integration against PostgreSQL at FRONTCOUNTER_TEST_PG_URL).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh test
export QT_QPA_PLATFORM=offscreen
exec .venv/bin/python -m pytest "$@"
