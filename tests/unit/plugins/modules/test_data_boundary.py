# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The data_boundary module on the node: real name resolution, real links, clear errors."""

from __future__ import annotations

import os

from ansible_collections.horizon.ai_platform.plugins.modules import data_boundary
from ansible_collections.horizon.ai_platform.tests.unit.plugins.modules.module_runner import run_module

POLICY = {
    "version": 1,
    "boundaries": {"eu": {"regions": ["eu-west-1"]}},
    "endpoints": [{"match": "127.0.0.0/8", "region": "eu-west-1"}, {"match": "::1/128", "region": "eu-west-1"}],
    "data": [{"match": "*", "boundary": "eu"}],
}


def decide(capsys, **args):
    return run_module(data_boundary.main, dict({"policy": POLICY, "host_region": "eu-west-1"}, **args), capsys)


def test_a_name_is_placed_by_the_addresses_it_resolves_to(capsys):
    result, failed = decide(capsys, src="http://localhost:8080/m/")
    assert not failed and result["allowed"] and not result["changed"]
    assert "127.0.0.1" in result["addresses"]
    assert result["rule"]["addresses"][0]["match"] in ("127.0.0.0/8", "::1/128")


def test_without_resolution_an_unplaced_name_is_denied(capsys):
    result, failed = decide(capsys, src="http://localhost:8080/m/", resolve=False)
    assert failed and not result["allowed"]
    assert result["msg"] == "data boundary: no endpoint rule gives a region for host localhost and its addresses were not looked up"


def test_a_name_that_does_not_resolve_is_denied(capsys):
    result, failed = decide(capsys, src="https://no-such-host.invalid/m/", fail_on_violation=False)
    assert not failed and not result["allowed"]
    assert "does not resolve" in result["reason"]


def test_a_link_into_a_remote_mount_is_followed(capsys, tmp_path):
    (tmp_path / "nfs-us" / "llama").mkdir(parents=True)
    os.symlink(tmp_path / "nfs-us" / "llama", tmp_path / "llama")
    policy = dict(POLICY, paths=[{"match": f"{tmp_path}/nfs-us/*", "region": "us-east-1"}])
    result, failed = decide(capsys, policy=policy, src=f"file://{tmp_path}/llama")
    assert failed
    assert result["source_path"] == f"{tmp_path}/nfs-us/llama"
    assert result["rule"]["real_path"] == f"{tmp_path}/nfs-us/llama"
    assert "is in region 'us-east-1', outside boundary 'eu'" in result["reason"]


def test_a_policy_that_is_not_a_mapping(capsys):
    result, failed = decide(capsys, policy="/etc/policy.yml", src="http://localhost/")
    assert failed and "a policy file is read on the controller" in result["msg"]


def test_an_invalid_policy_names_the_key(capsys):
    result, failed = decide(capsys, policy=dict(POLICY, default_boundary="us"), src="http://localhost/")
    assert failed and result["msg"].startswith("boundary policy: default_boundary: names boundary 'us'")


def test_dotdot_after_a_link_is_resolved_where_the_link_points(capsys, tmp_path):
    (tmp_path / "nfs-us" / "models" / "sub").mkdir(parents=True)
    (tmp_path / "nfs-us" / "models" / "llama").mkdir()
    (tmp_path / "local").mkdir()
    os.symlink(tmp_path / "nfs-us" / "models" / "sub", tmp_path / "local" / "link")
    policy = dict(POLICY, paths=[{"match": f"{tmp_path}/nfs-us/*", "region": "us-east-1"}])
    # posixpath.normpath alone would see <tmp>/local/llama; the kernel goes to <tmp>/nfs-us/models/llama.
    result, failed = decide(capsys, policy=policy, src=f"file://{tmp_path}/local/link/../llama")
    assert failed
    assert result["source_path"] == f"{tmp_path}/nfs-us/models/llama"


def test_a_nul_byte_in_a_path_is_denied_not_a_traceback(capsys):
    result, failed = decide(capsys, src="file:///srv/%00x")
    assert failed and "is not a valid path" in result["msg"]


def test_the_nodes_hf_endpoint_is_the_hubs_host(capsys, monkeypatch):
    """huggingface_hub on the node would use HF_ENDPOINT: so does the decision."""
    policy = dict(POLICY, endpoints=[{"match": "huggingface.co", "region": "eu-west-1"}, {"match": "hub.us.invalid", "region": "us-east-1"}])
    result, failed = decide(capsys, policy=policy, src="hf://org/model", resolve=False)
    assert not failed and result["source_host"] == "huggingface.co"
    monkeypatch.setenv("HF_ENDPOINT", "https://hub.us.invalid")
    result, failed = decide(capsys, policy=policy, src="hf://org/model", resolve=False)
    assert failed and result["source_host"] == "hub.us.invalid" and "us-east-1" in result["reason"]


def test_endpoint_and_region_place_hub_and_s3_sources(capsys):
    policy = dict(
        POLICY,
        endpoints=[
            {"match": "hub.eu.invalid", "region": "eu-west-1"},
            {"match": "*.s3.eu-west-1.amazonaws.com", "region": "eu-west-1"},
            {"match": "*.s3.us-east-1.amazonaws.com", "region": "us-east-1"},
        ],
    )
    result, failed = decide(capsys, policy=policy, src="hf://org/model", endpoint_url="https://hub.eu.invalid", resolve=False)
    assert not failed and result["source_host"] == "hub.eu.invalid"
    result, failed = decide(capsys, policy=policy, src="s3://models/llama", region="eu-west-1", resolve=False)
    assert not failed and result["source_host"] == "models.s3.eu-west-1.amazonaws.com"
    result, failed = decide(capsys, policy=policy, src="s3://models/llama", region="us-east-1", resolve=False)
    assert failed and "us-east-1" in result["reason"]
