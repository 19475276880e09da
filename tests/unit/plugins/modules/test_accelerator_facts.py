# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""accelerator_facts end to end in-process: options, check mode, bad input."""

from __future__ import annotations

import os

import pytest

from ansible_collections.horizon.ai_platform.plugins.modules import accelerator_facts
from ansible_collections.horizon.ai_platform.tests.unit.plugins.sysfs_tree import add_pci

from .module_runner import run_module


@pytest.fixture
def h100_node(tmp_path):
    add_pci(tmp_path, "0000:18:00.0", "10de", "2330", "030200", numa="0")
    (tmp_path / "proc").mkdir()
    (tmp_path / "proc" / "cpuinfo").write_text("processor\t: 0\nmodel name\t: Test CPU\nflags\t\t: avx2\n")
    return tmp_path


@pytest.mark.parametrize("check_mode", [False, True])
def test_reports_facts_and_never_changes(h100_node, capsys, check_mode):
    result, failed = run_module(
        accelerator_facts.main,
        {"sysfs_root": str(h100_node / "sys"), "procfs_root": str(h100_node / "proc"), "vendor_tools": False},
        capsys,
        check_mode=check_mode,
    )
    assert not failed, result
    assert result["changed"] is False
    facts = result["ansible_facts"]["accelerators"]
    assert facts["count"] == 1
    assert facts["silicon_class"] == "nvidia-hopper"
    assert facts["devices"][0]["model"] == "H100 SXM5 80GB"
    assert facts["cpu"]["model"] == "Test CPU"
    assert facts["tools"] == {}


def test_vendor_tools_enabled_with_none_installed(h100_node, capsys, monkeypatch):
    monkeypatch.setenv("PATH", str(h100_node))
    result, failed = run_module(
        accelerator_facts.main,
        {"sysfs_root": str(h100_node / "sys"), "procfs_root": str(h100_node / "proc"), "vendor_tools": True},
        capsys,
    )
    assert not failed, result
    assert result["ansible_facts"]["accelerators"]["tools"] == {}


def test_broken_vendor_tool_is_a_warning(h100_node, capsys, monkeypatch, recorded):
    """A real executable that behaves as nvidia-smi does without a driver: exit 9."""
    bindir = h100_node / "bin"
    bindir.mkdir()
    message = recorded("nvidia/nvidia-smi_error_driver-not-loaded.txt")
    tool = bindir / "nvidia-smi"
    tool.write_text("#!/bin/sh\nprintf '%s'\nexit 9\n" % message.replace("'", "'\\''"))
    tool.chmod(0o755)
    monkeypatch.setenv("PATH", "%s:%s" % (bindir, os.environ["PATH"]))
    args = {"sysfs_root": str(h100_node / "sys"), "procfs_root": str(h100_node / "proc")}

    # Not the live /sys: by default the live node's tools are not mixed with a recording.
    result, failed = run_module(accelerator_facts.main, args, capsys)
    assert not failed, result
    assert result["ansible_facts"]["accelerators"]["tools"] == {}

    result, failed = run_module(accelerator_facts.main, dict(args, vendor_tools=True), capsys)
    assert not failed, result
    facts = result["ansible_facts"]["accelerators"]
    assert facts["count"] == 1
    assert facts["tools"]["nvidia-smi"]["status"] == "failed"
    assert any("exited 9" in warning for warning in facts["warnings"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"sysfs_root": "/nonexistent/sys"}, "sysfs_root /nonexistent/sys is not a directory"),
        ({"procfs_root": "/nonexistent/proc"}, "procfs_root /nonexistent/proc is not a directory"),
        ({"tool_timeout": 0}, "tool_timeout must be at least 1 second, got 0"),
        ({"vendor_tools": "perhaps"}, "vendor_tools"),
        ({"unknown_option": 1}, "Unsupported parameters"),
    ],
)
def test_bad_input_fails_with_a_clear_message(capsys, args, message):
    result, failed = run_module(accelerator_facts.main, args, capsys)
    assert failed
    assert message in result["msg"]
    assert "Traceback" not in result["msg"]
