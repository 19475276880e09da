# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""model_sync from hf:// against olah, a real self-hosted hub, serving local git repositories offline."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from ansible_collections.horizon.ai_platform.plugins.modules import model_sync
from ansible_collections.horizon.ai_platform.tests.servers.hub import LocalRepo, olah_hub
from ansible_collections.horizon.ai_platform.tests.servers.process import free_port
from ansible_collections.horizon.ai_platform.tests.unit.plugins.model_samples import read_tree, sample_files
from ansible_collections.horizon.ai_platform.tests.unit.plugins.modules.module_runner import run_module

BIG = "model-00001-of-00002.safetensors"


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("hub")
    with olah_hub(str(workdir), log=str(workdir / "olah.out")) as (endpoint, mirrors):
        yield endpoint, mirrors


@pytest.fixture(autouse=True)
def hf_home(tmp_path, monkeypatch):
    # huggingface_hub keeps a little state in HF_HOME; keep it out of the person's home.
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)


@pytest.fixture
def repo(hub, request):
    endpoint, mirrors = hub
    repo_id = f"acme/{request.node.name.replace('_', '-')[:60]}"
    local = LocalRepo(mirrors, repo_id)
    files = sample_files()
    first = local.commit(files, "first", tag="v1.0")
    return endpoint, repo_id, local, files, first


def sync(capsys, check_mode=False, diff=False, **args):
    return run_module(model_sync.main, args, capsys, check_mode=check_mode, diff=diff)


def test_hub_sync_publishes_the_commit_and_verifies_lfs_and_blobs(capsys, tmp_path, repo):
    endpoint, repo_id, _local, files, first = repo
    store = tmp_path / "store"
    args = dict(src=f"hf://{repo_id}", name="m", dest=str(store), endpoint_url=endpoint, ignore_patterns=["*.bin"])
    result, failed = sync(capsys, **args)
    assert not failed, result
    assert result["revision"] == first and result["changed"]
    tree = read_tree(store / "m" / "current")
    expected = {p: c for p, c in files.items() if not p.endswith(".bin")}
    assert {p: c for p, c in tree.items() if p != ".gitattributes"} == expected
    manifest = json.loads((store / "m" / f"{first}.manifest.json").read_text())
    algorithms = {e["path"]: e["algorithm"] for e in manifest["files"]}
    assert algorithms[BIG] == "sha256" and algorithms["config.json"] == "git-sha1"
    assert manifest["source_info"]["commit"] == first

    again, failed = sync(capsys, **args)
    assert not failed and not again["changed"] and again["transferred_bytes"] == 0


def test_hub_new_commit_reuses_lfs_files_and_tags_select_old_ones(capsys, tmp_path, repo):
    endpoint, repo_id, local, files, first = repo
    store = tmp_path / "store"
    second = local.commit({"config.json": b'{"hidden_size": 96}\n'}, "second")
    result, failed = sync(capsys, src=f"hf://{repo_id}", name="m", dest=str(store), endpoint_url=endpoint)
    assert not failed and result["revision"] == second
    old, failed = sync(capsys, diff=True, src=f"hf://{repo_id}", name="m", dest=str(store), endpoint_url=endpoint, revision="v1.0")
    assert not failed and old["revision"] == first and old["previous_revision"] == second
    # Everything but the changed config is hard-linked from the newer revision.
    assert old["transferred_bytes"] == len(files["config.json"])
    assert read_tree(store / "m" / "current")["config.json"] == files["config.json"]
    assert "config.json" in old["diff"]["after"]


def test_hub_corrupted_lfs_object_fails_naming_file_and_digests(capsys, tmp_path, repo):
    endpoint, repo_id, local, files, _first = repo
    oid = hashlib.sha256(files[BIG]).hexdigest()
    obj = local.lfs_object(oid)
    data = bytearray(Path(obj).read_bytes())
    data[1000] ^= 0x40
    with open(obj, "wb") as f:
        f.write(data)
    result, failed = sync(capsys, src=f"hf://{repo_id}", name="m", dest=str(tmp_path / "store"), endpoint_url=endpoint)
    assert failed and BIG in result["msg"] and oid in result["msg"] and hashlib.sha256(bytes(data)).hexdigest() in result["msg"]
    assert not (tmp_path / "store" / "m" / "current").exists()


def test_hub_resume_against_a_server_without_ranges_starts_over(capsys, tmp_path, repo):
    endpoint, repo_id, _local, files, first = repo
    store = tmp_path / "store"
    # What a killed run leaves: half of the big file in staging. olah answers the range request
    # with the whole file, so the file starts over and still verifies.
    partial = store / "m" / ".staging" / first / "partial" / BIG
    partial.parent.mkdir(parents=True)
    partial.write_bytes(files[BIG][: len(files[BIG]) // 2])
    result, failed = sync(capsys, src=f"hf://{repo_id}", name="m", dest=str(store), endpoint_url=endpoint, allow_patterns=["*.safetensors"])
    assert not failed, result
    assert read_tree(store / "m" / "current")[BIG] == files[BIG]


def test_hub_unknown_repository_and_revision(capsys, tmp_path, hub):
    endpoint, _mirrors = hub
    result, failed = sync(capsys, src="hf://acme/does-not-exist", name="m", dest=str(tmp_path / "s"), endpoint_url=endpoint)
    assert failed and "acme/does-not-exist" in result["msg"]
    assert not (tmp_path / "s").exists()


def test_hub_unreachable_endpoint(capsys, tmp_path):
    endpoint = f"http://127.0.0.1:{free_port()}"
    result, failed = sync(capsys, src="hf://acme/m", name="m", dest=str(tmp_path / "s"), endpoint_url=endpoint, token="hf_secret_token_value")
    assert failed and "cannot reach" in result["msg"] and endpoint in result["msg"]
    assert "hf_secret_token_value" not in json.dumps(result)


def test_hub_check_mode_writes_nothing(capsys, tmp_path, repo):
    endpoint, repo_id, _local, files, first = repo
    result, failed = sync(capsys, check_mode=True, src=f"hf://{repo_id}", name="m", dest=str(tmp_path / "s"), endpoint_url=endpoint)
    assert not failed and result["changed"] and result["revision"] == first
    assert result["transferred_bytes"] == sum(len(c) for c in files.values()) + len(
        b"*.safetensors filter=lfs diff=lfs merge=lfs -text\n*.bin filter=lfs diff=lfs merge=lfs -text\n"
    )
    assert not os.path.exists(tmp_path / "s")
