#!/usr/bin/env bash
# make demo: the fleet inventory on the embedded demo fleet.
#   1. build the recorded machines (tests/fixtures/machines) as sysfs trees
#   2. start one systemd test host per machine (podman), the tree mounted at /srv/recorded
#   3. run playbooks/fleet_inventory.yml against them: facts, then JSON/CSV/HTML report
#   4. group the fleet with the horizon.ai_platform.fleet inventory plugin
#   5. check the fleet's data flows against demo/boundary-policy.yml (playbooks/boundary_audit.yml)
#   6. remove the test hosts (HORIZON_DEMO_KEEP=1 keeps them)
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/demo/output"
machines=(hgx-h100-8x mi300x-8x gaudi2-8x jetson-orin dev-vm)
export ANSIBLE_CONFIG="$root/ansible.cfg"
export CONTAINERS_CONF="$root/tests/podman/containers.conf"
export ANSIBLE_COLLECTIONS_PATH="$root/.cache/collections"

# localhost as an explicit host: run its tasks with the controller's own Python.
controller_python='ansible_python_interpreter={{ ansible_playbook_python }}'

say() { printf '\n==> %s\n' "$*"; }

teardown() {
    if [ "${HORIZON_DEMO_KEEP:-0}" != 1 ]; then
        say "Removing the demo hosts"
        ansible-playbook -i localhost, -e "$controller_python" "$root/molecule/resources/destroy.yml" -e "@$root/demo/hosts.yml" -e "demo_output=$out" >/dev/null
    fi
}

say "Building the recorded machines"
rm -rf "$out"
mkdir -p "$out/machines"
for machine in "${machines[@]}"; do
    python "$root/tests/fixtures/machines/materialize.py" "$root/tests/fixtures/machines/$machine.yml" "$out/machines/$machine" >/dev/null
    printf '   %s\n' "$machine"
done

say "Starting the demo fleet (systemd test hosts)"
trap teardown EXIT
ansible-playbook -i localhost, -e "$controller_python" "$root/molecule/resources/create.yml" -e "@$root/demo/hosts.yml" -e "demo_output=$out"

say "Running playbooks/fleet_inventory.yml"
ansible-playbook -i "$root/demo/inventory.yml" "$root/playbooks/fleet_inventory.yml" -e "horizon_fleet_report_dir=$out/report"

say "Grouping the fleet with the horizon.ai_platform.fleet inventory plugin"
cat > "$out/demo.fleet.yml" <<YAML
plugin: horizon.ai_platform.fleet
source: report
report_path: report/fleet-report.json
YAML
ansible-inventory -i "$out/demo.fleet.yml" --graph

say "Checking the fleet's data flows against demo/boundary-policy.yml (playbooks/boundary_audit.yml)"
HORIZON_BOUNDARY_AUDIT_LOG="$out/boundary/audit.jsonl" \
    ansible-playbook -i "$root/demo/inventory.yml" "$root/playbooks/boundary_audit.yml" \
    -e "horizon_boundary_policy=$root/demo/boundary-policy.yml" -e "@$root/demo/boundary-flows.yml" \
    -e "horizon_boundary_report_dir=$out/boundary" -e horizon_boundary_fail_on_denied=false

say "Done. The fleet report and the data-boundary audit:"
printf '   %s\n' "$out/report/fleet-report.html" "$out/report/fleet-report.json" "$out/report/fleet-report.csv" \
    "$out/boundary/boundary-audit.html" "$out/boundary/boundary-audit.json" "$out/boundary/audit.jsonl"
