#!/usr/bin/env bash
# Run `molecule test` for every scenario under molecule/ (or the ones named as arguments).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export MOLECULE_GLOB='molecule/*/molecule.yml'
export CONTAINERS_CONF="$root/tests/podman/containers.conf"
export ANSIBLE_FORCE_COLOR=0 PY_COLORS=0

if [ "$#" -gt 0 ]; then
    scenarios=("$@")
else
    mapfile -t scenarios < <(for f in molecule/*/molecule.yml; do basename "$(dirname "$f")"; done)
fi
[ "${#scenarios[@]}" -gt 0 ] || { echo "no Molecule scenario found" >&2; exit 1; }

failed=()
for scenario in "${scenarios[@]}"; do
    echo "==> molecule test -s $scenario ($(df -h --output=avail /var/lib/containers 2>/dev/null | tail -1 | tr -d ' ') free for containers)"
    start=$SECONDS
    # Molecule keeps its state in the project, not in ~/.ansible/tmp.
    if MOLECULE_EPHEMERAL_DIRECTORY="$root/.cache/molecule/$scenario" molecule test -s "$scenario"; then
        echo "==> $scenario passed in $((SECONDS - start)) s"
    else
        echo "==> $scenario FAILED after $((SECONDS - start)) s"
        failed+=("$scenario")
    fi
done
if [ "${#failed[@]}" -gt 0 ]; then
    echo "Molecule scenarios failed: ${failed[*]}" >&2
    exit 1
fi
echo "Molecule: ${#scenarios[@]} scenarios passed"
