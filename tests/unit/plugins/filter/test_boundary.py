# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The data-boundary filters: policies from files and mappings, clear errors on bad input."""

from __future__ import annotations

import os

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.horizon.ai_platform.plugins.filter import boundary
from ansible_collections.horizon.ai_platform.tests.unit.plugins.boundary_samples import POLICY_YAML, policy_data


@pytest.fixture
def policy_file(tmp_path):
    path = tmp_path / "policy.yml"
    path.write_text(POLICY_YAML, encoding="utf-8")
    return str(path)


def test_registered():
    assert set(boundary.FilterModule().filters()) == {
        "region_of",
        "within_boundary",
        "boundary_decision",
        "boundary_node_affinity",
        "boundary_flows",
        "boundary_audit_entries",
    }


def test_region_of(policy_file):
    assert boundary.region_of("https://models.eu.example.com/m/", policy_file) == "eu-central-1"
    assert boundary.region_of("s3://bucket/m", policy_data(), region="us-east-1") == "us-east-1"
    assert boundary.region_of("/srv/models", policy_file, host_region="fr-par-1") == "fr-par-1"
    assert boundary.region_of("https://localhost/", policy_file) is None
    assert boundary.region_of("https://localhost/", policy_file, resolve=True) in ("eu-west-1", None)  # ::1 has no rule here


def test_within_boundary(policy_file):
    assert boundary.within_boundary("http://127.0.0.1:8080/m/", policy_file, "eu-west-1")
    assert not boundary.within_boundary("hf://meta-llama/Llama-3-8B", policy_file, "eu-west-1")
    assert not boundary.within_boundary("http://127.0.0.1:8080/m/", policy_file, None)
    assert (
        boundary.within_boundary("hf://acme/x", policy_file, "de-fra-1", endpoint_url="http://127.0.0.1:9000", resolve=False) is False
    )  # de excludes eu-west-1


def test_boundary_decision_is_the_whole_verdict(policy_file):
    d = boundary.boundary_decision("hf://acme/x", policy_file, "de-fra-1")
    assert d["verdict"] == "deny" and d["boundary"] == "de" and d["classification"] == "restricted"
    assert isinstance(d, dict) and d["rule"]["data"] == {"index": 0, "match": "hf://acme/*"}


def test_node_affinity(policy_file):
    by_name = boundary.boundary_node_affinity(policy_file, "onprem")
    by_src = boundary.boundary_node_affinity(policy_file, src="oci://registry.internal/onprem/llama:1")
    assert by_name == by_src
    values = by_name["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"][0]["matchExpressions"][0]["values"]
    assert values == ["dc-ams-1"]
    with pytest.raises(AnsibleFilterError, match="boundary_node_affinity: boundary 'mars' is not defined"):
        boundary.boundary_node_affinity(policy_file, "mars")
    with pytest.raises(AnsibleFilterError, match="name the boundary, or the model's src or name"):
        boundary.boundary_node_affinity(policy_file)


def test_a_changed_file_is_read_again(policy_file):
    assert boundary.region_of("http://10.20.1.1/", policy_file) == "de-fra-1"
    text = POLICY_YAML.replace("{match: 10.20.0.0/16, region: de-fra-1}", "{match: 10.20.0.0/16, region: fr-par-1}")
    with open(policy_file, "w", encoding="utf-8") as f:
        f.write(text)
    st = os.stat(policy_file)
    os.utime(policy_file, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    assert boundary.region_of("http://10.20.1.1/", policy_file) == "fr-par-1"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda f: boundary.within_boundary(42, f, "eu-west-1"), "within_boundary: the input must be a source URI or path, not int"),
        (lambda f: boundary.within_boundary("http://x/", ["not", "a", "policy"], "eu-west-1"), "the policy must be a mapping or a path"),
        (lambda f: boundary.within_boundary("http://x/", f + ".missing", "eu-west-1"), "cannot be read"),
        (lambda f: boundary.region_of("http://x/", f, resolve="yes"), "region_of: resolve must be a boolean"),
        (
            lambda f: boundary.within_boundary("http://x/", dict(policy_data(), version=3), "eu-west-1"),
            "within_boundary: boundary policy: version: must be 1, not 3",
        ),
    ],
    ids=["input", "policy-type", "missing-file", "resolve-flag", "bad-version"],
)
def test_bad_input_is_a_clear_error(policy_file, call, message):
    with pytest.raises(AnsibleFilterError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call(policy_file)
