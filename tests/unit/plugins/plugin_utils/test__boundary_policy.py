# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Loading a policy file on the controller: line numbers, the JSON Schema, the audit log."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import threading

import jsonschema
import pytest

from ansible_collections.horizon.ai_platform.plugins.module_utils._boundary import Policy, PolicyError
from ansible_collections.horizon.ai_platform.plugins.plugin_utils import _boundary_policy
from ansible_collections.horizon.ai_platform.plugins.plugin_utils._boundary_policy import (
    SCHEMA_PATH,
    PolicyLoadError,
    append_audit,
    default_audit_log,
    load_policy,
)
from ansible_collections.horizon.ai_platform.tests.unit.plugins.boundary_samples import POLICY_YAML, policy_data
from ansible_collections.horizon.ai_platform.tests.unit.plugins.module_utils.test__boundary import BAD, _set


def write(tmp_path, text, name="policy.yml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_a_valid_file_loads_with_its_own_digest(tmp_path):
    path = write(tmp_path, POLICY_YAML)
    policy = load_policy(path)
    assert policy.sha256 == hashlib.sha256(POLICY_YAML.encode()).hexdigest()
    assert policy.enforce_repositories is True
    assert policy.boundaries["de"] == ["eu-central-1", "de-fra-1"]


def test_json_policies_load_too(tmp_path):
    path = write(tmp_path, json.dumps(policy_data()), "policy.json")
    assert load_policy(path).default_boundary == "eu"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        # The line of the key in the file, then the key path, then what is wrong.
        ("10.20.0.0/16", "10.20.0.0/33", "line 13: endpoints[2].match: '10.20.0.0/33' is not a valid CIDR"),
        ("boundary: de}", "boundary: dee}", "line 31: data[0].boundary: names boundary 'dee', which the policy does not define"),
        ("version: 1", "version: 2", "line 1: version: must be 1, not 2"),
        (
            "  de: {regions: [eu-central-1, de-fra-1], description: Germany only}",
            "  de: {regions: []}",
            "line 7: boundaries.de.regions: [] should be non-empty",
        ),
        ("  - {match: huggingface.co, region: us-east-1}", "  - {match: huggingface.co}", "line 16: endpoints[5]: 'region' is a required property"),
        ("enforce_repositories: true", "enforce_repositories: maybe", "line 4: enforce_repositories: 'maybe' is not of type 'boolean'"),
    ],
    ids=["bad-cidr", "unknown-boundary", "version", "empty-regions", "missing-region", "not-a-boolean"],
)
def test_errors_name_the_file_line_and_key(tmp_path, old, new, message):
    assert old in POLICY_YAML
    path = write(tmp_path, POLICY_YAML.replace(old, new))
    with pytest.raises(PolicyLoadError) as info:
        load_policy(path)
    assert str(info.value).startswith(f"boundary policy {path}, ")
    assert message in str(info.value)


def test_without_jsonschema_the_rules_still_validate(tmp_path, monkeypatch):
    monkeypatch.setattr(_boundary_policy, "_schema_errors", lambda data: None)
    path = write(tmp_path, POLICY_YAML.replace("boundary: de}", "boundary: dee}"))
    with pytest.raises(PolicyLoadError, match=r"line 31: data\[0\]\.boundary: names boundary 'dee'"):
        load_policy(path)


def test_a_key_written_twice_is_refused(tmp_path):
    text = POLICY_YAML.replace("default_boundary: eu\n", "default_boundary: eu\ndefault_boundary: us\n")
    with pytest.raises(PolicyLoadError, match=r"line 4: default_boundary: the key is written twice"):
        load_policy(write(tmp_path, text))


def test_yaml_that_does_not_parse(tmp_path):
    with pytest.raises(PolicyLoadError, match=r"line 4: does not parse as YAML"):
        load_policy(write(tmp_path, "version: 1\nboundaries:\n  eu: {regions: [a\n"))


def test_a_missing_file(tmp_path):
    with pytest.raises(PolicyLoadError, match=r"boundary policy .*/nope.yml: cannot be read \(No such file or directory\)"):
        load_policy(str(tmp_path / "nope.yml"))


def test_a_mapping_is_validated_the_same_way():
    data = policy_data()
    data["endpoints"][0]["match"] = "10.0.0.0/99"
    with pytest.raises(PolicyLoadError, match=r"^boundary policy: endpoints\[0\]\.match: '10.0.0.0/99' is not a valid CIDR"):
        load_policy(data)


@pytest.mark.parametrize(("path", "value", "key", "problem"), BAD, ids=[f"{'.'.join(map(str, b[0]))}={b[1]!r}" for b in BAD])
def test_the_schema_and_the_rules_agree(path, value, key, problem):
    """Every policy the rules refuse for its shape, the JSON Schema refuses too; cross-references are the rules' alone."""
    with open(SCHEMA_PATH, encoding="utf-8") as f:
        validator = jsonschema.Draft202012Validator(json.load(f))
    assert not list(validator.iter_errors(policy_data()))
    data = copy.deepcopy(policy_data())
    _set(data, path, value)
    with pytest.raises(PolicyError):
        Policy.from_data(data)
    semantic = ("does not define", "not a valid CIDR", "not a host name")
    if any(s in problem for s in semantic):
        return  # references between keys and CIDR syntax: beyond what a JSON Schema says
    assert list(validator.iter_errors(data)), f"the schema accepts what the rules refuse: {key} {problem}"


def test_the_audit_log_takes_one_whole_line_per_decision(tmp_path):
    log = tmp_path / "audit" / "boundary.jsonl"
    records = [{"n": i, "reason": "x" * 5000} for i in range(40)]
    threads = [threading.Thread(target=append_audit, args=(str(log), r)) for r in records]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lines = log.read_text().splitlines()
    assert sorted(json.loads(line)["n"] for line in lines) == list(range(40))
    assert os.stat(log).st_mode & 0o777 == 0o600


def test_default_audit_log(monkeypatch, tmp_path):
    monkeypatch.delenv("HORIZON_BOUNDARY_AUDIT_LOG", raising=False)
    monkeypatch.setenv("ANSIBLE_HOME", str(tmp_path))
    assert default_audit_log() == str(tmp_path / "horizon" / "boundary-audit.jsonl")
    monkeypatch.setenv("HORIZON_BOUNDARY_AUDIT_LOG", "/var/log/x.jsonl")
    assert default_audit_log() == "/var/log/x.jsonl"
