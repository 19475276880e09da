#!/usr/bin/env bash
# Remove the container-storage volumes that test hosts of earlier versions of
# this project left behind.
#
# Until molecule/resources/create.yml named and labelled them, the volumes a
# scenario's hosts keep their container storage in (/var/lib/containers,
# /var/lib/docker, /var/lib/containerd) were anonymous, and the destroy step
# removed the hosts without them: each inference_server run left a 3.7 GB
# copy of the vLLM image behind until the disk was full.
#
# Removed: podman volumes that are anonymous, used by no container, and empty
# or holding nothing but a container engine's storage (the entries podman,
# Docker and containerd create at the top of theirs).  Everything else is left
# alone, and each removal is printed with its size.
#
# Usage: prune-volumes.sh [--dry-run]
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export CONTAINERS_CONF="${CONTAINERS_CONF:-${REPO_ROOT}/tests/podman/containers.conf}"

dry_run=false
case "${1:-}" in
    "") ;;
    --dry-run) dry_run=true ;;
    *) echo "usage: $0 [--dry-run]" >&2; exit 2 ;;
esac

# The top-level entries of podman's, Docker's and containerd's storage folders.
engine_entry() {
    case "$1" in
        cache | storage) return 0 ;;  # podman
        buildkit | containers | engine-id | image | network | overlay2 | plugins | runtimes | swarm | tmp | volumes) return 0 ;;
        io.containerd.* | opt | tmpmounts) return 0 ;;  # containerd
        *) return 1 ;;
    esac
}

leftover() {
    local mountpoint="$1" entry
    for entry in "${mountpoint}"/* "${mountpoint}"/.[!.]*; do
        [ -e "${entry}" ] || continue
        engine_entry "$(basename "${entry}")" || return 1
    done
    return 0
}

command -v podman >/dev/null || exit 0
removed=0
while read -r name anonymous mountpoint; do
    [ "${anonymous}" = true ] || continue
    [ -d "${mountpoint}" ] || continue
    leftover "${mountpoint}" || continue
    size="$(du -sh "${mountpoint}" 2>/dev/null | cut -f1)"
    if "${dry_run}"; then
        echo "would remove volume ${name} (${size})"
    else
        # A container may have taken the volume since the listing: rm refuses then.
        podman volume rm "${name}" >/dev/null && echo "removed volume ${name} (${size})"
    fi
    removed=$((removed + 1))
done < <(podman volume ls --quiet --filter dangling=true |
    xargs --no-run-if-empty podman volume inspect --format '{{.Name}} {{.Anonymous}} {{.Mountpoint}}')
echo "prune-volumes: ${removed} leftover test-host volume(s)$("${dry_run}" && echo ' found' || echo ' removed')"
