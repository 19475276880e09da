# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""config_merge as a module: check mode writes nothing, a second run changes nothing, a failed check keeps the file."""

from __future__ import annotations

import json
import os
import pathlib
import stat
import sys

import pytest
import tomllib

from ansible_collections.horizon.ai_platform.plugins.module_utils import _config_merge
from ansible_collections.horizon.ai_platform.plugins.modules import config_merge
from ansible_collections.horizon.ai_platform.tests.unit.plugins.modules.module_runner import run_module

RECORDED = pathlib.Path(__file__).resolve().parents[3] / "fixtures" / "recorded" / "runtimes"
CRI = "io.containerd.grpc.v1.cri"
CDI = {"features": {"cdi": True}}
# A real checker: the file must be a JSON object without the key "bogus".
REJECT_BOGUS = sys.executable + " -c \"import json,sys; sys.exit('bogus key' if 'bogus' in json.load(open(sys.argv[1])) else 0)\" %s"


@pytest.fixture(name="daemon_json")
def daemon_json_fixture(tmp_path):
    path = tmp_path / "daemon.json"
    path.write_text('{"log-driver": "json-file", "runtimes": {"nvidia": {"path": "nvidia-container-runtime", "args": []}}}\n')
    path.chmod(0o600)
    return path


def test_check_mode_reports_the_change_and_writes_nothing(daemon_json, capsys):
    before = daemon_json.read_bytes()
    mtime = daemon_json.stat().st_mtime_ns
    result, failed = run_module(config_merge.main, {"path": str(daemon_json), "settings": CDI}, capsys, check_mode=True, diff=True)
    assert not failed and result["changed"]
    assert result["changed_keys"] == ["features.cdi"]
    assert json.loads(result["diff"]["after"])["features"] == {"cdi": True}
    assert result["diff"]["before"] == before.decode()
    assert daemon_json.read_bytes() == before and daemon_json.stat().st_mtime_ns == mtime


def test_merge_then_a_second_run_changes_nothing(daemon_json, capsys):
    args = {"path": str(daemon_json), "settings": CDI, "mode": "0644"}
    result, failed = run_module(config_merge.main, args, capsys)
    assert not failed and result["changed"]
    data = json.loads(daemon_json.read_text())
    assert data == {"log-driver": "json-file", "runtimes": {"nvidia": {"path": "nvidia-container-runtime", "args": []}}, "features": {"cdi": True}}
    assert stat.S_IMODE(daemon_json.stat().st_mode) == 0o644
    written = daemon_json.read_bytes()
    result, failed = run_module(config_merge.main, args, capsys)
    assert not failed and not result["changed"] and result["changed_keys"] == []
    assert daemon_json.read_bytes() == written


def test_only_the_mode_differs_is_a_change(daemon_json, capsys):
    result, failed = run_module(config_merge.main, {"path": str(daemon_json), "mode": "0644"}, capsys)
    assert not failed and result["changed"] and result["changed_keys"] == []
    assert stat.S_IMODE(daemon_json.stat().st_mode) == 0o644


def test_a_missing_file_is_created_or_refused(tmp_path, capsys):
    path = tmp_path / "docker" / "daemon.json"
    path.parent.mkdir()
    result, failed = run_module(config_merge.main, {"path": str(path), "settings": CDI, "create": False}, capsys)
    assert failed and "no such file, and create is false" in result["msg"]
    assert not path.exists()
    result, failed = run_module(config_merge.main, {"path": str(path), "settings": CDI, "mode": "0644"}, capsys)
    assert not failed and result["changed"]
    assert json.loads(path.read_text()) == CDI


def test_a_missing_directory_is_named(tmp_path, capsys):
    path = tmp_path / "no-such-dir" / "daemon.json"
    result, failed = run_module(config_merge.main, {"path": str(path), "settings": CDI}, capsys)
    assert failed and "the directory %s does not exist" % path.parent in result["msg"]


def test_validation_runs_on_the_staged_file_and_a_failure_keeps_the_old_one(daemon_json, capsys):
    before = daemon_json.read_bytes()
    result, failed = run_module(config_merge.main, {"path": str(daemon_json), "settings": {"bogus": 1}, "validate": REJECT_BOGUS}, capsys)
    assert failed
    assert "failed validation" in result["msg"] and "bogus key" in result["msg"]
    assert daemon_json.read_bytes() == before
    assert sorted(os.listdir(daemon_json.parent)) == ["daemon.json"]
    result, failed = run_module(config_merge.main, {"path": str(daemon_json), "settings": CDI, "validate": REJECT_BOGUS}, capsys)
    assert not failed and result["changed"]


def test_validate_without_the_placeholder_is_refused(daemon_json, capsys):
    result, failed = run_module(config_merge.main, {"path": str(daemon_json), "settings": CDI, "validate": "true"}, capsys)
    assert failed and "validate must hold %s" in result["msg"]


def test_a_file_that_does_not_parse_is_left_alone_and_the_error_names_it(tmp_path, capsys):
    path = tmp_path / "daemon.json"
    path.write_text('{"log-driver": "json-file",}\n')
    result, failed = run_module(config_merge.main, {"path": str(path), "settings": CDI}, capsys)
    assert failed
    assert result["msg"].startswith("config_merge %s: not valid JSON" % path)
    assert path.read_text() == '{"log-driver": "json-file",}\n'


def test_backup_keeps_the_old_file(daemon_json, capsys):
    before = daemon_json.read_bytes()
    result, failed = run_module(config_merge.main, {"path": str(daemon_json), "settings": CDI, "backup": True}, capsys)
    assert not failed and result["changed"]
    assert pathlib.Path(result["backup_file"]).read_bytes() == before


def test_toml_with_containerd_debian_config(tmp_path, capsys):
    path = tmp_path / "config.toml"
    path.write_text((RECORDED / "containerd-config_debian13-containerd-1.7.24.toml").read_text())
    args = {"path": str(path), "settings": {"plugins": {CRI: {"enable_cdi": True}}}, "append": {"imports": ["/etc/containerd/conf.d/*.toml"]}}
    result, failed = run_module(config_merge.main, args, capsys, diff=True)
    assert not failed and result["changed"]
    data = tomllib.loads(path.read_text())
    assert data["plugins"][CRI]["enable_cdi"] is True and data["imports"] == ["/etc/containerd/conf.d/*.toml"]
    assert data["plugins"][CRI]["cni"]["bin_dir"] == "/usr/lib/cni"
    result, failed = run_module(config_merge.main, args, capsys)
    assert not failed and not result["changed"]


def test_toml_without_tomlkit_names_the_missing_library(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(_config_merge, "tomlkit", None)
    path = tmp_path / "config.toml"
    path.write_text("version = 2\n")
    result, failed = run_module(config_merge.main, {"path": str(path), "settings": {"version": 2}}, capsys)
    assert failed and "tomlkit" in result["msg"] and "to merge settings into the TOML file" in result["msg"]


def test_a_new_credentials_file_is_created_with_its_mode(tmp_path, capsys):
    path = tmp_path / "auth.json"
    args = {"path": str(path), "settings": {"auths": {"r.example.com": {"auth": "cm9ib3Q6cHc="}}}, "mode": "0600"}
    result, failed = run_module(config_merge.main, args, capsys)
    assert not failed and result["changed"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(os.listdir(tmp_path)) == ["auth.json"]


def test_a_new_file_without_a_mode_gets_the_umasks(tmp_path, capsys):
    path = tmp_path / "policy.json"
    umask = os.umask(0o022)
    try:
        result, failed = run_module(config_merge.main, {"path": str(path), "settings": {"default": [{"type": "reject"}]}}, capsys)
    finally:
        os.umask(umask)
    assert not failed and result["changed"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_a_file_that_cannot_be_read_is_an_error_not_a_traceback(tmp_path, capsys):
    path = tmp_path / "daemon.json"
    path.mkdir()
    result, failed = run_module(config_merge.main, {"path": str(path), "settings": {"debug": True}}, capsys)
    assert failed and "not a regular file" in result["msg"]
