# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""boundary_report: the audit report files, check mode, idempotence, bad input."""

from __future__ import annotations

import json

from ansible_collections.horizon.ai_platform.plugins.module_utils._boundary import Policy
from ansible_collections.horizon.ai_platform.plugins.modules import boundary_report
from ansible_collections.horizon.ai_platform.tests.unit.plugins.boundary_samples import policy_data, resolver
from ansible_collections.horizon.ai_platform.tests.unit.plugins.modules.module_runner import run_module


def decisions():
    policy = Policy.from_data(policy_data())
    flows = [
        ("gpu-1", "https://models.eu.example.com/m/", "eu-west-1"),
        ("gpu-1", "hf://meta-llama/Llama-3-8B", "eu-west-1"),
        ("edge-<b>", "https://evil.example.com/m/", "eu-west-1"),
    ]
    return [dict(policy.decide(src, host_region=region, resolve=resolver), host=host) for host, src, region in flows]


def report(capsys, tmp_path, check_mode=False, diff=False, **args):
    args = dict({"dest": str(tmp_path / "report"), "decisions": decisions()}, **args)
    return run_module(boundary_report.main, args, capsys, check_mode=check_mode, diff=diff)


def test_check_mode_writes_nothing(capsys, tmp_path):
    result, failed = report(capsys, tmp_path, check_mode=True, diff=True)
    assert not failed and result["changed"] and result["updated"] == ["json", "html"]
    assert not (tmp_path / "report").exists()
    assert result["diff"][0]["after"] == {"path": str(tmp_path / "report"), "state": "directory"}


def test_writes_then_leaves_an_unchanged_report_alone(capsys, tmp_path):
    result, failed = report(capsys, tmp_path)
    assert not failed and result["changed"]
    doc = json.loads((tmp_path / "report" / "boundary-audit.json").read_text())
    assert doc["summary"]["flows"] == 3 and doc["summary"]["denied"] == 2
    assert doc["summary"]["hosts_with_denials"] == ["edge-<b>", "gpu-1"]
    assert [f["verdict"] for f in doc["flows"]] == ["deny", "deny", "allow"]
    page = (tmp_path / "report" / "boundary-audit.html").read_text()
    assert "edge-&lt;b&gt;" in page and "edge-<b>" not in page  # every value is escaped
    assert "<script" not in page and "default-src 'none'" in page
    again, failed = report(capsys, tmp_path)
    assert not failed and not again["changed"] and again["updated"] == []


def test_bad_input_is_a_clear_error(capsys, tmp_path):
    result, failed = report(capsys, tmp_path, decisions=[{"host": "a", "reason": "x"}])
    assert failed and result["msg"] == "invalid decisions: decisions[0] (a) has no verdict; is it a data_boundary result?"
    result, failed = report(capsys, tmp_path, basename="../x")
    assert failed and "basename must be a plain file name" in result["msg"]
    assert not (tmp_path / "report").exists()


def test_formats_title_and_policy_are_as_asked(capsys, tmp_path):
    result, failed = report(capsys, tmp_path, formats=["html"], title="EU audit <Q4>", basename="q4", policy_sha256="ab" * 32, policy_file="/srv/p.yml")
    assert not failed and sorted(p.name for p in (tmp_path / "report").iterdir()) == ["q4.html"]
    page = (tmp_path / "report" / "q4.html").read_text()
    assert "<title>EU audit &lt;Q4&gt;</title>" in page and "ab" * 32 in page and "/srv/p.yml" in page
    assert result["paths"] == {"html": str(tmp_path / "report" / "q4.html")}
