# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""cdi_spec as a module: check mode, a second run, removal, conflicts; on real device nodes made with mknod."""

from __future__ import annotations

import json
import os
import pathlib
import stat

import pytest

from ansible_collections.horizon.ai_platform.plugins.modules import cdi_spec
from ansible_collections.horizon.ai_platform.tests.unit.plugins.device_nodes import AMD, GPUS, Machine
from ansible_collections.horizon.ai_platform.tests.unit.plugins.modules.module_runner import run_module

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="mknod of character devices needs root (CI runs as root)")


@pytest.fixture(name="args")
def args_fixture(tmp_path):
    machine = Machine(tmp_path / "machine")
    machine.kfd(AMD["kfd"])
    for address, card, render in zip(GPUS, ["card1", "card2"], ["renderD128", "renderD129"]):
        machine.pci_node(address, "drm", card, AMD[card])
        machine.pci_node(address, "drm", render, AMD[render])
    etc = tmp_path / "etc-cdi"
    return {
        "stack": "amd",
        "devices": GPUS,
        "path": str(etc / "amd.com-gpu.json"),
        "sysfs_root": str(machine.sys),
        "dev_root": str(machine.dev),
        "spec_dirs": [str(etc), str(tmp_path / "run-cdi")],
    }


def test_check_mode_writes_nothing_then_the_spec_is_written_once(args, capsys):
    result, failed = run_module(cdi_spec.main, args, capsys, check_mode=True, diff=True)
    assert not failed and result["changed"]
    assert json.loads(result["diff"]["after"])["kind"] == "amd.com/gpu"
    assert not os.path.exists(args["path"])
    result, failed = run_module(cdi_spec.main, args, capsys)
    assert not failed and result["changed"]
    assert result["names"][-1] == "amd.com/gpu=all" and result["cdi_version"] == "0.5.0"
    assert result["shared"] == [{"path": "/dev/kfd", "dev": [509, 0]}]
    assert stat.S_IMODE(os.stat(args["path"]).st_mode) == 0o644
    written = pathlib.Path(args["path"]).read_text()
    result, failed = run_module(cdi_spec.main, args, capsys)
    assert not failed and not result["changed"]
    assert pathlib.Path(args["path"]).read_text() == written


def test_absent_removes_the_spec(args, capsys):
    run_module(cdi_spec.main, args, capsys)
    absent = dict(args, state="absent")
    result, failed = run_module(cdi_spec.main, absent, capsys, check_mode=True)
    assert not failed and result["changed"] and os.path.exists(args["path"])
    result, failed = run_module(cdi_spec.main, absent, capsys)
    assert not failed and result["changed"] and not os.path.exists(args["path"])
    result, failed = run_module(cdi_spec.main, absent, capsys)
    assert not failed and not result["changed"]


def test_another_spec_of_the_same_devices_fails_the_task(args, capsys):
    other = os.path.join(args["spec_dirs"][1], "amd.json")
    os.makedirs(args["spec_dirs"][1])
    with open(other, "w") as handle:
        json.dump({"cdiVersion": "0.6.0", "kind": "amd.com/gpu", "devices": [{"name": "all"}]}, handle)
    result, failed = run_module(cdi_spec.main, args, capsys)
    assert failed
    assert "%s (amd.com/gpu=all)" % other in result["msg"]
    assert not os.path.exists(args["path"])


def test_devices_without_nodes_fail_or_are_omitted(args, capsys):
    args["devices"] = GPUS + ["0000:c9:00.0"]
    result, failed = run_module(cdi_spec.main, args, capsys)
    assert failed and "0000:c9:00.0 has no device nodes in sysfs" in result["msg"]
    result, failed = run_module(cdi_spec.main, dict(args, missing="omit"), capsys)
    assert not failed and len(result["problems"]) == 1
    assert [device["pci_address"] for device in result["devices"]] == GPUS


def test_empty_devices_and_a_bad_path_are_refused(args, capsys):
    result, failed = run_module(cdi_spec.main, dict(args, devices=[]), capsys)
    assert failed and "devices is empty" in result["msg"]
    result, failed = run_module(cdi_spec.main, dict(args, path="/etc/cdi/amd.yml"), capsys)
    assert failed and "must end in .json or .yaml" in result["msg"]
