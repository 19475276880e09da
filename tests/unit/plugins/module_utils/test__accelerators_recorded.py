# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""accelerator_facts' scan on every recorded machine (tests/fixtures/machines)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from ansible_collections.horizon.ai_platform.plugins.module_utils import _accelerators as acc

MACHINES = Path(__file__).resolve().parents[3] / "fixtures" / "machines"
sys.path.insert(0, str(MACHINES))
import materialize  # noqa: E402

# machine: (count, node class, vendors, driver loaded, models, NUMA nodes seen)
EXPECTED = {
    "hgx-h100-8x": (8, "nvidia-hopper", ["nvidia"], True, {"H100 SXM5 80GB"}, {0, 1}),
    "a100-sxm4-mig-1x": (1, "nvidia-ampere", ["nvidia"], True, {"A100 SXM4 80GB"}, {None}),
    "azure-a100-8x": (8, "nvidia-ampere", ["nvidia"], False, {"A100 SXM4 80GB"}, {None}),
    "qemu-a10": (1, "nvidia-ampere", ["nvidia"], False, {"A10"}, {None}),
    "mi300x-8x": (8, "amd-cdna3", ["amd"], False, {"Instinct MI300X"}, {None}),
    "mi300x-vf-qemu": (1, "amd-cdna3", ["amd"], False, {"Instinct MI300X VF"}, {None}),
    "mi250-8gcd": (8, "amd-cdna2", ["amd"], False, {"Instinct MI250/MI250X (one GCD)"}, {None}),
    "gaudi2-8x": (8, "intel-gaudi2", ["intel"], False, {"Gaudi2"}, {None}),
    "gaudi3-8x": (8, "intel-gaudi3", ["intel"], False, {"Gaudi3"}, {None}),
    "intel-max": (4, "intel-xe-hpc", ["intel"], False, {"Data Center GPU Max 1550"}, {None}),
    "jetson-orin": (1, "nvidia-jetson-orin", ["nvidia"], False, {"Jetson AGX Orin 64GB"}, {None}),
    "jetson-thor": (1, "nvidia-jetson-thor", ["nvidia"], False, {"Jetson AGX Thor T5000"}, {None}),
    "cpu-only": (0, "cpu", [], False, set(), set()),
    "cpu-xeon6-graniterapids": (0, "cpu", [], False, set(), set()),
    "cpu-epyc-9754-zen4c": (0, "cpu", [], False, set(), set()),
    "cpu-graviton2": (0, "cpu", [], False, set(), set()),
}

# NVSwitch chips in the recordings (HGX and ND A100 v4 baseboards); every other machine has none.
NVSWITCHES = {"hgx-h100-8x": 4, "azure-a100-8x": 6}

# machines with a recorded /proc/cpuinfo: the CPU model and a flag it must report
RECORDED_CPUS = {
    "cpu-xeon6-graniterapids": ("Intel(R) Xeon(R) 6972P", "amx_bf16"),
    "cpu-epyc-9754-zen4c": ("AMD EPYC 9754 128-Core Processor", "avx512f"),
    "cpu-graviton2": ("ARM Neoverse-N1", "asimd"),
}


def test_every_manifest_has_an_expectation():
    manifests = {path.stem for path in MACHINES.glob("*.yml")}
    assert set(EXPECTED) <= manifests
    missing = manifests - set(EXPECTED) - {"dev-vm", "jetson-agx-orin-devkit-r39"}
    assert not missing, "recorded machines without expectations: %s" % sorted(missing)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_recorded_machine(tmp_path, name):
    count, node_class, vendors, loaded, models, numa = EXPECTED[name]
    root = tmp_path / name
    materialize.materialize(str(MACHINES / ("%s.yml" % name)), str(root))
    procfs = root / "proc" if (root / "proc" / "cpuinfo").exists() else tmp_path / "no-proc"
    facts, _reader = acc.gather(str(root / "sys"), str(procfs), str(root / "etc" / "nv_tegra_release"))
    assert facts["count"] == count
    assert facts["silicon_class"] == node_class
    assert facts["vendors"] == vendors
    assert facts["driver_loaded"] is loaded
    assert {device["model"] for device in facts["devices"]} == models
    assert {device["numa_node"] for device in facts["devices"]} == numa
    assert all(device["silicon_class"] == node_class for device in facts["devices"])
    assert not [w for w in facts["warnings"] if "not in the silicon catalog" in w]
    assert facts["nvswitch_count"] == NVSWITCHES.get(name, 0)
    if name in RECORDED_CPUS:
        model, flag = RECORDED_CPUS[name]
        assert facts["cpu"]["model"] == model
        assert flag in facts["cpu"]["flags"]


def test_hgx_excludes_nvswitch_nics_and_bmc(tmp_path):
    root = tmp_path / "hgx"
    materialize.materialize(str(MACHINES / "hgx-h100-8x.yml"), str(root))
    functions = acc.scan_pci(acc.Reader(str(root / "sys"), "/nonexistent"))
    by_id = {}
    for function in functions:
        by_id.setdefault((function["vendor_id"], function["device_id"]), []).append(function)
    assert len(by_id[("10de", "22a3")]) == 4  # NVSwitch, in the recording, not an accelerator
    assert len(by_id[("102b", "0536")]) == 1  # Matrox BMC VGA
    assert not any(acc.is_accelerator(f) for f in by_id[("10de", "22a3")] + by_id[("102b", "0536")])
    assert [f["driver"] for f in by_id[("10de", "2330")]] == ["nvidia"] * 8


def test_nvidia_smi_xml_machine_matches_its_own_recording(tmp_path):
    """A machine built from an nvidia-smi -q -x recording: the recorded tool sees exactly the scanned GPU."""
    from ansible_collections.horizon.ai_platform.plugins.module_utils import _vendor_tools as tools  # noqa: PLC0415

    root = tmp_path / "a100"
    materialize.materialize(str(MACHINES / "a100-sxm4-mig-1x.yml"), str(root))
    facts, _reader = acc.gather(str(root / "sys"), str(tmp_path / "no-proc"), str(root / "etc" / "nv_tegra_release"))
    xml = (MACHINES.parent / "recorded" / "nvidia" / "nvidia-smi-q-x_a100-sxm4-80gb_mig-enabled_drv535.xml").read_text()
    _node, reported = tools.parse_nvidia_smi_xml(xml)
    assert [d["pci_address"] for d in facts["devices"]] == sorted(reported) == ["0000:01:00.0"]
    assert facts["devices"][0]["driver"] == "nvidia"


def test_nvidia_smi_xml_manifest_needs_the_class_source(tmp_path):
    manifest = tmp_path / "bad.yml"
    manifest.write_text("description: x\nnvidia_smi_xml: {path: nvidia/nvidia-smi-q-x_tesla-t4_drv515.xml, class: '0302'}\n")
    with pytest.raises(materialize.MaterializeError, match="class_source"):
        materialize.materialize(str(manifest), str(tmp_path / "out"))
