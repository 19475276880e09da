# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Vendor-tool parsers and enrichment, fed real recorded outputs with the exact argv mocked."""

from __future__ import annotations

import pytest

from ansible_collections.horizon.ai_platform.plugins.module_utils import _vendor_tools as tools


class RecordedRunner:
    """Answers exactly the command lines it was given recordings for; anything else fails the test."""

    def __init__(self, installed, answers):
        self.installed = set(installed)
        self.answers = {tuple(argv): answer for argv, answer in answers.items()}
        self.calls = []

    def which(self, name):
        return "/usr/bin/%s" % name if name in self.installed else None

    def run(self, argv):
        argv = tuple(argv)
        self.calls.append(argv)
        assert argv in self.answers, "unexpected command line %r" % (argv,)
        answer = self.answers[argv]
        if isinstance(answer, Exception):
            raise answer
        return answer


def _device(address, vendor_id, vendor, model="x", memory=None):
    return {
        "pci_address": address,
        "vendor": vendor,
        "vendor_id": vendor_id,
        "device_id": "0000",
        "model": model,
        "architecture": None,
        "silicon_class": "%s-unknown" % vendor,
        "memory_mib": memory,
        "numa_node": None,
        "driver": None,
        "driver_version": None,
    }


def _facts(devices):
    return {"devices": devices, "tools": {}, "warnings": []}


NVIDIA_XML = [
    # fixture, pci address, product name, memory MiB, driver, partition mode, partitions, persistence
    ("nvidia/nvidia-smi-q-x_tesla-t4_drv515.xml", "0000:00:1e.0", "Tesla T4", 15360, "515.105.01", None, None, "disabled"),
    ("nvidia/nvidia-smi-q-x_a10g_drv515.xml", "0000:00:1e.0", "NVIDIA A10G", 23028, "515.105.01", None, None, "disabled"),
    ("nvidia/nvidia-smi-q-x_a100-sxm4-80gb_mig-enabled_drv535.xml", "0000:01:00.0", "NVIDIA A100-SXM4-80GB", 81920, "535.54.03", "mig", 4, "disabled"),
    ("nvidia/nvidia-smi-q-x_rtx-4000-sff-ada_drv595_v13dtd.xml", None, "NVIDIA RTX 4000 SFF Ada Generation", 20475, "595.84", None, None, "enabled"),
    (
        "nvidia/nvidia-smi-q-x_rtx-pro-6000-blackwell-maxq_drv590_v13dtd.xml",
        None,
        "NVIDIA RTX PRO 6000 Blackwell Max-Q Workstation Edition",
        97887,
        "590.44.01",
        None,
        None,
        "enabled",
    ),
]


@pytest.mark.parametrize(("fixture", "address", "product", "memory", "driver", "mode", "partitions", "persistence"), NVIDIA_XML)
def test_parse_nvidia_smi_xml(recorded, fixture, address, product, memory, driver, mode, partitions, persistence):
    node, devices = tools.parse_nvidia_smi_xml(recorded(fixture))
    assert node["driver_version"] == driver
    assert devices, "no GPU parsed"
    if address is None:
        address = sorted(devices)[0]
    fields = devices[address]
    assert fields["product_name"] == product
    assert fields["memory_mib"] == memory
    assert fields["driver_version"] == driver
    assert fields["partition_mode"] == mode
    assert fields["partitions"] == partitions
    assert fields["persistence_mode"] == persistence
    assert fields["health"] == "ok"
    assert fields["uuid"].startswith("GPU-")


def test_parse_nvidia_smi_xml_two_gpus(recorded):
    _node, devices = tools.parse_nvidia_smi_xml(recorded("nvidia/nvidia-smi-q-x_2x-rtx-a5000_v13dtd.xml"))
    assert len(devices) == 2
    assert {fields["product_name"] for fields in devices.values()} == {"NVIDIA RTX A5000"}
    assert all(address.startswith("0000:") for address in devices)


def test_parse_nvidia_smi_xml_health_degraded(recorded):
    text = recorded("nvidia/nvidia-smi-q-x_rtx-4000-sff-ada_drv595_v13dtd.xml")
    text = text.replace("<remapped_row_pending>No</remapped_row_pending>", "<remapped_row_pending>Yes</remapped_row_pending>")
    _node, devices = tools.parse_nvidia_smi_xml(text)
    assert len(devices) == 1
    fields = next(iter(devices.values()))
    assert fields["health"] == "degraded"
    assert fields["health_reasons"] == ["a row remapping is pending (reset the GPU)"]


@pytest.mark.parametrize("text", ["", "<html>", "<other/>"])
def test_parse_nvidia_smi_xml_rejects_garbage(text):
    with pytest.raises(tools.ToolError, match="nvidia-smi -q -x"):
        tools.parse_nvidia_smi_xml(text)


def test_enrich_nvidia_matches_by_address(recorded):
    facts = _facts([_device("0000:01:00.0", "10de", "nvidia", model="A100 SXM4 80GB", memory=81920)])
    runner = RecordedRunner(
        ["nvidia-smi"],
        {tools.NVIDIA_SMI_ARGV: (0, recorded("nvidia/nvidia-smi-q-x_a100-sxm4-80gb_mig-enabled_drv535.xml"), "")},
    )
    tools.enrich(facts, runner)
    (device,) = facts["devices"]
    assert runner.calls == [tools.NVIDIA_SMI_ARGV]
    assert device["driver_version"] == "535.54.03"
    assert device["partition_mode"] == "mig"
    assert device["model"] == "A100 SXM4 80GB"  # the catalog name stays; the tool's is product_name
    assert device["product_name"] == "NVIDIA A100-SXM4-80GB"
    assert facts["tools"]["nvidia-smi"] == {
        "status": "ok",
        "driver_version": "535.54.03",
        "cuda_version": "12.2",
        "devices": [{"pci_address": "0000:01:00.0", "product_name": "NVIDIA A100-SXM4-80GB", "device_id": "20b2"}],
    }
    assert facts["warnings"] == []


def test_enrich_nvidia_driver_not_loaded(recorded):
    """nvidia-smi installed, driver not loaded: exit 9 and the recorded message."""
    facts = _facts([_device("0000:18:00.0", "10de", "nvidia", model="H100 SXM5 80GB", memory=81559)])
    runner = RecordedRunner(["nvidia-smi"], {tools.NVIDIA_SMI_ARGV: (9, recorded("nvidia/nvidia-smi_error_driver-not-loaded.txt"), "")})
    tools.enrich(facts, runner)
    (device,) = facts["devices"]
    assert device["memory_mib"] == 81559
    assert device["driver_version"] is None
    assert facts["tools"]["nvidia-smi"]["status"] == "failed"
    (warning,) = facts["warnings"]
    assert "nvidia-smi failed" in warning
    assert "exited 9" in warning
    assert "couldn't communicate with the NVIDIA driver" in warning


def test_enrich_tool_timeout_is_a_warning():
    facts = _facts([_device("0000:18:00.0", "10de", "nvidia")])
    runner = RecordedRunner(["nvidia-smi"], {tools.NVIDIA_SMI_ARGV: tools.ToolError("`nvidia-smi -q -x` did not finish within 30 s")})
    tools.enrich(facts, runner)
    assert facts["warnings"] == ["nvidia-smi failed, facts come from the PCI scan only: `nvidia-smi -q -x` did not finish within 30 s"]


def test_enrich_falls_back_to_rocm_smi_when_amd_smi_fails(recorded):
    facts = _facts([_device(address, "1002", "amd", model="Instinct MI300X") for address in MI300X_ADDRESSES])
    runner = RecordedRunner(
        ["amd-smi", "rocm-smi"],
        {
            tools.AMD_SMI_LIST_ARGV: (255, "", recorded("amd/amd-smi_error_driver-not-initialized.stderr.txt")),
            tools.ROCM_SMI_ARGV: (0, recorded("amd/rocm-smi-a_4x-mi300x.txt"), ""),
        },
    )
    tools.enrich(facts, runner)
    assert facts["tools"]["amd-smi"]["status"] == "failed"
    assert facts["tools"]["rocm-smi"]["status"] == "ok"
    assert all(device["driver_version"] == "6.7.0" for device in facts["devices"])
    assert len(facts["warnings"]) == 1


def test_enrich_skips_absent_tools_and_other_vendors():
    facts = _facts([_device("0000:18:00.0", "10de", "nvidia")])
    runner = RecordedRunner(["rocm-smi", "hl-smi"], {})
    tools.enrich(facts, runner)
    assert runner.calls == []
    assert facts["tools"] == {}
    assert facts["warnings"] == []


def test_enrich_reports_devices_the_scan_missed(recorded):
    """A device the tool reports and the scan missed is a warning, and stays in the tool's device list."""
    facts = _facts([_device("0000:99:00.0", "10de", "nvidia")])
    runner = RecordedRunner(["nvidia-smi"], {tools.NVIDIA_SMI_ARGV: (0, recorded("nvidia/nvidia-smi-q-x_tesla-t4_drv515.xml"), "")})
    tools.enrich(facts, runner)
    assert facts["warnings"] == ["nvidia-smi reports a device at 0000:00:1e.0 that the PCI scan did not find"]
    assert facts["tools"]["nvidia-smi"]["devices"] == [{"pci_address": "0000:00:1e.0", "product_name": "Tesla T4", "device_id": "1eb8"}]


MI300X_ADDRESSES = ["0000:26:00.0", "0000:46:00.0", "0000:65:00.0", "0000:85:00.0"]


def test_parse_rocm_smi_all_mi300x(recorded):
    node, devices = tools.parse_rocm_smi(recorded("amd/rocm-smi-a_4x-mi300x.txt"))
    assert node == {"driver_version": "6.7.0"}
    assert sorted(devices) == MI300X_ADDRESSES
    for fields in devices.values():
        assert fields["product_name"] == "AMD Instinct MI300X OAM"
        assert fields["firmware_version"] == "113-MI3SRIOV-001"
        assert fields["driver_version"] == "6.7.0"
    assert devices["0000:26:00.0"]["serial"] == "692347006052"


def test_enrich_rocm_smi_driver_not_initialized(recorded):
    """rocm-smi prints the error on stderr and exits 0: still a failure."""
    facts = _facts([_device(address, "1002", "amd", model="Instinct MI300X") for address in MI300X_ADDRESSES])
    runner = RecordedRunner(["rocm-smi"], {tools.ROCM_SMI_ARGV: (0, "", recorded("amd/rocm-smi_error_driver-not-initialized.stderr.txt"))})
    tools.enrich(facts, runner)
    assert facts["tools"]["rocm-smi"]["status"] == "failed"
    (warning,) = facts["warnings"]
    assert "rocm-smi failed" in warning
    assert "Driver not initialized (amdgpu not found in modules)" in warning
    assert all(device["driver_version"] is None for device in facts["devices"])


def test_enrich_amd_smi_preferred_over_rocm_smi(recorded):
    facts = _facts([_device("0000:23:00.0", "1002", "amd", model=None), _device("0000:26:00.0", "1002", "amd", model=None)])
    runner = RecordedRunner(
        ["amd-smi", "rocm-smi"],
        {
            tools.AMD_SMI_LIST_ARGV: (0, recorded("amd/amd-smi-list_2x-mi300-series_amdsmi-changelog-rocm6.3.txt"), ""),
            tools.AMD_SMI_ASIC_ARGV: (0, recorded("amd/amd-smi-static-asic_mi308x-cpx_amdsmi-changelog-rocm6.3.txt"), ""),
            tools.AMD_SMI_PARTITION_ARGV: (0, recorded("amd/amd-smi-static-partition_cpx-nps4_amdsmi-changelog-rocm6.3.txt"), ""),
        },
    )
    tools.enrich(facts, runner)
    assert [call[0] for call in runner.calls] == ["amd-smi", "amd-smi", "amd-smi"]
    first, second = facts["devices"]
    assert first["product_name"] == "MI308X"
    assert first["model"] == "MI308X"  # unknown to the catalog: the tool's name fills in
    assert first["gfx_target"] == "gfx942"
    assert first["compute_units"] == 20
    assert first["uuid"] is None  # "<redacted>" in the recording
    assert second["product_name"] is None
    assert facts["tools"]["amd-smi"]["status"] == "ok"
    assert facts["warnings"] == []


def test_enrich_amd_smi_driver_not_initialized(recorded):
    facts = _facts([_device("0000:23:00.0", "1002", "amd")])
    runner = RecordedRunner(["amd-smi"], {tools.AMD_SMI_LIST_ARGV: (255, "", recorded("amd/amd-smi_error_driver-not-initialized.stderr.txt"))})
    tools.enrich(facts, runner)
    (warning,) = facts["warnings"]
    assert "`amd-smi list` exited 255: ERROR:root:Unable to get devices, driver not initialized" in warning


def test_parse_amd_smi_partition(recorded):
    sections = tools.parse_amd_smi_sections(recorded("amd/amd-smi-static-partition_cpx-nps4_amdsmi-changelog-rocm6.3.txt"))
    assert sections, "no GPU parsed"
    first = sections[min(sections)]
    assert first.get("PARTITION/COMPUTE_PARTITION") == "CPX"
    assert first.get("PARTITION/MEMORY_PARTITION") == "NPS4"


GAUDI2_TABLE = "intel-gaudi/hl-smi_8x-hl-225-gaudi2_hl-1.12.1_gaudi2poc1.txt"
GAUDI2_ADDRESSES = ["0000:19:00.0", "0000:1a:00.0", "0000:43:00.0", "0000:44:00.0", "0000:b3:00.0", "0000:b4:00.0", "0000:cc:00.0", "0000:cd:00.0"]


def test_parse_hl_smi_table(recorded):
    node, devices = tools.parse_hl_smi_table(recorded(GAUDI2_TABLE))
    assert node == {"hl_smi_version": "hl-1.12.1-fw-46.0.5.0", "driver_version": "1.12.1-cb7a7bc"}
    assert sorted(devices) == GAUDI2_ADDRESSES
    assert devices["0000:43:00.0"] == {
        "product_name": "HL-225",
        "driver_version": "1.12.1-cb7a7bc",
        "memory_mib": 98304,
        "health": "ok",
        "health_reasons": [],
    }


def test_parse_hl_smi_table_uncorrectable_ecc(recorded):
    text = recorded(GAUDI2_TABLE).replace("| 0000:43:00.0     N/A |                   0  |", "| 0000:43:00.0     N/A |                   3  |")
    _node, devices = tools.parse_hl_smi_table(text)
    assert devices["0000:43:00.0"]["health"] == "degraded"
    assert devices["0000:43:00.0"]["health_reasons"] == ["3 uncorrectable ECC errors"]
    assert devices["0000:44:00.0"]["health"] == "ok"


def test_parse_hl_smi_table_rejects_other_output(recorded):
    with pytest.raises(tools.ToolError, match="hl-smi printed no AIP"):
        tools.parse_hl_smi_table(recorded("intel-gaudi/hl-smi-query-aip-csv-nounits_8x-hl-205-gaudi1_hl-1.18.0.csv"))


def test_enrich_hl_smi_matches_by_bus_address(recorded):
    facts = _facts([_device(address, "1da3", "intel", model="Gaudi2", memory=98304) for address in reversed(GAUDI2_ADDRESSES)])
    runner = RecordedRunner(["hl-smi"], {tools.HL_SMI_ARGV: (0, recorded(GAUDI2_TABLE), "")})
    tools.enrich(facts, runner)
    assert all(d["driver_version"] == "1.12.1-cb7a7bc" and d["product_name"] == "HL-225" and d["health"] == "ok" for d in facts["devices"])
    hl_smi = facts["tools"]["hl-smi"]
    assert hl_smi.pop("devices") == [{"pci_address": address, "product_name": "HL-225"} for address in sorted(GAUDI2_ADDRESSES)]
    assert hl_smi == {"status": "ok", "hl_smi_version": "hl-1.12.1-fw-46.0.5.0", "driver_version": "1.12.1-cb7a7bc"}
    assert facts["warnings"] == []


def test_parse_xpu_smi_discovery(recorded):
    _node, devices = tools.parse_xpu_smi_discovery(recorded("intel-xpu/xpu-smi-discovery-j_2x-max-1100.json"))
    assert sorted(devices) == ["0000:29:00.0", "0000:9a:00.0"]
    assert devices["0000:29:00.0"]["product_name"] == "Intel(R) Data Center GPU Max 1100"
    assert devices["0000:29:00.0"]["drm_device"] == "/dev/dri/card1"


XPU_DOC_J = "intel-xpu/xpu-smi-discovery-j_xpumanager-doc_intel-graphics-0x020a.json"
XPU_DOC_D = "intel-xpu/xpu-smi-discovery-d_xpumanager-doc_intel-graphics-0x020a.txt"


def test_parse_xpu_smi_detail(recorded):
    address, fields = tools.parse_xpu_smi_detail(recorded(XPU_DOC_D))
    assert address == "0000:4d:00.0"
    assert fields == {"driver_version": "16929133", "firmware_version": "ATS0_1.1", "memory_mib": 32768}


def test_enrich_xpu_smi_with_details(recorded):
    facts = _facts([_device("0000:4d:00.0", "8086", "intel", model=None)])
    runner = RecordedRunner(
        ["xpu-smi"],
        {tools.XPU_SMI_ARGV: (0, recorded(XPU_DOC_J), ""), tools.xpu_smi_detail_argv("0000:4d:00.0"): (0, recorded(XPU_DOC_D), "")},
    )
    tools.enrich(facts, runner)
    (device,) = facts["devices"]
    assert device["model"] == "Intel(R) Graphics [0x020a]"  # not in the catalog: the tool's name fills in
    assert (device["driver_version"], device["firmware_version"], device["memory_mib"]) == ("16929133", "ATS0_1.1", 32768)
    assert facts["warnings"] == []


def test_enrich_xpu_smi_detail_failure_keeps_the_list(recorded):
    facts = _facts([_device("0000:4d:00.0", "8086", "intel", model=None)])
    runner = RecordedRunner(
        ["xpu-smi"],
        {tools.XPU_SMI_ARGV: (0, recorded(XPU_DOC_J), ""), tools.xpu_smi_detail_argv("0000:4d:00.0"): (1, "", "Error: device not found\n")},
    )
    tools.enrich(facts, runner)
    assert facts["devices"][0]["product_name"] == "Intel(R) Graphics [0x020a]"
    assert facts["warnings"] == ["xpu-smi: `xpu-smi discovery -d 0000:4d:00.0` exited 1: Error: device not found"]


def test_parse_xpu_smi_discovery_bad_json():
    with pytest.raises(tools.ToolError, match="does not parse"):
        tools.parse_xpu_smi_discovery("{not json")


def test_tool_runner_runs_and_times_out(tmp_path):
    script = tmp_path / "slow-tool"
    script.write_text('#!/bin/sh\necho "$LC_ALL $1"\n[ "$1" = sleep ] && sleep 5\nexit 3\n')
    script.chmod(0o755)
    lookups = []

    def get_bin_path(name):
        lookups.append(name)
        return str(script) if name == "slow-tool" else None

    runner = tools.ToolRunner(get_bin_path, timeout=1)
    assert runner.run(("slow-tool", "hello")) == (3, "C hello\n", "")
    with pytest.raises(tools.ToolError, match="did not finish within 1 s"):
        runner.run(("slow-tool", "sleep"))
    with pytest.raises(tools.ToolError, match="is not installed"):
        runner.run(("missing-tool",))
    assert runner.which("slow-tool") == str(script)
    assert lookups == ["slow-tool", "missing-tool"]  # PATH is searched once per tool


def test_enrich_debian13_amd_tools_on_a_node_without_the_driver(recorded):
    """Debian 13's own amd-smi (exit 255) and rocm-smi (exit 0, error on stderr), recorded in a GPU-less test host."""
    facts = _facts([_device(address, "1002", "amd", model="Instinct MI300X") for address in MI300X_ADDRESSES])
    runner = RecordedRunner(
        ["amd-smi", "rocm-smi"],
        {
            tools.AMD_SMI_LIST_ARGV: (255, "", recorded("amd/amd-smi-list_error_no-amdgpu-module_debian13-amd-smi-6.1.2.stderr.txt")),
            tools.ROCM_SMI_ARGV: (0, "", recorded("amd/rocm-smi-a_error_no-amdgpu-module_debian13-rocm-smi-6.1.2.stderr.txt")),
        },
    )
    tools.enrich(facts, runner)
    assert facts["tools"]["amd-smi"] == {
        "status": "failed",
        "error": "`amd-smi list` exited 255: ERROR: Unable to get devices, driver not initialized (amdgpu not found in modules)",
    }
    # rocm-smi is the fallback; its first line is cat's complaint, the driver check follows.
    assert facts["tools"]["rocm-smi"]["status"] == "failed"
    assert "not initialized" in facts["tools"]["rocm-smi"]["error"]
    assert len(facts["warnings"]) == 2


def test_enrich_nvidia_driver_library_mismatch(recorded):
    """After an upgrade without a reboot: NVML's mismatch message is the tool's error, which the driver role acts on."""
    facts = _facts([_device("0000:01:00.0", "10de", "nvidia", model="A100 SXM4 80GB")])
    mismatch = recorded("nvidia/nvidia-smi_error_driver-library-mismatch_nvml-580.173.txt")
    runner = RecordedRunner(["nvidia-smi"], {tools.NVIDIA_SMI_ARGV: (18, mismatch, "")})
    tools.enrich(facts, runner)
    assert facts["tools"]["nvidia-smi"] == {
        "status": "failed",
        "error": "`nvidia-smi -q -x` exited 18: Failed to initialize NVML: Driver/library version mismatch",
    }


def test_enrich_debian12_nvidia_smi_without_a_driver(recorded):
    """Debian 12's own nvidia-smi 535 in a container without the driver: exit 255, NVML's unknown error."""
    facts = _facts([_device("0000:01:00.0", "10de", "nvidia", model="A100 SXM4 80GB")])
    text = recorded("nvidia/nvidia-smi-q-x_error_no-driver-in-container_debian12-nvidia-smi-535.261.03.txt")
    runner = RecordedRunner(["nvidia-smi"], {tools.NVIDIA_SMI_ARGV: (255, text, "")})
    tools.enrich(facts, runner)
    assert facts["tools"]["nvidia-smi"] == {"status": "failed", "error": "`nvidia-smi -q -x` exited 255: Failed to initialize NVML: Unknown Error"}
    assert facts["devices"][0]["driver_version"] is None
