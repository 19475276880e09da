# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/boundary_audit.yml through a real ansible-playbook: a small fleet in three regions.

The hosts run on this machine (connection local), each with its own region; their flows are the
models the model_cache role would sync there and one extra repository flow. The report and the
audit log must say the same thing the decisions did.
"""

from __future__ import annotations

import hashlib
import json
import sys

from ansible_collections.horizon.ai_platform.tests.unit.playbook_runner import ansible_playbook

SECRET = "mirr0r-Secret-never-shown"

POLICY = """\
version: 1
default_boundary: eu
boundaries:
  eu: {regions: [eu-west-1, eu-central-1]}
  us: {regions: [us-east-1]}
endpoints:
  - {match: 127.0.0.0/8, region: eu-central-1}
  - {match: mirror.us.invalid, region: us-east-1}
  - {match: huggingface.co, region: us-east-1}
data:
  - {match: "https://mirror.us.invalid/*", boundary: us}
"""

INVENTORY = f"""\
[nodes]
node-eu ansible_connection=local horizon_region=eu-central-1
node-eu2 ansible_connection=local horizon_region=eu-west-1
node-us ansible_connection=local horizon_region=us-east-1

[all:vars]
ansible_python_interpreter={sys.executable}
model_cache_models=[{{"name": "llama", "upstream": "hf://meta-llama/Llama-3-8B"}}]
"""


def write_fleet(tmp_path):
    """The policy, the inventory and the hosts' variables of the small fleet, in ``tmp_path``."""
    (tmp_path / "policy.yml").write_text(POLICY, encoding="utf-8")
    (tmp_path / "inventory.ini").write_text(INVENTORY, encoding="utf-8")
    (tmp_path / "group_vars").mkdir(exist_ok=True)
    mirrors = {
        "eu-central-1": {"url": "http://127.0.0.1:8081/", "username": "m", "password": SECRET},
        "eu-west-1": {"url": "http://127.0.0.1:8082/"},
        "us-east-1": {"url": "http://127.0.0.1:8083/"},
    }
    (tmp_path / "group_vars" / "all.yml").write_text(json.dumps({"model_cache_mirrors": mirrors}), encoding="utf-8")
    (tmp_path / "host_vars").mkdir(exist_ok=True)
    (tmp_path / "host_vars" / "node-us.yml").write_text(
        "horizon_boundary_flows:\n  - {src: 'https://mirror.us.invalid/cuda/', kind: repository}\n", encoding="utf-8"
    )
    (tmp_path / "host_vars" / "node-eu2.yml").write_text(
        "horizon_boundary_flows:\n  - {src: 'hf://meta-llama/Llama-3-8B', name: llama, kind: model from upstream}\n", encoding="utf-8"
    )


def run_audit(tmp_path, *extra):
    write_fleet(tmp_path)
    return ansible_playbook(
        tmp_path,
        "-i",
        tmp_path / "inventory.ini",
        "horizon.ai_platform.boundary_audit",
        "-e",
        f"horizon_boundary_policy={tmp_path}/policy.yml",
        "-e",
        f"horizon_boundary_report_dir={tmp_path}/report",
        *extra,
        env={"HORIZON_BOUNDARY_AUDIT_LOG": str(tmp_path / "audit.jsonl")},
        cwd=tmp_path,
    )


def test_the_fleet_audit_reports_every_flow(tmp_path):
    rc, out = run_audit(tmp_path)
    # node-eu2 is told to pull from the public hub (us-east-1); node-us is in us-east-1 while the model's
    # boundary is eu, and its repository's name does not resolve: three denials, so the run fails at the end.
    assert rc == 2, out
    assert "fatal: [node-us]" in out and "fatal: [node-eu2]" in out
    assert "huggingface.co is in region 'us-east-1'" in out and "host mirror.us.invalid does not resolve" in out
    assert SECRET not in out
    report = json.loads((tmp_path / "report" / "boundary-audit.json").read_text())
    assert report["policy"]["sha256"] == hashlib.sha256(POLICY.encode()).hexdigest()
    assert report["policy"]["file"] == f"{tmp_path}/policy.yml"
    s = report["summary"]
    assert (s["flows"], s["allowed"], s["denied"], s["hosts"]) == (5, 2, 3, 3)
    assert s["hosts_with_denials"] == ["node-eu2", "node-us"] and s["hosts_not_checked"] == []
    assert s["by_boundary"] == {"eu": {"allow": 2, "deny": 2}, "us": {"allow": 0, "deny": 1}}
    flows = {(f["host"], f["kind"]): f for f in report["flows"]}
    assert flows[("node-eu", "model from mirror")]["verdict"] == "allow"
    assert flows[("node-eu", "model from mirror")]["source_region"] == "eu-central-1"
    assert flows[("node-eu2", "model from mirror")]["verdict"] == "allow"
    assert flows[("node-eu2", "model from upstream")]["source_region"] == "us-east-1"
    us_model = flows[("node-us", "model from mirror")]
    assert us_model["verdict"] == "deny" and "node's region 'us-east-1' is outside boundary 'eu'" in us_model["reason"]
    repository = flows[("node-us", "repository")]
    assert repository["verdict"] == "deny" and repository["boundary"] == "us" and repository["source_region"] == "us-east-1"
    assert [f["verdict"] for f in report["flows"]] == ["deny", "deny", "deny", "allow", "allow"]  # denied flows first
    page = (tmp_path / "report" / "boundary-audit.html").read_text()
    assert "<script" not in page and "node-us" in page and report["policy"]["sha256"] in page
    assert SECRET not in page and SECRET not in (tmp_path / "audit.jsonl").read_text()
    assert len((tmp_path / "audit.jsonl").read_text().splitlines()) == 5

    # Run again: the decisions are the same, so the report files stay as they are.
    before = {p.name: p.read_bytes() for p in (tmp_path / "report").iterdir()}
    rc, out = run_audit(tmp_path, "-e", "horizon_boundary_fail_on_denied=false")
    assert rc == 0, out
    assert {p.name: p.read_bytes() for p in (tmp_path / "report").iterdir()} == before
    assert len((tmp_path / "audit.jsonl").read_text().splitlines()) == 10  # but every decision is logged again


def test_the_audit_needs_a_policy(tmp_path):
    (tmp_path / "inventory.ini").write_text(INVENTORY, encoding="utf-8")
    rc, out = ansible_playbook(tmp_path, "-i", tmp_path / "inventory.ini", "horizon.ai_platform.boundary_audit", cwd=tmp_path, timeout=120)
    assert rc == 2
    assert "Set horizon_boundary_policy to the policy file on the controller" in out
