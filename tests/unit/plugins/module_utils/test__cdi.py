# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""CDI specs from sysfs and real device nodes, and the reading of NVIDIA's recorded specs.

The device nodes are real character devices made with mknod in a directory of the test's own
(tests/unit/plugins/device_nodes.py, numbers from a recorded listing), so the module's check of each node against
sysfs runs on what the kernel would have made.
"""

from __future__ import annotations

import os
import pathlib

import pytest

from ansible_collections.horizon.ai_platform.plugins.module_utils._cdi import (
    CdiError,
    build,
    conflicts,
    device_paths,
    dumps,
    read_spec,
    required_version,
    spec_devices,
    spec_file_name,
    validate,
)
from ansible_collections.horizon.ai_platform.tests.unit.plugins.device_nodes import AMD, GPUS, Machine

RECORDED = pathlib.Path(__file__).resolve().parents[3] / "fixtures" / "recorded"
NVIDIA_SPEC = RECORDED / "nvidia" / "nvidia-ctk-cdi-generate_1x-gpu_drv575_ctk1.17.8.yaml"
WSL_SPEC = RECORDED / "nvidia" / "nvidia-ctk-cdi-generate_wsl2.yaml"

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="mknod of character devices needs root (CI runs as root)")


@pytest.fixture(name="amd")
def amd_fixture(tmp_path):
    machine = Machine(tmp_path)
    machine.kfd(AMD["kfd"])
    for address, card, render in zip(GPUS, ["card1", "card2"], ["renderD128", "renderD129"]):
        machine.pci_node(address, "drm", card, AMD[card])
        machine.pci_node(address, "drm", render, AMD[render])
    return machine


def test_the_recording_holds_what_the_tests_use():
    assert AMD == {"renderD129": (226, 129), "renderD128": (226, 128), "card2": (226, 2), "card1": (226, 1), "card0": (226, 0), "kfd": (509, 0)}


def test_amd_spec_names_each_gpu_by_index_and_address_and_shares_kfd(amd):
    spec, report = build("amd", GPUS, str(amd.sys), str(amd.dev))
    assert spec["kind"] == "amd.com/gpu"
    assert spec["cdiVersion"] == "0.5.0"
    assert spec_devices(spec) == [
        "amd.com/gpu=0",
        "amd.com/gpu=0000:c1:00.0",
        "amd.com/gpu=1",
        "amd.com/gpu=0000:c5:00.0",
        "amd.com/gpu=all",
    ]
    assert spec["containerEdits"] == {"deviceNodes": [{"path": "/dev/kfd"}]}
    assert device_paths(spec, "1") == ["/dev/dri/card2", "/dev/dri/renderD129", "/dev/kfd"]
    assert device_paths(spec, "all") == ["/dev/dri/card1", "/dev/dri/card2", "/dev/dri/renderD128", "/dev/dri/renderD129", "/dev/kfd"]
    assert report["devices"][0]["nodes"] == [{"path": "/dev/dri/card1", "dev": (226, 1)}, {"path": "/dev/dri/renderD128", "dev": (226, 128)}]
    assert report["shared"] == [{"path": "/dev/kfd", "dev": (509, 0)}]
    assert report["problems"] == []
    assert validate(spec) == []


def test_a_gpu_whose_driver_is_not_bound_is_named_or_left_out(amd):
    absent = "0000:c9:00.0"
    with pytest.raises(CdiError, match=r"0000:c9:00.0 has no device nodes in sysfs \(.*/bus/pci/devices/0000:c9:00.0/drm\): its driver is not bound"):
        build("amd", GPUS + [absent], str(amd.sys), str(amd.dev))
    spec, report = build("amd", [absent] + GPUS, str(amd.sys), str(amd.dev), missing="omit")
    assert [device["name"] for device in spec["devices"]] == ["0", "0000:c1:00.0", "1", "0000:c5:00.0", "all"]
    assert len(report["problems"]) == 1 and absent in report["problems"][0]


def test_without_kfd_no_amd_gpu_can_compute(tmp_path):
    machine = Machine(tmp_path)
    machine.pci_node(GPUS[0], "drm", "renderD128", AMD["renderD128"])
    with pytest.raises(CdiError, match=r"/dev/kfd is not in sysfs .*KFD\) is not loaded"):
        build("amd", GPUS[:1], str(machine.sys), str(machine.dev))
    spec, report = build("amd", GPUS[:1], str(machine.sys), str(machine.dev), missing="omit")
    assert spec is None and "KFD" in report["problems"][0]


def test_a_node_missing_from_dev_or_of_other_numbers_is_named(tmp_path):
    machine = Machine(tmp_path)
    machine.kfd(AMD["kfd"])
    machine.pci_node(GPUS[0], "drm", "renderD128", AMD["renderD128"], make=False)
    machine.pci_node(GPUS[1], "drm", "renderD129", AMD["renderD129"], make=False)
    machine.mknod("dri", "renderD129", (226, 130))
    with pytest.raises(CdiError) as info:
        build("amd", GPUS, str(machine.sys), str(machine.dev))
    assert "0000:c1:00.0: /dev/dri/renderD128 does not exist (sysfs lists it as 226:128)" in str(info.value)
    assert "0000:c5:00.0: /dev/dri/renderD129 is 226:130, but sysfs says 226:129: a stale node" in str(info.value)


def test_a_regular_file_where_a_node_belongs_is_refused(tmp_path):
    machine = Machine(tmp_path)
    machine.pci_node(GPUS[0], "drm", "renderD128", AMD["renderD128"], make=False)
    (machine.dev / "dri").mkdir()
    (machine.dev / "dri" / "renderD128").write_text("")
    with pytest.raises(CdiError, match="renderD128 is not a character device"):
        build("intel_gpu", GPUS[:1], str(machine.sys), str(machine.dev))


def test_gaudi_gets_its_accel_node_and_the_control_node_beside_it(tmp_path):
    machine = Machine(tmp_path)
    # hl-smi -L of the recorded Gaudi2 host: "[0] AIP (accel0) 0000:43:00.0"; accel's major is the kernel's 261.
    machine.pci_node("0000:43:00.0", "accel", "accel0", (261, 0), dev_dir="accel")
    machine.mknod("accel", "accel_controlD0", (510, 0))
    spec, _report = build("intel_gaudi", ["0000:43:00.0"], str(machine.sys), str(machine.dev))
    assert spec["kind"] == "intel.com/gaudi"
    assert device_paths(spec, "0") == ["/dev/accel/accel0", "/dev/accel/accel_controlD0"]
    assert "containerEdits" not in spec


def test_the_index_is_the_drivers_numbering_not_the_pci_order(tmp_path):
    # The recorded Gaudi2 host: hl-smi numbers AIP 2 at 0000:1a:00.0 and AIP 3 at 0000:19:00.0.
    machine = Machine(tmp_path)
    machine.pci_node("0000:1a:00.0", "accel", "accel2", (261, 2), dev_dir="accel")
    machine.pci_node("0000:19:00.0", "accel", "accel3", (261, 3), dev_dir="accel")
    spec, report = build("intel_gaudi", ["0000:19:00.0", "0000:1a:00.0"], str(machine.sys), str(machine.dev))
    assert [(device["name"], device["pci_address"]) for device in report["devices"]] == [("0", "0000:1a:00.0"), ("1", "0000:19:00.0")]
    assert device_paths(spec, "0") == ["/dev/accel/accel2"]


def test_intel_gpu_spec_and_its_file_name(tmp_path):
    machine = Machine(tmp_path)
    machine.pci_node("0000:29:00.0", "drm", "card1", (226, 1))
    machine.pci_node("0000:29:00.0", "drm", "renderD128", (226, 128))
    spec, _report = build("intel_gpu", ["0000:29:00.0"], str(machine.sys), str(machine.dev))
    assert spec["kind"] == "intel.com/gpu" and spec_file_name(spec["kind"]) == "intel.com-gpu.json"
    assert device_paths(spec, "0000:29:00.0") == ["/dev/dri/card1", "/dev/dri/renderD128"]


def test_an_unknown_stack_has_no_device_node_spec(tmp_path):
    with pytest.raises(CdiError, match="no device-node CDI spec for stack 'nvidia'"):
        build("nvidia", GPUS, str(tmp_path), str(tmp_path))


@pytest.mark.parametrize(
    ("spec", "version"),
    [
        ({"kind": "a.com/b", "devices": [{"name": "gpu0", "containerEdits": {"deviceNodes": [{"path": "/dev/x"}]}}]}, "0.3.0"),
        (
            {"kind": "a.com/b", "devices": [{"name": "gpu0", "containerEdits": {"mounts": [{"hostPath": "/a", "containerPath": "/a", "type": "bind"}]}}]},
            "0.4.0",
        ),
        ({"kind": "a.com/b", "devices": [{"name": "0", "containerEdits": {}}]}, "0.5.0"),
        ({"kind": "a.com/b", "devices": [{"name": "gpu0", "containerEdits": {"deviceNodes": [{"path": "/dev/x", "hostPath": "/dev/y"}]}}]}, "0.5.0"),
        ({"kind": "a.com/b.c", "devices": [{"name": "gpu0"}]}, "0.6.0"),
        ({"kind": "a.com/b", "annotations": {"k": "v"}, "devices": [{"name": "gpu0"}]}, "0.6.0"),
        ({"kind": "a.com/b", "devices": [{"name": "gpu0", "containerEdits": {"additionalGids": [44]}}]}, "0.7.0"),
    ],
)
def test_the_oldest_version_that_holds_a_spec(spec, version):
    assert required_version(spec) == version


def test_nvidias_recorded_spec_reads_and_lists_its_devices():
    data = read_spec(str(NVIDIA_SPEC))
    assert spec_devices(data) == ["nvidia.com/gpu=0", "nvidia.com/gpu=GPU-520e01f2-cf30-6396-abef-e8e9a5233b0e", "nvidia.com/gpu=all"]
    assert "/dev/nvidia0" in device_paths(data, "0") and "/dev/nvidiactl" in device_paths(data, "0")
    # The recorded spec's version is the oldest that holds it: the generator and these rules agree.
    assert required_version(data) == data["cdiVersion"] == "0.5.0"


def test_the_wsl_spec_has_only_all():
    data = read_spec(str(WSL_SPEC))
    assert spec_devices(data) == ["nvidia.com/gpu=all"]
    assert required_version(data) == data["cdiVersion"] == "0.3.0"


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ([], "a spec is a mapping"),
        ({"kind": "nvidia.com/gpu", "devices": [{"name": "0"}]}, "cdiVersion is missing"),
        ({"cdiVersion": "0.5.0", "kind": "gpu", "devices": [{"name": "0"}]}, "kind 'gpu' is not vendor.com/class"),
        ({"cdiVersion": "0.5.0", "kind": "a.com/gpu", "devices": []}, "devices is missing or empty"),
        ({"cdiVersion": "0.5.0", "kind": "a.com/gpu", "devices": [{"name": "0"}, {"name": "0"}]}, "device 0 is defined twice"),
        ({"cdiVersion": "0.5.0", "kind": "a.com/gpu", "devices": [{"name": "gpu/0"}]}, "device name 'gpu/0' is not valid"),
    ],
)
def test_validation_names_the_problem(data, problem):
    assert any(problem in found for found in validate(data))


def test_a_file_that_is_not_a_spec(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{")
    with pytest.raises(CdiError, match=r"broken\.json is not valid JSON"):
        read_spec(str(path))
    path.write_text('{"kind": "x"}')
    with pytest.raises(CdiError, match="is not a valid CDI spec: cdiVersion is missing"):
        read_spec(str(path))


def test_conflicts_are_other_specs_of_the_kind_that_define_the_same_devices(amd, tmp_path):
    spec, _report = build("amd", GPUS, str(amd.sys), str(amd.dev))
    etc, run = tmp_path / "etc-cdi", tmp_path / "run-cdi"
    etc.mkdir()
    run.mkdir()
    own = etc / "amd.com-gpu.json"
    own.write_text(dumps(spec))
    # AMD's own toolkit writes the same kind and names to /etc/cdi/amd.json.
    (etc / "amd.json").write_text(dumps({"cdiVersion": "0.6.0", "kind": "amd.com/gpu", "devices": [{"name": "0"}, {"name": "all"}]}))
    (run / "nvidia.yaml").write_text(NVIDIA_SPEC.read_text())
    (run / "notes.txt").write_text("not a spec")
    names = [device["name"] for device in spec["devices"]]
    assert conflicts("amd.com/gpu", names, [str(etc), str(run)], str(own)) == [(str(etc / "amd.json"), ["0", "all"])]
    assert conflicts("nvidia.com/gpu", ["0"], [str(etc), str(run)], "/etc/cdi/x.json") == [(str(run / "nvidia.yaml"), ["0"])]
