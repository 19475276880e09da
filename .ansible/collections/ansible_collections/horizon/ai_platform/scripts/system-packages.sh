#!/usr/bin/env bash
# Install the Debian packages listed in requirements/system-packages.txt that are missing.
# Needs root (or sudo). Installs packages only: no system configuration is changed.
set -euo pipefail

list="$(dirname "$0")/../requirements/system-packages.txt"
mapfile -t wanted < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$list")
missing=()
for pkg in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -eq 0 ]; then
    echo "system packages: all present"
    exit 0
fi
sudo=()
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "system packages missing (${missing[*]}) and not root: install them and rerun" >&2; exit 1; }
    sudo=(sudo)
fi
echo "system packages: installing ${missing[*]}"
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
