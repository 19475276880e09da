#!/usr/bin/env bash
# Write the build context of the collection's execution environment (default: build/ee):
#   1. build the collection (ansible-galaxy collection build) and put it where ee/requirements.yml
#      takes it from: ee/collections/horizon-ai_platform.tar.gz;
#   2. ansible-builder create -f ee/execution-environment.yml -c <context>
# Then, where the base image's registry is reachable:
#   podman build -f <context>/Containerfile -t horizon-ai-platform-ee <context>
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
context=$(realpath -m "${1:-$root/build/ee}")
cd "$root"
rm -rf "$context" "$context.dist"
ansible-galaxy collection build --force --output-path "$context.dist" >/dev/null
mkdir -p ee/collections
cp "$context.dist"/horizon-ai_platform-*.tar.gz ee/collections/horizon-ai_platform.tar.gz
rm -rf "$context.dist"
ansible-builder create --file ee/execution-environment.yml --context "$context" --output-filename Containerfile
