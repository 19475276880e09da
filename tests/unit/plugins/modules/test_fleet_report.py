# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import errno
import json
import os
import re
import stat

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.horizon.ai_platform.plugins.module_utils import _fleet
from ansible_collections.horizon.ai_platform.plugins.modules import fleet_report
from ansible_collections.horizon.ai_platform.tests.unit.plugins.fleet_samples import sample_fleet, sample_hostvars


def run_module(capsys, args, check_mode=False, diff=False):
    """Run fleet_report with ``args`` through ansible-core's own module argument mechanism; return its result."""
    args = dict(args, _ansible_check_mode=check_mode, _ansible_diff=diff)
    with patch_module_args(args), pytest.raises(SystemExit) as exit_info:
        fleet_report.main()
    result = json.loads(capsys.readouterr().out)
    result["rc"] = exit_info.value.code
    return result


@pytest.fixture
def dest(tmp_path):
    return tmp_path / "reports" / "fleet"


@pytest.fixture
def args(dest):
    return {"dest": str(dest), "hosts": sample_fleet()}


def test_check_mode_writes_nothing(capsys, args, dest):
    result = run_module(capsys, args, check_mode=True, diff=True)
    assert result["rc"] == 0 and result["changed"] is True
    assert result["updated"] == ["json", "csv", "html"]
    assert not dest.exists() and not dest.parent.exists()
    assert result["paths"] == {fmt: str(dest / ("fleet-report." + fmt)) for fmt in ("json", "csv", "html")}
    assert result["summary"]["hosts"] == 6
    diff_json = next(d for d in result["diff"] if d.get("after_header", "").endswith(".json"))
    assert diff_json["before"] == "" and json.loads(diff_json["after"])["schema"] == _fleet.SCHEMA
    assert result["diff"][0]["after"] == {"path": str(dest), "state": "directory"}


def test_writes_then_is_idempotent(capsys, args, dest):
    first = run_module(capsys, args)
    assert first["changed"] is True and first["updated"] == ["json", "csv", "html"]
    assert stat.S_IMODE(dest.stat().st_mode) == 0o755
    umask = os.umask(0)
    os.umask(umask)
    assert {stat.S_IMODE(p.stat().st_mode) for p in dest.iterdir()} == {0o666 & ~umask}
    doc = json.loads((dest / "fleet-report.json").read_text())
    assert doc["schema"] == _fleet.SCHEMA and doc["summary"] == first["summary"]
    assert (dest / "fleet-report.html").read_text().startswith("<!DOCTYPE html>")
    assert (dest / "fleet-report.csv").read_text().startswith("host,region,")
    assert sorted(os.listdir(dest)) == ["fleet-report.csv", "fleet-report.html", "fleet-report.json"]  # no staging leftovers

    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in dest.iterdir()}
    second = run_module(capsys, args, diff=True)
    assert second["changed"] is False and second["updated"] == []
    assert {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in dest.iterdir()} == before
    assert all(d["before"] == d["after"] for d in second["diff"])

    check = run_module(capsys, args, check_mode=True)
    assert check["changed"] is False


def test_same_content_with_other_timestamp_is_not_rewritten(capsys, args, dest):
    run_module(capsys, args)
    path = dest / "fleet-report.json"
    path.write_text(path.read_text().replace(json.loads(path.read_text())["generated_at"], "2020-01-01T00:00:00Z"))
    html = dest / "fleet-report.html"
    html.write_text(html.read_text().replace(json.loads(path.read_text())["generated_at"], "2020-01-01T00:00:00Z"))
    result = run_module(capsys, args)
    assert result["changed"] is False
    assert json.loads(path.read_text())["generated_at"] == "2020-01-01T00:00:00Z"


def test_changed_fleet_updates_files_and_diff_shows_it(capsys, args, dest):
    run_module(capsys, args)
    args["hosts"]["gpu-h100-01"]["region"] = "eu-west-1"
    check = run_module(capsys, args, check_mode=True, diff=True)
    assert check["changed"] is True and check["updated"] == ["json", "csv", "html"]
    assert json.loads((dest / "fleet-report.json").read_text())["hosts"][3]["region"] == "eu-central-1"  # untouched in check mode
    diff_json = next(d for d in check["diff"] if d["before_header"].endswith(".json"))
    assert '"eu-central-1"' in diff_json["before"] and '"eu-west-1"' in diff_json["after"]
    diff_html = next(d for d in check["diff"] if d["before_header"].endswith(".html"))
    assert diff_html["before"] != diff_html["after"] and "sha256" in diff_html["after"]

    result = run_module(capsys, args)
    assert result["changed"] is True
    assert json.loads((dest / "fleet-report.json").read_text())["summary"]["devices_by_region"]["eu-west-1"] == 8


def test_title_change_only_rewrites_html(capsys, args, dest):
    run_module(capsys, args)
    result = run_module(capsys, dict(args, title="GPU fleet"))
    assert result["changed"] is True and result["updated"] == ["html"]
    assert "<title>GPU fleet</title>" in (dest / "fleet-report.html").read_text()


def test_formats_basename_and_hostvars_input(capsys, dest):
    result = run_module(capsys, {"dest": str(dest), "hosts": sample_hostvars(), "formats": ["csv", "csv"], "basename": "gpus"})
    assert result["changed"] is True and result["paths"] == {"csv": str(dest / "gpus.csv")}
    assert os.listdir(dest) == ["gpus.csv"]


def test_existing_file_mode_is_kept(capsys, args, dest):
    run_module(capsys, args)
    path = dest / "fleet-report.csv"
    path.chmod(0o600)
    args["hosts"]["cpu-01"]["region"] = "eu-west-1"
    run_module(capsys, args)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and "eu-west-1" in path.read_text()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"hosts": {"gpu-01": {"accelerators": {"count": 1, "devices": []}}}},
            "invalid hosts: host 'gpu-01': accelerators.count is 1 but accelerators.devices lists 0 devices",
        ),
        ({"hosts": {"gpu-01": {"inventory_hostname": "gpu-01"}}}, "invalid hosts: host 'gpu-01' has no accelerator facts"),
        ({"formats": ["pdf"]}, "value of formats must be one or more of: json, csv, html"),
        ({"formats": []}, "formats must name at least one of: json, csv, html"),
        ({"basename": "../escape"}, "basename must be a plain file name without '/'"),
    ],
)
def test_bad_arguments_fail_cleanly(capsys, args, change, message):
    result = run_module(capsys, dict(args, **change))
    assert result["rc"] == 1 and result["failed"] is True
    assert message in result["msg"]
    assert "Traceback" not in result["msg"]


def test_dest_is_a_file(capsys, args, tmp_path):
    target = tmp_path / "file"
    target.write_text("x")
    result = run_module(capsys, dict(args, dest=str(target)))
    assert result["failed"] is True and "exists and is not a directory" in result["msg"]


def test_report_path_is_a_directory(capsys, args, dest):
    (dest / "fleet-report.json").mkdir(parents=True)
    result = run_module(capsys, args)
    assert result["failed"] is True and "fleet-report.json exists and is not a regular file" in result["msg"]


def _snapshot(directory):
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns, stat.S_IMODE(p.stat().st_mode)) for p in directory.iterdir()}


def _fail_on_call(monkeypatch, name, number, action):
    """Make the ``number``-th call of ``os.<name>`` run ``action(*args)`` instead of (or before) the real one."""
    real, calls = getattr(os, name), []

    def wrapper(*args, **kwargs):
        calls.append(args)
        if len(calls) == number:
            return action(real, *args, **kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(os, name, wrapper)
    return calls


def _no_space(real, *args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_failed_staged_write_changes_no_file(capsys, monkeypatch, args, dest):
    run_module(capsys, args)
    dest.joinpath("fleet-report.csv").chmod(0o640)
    before = _snapshot(dest)
    args["hosts"]["gpu-h100-01"]["region"] = "eu-west-1"  # every format changes
    _fail_on_call(monkeypatch, "fsync", 2, _no_space)  # the staged CSV file does not reach the disk
    result = run_module(capsys, args)
    assert result["failed"] is True
    assert result["msg"] == "cannot write %s: [Errno 28] No space left on device; no report file was changed" % (dest / "fleet-report.csv")
    assert _snapshot(dest) == before  # JSON staged fine but was not renamed into place; no temporary file is left


def test_staged_copy_is_read_back(capsys, monkeypatch, args, dest):
    """A staged file whose content did not land as written (here: cut short) stops the run before any rename."""
    run_module(capsys, args)
    before = _snapshot(dest)
    args["hosts"]["cpu-01"]["region"] = "eu-west-1"

    def truncate(real, fd):
        os.ftruncate(fd, 100)
        return real(fd)

    _fail_on_call(monkeypatch, "fsync", 3, truncate)  # the HTML page
    result = run_module(capsys, args)
    html = dest / "fleet-report.html"
    assert result["failed"] is True and result["msg"].startswith("cannot write %s: [Errno 5] the staged copy %s/.fleet-report.html." % (html, dest))
    assert re.search(r"reads back as 100 bytes, sha256 [0-9a-f]{64} instead of \d{5,} bytes, sha256 [0-9a-f]{64}; no report file was changed$", result["msg"])
    assert _snapshot(dest) == before


def test_failed_rename_puts_back_the_files_replaced_before(capsys, monkeypatch, args, dest):
    run_module(capsys, args)
    dest.joinpath("fleet-report.json").chmod(0o600)
    before = _snapshot(dest)
    args["hosts"]["gaudi2-01"]["region"] = "us-west-2"
    calls = _fail_on_call(monkeypatch, "rename", 3, _no_space)  # json and csv are in place when the HTML page's rename fails
    result = run_module(capsys, args)
    assert result["failed"] is True
    assert result["msg"] == (
        "cannot move the new %s into place: [Errno 28] No space left on device; the report files replaced before it got their previous content back: %s, %s"
        % (dest / "fleet-report.html", dest / "fleet-report.json", dest / "fleet-report.csv")
    )
    assert [os.path.basename(str(dst)) for _src, dst in calls[:3]] == ["fleet-report.json", "fleet-report.csv", "fleet-report.html"]
    after = _snapshot(dest)
    assert sorted(after) == sorted(before)  # no temporary file left
    assert {name: (data, mode) for name, (data, _mtime, mode) in after.items()} == {name: (data, mode) for name, (data, _mtime, mode) in before.items()}


def test_failed_first_write_removes_the_directory_it_created(capsys, monkeypatch, args, dest):
    _fail_on_call(monkeypatch, "fsync", 1, _no_space)
    result = run_module(capsys, args)
    assert result["failed"] is True and result["msg"].startswith("cannot write %s: " % (dest / "fleet-report.json"))
    assert not dest.parent.exists()
