# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The silicon catalog: PCI IDs and Jetson modules -> vendor, model, architecture, memory.

PRIVATE: this module is internal to horizon.ai_platform and may change without notice.

This file is data. To add a device, add one row to ``PCI_DEVICES`` (or ``JETSON_MODULES``),
cite where its ID and memory figure come from in the ``source`` column, and run the unit
tests: they check that every row is well formed and no ID is listed twice, and that the
device IDs and memory in the recorded tool outputs under ``tests/fixtures/recorded``
(nvidia-smi, rocm-smi, hl-smi, xpu-smi) agree with the rows that cite them.

Sources, by the short names used below:

- ``pci.ids``: Debian package pci.ids 0.0~2023.04.11-1 (/usr/share/misc/pci.ids); ``pci.ids 2025`` /
  ``pci.ids 2026``: Debian's 0.0~2025.06.09-1 and 0.0~2026.10.24-1. The research notes behind the
  rows, with what is uncertain, are in tests/fixtures/machines/silicon-ids.md.
- ``nvsmi:<fixture>``: the ID and the memory figure (MiB, as the driver reports it) read from a
  real ``nvidia-smi`` recording in tests/fixtures/recorded/nvidia.
- ``rocm:<fixture>`` / ``amdsmi:<fixture>`` / ``hlsmi:<fixture>`` / ``xpusmi:<fixture>``: likewise
  for the AMD, Habana and Intel tools.
- ``nv-open``: NVIDIA open-gpu-kernel-modules README, list of supported GPUs (device and
  subsystem IDs), the version in silicon-ids.md (it has no Blackwell data-centre rows).
- ``amdgpu``: the Linux kernel's amdgpu device table (explicit IDs up to Aldebaran; MI300 and
  later bind by PCI class, so it names none of them).
- ``habanalabs``: the Linux kernel's drivers/accel/habanalabs PCI ID table.
- ``spec``: the vendor's product data sheet (memory capacity as marketed, converted to MiB).

``memory_mib`` is the driver's figure where a recording exists (``nvsmi:``, ``rocm:``, ``hlsmi:``,
``xpusmi:``), else the marketed capacity in GB x 1024; None where one PCI ID covers several memory
sizes, and for SR-IOV virtual functions, which get a configurable share of the physical GPU's.
"""

from __future__ import annotations

# Vendors whose devices are accelerators when their PCI class says so.
# 0x1da3 is Habana Labs, an Intel company: reported as vendor "intel".
ACCELERATOR_VENDORS = {
    "10de": "nvidia",
    "1002": "amd",
    "8086": "intel",
    "1da3": "intel",
}

# PCI base class / subclass pairs (the first four hex digits of the class file) that make a
# device of an accelerator vendor an accelerator: VGA (0300), 3D (0302), other display (0380),
# processing accelerator (1200). NVSwitch (0680), NICs (02xx), audio functions (0403) and
# bridges (06xx) are not accelerators.
ACCELERATOR_CLASSES = ("0300", "0302", "0380", "1200")

# Vendors that also make integrated graphics: their VGA controllers (class 0300) count as
# accelerators only when listed below.
INTEGRATED_GRAPHICS_VENDORS = ("8086", "1002")

# Kernel drivers that mean "the vendor's compute driver is loaded" for a bound device.
COMPUTE_DRIVERS = {
    "nvidia": ("nvidia",),
    "amd": ("amdgpu",),
    "intel": ("habanalabs", "i915", "xe"),
}

# Drivers that mean the device is handed to a guest, not usable on this node.
PASSTHROUGH_DRIVERS = ("vfio-pci", "pci-stub")

# (vendor_id, device_id, model, architecture, memory_mib, source)
PCI_DEVICES = (
    # --- NVIDIA Turing
    ("10de", "1eb8", "Tesla T4", "turing", 15360, "nvsmi:nvidia-smi-q-x_tesla-t4_drv515.xml; pci.ids"),
    # --- NVIDIA Ampere
    ("10de", "2236", "A10", "ampere", 24576, "pci.ids; spec 24 GB"),
    ("10de", "2237", "A10G", "ampere", 23028, "pci.ids; nvsmi:nvidia-smi-q-x_a10g_drv515.xml (memory)"),
    ("10de", "20b0", "A100 SXM4 40GB", "ampere", 40960, "pci.ids; spec 40 GB"),
    ("10de", "20b1", "A100 PCIe 40GB", "ampere", 40960, "pci.ids; spec 40 GB"),
    ("10de", "20f1", "A100 PCIe 40GB", "ampere", 40960, "pci.ids; spec 40 GB"),
    ("10de", "20b2", "A100 SXM4 80GB", "ampere", 81920, "nvsmi:nvidia-smi-q-x_a100-sxm4-80gb_mig-enabled_drv535.xml; pci.ids"),
    ("10de", "20b5", "A100 PCIe 80GB", "ampere", 81920, "pci.ids; spec 80 GB"),
    ("10de", "20b3", "A100 SXM 64GB", "ampere", 65536, "pci.ids; spec 64 GB"),
    ("10de", "20f3", "A800 SXM4 80GB", "ampere", 81920, "pci.ids; spec 80 GB"),
    ("10de", "20f5", "A800 PCIe 80GB", "ampere", 81920, "pci.ids; spec 80 GB"),
    ("10de", "20b7", "A30", "ampere", 24576, "pci.ids; spec 24 GB"),
    ("10de", "2231", "RTX A5000", "ampere", 24564, "nvsmi:nvidia-smi-q-x_2x-rtx-a5000_v13dtd.xml"),
    # --- NVIDIA Ada Lovelace
    ("10de", "27b8", "L4", "ada", 23034, "pci.ids; nvsmi:nvidia-smi-a_l4_drv550.txt"),
    ("10de", "26b5", "L40", "ada", 49152, "pci.ids; spec 48 GB"),
    ("10de", "26b9", "L40S", "ada", 46068, "nvsmi:nvidia-smi-q_l40s_drv595.txt; nv-open"),
    ("10de", "27b0", "RTX 4000 SFF Ada", "ada", 20475, "nvsmi:nvidia-smi-q-x_rtx-4000-sff-ada_drv595_v13dtd.xml"),
    # --- NVIDIA Hopper
    ("10de", "2330", "H100 SXM5 80GB", "hopper", 81559, "nvsmi:nvidia-smi-q_h100-80gb-hbm3_drv590.txt; pci.ids"),
    ("10de", "2331", "H100 PCIe 80GB", "hopper", 81920, "pci.ids; spec 80 GB"),
    ("10de", "2321", "H100 NVL", "hopper", 95830, "nvsmi:nvidia-smi-a_2x-h100-nvl_drv550.txt"),
    ("10de", "2322", "H800 PCIe 80GB", "hopper", 81920, "pci.ids; spec 80 GB"),
    ("10de", "2324", "H800 SXM5 80GB", "hopper", 81920, "pci.ids; spec 80 GB"),
    ("10de", "2335", "H200 SXM 141GB", "hopper", 143771, "nvsmi:nvidia-smi-q_h200_drv590.txt"),
    ("10de", "233b", "H200 NVL 141GB", "hopper", 144384, "pci.ids 2026 (not in the nv-open version checked); spec 141 GB"),
    ("10de", "2342", "GH200 96GB", "hopper", 98304, "nv-open (GH200 120GB and 480GB share this ID); spec 96 GB HBM3"),
    ("10de", "2348", "GH200 144GB", "hopper", 147456, "pci.ids 2026 only; spec 144 GB HBM3e"),
    # --- NVIDIA Blackwell
    ("10de", "2901", "B200", "blackwell", 184320, "pci.ids 2026 (GB100 [B200]); spec 180 GB HBM3e per GPU (HGX B200)"),
    ("10de", "290a", "B200", "blackwell", 184320, "pci.ids 2026 (GB100 [B200]); which ID HGX B200 boards ship with is unconfirmed"),
    ("10de", "2941", "GB200", "blackwell", 190464, "pci.ids 2026 only; spec 186 GB HBM3e (GB200 NVL72: 13.4 TB / 72)"),
    ("10de", "2bb1", "RTX PRO 6000 Blackwell Workstation", "blackwell", 97887, "pci.ids 2026; memory as the Max-Q recording"),
    ("10de", "2bb4", "RTX PRO 6000 Blackwell Max-Q", "blackwell", 97887, "nvsmi:nvidia-smi-q-x_rtx-pro-6000-blackwell-maxq_drv590_v13dtd.xml"),
    ("10de", "2bb5", "RTX PRO 6000 Blackwell Server", "blackwell", 97887, "pci.ids 2026; memory as the Max-Q recording"),
    # --- AMD CDNA
    ("1002", "738c", "Instinct MI100", "cdna", 32752, "pci.ids; rocm:rocm-smi-telegraf-args-json_mi100_rocm6.0.2.json"),
    # --- AMD CDNA2 (an MI250/MI250X is two GCDs, each its own PCI function with half the memory)
    ("1002", "740f", "Instinct MI210", "cdna2", 65520, "pci.ids; rocm:rocm-smi-csv_2x-mi210_rocm-smi-1.4.1.csv"),
    ("1002", "7408", "Instinct MI250X (one GCD)", "cdna2", 65536, "pci.ids; spec 128 GB per OAM, two GCDs"),
    ("1002", "740c", "Instinct MI250/MI250X (one GCD)", "cdna2", 65536, "pci.ids; spec 128 GB per OAM, two GCDs"),
    ("1002", "7410", "Instinct MI210 VF", "cdna2", None, "amdgpu Aldebaran block; ROCm gpu-operator kubevirt doc; a VF gets a share of the MI210's memory"),
    # --- AMD CDNA3
    ("1002", "74a0", "Instinct MI300A", "cdna3", 131072, "pci.ids 2026; spec 128 GB HBM3, unified with the CPUs"),
    ("1002", "74a1", "Instinct MI300X", "cdna3", 196608, "pci.ids 2026; rocm:rocm-smi-a_4x-mi300x.txt (ID); spec 192 GB"),
    ("1002", "74a2", "Instinct MI308X", "cdna3", None, "amdsmi:amd-smi-static-asic_mi308x-cpx_amdsmi-changelog-rocm6.3.txt"),
    ("1002", "74a5", "Instinct MI325X", "cdna3", 262144, "pci.ids 2026; ROCm system-acceptance docs; spec 256 GB"),
    ("1002", "74b5", "Instinct MI300X VF", "cdna3", None, "pci.ids 2026; ROCm gpu-operator kubevirt doc; a VF gets a share of the MI300X's memory"),
    ("1002", "74b9", "Instinct MI325X VF", "cdna3", None, "pci.ids 2026; a VF gets a share of the MI325X's memory"),
    # --- AMD CDNA4
    ("1002", "75a0", "Instinct MI350X", "cdna4", 294912, "pci.ids 2026; ROCm system-acceptance docs; spec 288 GB"),
    ("1002", "75a3", "Instinct MI355X", "cdna4", 294912, "pci.ids 2026; ROCm system-acceptance docs; spec 288 GB"),
    # --- AMD RDNA3
    ("1002", "744c", "Radeon RX 7900 XT/XTX", "rdna3", None, "pci.ids"),
    ("1002", "7448", "Radeon PRO W7900", "rdna3", 49152, "pci.ids 2026; spec 48 GB"),
    ("1002", "744a", "Radeon PRO W7900 Dual Slot", "rdna3", 49152, "pci.ids 2026; spec 48 GB"),
    ("1002", "7449", "Radeon PRO W7800 48GB", "rdna3", 49152, "pci.ids 2026; spec 48 GB"),
    # --- Intel (Habana) Gaudi
    ("1da3", "1000", "Gaudi HL-2000", "gaudi", 32768, "pci.ids; hlsmi:hl-smi-query-aip-csv-nounits_8x-hl-205-gaudi1_hl-1.18.0.csv"),
    ("1da3", "1010", "Gaudi HL-2000 (secured)", "gaudi", 32768, "pci.ids; habanalabs PCI_IDS_GAUDI_SEC"),
    ("1da3", "1020", "Gaudi2", "gaudi2", 98304, "pci.ids; habanalabs; hlsmi:hl-smi_8x-hl-225-gaudi2_hl-1.12.1_gaudi2poc1.txt (98304 MiB)"),
    ("1da3", "1060", "Gaudi3", "gaudi3", 131072, "pci.ids 2026; habanalabs (Habana's tree) PCI_IDS_GAUDI3; spec 128 GB HBM2e"),
    ("1da3", "1063", "Gaudi3 HL-338 PCIe", "gaudi3", 131072, "pci.ids 2026; habanalabs PCI_IDS_GAUDI3_HL_338; spec 128 GB"),
    # --- Intel Xe-HPC (Data Center GPU Max)
    ("8086", "0bd5", "Data Center GPU Max 1550", "xe-hpc", 131072, "pci.ids; spec 128 GB"),
    ("8086", "0bd4", "Data Center GPU Max 1550VG", "xe-hpc", 131072, "pci.ids 2026; spec 128 GB"),
    ("8086", "0bd6", "Data Center GPU Max 1550", "xe-hpc", 131072, "pci.ids; spec 128 GB"),
    ("8086", "0bd7", "Data Center GPU Max 1350", "xe-hpc", 98304, "pci.ids; i915 INTEL_PVC_IDS; spec 96 GB"),
    ("8086", "0bd8", "Data Center GPU Max 1350", "xe-hpc", 98304, "pci.ids; i915 INTEL_PVC_IDS; spec 96 GB"),
    ("8086", "0bd9", "Data Center GPU Max 1100", "xe-hpc", 49152, "pci.ids; spec 48 GB"),
    ("8086", "0bda", "Data Center GPU Max 1100", "xe-hpc", 49152, "pci.ids; xpusmi:xpu-smi-discovery-j_2x-max-1100.json"),
    ("8086", "0bdb", "Data Center GPU Max 1100", "xe-hpc", 49152, "pci.ids; spec 48 GB"),
    # --- Intel Xe-HPG (Flex, Arc A-series)
    ("8086", "56c0", "Data Center GPU Flex 170", "xe-hpg", 16384, "pci.ids; spec 16 GB"),
    ("8086", "56c1", "Data Center GPU Flex 140 (one of its two GPUs)", "xe-hpg", 6144, "pci.ids; i915 INTEL_ATS_M75_IDS; spec 2 GPUs x 6 GB"),
    ("8086", "56c2", "Data Center GPU Flex 170V", "xe-hpg", 16384, "pci.ids; i915 INTEL_ATS_M150_IDS; spec 16 GB"),
    ("8086", "56a0", "Arc A770", "xe-hpg", None, "pci.ids; 8 GB and 16 GB boards"),
    ("8086", "56a1", "Arc A750", "xe-hpg", 8192, "pci.ids; spec 8 GB"),
    ("8086", "56a2", "Arc A580", "xe-hpg", 8192, "pci.ids; spec 8 GB"),
    ("8086", "56a5", "Arc A380", "xe-hpg", 6144, "pci.ids; spec 6 GB"),
    ("8086", "56a6", "Arc A310", "xe-hpg", 4096, "pci.ids; spec 4 GB"),
    # --- Intel Xe2-HPG (Arc B-series, Battlemage)
    ("8086", "e20b", "Arc B580", "xe2-hpg", 12288, "pci.ids 2025; i915 INTEL_BMG_G21_IDS; spec 12 GB"),
    ("8086", "e20c", "Arc B570", "xe2-hpg", 10240, "pci.ids 2025; i915 INTEL_BMG_G21_IDS; spec 10 GB"),
)

# Jetson modules, matched on the device-tree "compatible" entries.
# (compatible entry, model, architecture, memory_mib (unified, shared with the CPU), source)
JETSON_MODULES = (
    ("nvidia,p3701-0000", "Jetson AGX Orin 32GB", "jetson-orin", 32768, "Jetson module data sheet"),
    ("nvidia,p3701-0004", "Jetson AGX Orin 32GB", "jetson-orin", 32768, "Jetson module data sheet"),
    ("nvidia,p3701-0005", "Jetson AGX Orin 64GB", "jetson-orin", 65536, "Jetson module data sheet; jetson-gpio issue 125 recording"),
    ("nvidia,p3767-0000", "Jetson Orin NX 16GB", "jetson-orin", 16384, "Jetson module data sheet"),
    ("nvidia,p3767-0001", "Jetson Orin NX 8GB", "jetson-orin", 8192, "Jetson module data sheet"),
    ("nvidia,p3767-0003", "Jetson Orin Nano 8GB", "jetson-orin", 8192, "Jetson module data sheet"),
    ("nvidia,p3767-0004", "Jetson Orin Nano 4GB", "jetson-orin", 4096, "Jetson module data sheet"),
    ("nvidia,p3767-0005", "Jetson Orin Nano 8GB (developer kit)", "jetson-orin", 8192, "Jetson module data sheet"),
    ("nvidia,p2888-0001", "Jetson AGX Xavier 16GB", "jetson-xavier", 16384, "Jetson module data sheet"),
    ("nvidia,p2888-0004", "Jetson AGX Xavier 32GB", "jetson-xavier", 32768, "Jetson module data sheet"),
    ("nvidia,p2888-0005", "Jetson AGX Xavier 64GB", "jetson-xavier", 65536, "Jetson module data sheet"),
    ("nvidia,p3668-0000", "Jetson Xavier NX 8GB", "jetson-xavier", 8192, "Jetson module data sheet"),
    ("nvidia,p3668-0001", "Jetson Xavier NX 8GB", "jetson-xavier", 8192, "Jetson module data sheet"),
    ("nvidia,p3668-0003", "Jetson Xavier NX 16GB", "jetson-xavier", 16384, "Jetson module data sheet"),
    ("nvidia,p3834-0008", "Jetson AGX Thor T5000", "jetson-thor", 131072, "Jetson Thor data sheet; jetson_stats issue 772 recording"),
)

# SoC compatible entries: what a Jetson is when its module is not in JETSON_MODULES.
JETSON_SOCS = (
    ("nvidia,tegra234", "jetson-orin"),
    ("nvidia,tegra194", "jetson-xavier"),
    ("nvidia,tegra264", "jetson-thor"),
)
