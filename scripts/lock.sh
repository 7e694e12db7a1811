#!/usr/bin/env bash
# Refresh requirements.lock (every package the app, the tests and the installer use, pinned with
# hashes) from pyproject.toml. Run after changing a dependency there; commit both files.
# Usage: scripts/lock.sh [--upgrade]
set -euo pipefail
cd "$(dirname "$0")/.."
tools=$(mktemp -d)
trap 'rm -rf "$tools"' EXIT
python3 -m venv "$tools"
"$tools/bin/pip" install -q --disable-pip-version-check pip-tools
"$tools/bin/pip-compile" -q --all-extras --no-emit-index-url --allow-unsafe --generate-hashes --strip-extras \
  --output-file=requirements.lock "$@" pyproject.toml
