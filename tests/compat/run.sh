#!/usr/bin/env bash
# Run the collection's content on each ansible-core release in requirements/compat.txt:
# ansible-doc for every plugin, tests/compat/play.yml, and the fleet inventory plugin, whose host variables
# must never be rendered as templates (on these releases that takes wrap_var(); see plugins/inventory/fleet.py).
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
python="${PYTHON:-python3}"
plugins=(
    "module horizon.ai_platform.accelerator_facts"
    "module horizon.ai_platform.fleet_report"
    "module horizon.ai_platform.model_sync"
    "inventory horizon.ai_platform.fleet"
    "filter horizon.ai_platform.hosts_by_silicon_class"
    "filter horizon.ai_platform.accelerator_memory_by_class"
    "filter horizon.ai_platform.fleet_summary"
    "filter horizon.ai_platform.fleet_groups"
    "filter horizon.ai_platform.model_cache_plan"
    "role horizon.ai_platform.model_cache"
)
# A model name that, if anything ever rendered it as a template, would create $COMPAT_OUT/pwned.
export COMPAT_BAIT="{{ lookup('ansible.builtin.pipe', 'touch \"\$COMPAT_OUT/pwned\"') }}"

mapfile -t pins < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$root/requirements/compat.txt")
for pin in "${pins[@]}"; do
    name="${pin//[^a-zA-Z0-9.]/-}"
    venv="$root/.cache/compat/$name"
    out="$root/.cache/compat/$name-run"
    if [ ! -x "$venv/bin/ansible" ] || [ "$("$venv/bin/python" -m pip freeze 2>/dev/null | grep -i '^ansible-core==')" != "$pin" ]; then
        echo "==> $pin: creating $venv"
        rm -rf "$venv"
        "$python" -m venv "$venv"
        "$venv/bin/pip" install -q --disable-pip-version-check "$pin"
    fi
    rm -rf "$out"
    mkdir -p "$out"
    export PATH="$venv/bin:$PATH" ANSIBLE_CONFIG="$root/ansible.cfg" ANSIBLE_COLLECTIONS_PATH="$root/.cache/collections"
    export ANSIBLE_HOME="$out/ansible-home" ANSIBLE_LOCAL_TEMP="$out/ansible-home/tmp" COMPAT_OUT="$out"
    export COMPAT_MACHINE="$out/hgx"
    echo "==> $pin: $(ansible --version | head -1)"
    for plugin in "${plugins[@]}"; do
        read -r kind fqcn <<<"$plugin"
        ansible-doc -t "$kind" "$fqcn" >/dev/null || { echo "ansible-doc -t $kind $fqcn failed on $pin" >&2; exit 1; }
    done
    "$venv/bin/python" "$root/tests/fixtures/machines/materialize.py" "$root/tests/fixtures/machines/hgx-h100-8x.yml" "$COMPAT_MACHINE" >/dev/null
    ansible-playbook -e "ansible_python_interpreter=$venv/bin/python" "$root/tests/compat/play.yml"
    printf 'plugin: horizon.ai_platform.fleet\nreport_path: report/fleet-report.json\n' >"$out/compat.fleet.yml"
    graph="$(ansible-inventory -i "$out/compat.fleet.yml" --graph)"
    for group in silicon_nvidia_hopper vendor_nvidia region_eu_central_1; do
        grep -q "@$group:" <<<"$graph" || { echo "inventory plugin on $pin: group $group missing:" >&2; echo "$graph" >&2; exit 1; }
    done
    # The same report with the first GPU's model name replaced by $COMPAT_BAIT, used through hostvars in a play.
    mkdir "$out/bait"
    "$venv/bin/python" - "$out/report/fleet-report.json" "$out/bait/fleet-report.json" <<'PY'
import json, os, sys
with open(sys.argv[1]) as handle:
    report = json.load(handle)
report["hosts"][0]["accelerators"]["devices"][0]["model"] = os.environ["COMPAT_BAIT"]
with open(sys.argv[2], "w") as handle:
    json.dump(report, handle)
PY
    printf 'plugin: horizon.ai_platform.fleet\nreport_path: bait/fleet-report.json\ncompose:\n  compat_first_model: horizon_accelerators.devices[0].model\n' >"$out/bait.fleet.yml"
    ansible-playbook -i "$out/bait.fleet.yml" --tags bait -e "ansible_python_interpreter=$venv/bin/python" "$root/tests/compat/play.yml"
    [ ! -e "$out/pwned" ] || { echo "inventory plugin on $pin: a host variable was rendered as a template ($out/pwned exists)" >&2; exit 1; }
    echo "==> $pin: passed"
done
