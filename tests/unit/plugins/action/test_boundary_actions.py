# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""data_boundary and model_sync's boundary gate through a real ansible-playbook (connection local).

The policy file is read on the controller, the decision is made by the module on the node, and
every decision lands in the audit log; a denied sync sends no request to its source.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys

import pytest

from ansible_collections.horizon.ai_platform.tests.servers.http_mirror import serve
from ansible_collections.horizon.ai_platform.tests.unit.playbook_runner import ansible_playbook
from ansible_collections.horizon.ai_platform.tests.unit.plugins.model_samples import sample_files, write_model

SECRET = "Pa55w0rd-never-logged"

POLICY = """\
version: 1
boundaries:
  eu: {regions: [eu-west-1, eu-central-1]}
  de: {regions: [eu-central-1]}
endpoints:
  - {match: localhost, region: eu-west-1}
  - {match: 127.0.0.0/8, region: eu-west-1}
  - {match: "::1/128", region: eu-west-1}
  - {match: huggingface.co, region: us-east-1}
data:
  - {match: "restricted-*", boundary: de}
  - {match: "*", boundary: eu}
"""


def run_play(tmp_path, play, extra_vars=None, check=False, inventory_vars="horizon_region=eu-west-1", env_extra=None):
    playbook = tmp_path / "play.yml"
    playbook.write_text(play, encoding="utf-8")
    (tmp_path / "files").mkdir(exist_ok=True)
    (tmp_path / "files" / "boundary-policy.yml").write_text(POLICY, encoding="utf-8")
    inventory = tmp_path / "inventory.ini"
    inventory.write_text(f"node1 ansible_connection=local ansible_python_interpreter={sys.executable} {inventory_vars}\n", encoding="utf-8")
    vars_file = tmp_path / "vars.json"
    vars_file.write_text(json.dumps(extra_vars or {}), encoding="utf-8")
    args = ["-i", inventory, "-vvv", "-e", f"@{vars_file}", playbook] + (["--check"] if check else [])
    return ansible_playbook(tmp_path, *args, env=dict(HORIZON_BOUNDARY_AUDIT_LOG=str(tmp_path / "audit.jsonl"), **(env_extra or {})))


def audit(tmp_path):
    path = tmp_path / "audit.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@pytest.fixture
def mirror(tmp_path):
    files = sample_files(big=64 * 1024)
    root = write_model(tmp_path / "mirror", files)
    with serve(root, auth=f"models:{SECRET}") as server:
        yield server, files


DECISIONS = """
- name: Boundary decisions
  hosts: node1
  gather_facts: false
  tasks:
    - name: An in-region mirror, with credentials in the URI
      horizon.ai_platform.data_boundary:
        policy: boundary-policy.yml
        src: "http://models:{{ secret }}@localhost:8080/m/"
      register: allowed

    - name: The public hub under an EU-only policy
      horizon.ai_platform.data_boundary:
        policy: boundary-policy.yml
        src: hf://meta-llama/Llama-3-8B
        fail_on_violation: false
      register: hub

    - name: A restricted model on a node outside its boundary
      horizon.ai_platform.data_boundary:
        policy: boundary-policy.yml
        src: http://127.0.0.1:8080/m/
        name: restricted-notes
        fail_on_violation: false
      register: restricted

    - name: The verdicts
      ansible.builtin.assert:
        that:
          - allowed is not changed and allowed.allowed and allowed.source_region == 'eu-west-1'
          - allowed.host_region == 'eu-west-1'
          - "'127.0.0.1' in allowed.addresses"
          - allowed.policy_sha256 == policy_sha256
          - not hub.allowed and hub is not failed and 'us-east-1' in hub.reason
          - not restricted.allowed and restricted.boundary == 'de' and "node's region 'eu-west-1'" in restricted.reason

    - name: A denied flow fails the task
      horizon.ai_platform.data_boundary:
        policy: boundary-policy.yml
        src: hf://meta-llama/Llama-3-8B
"""


def test_decisions_are_made_logged_and_enforced(tmp_path):
    rc, out = run_play(tmp_path, DECISIONS, {"secret": SECRET, "policy_sha256": hashlib.sha256(POLICY.encode()).hexdigest()})
    assert rc == 2, out
    assert "ok: [node1] => " in out and "All assertions passed" in out
    assert "data boundary: huggingface.co is in region 'us-east-1' (endpoints[3] huggingface.co), outside boundary 'eu'" in out
    assert "version: 1" not in out  # the policy is not echoed back in the task's invocation
    records = audit(tmp_path)
    assert [r["verdict"] for r in records] == ["allow", "deny", "deny", "deny"]
    first = records[0]
    assert first["host"] == "node1" and first["flow"]["kind"] == "data_boundary"
    assert first["flow"]["src"] == "http://localhost:8080/m"
    assert first["policy"] == {"sha256": hashlib.sha256(POLICY.encode()).hexdigest(), "file": str(tmp_path / "files" / "boundary-policy.yml")}
    assert first["rules"]["endpoint"] == {"index": 0, "match": "localhost"}
    assert first["task"] == "An in-region mirror, with credentials in the URI"
    assert records[2]["boundary"] == "de" and records[2]["flow"]["name"] == "restricted-notes"
    assert SECRET not in out and SECRET not in (tmp_path / "audit.jsonl").read_text()
    assert os.stat(tmp_path / "audit.jsonl").st_mode & 0o777 == 0o600


def test_check_mode_decides_and_logs_too(tmp_path):
    play = DECISIONS.split("    - name: The verdicts", maxsplit=1)[0]
    rc, out = run_play(tmp_path, play, {"secret": SECRET}, check=True)
    assert rc == 0, out
    assert [r["check_mode"] for r in audit(tmp_path)] == [True, True, True]


def test_a_node_without_a_region_is_denied(tmp_path):
    rc, out = run_play(tmp_path, DECISIONS.split("    - name: The public hub", maxsplit=1)[0], {"secret": SECRET}, inventory_vars="")
    assert rc == 2, out
    assert "the node's region is unknown: set the inventory variable horizon_region" in out
    assert audit(tmp_path)[0]["host_region"] is None


def test_a_malformed_policy_denies_with_its_line(tmp_path):
    play = """
- name: A broken policy
  hosts: node1
  gather_facts: false
  tasks:
    - name: Check against it
      horizon.ai_platform.data_boundary:
        policy: "{{ playbook_dir }}/broken.yml"
        src: http://localhost:8080/m/
"""
    (tmp_path / "broken.yml").write_text(POLICY.replace("127.0.0.0/8", "127.0.0.0/40"), encoding="utf-8")
    rc, out = run_play(tmp_path, play)
    assert rc == 2, out
    assert f"boundary policy {tmp_path}/broken.yml, line 7: endpoints[1].match: '127.0.0.0/40' is not a valid CIDR" in out
    (record,) = audit(tmp_path)
    assert record["verdict"] == "deny" and "127.0.0.0/40" in record["reason"]
    assert record["policy"]["sha256"] == hashlib.sha256((tmp_path / "broken.yml").read_bytes()).hexdigest()


SYNC = """
- name: Sync under a boundary policy
  hosts: node1
  gather_facts: false
  tasks:
    - name: Sync from the in-region mirror
      horizon.ai_platform.model_sync:
        src: "{{ mirror }}"
        name: tiny
        dest: "{{ dest }}"
        username: models
        password: "{{ secret }}"
        boundary_policy: boundary-policy.yml
      register: synced
      async: 120
      poll: 1

    - name: The sync carries its decision
      ansible.builtin.assert:
        that:
          - synced is changed
          - synced.boundary.boundary == 'eu' and synced.boundary.source_region == 'eu-west-1'

    - name: A restricted model may not come to this node
      horizon.ai_platform.model_sync:
        src: "{{ mirror }}"
        name: restricted-tiny
        dest: "{{ dest }}"
        username: models
        password: "{{ secret }}"
        boundary_policy: boundary-policy.yml
"""


def test_model_sync_refuses_a_flow_before_any_request(tmp_path, mirror):
    server, _files = mirror
    rc, out = run_play(tmp_path, SYNC, {"mirror": server.url, "dest": str(tmp_path / "store"), "secret": SECRET})
    assert rc == 2, out
    assert "data boundary: the node's region 'eu-west-1' is outside boundary 'de' (eu-central-1); nothing was transferred" in out
    assert (tmp_path / "store" / "tiny" / "current").is_symlink()
    assert not (tmp_path / "store" / "restricted-tiny").exists()
    requests = [r[1] for r in server.requests]
    assert requests.count("/SHA256SUMS") == 1  # the allowed sync listed the mirror once; the denied one never asked
    records = audit(tmp_path)
    assert [(r["flow"]["kind"], r["flow"]["name"], r["verdict"]) for r in records] == [
        ("model_sync", "tiny", "allow"),
        ("model_sync", "restricted-tiny", "deny"),
    ]
    assert SECRET not in out and SECRET not in (tmp_path / "audit.jsonl").read_text()
    manifest = next((tmp_path / "store" / "tiny").glob("*.manifest.json"))
    assert json.loads(manifest.read_text())["boundary"]["decision"]["policy_sha256"]


def test_options_are_strict_and_paths_expand(tmp_path):
    play = """
- name: Options
  hosts: node1
  gather_facts: false
  tasks:
    - name: A log under the home directory
      horizon.ai_platform.data_boundary:
        policy: boundary-policy.yml
        src: http://127.0.0.1:8080/m/
        audit_log: ~/audit/boundary.jsonl

    - name: A misspelt boolean is an error, not a quiet false
      horizon.ai_platform.data_boundary:
        policy: boundary-policy.yml
        src: hf://meta-llama/Llama-3-8B
        fail_on_violation: flase
"""
    rc, out = run_play(tmp_path, play, env_extra={"HOME": str(tmp_path / "home")})
    assert rc == 2, out
    assert "fail_on_violation must be a boolean, not 'flase'" in out
    assert json.loads((tmp_path / "home" / "audit" / "boundary.jsonl").read_text())["verdict"] == "allow"


REPOSITORIES = """
- name: Repository decisions
  hosts: node1
  gather_facts: false
  tasks:
    - name: A repository outside the boundary, under a policy that does not enforce repositories
      horizon.ai_platform.data_boundary:
        policy: boundary-policy.yml
        src: https://developer.download.nvidia.com/compute/cuda/repos/debian12/x86_64/
        name: cuda
        repository: true
        resolve: false
      register: unenforced

    - name: The same repository under a policy that enforces them
      horizon.ai_platform.data_boundary:
        policy: "{{ enforcing }}"
        src: https://developer.download.nvidia.com/compute/cuda/repos/debian12/x86_64/
        name: cuda
        repository: true
        resolve: false
        fail_on_violation: false
      register: enforced

    - name: An in-region mirror under the enforcing policy
      horizon.ai_platform.data_boundary:
        policy: "{{ enforcing }}"
        src: "http://localhost:8080/cuda/"
        name: cuda
        repository: true
      register: mirror

    - name: Check the decisions
      ansible.builtin.assert:
        that:
          - unenforced.allowed and unenforced.enforced is false
          - unenforced.reason is search('does not enforce repositories')
          - not enforced.allowed and enforced.reason is search("us-east-1")
          - mirror.allowed
"""


def test_repositories_are_checked_only_when_the_policy_enforces_them(tmp_path):
    import yaml  # noqa: PLC0415

    enforcing = yaml.safe_load(POLICY)
    enforcing["enforce_repositories"] = True
    enforcing["endpoints"].append({"match": "developer.download.nvidia.com", "region": "us-east-1"})
    rc, out = run_play(tmp_path, REPOSITORIES, {"enforcing": enforcing})
    assert rc == 0, out
    records = audit(tmp_path)
    assert [(r["flow"]["kind"], r["verdict"]) for r in records] == [("repository", "allow"), ("repository", "deny"), ("repository", "allow")]
    assert records[0]["reason"] == "the policy does not enforce repositories (enforce_repositories is false): not checked"
    assert records[0]["flow"]["src"] == records[1]["flow"]["src"] == "https://developer.download.nvidia.com/compute/cuda/repos/debian12/x86_64"
    assert records[0]["flow"]["name"] == "cuda"
