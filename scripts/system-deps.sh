#!/usr/bin/env bash
# The few system libraries Qt needs to run (offscreen in tests, on screen for the demo) on a
# minimal Debian/Ubuntu machine, and libfaketime for the suite's shifted-clock runs
# (scripts/test-any-date.sh). Installs only what is missing, and only where it can (root + apt).
set -euo pipefail
packages=(libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libxcb-cursor0 libfontconfig1 libdbus-1-3
          libglib2.0-0 fonts-dejavu-core libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0
          libxcb-shape0 libxcb-xinerama0 libxcb-randr0 libxcb-xkb1 libxcb-xfixes0 faketime)
command -v dpkg-query >/dev/null 2>&1 || exit 0
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "FrontCounter needs these system packages for Qt: ${missing[*]} (install them with your package manager)" >&2
  exit 0
fi
echo "Installing Qt runtime libraries: ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
