# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""model_sync's own boundary check on the node: before the first request, and at every redirect to another host."""

from __future__ import annotations

import pytest

from ansible_collections.horizon.ai_platform.plugins.module_utils import _model_sources
from ansible_collections.horizon.ai_platform.plugins.modules import model_sync
from ansible_collections.horizon.ai_platform.tests.servers.http_mirror import serve
from ansible_collections.horizon.ai_platform.tests.servers.s3 import moto_s3
from ansible_collections.horizon.ai_platform.tests.unit.plugins.modules.module_runner import run_module
from ansible_collections.horizon.ai_platform.tests.unit.plugins.modules.test_model_sync import s3args, upload

# localhost is named first, in us-east-1, so that it is a host outside the boundary even though its
# address, 127.0.0.1, is inside: what a CDN name in another region looks like to the policy.
POLICY = {
    "version": 1,
    "boundaries": {"eu": {"regions": ["eu-west-1"]}, "de": {"regions": ["de-fra-1"]}},
    "endpoints": [{"match": "localhost", "region": "us-east-1"}, {"match": "127.0.0.0/8", "region": "eu-west-1"}],
    "data": [{"match": "restricted-*", "boundary": "de"}, {"match": "*", "boundary": "eu"}],
}


def sync(capsys, **args):
    return run_module(model_sync.main, dict({"boundary_policy": POLICY, "host_region": "eu-west-1", "name": "m"}, **args), capsys)


def test_an_allowed_source_syncs_and_records_the_decision(capsys, mirror, store, files):
    result, failed = sync(capsys, src=mirror.url, dest=str(store))
    assert not failed, result
    assert result["boundary"]["boundary"] == "eu" and result["boundary"]["source_region"] == "eu-west-1"
    assert result["boundary"]["rule"]["endpoint"] == {"index": 1, "match": "127.0.0.0/8"}


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        ({"name": "restricted-notes"}, "the node's region 'eu-west-1' is outside boundary 'de' (de-fra-1)"),
        ({"host_region": None}, "the node's region is unknown"),
        ({"boundary_policy": dict(POLICY, version=2)}, "the policy is not valid (version: the number 2 is not a policy version"),
    ],
    ids=["outside", "no-region", "bad-policy"],
)
def test_a_denied_flow_sends_no_request(capsys, mirror, store, args, reason):
    result, failed = sync(capsys, src=mirror.url, dest=str(store), **args)
    assert failed
    assert result["msg"].startswith("data boundary: ") and reason in result["msg"] and result["msg"].endswith("nothing was transferred")
    assert mirror.requests == []
    assert not store.exists()


def test_a_redirect_out_of_the_boundary_is_not_followed(capsys, source, store, files):
    with serve(source) as cdn:
        outside = cdn.url.replace("127.0.0.1", "localhost")
        with serve(source, redirect=outside) as mirror:
            result, failed = sync(capsys, src=mirror.url, dest=str(store))
    assert failed
    assert f"was sent on to {outside.rstrip('/')}/" in result["msg"] and "localhost is in region 'us-east-1'" in result["msg"]
    assert "the request was not made" in result["msg"]
    assert result["boundary"]["hop"] and result["boundary"]["rule"]["data"] == {"inherited": "eu"}
    assert cdn.requests == []
    assert not (store / "m" / "current").exists()


def test_a_redirect_inside_the_boundary_is_followed(capsys, source, store, files):
    with serve(source) as cdn, serve(source, redirect=cdn.url) as mirror:
        result, failed = sync(capsys, src=mirror.url, dest=str(store))
    assert not failed, result
    assert {r[1] for r in cdn.requests if r[0] == "GET"} >= {"/" + p for p in files}


def test_a_redirect_to_another_scheme_is_refused(capsys, source, store, files):
    with serve(source, redirect="hf://127.0.0.1:9/") as mirror:
        result, failed = sync(capsys, src=mirror.url, dest=str(store))
    assert failed
    assert "redirected to a hf: URL; only HTTP(S) redirects are followed" in result["msg"]
    assert not (store / "m" / "current").exists()


def test_the_hub_the_node_really_uses_is_checked(capsys, store, monkeypatch):
    """HF_ENDPOINT in the node's environment takes model_sync elsewhere: the node's own check sees it."""
    policy = dict(POLICY, endpoints=[{"match": "huggingface.co", "region": "eu-west-1"}, *POLICY["endpoints"]])
    monkeypatch.setenv("HF_ENDPOINT", "http://localhost:9")
    result, failed = sync(capsys, src="hf://org/model", dest=str(store), boundary_policy=policy)
    assert failed
    assert "localhost is in region 'us-east-1'" in result["msg"] and result["msg"].endswith("nothing was transferred")
    assert result["boundary"]["source_host"] == "localhost" and result["boundary"]["verdict"] == "deny"


@pytest.fixture(scope="module")
def s3server(tmp_path_factory):
    # Without signature checks: moto mis-checks listings of a prefix (see tests/servers/s3.py).
    with moto_s3(log=str(tmp_path_factory.mktemp("moto") / "moto.log"), auth=False) as server:
        upload(server, "models", "m", {"config.json": b"{}\n", "w.safetensors": b"x" * 4096})
        yield server


def test_s3_requests_to_the_checked_endpoint_go_through(capsys, s3server, store):
    result, failed = sync(capsys, **s3args(s3server, "models", "m", store))
    assert not failed, result
    assert result["boundary"]["source_host"] == "127.0.0.1" and result["transferred_bytes"] > 0


def test_every_s3_request_goes_where_the_policy_was_asked(capsys, s3server, store, monkeypatch):
    """Where boto3 sends a request elsewhere than the endpoint the check placed (botocore following a
    bucket to its real region, an endpoint from a config file), that request is checked before it is sent."""
    # The check is told the source is at [::1], inside; boto3 sends to 127.0.0.1, outside.
    monkeypatch.setattr(_model_sources.S3Source, "boundary_endpoint", lambda self: ("http://[::1]:9", None))
    policy = dict(POLICY, endpoints=[{"match": "::1/128", "region": "eu-west-1"}, {"match": "127.0.0.0/8", "region": "us-east-1"}])
    result, failed = sync(capsys, **dict(s3args(s3server, "models", "m", store), boundary_policy=policy))
    assert failed
    assert "s3://models/m was sent on to http://127.0.0.1:" in result["msg"] and "'us-east-1'" in result["msg"]
    assert result["boundary"]["hop"] and not store.joinpath("m", "current").exists()
