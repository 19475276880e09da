# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The sysfs/procfs scan: classification, faults, CPU, Secure Boot, Jetson, virtualization."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest

from ansible_collections.horizon.ai_platform.plugins.module_utils import _accelerators as acc
from ansible_collections.horizon.ai_platform.plugins.module_utils import _silicon_catalog as catalog
from ansible_collections.horizon.ai_platform.tests.unit.plugins.sysfs_tree import add_pci


def gather(root, **kwargs):
    facts, _reader = acc.gather(str(root / "sys"), str(root / "proc"), str(root / "etc" / "nv_tegra_release"), **kwargs)
    return facts


CPUINFO_X86 = """processor\t: 0
vendor_id\t: GenuineIntel
model name\t: Intel(R) Xeon(R) Platinum 8480+
physical id\t: 0
core id\t\t: 0
flags\t\t: fpu avx avx2 fma avx512f avx512_bf16 amx_bf16 amx_tile amx_int8 hypervisor

processor\t: 1
model name\t: Intel(R) Xeon(R) Platinum 8480+
physical id\t: 0
core id\t\t: 0
flags\t\t: fpu avx avx2 fma avx512f avx512_bf16 amx_bf16 amx_tile amx_int8 hypervisor

processor\t: 2
model name\t: Intel(R) Xeon(R) Platinum 8480+
physical id\t: 1
core id\t\t: 0
flags\t\t: fpu avx avx2 fma avx512f avx512_bf16 amx_bf16 amx_tile amx_int8 hypervisor
"""


@pytest.fixture
def machine(tmp_path):
    (tmp_path / "proc").mkdir()
    (tmp_path / "proc" / "cpuinfo").write_text(CPUINFO_X86.replace(" hypervisor", ""))
    (tmp_path / "sys").mkdir()
    return tmp_path


def test_catalog_rows_are_well_formed():
    seen = set()
    for row in catalog.PCI_DEVICES:
        vendor_id, device_id, model, architecture, memory_mib, source = row
        assert vendor_id in catalog.ACCELERATOR_VENDORS, row
        assert len(device_id) == 4 and device_id == device_id.lower(), row
        int(device_id, 16)
        assert (vendor_id, device_id) not in seen, "listed twice: %r" % (row,)
        seen.add((vendor_id, device_id))
        assert model and architecture and source, row
        assert memory_mib is None or (isinstance(memory_mib, int) and memory_mib > 0), row
        assert acc.silicon_class(catalog.ACCELERATOR_VENDORS[vendor_id], architecture).count("-") >= 1


@pytest.mark.parametrize(
    ("vendor_id", "device_id", "silicon_class"),
    [
        ("10de", "1eb8", "nvidia-turing"),
        ("10de", "2236", "nvidia-ampere"),
        ("10de", "20b2", "nvidia-ampere"),
        ("10de", "27b8", "nvidia-ada"),
        ("10de", "26b9", "nvidia-ada"),
        ("10de", "2330", "nvidia-hopper"),
        ("10de", "2321", "nvidia-hopper"),
        ("10de", "2335", "nvidia-hopper"),
        ("10de", "233b", "nvidia-hopper"),
        ("10de", "2342", "nvidia-hopper"),
        ("10de", "2901", "nvidia-blackwell"),
        ("1002", "740f", "amd-cdna2"),
        ("1002", "7408", "amd-cdna2"),
        ("1002", "740c", "amd-cdna2"),
        ("1002", "74a1", "amd-cdna3"),
        ("1002", "74a0", "amd-cdna3"),
        ("1002", "74a5", "amd-cdna3"),
        ("1002", "744c", "amd-rdna3"),
        ("1da3", "1020", "intel-gaudi2"),
        ("1da3", "1060", "intel-gaudi3"),
        ("8086", "0bd5", "intel-xe-hpc"),
        ("8086", "0bda", "intel-xe-hpc"),
        ("8086", "56a0", "intel-xe-hpg"),
    ],
)
def test_issue_catalog_coverage(vendor_id, device_id, silicon_class):
    entry = acc.pci_index()[(vendor_id, device_id)]
    assert acc.silicon_class(entry["vendor"], entry["architecture"]) == silicon_class


@pytest.mark.parametrize(("classes", "expected"), [([], "cpu"), (["amd-cdna3"], "amd-cdna3"), (["amd-cdna3", "amd-cdna3"], "amd-cdna3"), (["a", "b"], "mixed")])
def test_node_silicon_class(classes, expected):
    assert acc.node_silicon_class([{"silicon_class": silicon_class} for silicon_class in classes]) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("00000000:18:00.0", "0000:18:00.0"),
        ("0000:9A:00.0", "0000:9a:00.0"),
        ("1e:00.0", "0000:1e:00.0"),
        ("0001:00:1E.7", "0001:00:1e.7"),
        ("garbage", None),
        ("0000:18:00.8", None),
        (None, None),
    ],
)
def test_normalize_pci_address(text, expected):
    assert acc.normalize_pci_address(text) == expected


def test_cpu_only_node_ignores_bmc_nics_and_bridges(machine):
    add_pci(machine, "0000:02:00.0", "1a03", "2000", "030000", numa="0")  # ASPEED BMC VGA
    add_pci(machine, "0000:03:00.0", "102b", "0534", "030000")  # Matrox G200eR2
    add_pci(machine, "0000:17:00.0", "15b3", "1021", "020000", driver="mlx5_core")  # ConnectX-7
    add_pci(machine, "0000:00:00.0", "8086", "09a2", "088000")  # Intel system peripheral
    add_pci(machine, "0000:05:00.0", "10de", "22a3", "068000")  # NVSwitch
    add_pci(machine, "0000:18:00.1", "10de", "22ba", "040300")  # NVIDIA HDMI audio function
    facts = gather(machine)
    assert facts["count"] == 0
    assert facts["devices"] == []
    assert facts["vendors"] == []
    assert facts["silicon_class"] == "cpu"
    assert facts["driver_loaded"] is False


def test_known_and_unknown_devices(machine):
    add_pci(machine, "0000:18:00.0", "10de", "2330", "030200", numa="0", driver="nvidia")
    add_pci(machine, "0000:2a:00.0", "10de", "9999", "030200", numa="1")
    facts = gather(machine)
    assert facts["count"] == 2
    known, unknown = facts["devices"]
    assert known == {
        "pci_address": "0000:18:00.0",
        "vendor": "nvidia",
        "vendor_id": "10de",
        "device_id": "2330",
        "model": "H100 SXM5 80GB",
        "architecture": "hopper",
        "silicon_class": "nvidia-hopper",
        "memory_mib": 81559,
        "numa_node": 0,
        "driver": "nvidia",
        "driver_version": None,
    }
    assert unknown["model"] is None
    assert unknown["silicon_class"] == "nvidia-unknown"
    assert unknown["device_id"] == "9999"
    assert facts["silicon_class"] == "mixed"
    assert facts["driver_loaded"] is True
    assert facts["warnings"] == ["nvidia device 10de:9999 at 0000:2a:00.0 is not in the silicon catalog: reported with its raw IDs"]


def test_mixed_vendors(machine):
    add_pci(machine, "0000:18:00.0", "10de", "26b9", "030200")
    add_pci(machine, "0000:26:00.0", "1002", "74a1", "120000")
    add_pci(machine, "0000:33:00.0", "1da3", "1020", "120000")
    facts = gather(machine)
    assert facts["vendors"] == ["amd", "intel", "nvidia"]
    assert facts["silicon_class"] == "mixed"
    assert [d["silicon_class"] for d in facts["devices"]] == ["nvidia-ada", "amd-cdna3", "intel-gaudi2"]


def test_vfio_bound_device_is_not_a_loaded_driver(machine):
    add_pci(machine, "0000:18:00.0", "10de", "2330", "030200", driver="vfio-pci")
    facts = gather(machine)
    assert facts["driver_loaded"] is False
    assert facts["devices"][0]["driver"] == "vfio-pci"
    assert "bound to vfio-pci" in facts["warnings"][0]


def test_missing_sysfs_is_a_warning_not_a_failure(tmp_path):
    facts, _reader = acc.gather(str(tmp_path / "nothing"), str(tmp_path / "noproc"), str(tmp_path / "none"))
    assert facts["count"] == 0
    assert any("bus/pci/devices is missing" in warning for warning in facts["warnings"])
    assert any("cpuinfo is missing" in warning for warning in facts["warnings"])
    assert facts["cpu"]["model"] is None


def test_unreadable_entries_are_skipped_with_a_warning(machine):
    add_pci(machine, "0000:18:00.0", "10de", "2330", "030200")
    broken = add_pci(machine, "0000:19:00.0", "10de", "2330", "030200")
    (broken / "class").unlink()
    (broken / "class").mkdir()  # reading a directory fails like an unreadable file
    garbage = add_pci(machine, "0000:1a:00.0", "10de", "2330", "030200")
    (garbage / "vendor").write_text("not hex\n")
    (machine / "sys" / "bus" / "pci" / "devices" / "not-an-address").mkdir()
    facts = gather(machine)
    assert [d["pci_address"] for d in facts["devices"]] == ["0000:18:00.0"]
    assert any(w.startswith("cannot read ") and "0000:19:00.0/class" in w for w in facts["warnings"])
    assert "PCI device 0000:19:00.0 has an unreadable vendor, device or class entry; skipped" in facts["warnings"]
    assert "PCI device 0000:1a:00.0 has an unreadable vendor, device or class entry; skipped" in facts["warnings"]


@pytest.mark.parametrize(
    ("variables", "expected", "warned"),
    [
        (None, "unknown", False),  # no EFI: legacy BIOS boot or hidden
        ({}, "unknown", False),  # efivarfs not mounted
        ({"Boot0001-8be4df61-93ca-11d2-aa0d-00e098032b8c": b"\x07\x00\x00\x00\x01"}, "disabled", False),  # EFI without Secure Boot
        ({acc.SECURE_BOOT_VAR: b"\x06\x00\x00\x00\x01"}, "enabled", False),
        ({acc.SECURE_BOOT_VAR: b"\x06\x00\x00\x00\x00"}, "disabled", False),
        ({acc.SECURE_BOOT_VAR: b"\x06\x00"}, "unknown", True),
    ],
)
def test_secure_boot(machine, variables, expected, warned):
    if variables is not None:
        efivars = machine / "sys" / "firmware" / "efi" / "efivars"
        efivars.mkdir(parents=True)
        for name, content in variables.items():
            (efivars / name).write_bytes(content)
    facts = gather(machine)
    assert facts["secure_boot"] == expected
    assert any("Secure Boot" in warning for warning in facts["warnings"]) is warned


def test_secure_boot_unreadable_variable_is_unknown(machine):
    efivars = machine / "sys" / "firmware" / "efi" / "efivars"
    (efivars / acc.SECURE_BOOT_VAR).mkdir(parents=True)  # reading a directory fails like an unreadable file
    facts = gather(machine)
    assert facts["secure_boot"] == "unknown"
    assert any(acc.SECURE_BOOT_VAR in warning for warning in facts["warnings"])


def test_intel_integrated_graphics_is_not_an_accelerator(machine):
    add_pci(machine, "0000:00:02.0", "8086", "a780", "030000", driver="i915")  # Raptor Lake-S UHD Graphics 770
    add_pci(machine, "0000:01:00.0", "10de", "2330", "030200", driver="nvidia")
    add_pci(machine, "0000:02:00.0", "8086", "56a0", "030000", driver="i915")  # Arc A770: in the catalog, counted
    facts = gather(machine)
    assert [d["pci_address"] for d in facts["devices"]] == ["0000:01:00.0", "0000:02:00.0"]
    assert facts["vendors"] == ["intel", "nvidia"]
    assert facts["other_displays"] == [{"pci_address": "0000:00:02.0", "vendor": "intel", "vendor_id": "8086", "device_id": "a780", "driver": "i915"}]
    assert any("8086:a780" in warning and "integrated graphics" in warning for warning in facts["warnings"])


def test_unknown_processing_accelerator_of_intel_is_counted(machine):
    add_pci(machine, "0000:4d:00.0", "8086", "0b69", "038000")  # not VGA: a compute device, unknown to the catalog
    facts = gather(machine)
    assert facts["count"] == 1
    assert facts["devices"][0]["silicon_class"] == "intel-unknown"
    assert facts["other_displays"] == []


def test_cpu_topology_from_sysfs_when_cpuinfo_has_none(machine, recorded):
    text = recorded("cpuinfo/cpuinfo_aws-graviton2-neoverse-n1_archspec-json.txt")
    (machine / "proc" / "cpuinfo").write_text(text)
    for index in range(4):  # two packages of two cores each
        topology = machine / "sys" / "devices" / "system" / "cpu" / ("cpu%d" % index) / "topology"
        topology.mkdir(parents=True)
        (topology / "physical_package_id").write_text("%d\n" % (index % 2))
        (topology / "core_id").write_text("%d\n" % (index // 2))
    cpu = gather(machine)["cpu"]
    assert cpu["sockets"] == 2
    assert cpu["cores"] == 4
    assert cpu["model"] == "ARM Neoverse-N1"


def test_cpuinfo_counts_sockets_cores_threads_and_flags():
    cpu = acc.parse_cpuinfo(CPUINFO_X86)
    assert cpu["model"] == "Intel(R) Xeon(R) Platinum 8480+"
    assert (cpu["sockets"], cpu["cores"], cpu["threads"]) == (2, 2, 3)
    assert cpu["flags"] == ["avx", "avx2", "fma", "avx512f", "avx512_bf16", "amx_tile", "amx_bf16", "amx_int8"]
    assert cpu["architecture"] == "x86_64"
    assert cpu["hypervisor"] is True


def test_virtualization_from_cpu_flag_and_pid1_environment(machine):
    (machine / "proc" / "cpuinfo").write_text(CPUINFO_X86)
    assert gather(machine)["virtualization"] == "vm"
    (machine / "proc" / "1").mkdir()
    (machine / "proc" / "1" / "environ").write_bytes(b"PATH=/bin\0container=podman\0")
    assert gather(machine)["virtualization"] == "container"


def test_virtualization_from_pid1_cgroup(machine):
    (machine / "proc" / "1").mkdir()
    (machine / "proc" / "1" / "cgroup").write_text("0::/kubepods/burstable/pod1234/abcdef\n")
    assert gather(machine)["virtualization"] == "container"


@pytest.mark.parametrize(
    ("vendor", "product", "expected"),
    [
        ("Amazon EC2", "c7g.16xlarge", "vm"),
        ("Amazon EC2", "c7g.metal", "none"),
        ("Google", "Google Compute Engine", "vm"),
        ("Supermicro", "SYS-821GE-TNHR", "none"),
    ],
)
def test_virtualization_of_cloud_instances(machine, vendor, product, expected):
    dmi = machine / "sys" / "class" / "dmi" / "id"
    dmi.mkdir(parents=True)
    (dmi / "sys_vendor").write_text(vendor + "\n")
    (dmi / "product_name").write_text(product + "\n")
    assert gather(machine)["virtualization"] == expected


def test_virtualization_from_dmi(machine):
    dmi = machine / "sys" / "class" / "dmi" / "id"
    dmi.mkdir(parents=True)
    (dmi / "sys_vendor").write_text("QEMU\n")
    (dmi / "product_name").write_text("Standard PC (Q35 + ICH9, 2009)\n")
    assert gather(machine)["virtualization"] == "vm"
    (dmi / "sys_vendor").write_text("Dell Inc.\n")
    (dmi / "product_name").write_text("PowerEdge XE9680\n")
    assert gather(machine)["virtualization"] == "none"


def test_kernel_from_procfs(machine):
    (machine / "proc" / "sys" / "kernel").mkdir(parents=True)
    (machine / "proc" / "sys" / "kernel" / "osrelease").write_text("6.8.0-45-generic\n")
    assert gather(machine)["kernel"] == "6.8.0-45-generic"


def test_tegra_release_parsing(recorded):
    release = acc.parse_tegra_release(recorded("jetson/nv_tegra_release_agx-orin-devkit_l4t-r39.2.0_jtop-errorlog.txt"))
    assert release == {"release": "R39", "revision": "2.0", "l4t_version": "39.2.0", "board": "generic", "date": "Mon Jun  1 09:28:48 PM UTC 2026"}
    assert acc.parse_tegra_release("garbage") is None
    assert acc.parse_tegra_release(None) is None


def test_silicon_support_doc_matches_the_catalog():
    script = Path(__file__).resolve().parents[4] / "scripts" / "gen_silicon_matrix.py"
    proc = subprocess.run([sys.executable, str(script), "--check"], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr


def _recorded_nvidia_ids():
    """(fixture, device_id, memory MiB) for every recorded nvidia-smi -q / -q -x output with a real device ID."""
    root = Path(__file__).resolve().parents[3] / "fixtures" / "recorded" / "nvidia"
    found = []
    for path in sorted(root.glob("nvidia-smi-q-x_*.xml")):
        for gpu in ElementTree.parse(path).getroot().findall("gpu"):
            device_id = gpu.findtext("pci/pci_device_id")[:4].lower()
            memory = int(gpu.findtext("fb_memory_usage/total").split()[0])
            if device_id != "0000":  # masked in the A10G recording
                found.append((path.name, device_id, memory))
    for path in sorted(root.glob("nvidia-smi-q_*.txt")) + sorted(root.glob("nvidia-smi-a_*.txt")):
        text = path.read_text(encoding="utf-8")
        ids = re.findall(r"^\s+Device Id\s+: 0x([0-9A-F]{4})10DE$", text, re.MULTILINE)
        memory = re.findall(r"^    FB Memory Usage\n\s+Total\s+: (\d+) MiB$", text, re.MULTILINE)
        assert len(ids) == len(memory), path.name
        found.extend((path.name, device_id.lower(), int(mem)) for device_id, mem in zip(ids, memory))
    return found


def test_catalog_agrees_with_recorded_nvidia_smi():
    recordings = _recorded_nvidia_ids()
    assert len(recordings) >= 10
    for fixture, device_id, memory in recordings:
        entry = acc.pci_index().get(("10de", device_id))
        assert entry is not None, "%s records 10de:%s, which the catalog lacks" % (fixture, device_id)
        if fixture in entry["source"]:
            assert entry["memory_mib"] == memory, "%s records %d MiB for 10de:%s" % (fixture, memory, device_id)


@pytest.mark.parametrize(
    ("fixture", "model", "architecture", "flags", "absent"),
    [
        ("cpuinfo_intel-xeon-6972p-graniterapids_archspec-json.txt", "Intel(R) Xeon(R) 6972P", "x86_64", ["avx512f", "amx_bf16", "amx_tile"], []),
        ("cpuinfo_amd-epyc-9754-zen4c-host-lxc-8of256_ollama-issue-5554.txt", "AMD EPYC 9754 128-Core Processor", "x86_64", ["avx2", "avx512f"], ["amx_bf16"]),
        ("cpuinfo_aws-graviton2-neoverse-n1_archspec-json.txt", "ARM Neoverse-N1", "aarch64", ["asimd", "asimddp"], ["sve"]),
        ("cpuinfo_jetson-nano-tegra-x1-cortex-a57_hrw-arm-socs-table-issue-37.txt", "ARM Cortex-A57", "aarch64", ["asimd"], []),
    ],
)
def test_recorded_cpuinfo(recorded, fixture, model, architecture, flags, absent):
    cpu = acc.parse_cpuinfo(recorded("cpuinfo/" + fixture))
    assert cpu["model"] == model
    assert cpu["architecture"] == architecture
    assert cpu["threads"] >= 1 and cpu["cores"] >= 1 and cpu["sockets"] >= 1
    assert set(flags) <= set(cpu["flags"])
    assert not set(absent) & set(cpu["flags"])


def write_devicetree(machine, compatible, model):
    base = machine / "sys" / "firmware" / "devicetree" / "base"
    base.mkdir(parents=True)
    (base / "compatible").write_bytes(b"".join(entry.encode() + b"\0" for entry in compatible))
    (base / "model").write_bytes(model.encode() + b"\0")


@pytest.mark.parametrize(
    ("compatible", "model", "module", "silicon_class", "memory", "module_dir", "driver"),
    [
        # module in the catalog
        (["nvidia,p2822-0000+p2888-0004", "nvidia,tegra194"], "Jetson-AGX", None, "nvidia-jetson-xavier", 32768, "nvgpu", "nvgpu"),
        # module unknown, SoC known: the class from the SoC, model from the device tree
        (["nvidia,p9999-0000", "nvidia,tegra234"], "NVIDIA Orin Custom Carrier", None, "nvidia-jetson-orin", None, None, None),
        # Thor's GPU is driven by the nvidia module
        (["nvidia,p4071-0000+p3834-0008", "nvidia,tegra264"], "NVIDIA Jetson AGX Thor Developer Kit", None, "nvidia-jetson-thor", 131072, "nvidia", "nvidia"),
    ],
)
def test_jetson(machine, compatible, model, module, silicon_class, memory, module_dir, driver):
    write_devicetree(machine, compatible, model)
    if module_dir:
        (machine / "sys" / "module" / module_dir).mkdir(parents=True)
    facts = gather(machine)
    (device,) = facts["devices"]
    assert device["silicon_class"] == silicon_class
    assert device["memory_mib"] == memory
    assert device["driver"] == driver
    assert facts["driver_loaded"] is (driver is not None)
    assert device["board"] == model
    if memory is None:
        assert device["model"] == model


def test_unknown_tegra_is_reported_not_dropped(machine):
    write_devicetree(machine, ["nvidia,p3450-0000", "nvidia,tegra210"], "NVIDIA Jetson Nano Developer Kit")
    facts = gather(machine)
    assert facts["count"] == 1
    assert facts["devices"][0]["silicon_class"] == "nvidia-unknown"
    assert facts["devices"][0]["model"] == "NVIDIA Jetson Nano Developer Kit"
    assert any("nvidia,tegra210" in warning for warning in facts["warnings"])


def test_other_device_trees_are_not_jetsons(machine):
    write_devicetree(machine, ["raspberrypi,5-model-b", "brcm,bcm2712"], "Raspberry Pi 5 Model B Rev 1.0")
    facts = gather(machine)
    assert facts["count"] == 0
    assert facts["silicon_class"] == "cpu"


def _mib_from_bytes(text):
    return int(text) // (1024 * 1024)


@pytest.mark.parametrize(
    ("fixture", "vendor_id", "device_id", "memory_mib"),
    [
        # rocm-smi --csv: "VRAM Total Memory (B)" per card, Card series names the model
        ("amd/rocm-smi-csv_2x-mi210_rocm-smi-1.4.1.csv", "1002", "740f", None),
        # rocm-smi --json: Device ID and VRAM
        ("amd/rocm-smi-telegraf-args-json_mi100_rocm6.0.2.json", "1002", "738c", None),
        # hl-smi default table (Gaudi2, 1da3:1020 per the same machine's lspci) and query CSV (Gaudi1 HL-205, 1da3:1000)
        ("intel-gaudi/hl-smi_8x-hl-225-gaudi2_hl-1.12.1_gaudi2poc1.txt", "1da3", "1020", 98304),
        ("intel-gaudi/hl-smi-query-aip-csv-nounits_8x-hl-205-gaudi1_hl-1.18.0.csv", "1da3", "1000", 32768),
        # xpu-smi discovery -j: pci_device_id 0xbda
        ("intel-xpu/xpu-smi-discovery-j_2x-max-1100.json", "8086", "0bda", None),
    ],
)
def test_catalog_agrees_with_other_recorded_tools(recorded, fixture, vendor_id, device_id, memory_mib):
    text = recorded(fixture)
    entry = acc.pci_index()[(vendor_id, device_id)]
    assert fixture.split("/")[1] in entry["source"], "the row for %s:%s should cite %s" % (vendor_id, device_id, fixture)
    if fixture.endswith(".csv") and "rocm-smi" in fixture:
        rows = text.splitlines()
        header = rows[0].split(",")
        values = [dict(zip(header, row.split(","))) for row in rows[1:] if row.strip()]
        assert {value["Card series"] for value in values} == {"Instinct MI210"}
        memory_mib = _mib_from_bytes(values[0]["VRAM Total Memory (B)"])
    elif fixture.endswith(".json") and "rocm-smi" in fixture:
        card = json.loads(text)["card0"]
        assert card["Device ID"] == "0x" + device_id
        memory_mib = _mib_from_bytes(card["VRAM Total Memory (B)"])
    elif "xpu-smi" in fixture:
        assert {item["pci_device_id"] for item in json.loads(text)["device_list"]} == {"0x" + device_id.lstrip("0")}
        return
    else:
        assert "%dMiB" % memory_mib in text.replace(" ", "").replace(",", "") or str(memory_mib) in text
    assert entry["memory_mib"] == memory_mib
