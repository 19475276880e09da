# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.horizon.ai_platform.plugins.filter import model_cache as model_cache_filter
from ansible_collections.horizon.ai_platform.plugins.module_utils import _model_cache

MIRRORS = {
    "eu-central-1": {"url": "https://models.eu-central-1.example.com/", "ca_path": "/etc/pki/corp-ca.pem"},
    "us-east-1": {"url": "s3://models-us/mirror/", "endpoint_url": "https://rgw.us.example.com", "access_key": "AK", "secret_key": "SK"},
    "ap-south-1": "file:///mnt/models",
}
LLAMA = {
    "name": "llama-3.1-8b",
    "upstream": "hf://meta-llama/Llama-3.1-8B-Instruct",
    "upstream_options": {"token": "hf_secret", "endpoint_url": "https://hub.example.com"},
    "revision": "main",
    "ignore_patterns": ["*.bin", "*.pth"],
    "keep_revisions": 3,
}
GRANITE = {"name": "granite-3.1-8b", "src": "oci://registry.example.com/models/granite:1", "src_options": {"username": "u", "password": "p"}}


def one(entries, name):
    (entry,) = [e for e in entries if e["name"] == name]
    return entry


@pytest.mark.parametrize(
    ("region", "src", "options"),
    [
        ("eu-central-1", "https://models.eu-central-1.example.com/llama-3.1-8b/", {"ca_path": "/etc/pki/corp-ca.pem"}),
        ("us-east-1", "s3://models-us/mirror/llama-3.1-8b", {"endpoint_url": "https://rgw.us.example.com", "access_key": "AK", "secret_key": "SK"}),
        ("ap-south-1", "file:///mnt/models/llama-3.1-8b/", {}),
    ],
)
def test_node_pulls_from_its_regions_mirror(region, src, options):
    (entry,) = _model_cache.plan([LLAMA], mode="node", region=region, mirrors=MIRRORS)
    assert entry["src"] == src
    assert entry["via"] == "mirror"
    assert entry["region"] == region
    assert entry["options"] == options
    # The upstream's branch is not a revision of the mirror; patterns and retention still apply.
    assert entry["revision"] is None
    assert entry["ignore_patterns"] == ["*.bin", "*.pth"]
    assert entry["keep_revisions"] == 3
    assert entry["write_checksums"] is False


def test_mirror_seeds_from_the_upstream_and_publishes_checksums():
    entries = _model_cache.plan([LLAMA], mode="mirror", region="eu-central-1", mirrors=MIRRORS)
    assert entries == [
        {
            "name": "llama-3.1-8b",
            "src": "hf://meta-llama/Llama-3.1-8B-Instruct",
            "source": "hf://meta-llama/Llama-3.1-8B-Instruct",
            "via": "upstream",
            "region": None,
            "options": {"token": "hf_secret", "endpoint_url": "https://hub.example.com"},
            "revision": "main",
            "allow_patterns": None,
            "ignore_patterns": ["*.bin", "*.pth"],
            "keep_revisions": 3,
            "write_checksums": True,
            "scheme": "hf",
        }
    ]


def test_a_models_own_src_bypasses_the_mirror():
    entries = _model_cache.plan([LLAMA, GRANITE], mode="node", region="eu-central-1", mirrors=MIRRORS)
    granite = one(entries, "granite-3.1-8b")
    assert (granite["src"], granite["via"], granite["options"]) == ("oci://registry.example.com/models/granite:1", "src", {"username": "u", "password": "p"})
    assert one(entries, "llama-3.1-8b")["via"] == "mirror"


def test_source_is_shown_without_credentials():
    model = {"name": "m", "src": "https://user:hunter2@mirror.example.com:8443/m/?sig=abc"}
    (entry,) = _model_cache.plan([model], region="eu-central-1")
    assert entry["source"] == "https://mirror.example.com:8443/m/"
    assert "hunter2" not in entry["source"]
    assert "sig=abc" not in entry["source"]


def test_upstream_fallback_only_when_allowed():
    (entry,) = _model_cache.plan([LLAMA], mode="node", region="sa-east-1", mirrors=MIRRORS, upstream_fallback=True)
    assert (entry["via"], entry["src"], entry["revision"]) == ("upstream", LLAMA["upstream"], "main")
    with pytest.raises(ValueError, match=r"no mirror for region 'sa-east-1' \(mirrors exist for: ap-south-1, eu-central-1, us-east-1\)"):
        _model_cache.plan([LLAMA], mode="node", region="sa-east-1", mirrors=MIRRORS)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"models": [LLAMA], "region": None, "mirrors": MIRRORS}, r"this host has no region \(set horizon_region"),
        ({"models": [{"name": "x"}], "region": "eu-west-1", "mirrors": {}}, r"mirrors exist for: none.*give it an upstream or an src"),
        ({"models": [LLAMA], "region": "eu-west-1", "mirrors": {}}, r"set model_cache_upstream_fallback"),
        ({"models": [{"name": "x"}], "mode": "mirror"}, r"model 'x' has no upstream"),
        ({"models": [LLAMA], "mode": "edge"}, r"model_cache_mode must be one of node, mirror, got 'edge'"),
        ({"models": {"name": "x"}}, r"model_cache_models must be a list of models, got dict"),
        ({"models": ["x"]}, r"model_cache_models\[0\] must be a dictionary"),
        ({"models": [{"name": "../etc"}]}, r"model_cache_models\[0\].name '../etc' is not a model name"),
        ({"models": [{"name": "current"}]}, r"'current' is not a model name"),
        ({"models": [{"name": "a", "src": "file:///a"}, {"name": "a", "src": "file:///b"}]}, r"lists the model 'a' twice"),
        ({"models": [{"name": "a", "upstream": "s3://b/p", "ignore_pattern": ["*.bin"]}], "mode": "mirror"}, r"unknown key\(s\) ignore_pattern"),
        ({"models": [{"name": "a", "upstream": "ftp://host/a"}], "mode": "mirror"}, r"model 'a': upstream 'ftp://host/a' has no supported scheme"),
        ({"models": [{"name": "a", "upstream": "s3://b/p", "upstream_options": {"pasword": "x"}}], "mode": "mirror"}, r"unknown option\(s\) pasword"),
        ({"models": [{"name": "a", "upstream": "s3://b/p", "upstream_options": "token"}], "mode": "mirror"}, r"must be a dictionary of model_sync options"),
        ({"models": [LLAMA], "region": "r", "mirrors": {"r": {"ca_path": "/x"}}}, r"model_cache_mirrors\['r'\] must be a dictionary with a url"),
        ({"models": [LLAMA], "region": "r", "mirrors": {"r": {"url": "oci://reg/models"}}}, r"a mirror must be a tree of one directory per model"),
        ({"models": [LLAMA], "region": "r", "mirrors": {"r": {"url": "https://m/", "tokn": "x"}}}, r"model_cache_mirrors\['r'\] has unknown option\(s\) tokn"),
        ({"models": [LLAMA], "region": "r", "mirrors": ["https://m/"]}, r"model_cache_mirrors must be a dictionary of regions to mirrors, got list"),
    ],
)
def test_bad_input_names_what_is_wrong(kwargs, message):
    with pytest.raises(ValueError, match=message):
        _model_cache.plan(**kwargs)


def test_secrets_never_reach_an_error_message():
    model = {"name": "a", "upstream": "https://user:hunter2@mirror.example.com/a/?X-Amz-Signature=s3cr3t", "upstream_options": {"bad": 1}}
    with pytest.raises(ValueError) as info:
        _model_cache.plan([model], mode="mirror")
    assert "hunter2" not in str(info.value)
    bad_scheme = {"name": "a", "upstream": "ftp://user:hunter2@host/a?sig=s3cr3t"}
    with pytest.raises(ValueError) as info:
        _model_cache.plan([bad_scheme], mode="mirror")
    assert "hunter2" not in str(info.value)
    assert "s3cr3t" not in str(info.value)


def test_none_options_are_left_to_model_sync_defaults():
    model = {"name": "a", "upstream": "s3://b/p", "upstream_options": {"region": None, "endpoint_url": "http://127.0.0.1:9000"}}
    (entry,) = _model_cache.plan([model], mode="mirror")
    assert entry["options"] == {"endpoint_url": "http://127.0.0.1:9000"}


def test_each_entry_names_its_scheme():
    entries = _model_cache.plan([LLAMA, GRANITE], mode="node", region="us-east-1", mirrors=MIRRORS)
    assert [e["scheme"] for e in entries] == ["s3", "oci"]


def test_filter_wraps_errors():
    assert set(model_cache_filter.FilterModule().filters()) == {"model_cache_plan"}
    with pytest.raises(AnsibleFilterError, match=r"^model_cache_plan: no source for model 'llama-3.1-8b'"):
        model_cache_filter.model_cache_plan([LLAMA], "node", "eu-west-1", {})
    with pytest.raises(AnsibleFilterError, match=r"upstream_fallback must be a boolean, got str"):
        model_cache_filter.model_cache_plan([LLAMA], "node", "eu-west-1", {}, "yes")
    (entry,) = model_cache_filter.model_cache_plan([LLAMA], "node", "eu-central-1", MIRRORS)
    assert entry["via"] == "mirror"
