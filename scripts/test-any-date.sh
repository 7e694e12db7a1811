#!/usr/bin/env bash
# The test suite under shifted wall clocks (libfaketime, Debian package `faketime`), to prove it
# passes on any date and at any hour: nothing in the suite may read the real clock (issue 17).
# Usage: scripts/test-any-date.sh [pytest args]        e.g. scripts/test-any-date.sh tests/unit
# Each instant is given in UTC; processes run with TZ=Europe/London, as on a counter PC.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v faketime >/dev/null || { echo "needs faketime (apt-get install faketime)" >&2; exit 2; }
instants=(
  "2027-03-28 00:30:00|00:30 GMT on the March change night"
  "2027-03-28 01:30:00|02:30 BST, just after the March jump (01:30 London never happens)"
  "2027-10-30 23:30:00|00:30 BST on the October change night"
  "2027-10-31 00:30:00|01:30 BST, the first 01:30 of the October night"
  "2027-10-31 01:30:00|01:30 GMT, the second 01:30"
  "2027-10-31 02:30:00|02:30 GMT, after the October change"
  "2026-12-31 23:59:00|23:59 on 31 December"
  "2026-12-06 19:30:00|a Sunday evening"
  "$(date -u -d '+1 year' '+%Y-%m-%d %H:%M:%S')|a year from today"
)
# A relative offset shifts every clock (monotonic too) and lets them run; FAKETIME_DONT_FAKE_MONOTONIC
# would break time.sleep (libfaketime answers clock_nanosleep with EINVAL).
export QT_QPA_PLATFORM=offscreen TZ=Europe/London
# JOBS=N runs N instants at once (CI: 2, one a core); each its own log and pytest temp folder.
jobs=${JOBS:-1}
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
run_one() {  # index, instant, description, pytest args...
  local n=$1 at=$2 what=$3
  shift 3
  local offset=$(( $(date -u -d "$at UTC" +%s) - $(date -u +%s) ))
  [ "$offset" -ge 0 ] && offset="+$offset"
  {
    echo "== wall clock at $at UTC ($what)"
    if faketime -f "$offset" .venv/bin/python -m pytest -q -p no:cacheprovider --basetemp="$logs/tmp-$n" "$@"; then
      echo "ok" > "$logs/$n.status"
    else
      echo "FAILED" > "$logs/$n.status"
    fi
  } > "$logs/$n.log" 2>&1
}
n=0
for entry in "${instants[@]}"; do
  n=$((n + 1))
  run_one "$n" "${entry%%|*}" "${entry#*|}" "$@" &
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
done
wait
failed=()
for i in $(seq 1 "$n"); do
  cat "$logs/$i.log"
  [ "$(cat "$logs/$i.status" 2>/dev/null)" = "ok" ] || failed+=("$(head -n1 "$logs/$i.log")")
done
if [ ${#failed[@]} -gt 0 ]; then
  printf 'failed under the shifted clock: %s\n' "${failed[@]}" >&2
  exit 1
fi
echo "green under every shifted clock"
