#!/usr/bin/env bash
# make demo: the fleet inventory on the embedded demo fleet.
#   1. build the recorded machines (tests/fixtures/machines) as sysfs trees
#   2. start one systemd test host per machine (podman), the tree mounted at /srv/recorded
#   3. run playbooks/fleet_inventory.yml against them: facts, then JSON/CSV/HTML report
#   4. group the fleet with the horizon.ai_platform.fleet inventory plugin
#   5. check the fleet's data flows against demo/boundary-policy.yml (playbooks/boundary_audit.yml)
#   6. playbooks/site.yml, the whole pipeline: demo-cpu for real (facts, boundary audit, drivers, the model from the
#      region's mirror, vLLM's CPU build serving it behind the health gate), then again unchanged; the accelerator
#      nodes in check mode
#   7. remove the test hosts (HORIZON_DEMO_KEEP=1 keeps them)
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
        ansible-playbook -i localhost, -e "$controller_python" "$root/molecule/resources/destroy.yml" "${hosts_vars[@]}" >/dev/null
    fi
}

say "Building the recorded machines"
rm -rf "$out"
mkdir -p "$out/machines"
for machine in "${machines[@]}"; do
    python "$root/tests/fixtures/machines/materialize.py" "$root/tests/fixtures/machines/$machine.yml" "$out/machines/$machine" >/dev/null
    printf '   %s\n' "$machine"
done

say "Writing the model (a tiny Llama) and finding the wheels of vLLM's CPU build for the mirror"
python "$root/tests/servers/tiny_llama.py" "$out/upstream/tiny-llama" >/dev/null
wheelhouse="$("$root/scripts/test-hosts/build-wheelhouse.sh")"
hosts_vars=(-e "@$root/demo/hosts.yml" -e "demo_output=$out" -e "demo_wheelhouse=$wheelhouse")

say "Starting the demo fleet (systemd test hosts)"
trap teardown EXIT
ansible-playbook -i localhost, -e "$controller_python" "$root/molecule/resources/create.yml" "${hosts_vars[@]}"

say "Running playbooks/fleet_inventory.yml"
ansible-playbook -i "$root/demo/inventory.yml" "$root/playbooks/fleet_inventory.yml" -e "horizon_fleet_report_dir=$out/report" \
    -e horizon_fleet_hosts=model_nodes

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
    -e "horizon_boundary_report_dir=$out/boundary" -e horizon_boundary_fail_on_denied=false -e horizon_boundary_hosts=model_nodes

say "playbooks/site.yml on demo-cpu: facts, boundary, drivers, the model from the mirror, vLLM behind the health gate"
mirror="$(podman inspect --format '{{.NetworkSettings.IPAddress}}' demo-mirror)"
node="$(podman inspect --format '{{.NetworkSettings.IPAddress}}' demo-cpu)"
# The region's pip mirror: the wheelhouse over HTTP (the model mirror, nginx on 8080, is model_cache's own).
podman exec demo-mirror systemctl is-active --quiet pip-mirror ||
    podman exec demo-mirror systemd-run --quiet --unit=pip-mirror --property=WorkingDirectory=/srv/wheels \
        python3 -m http.server 8081 >/dev/null
site_args=(-i "$root/demo/inventory.yml" "$root/playbooks/site.yml" -e "demo_mirror_address=$mirror"
    -e "horizon_boundary_policy=$root/demo/boundary-policy.yml" -e "horizon_fleet_report_dir=$out/site/report"
    -e "horizon_boundary_report_dir=$out/site/boundary")
export HORIZON_BOUNDARY_AUDIT_LOG="$out/site/audit.jsonl"
mkdir -p "$out/site"
start=$(date +%s.%N)
ansible-playbook "${site_args[@]}" --limit demo-cpu,demo-mirror | tee "$out/site/first-run.log"
# The first completion a client gets, from the controller, with the key the role generated.
# The key goes to curl on its standard input, not on its command line.
key="$(podman exec demo-cpu cat /etc/horizon/inference/tiny-llama/api-key)"
printf 'Authorization: Bearer %s\n' "$key" | curl -sS --fail-with-body -H @- -H 'Content-Type: application/json' \
    -d '{"model": "tiny-llama", "prompt": "The fleet serves", "max_tokens": 8, "temperature": 0, "ignore_eos": true}' \
    "http://$node:8000/v1/completions" > "$out/site/completion.json"
answered=$(date +%s.%N)
printf '   demo-cpu answered: %s\n' "$(cat "$out/site/completion.json")"

say "playbooks/site.yml again on demo-cpu, nothing to change"
rerun_start=$(date +%s.%N)
ansible-playbook "${site_args[@]}" --limit demo-cpu,demo-mirror | tee "$out/site/second-run.log"
rerun_end=$(date +%s.%N)
python3 - "$start" "$answered" "$rerun_start" "$rerun_end" > "$out/site/timings.json" <<'PY'
import json, sys
start, answered, rerun_start, rerun_end = map(float, sys.argv[1:])
print(json.dumps({"first_completion_s": round(answered - start, 1), "unchanged_run_s": round(rerun_end - rerun_start, 1)}))
PY
printf '   timings: %s\n' "$(cat "$out/site/timings.json")"

say "playbooks/site.yml on the accelerator nodes in check mode: what each would do"
# A node the boundary refuses drops out with the reason; the others go on. The run's status is in the log.
ansible-playbook "${site_args[@]}" --check --limit 'model_nodes:!demo-cpu' | tee "$out/site/check-run.log" || true

say "Done. The fleet report, the data-boundary audit and the site run:"
printf '   %s\n' "$out/report/fleet-report.html" "$out/report/fleet-report.json" "$out/report/fleet-report.csv" \
    "$out/boundary/boundary-audit.html" "$out/boundary/boundary-audit.json" "$out/boundary/audit.jsonl" \
    "$out/site/completion.json" "$out/site/timings.json" "$out/site/check-run.log"
