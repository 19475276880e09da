# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Accelerator inventory from sysfs and procfs, before or after drivers are installed.

PRIVATE: this module is internal to horizon.ai_platform and may change without notice.

Everything here reads files under a root that defaults to the live system and can point at a
recorded machine instead. No function raises on a missing or unreadable entry: it records a
warning and carries on, so the facts always come back.
"""

from __future__ import annotations

import functools
import os
import platform
import re

from ansible_collections.horizon.ai_platform.plugins.module_utils import _silicon_catalog as catalog

SECURE_BOOT_VAR = "SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"
PCI_ADDRESS_RE = re.compile(r"^(?:([0-9a-fA-F]{4,8}):)?([0-9a-fA-F]{2}):([0-9a-fA-F]{2})\.([0-7])$")

# CPU features that matter for CPU inference (x86 "flags", arm64 "Features").
CPU_FLAGS_OF_INTEREST = (
    "avx",
    "avx2",
    "fma",
    "f16c",
    "avx512f",
    "avx512bw",
    "avx512vl",
    "avx512_vnni",
    "avx512_bf16",
    "avx512_fp16",
    "avx_vnni",
    "amx_tile",
    "amx_bf16",
    "amx_int8",
    "amx_fp16",
    "asimd",
    "asimddp",
    "sve",
    "sve2",
    "bf16",
    "i8mm",
)


@functools.lru_cache(maxsize=None)
def pci_index():
    """Return {(vendor_id, device_id): catalog row as a dict}, built once."""
    return {
        (vendor_id, device_id): {
            "vendor": catalog.ACCELERATOR_VENDORS[vendor_id],
            "model": model,
            "architecture": architecture,
            "memory_mib": memory_mib,
            "source": source,
        }
        for vendor_id, device_id, model, architecture, memory_mib, source in catalog.PCI_DEVICES
    }


def normalize_pci_address(text):
    """Return a PCI address as ``dddd:bb:dd.f`` in lower case, or None if it is not one.

    Accepts the 8-digit domain nvidia-smi prints (``00000000:18:00.0``) and addresses
    without a domain (``18:00.0``).
    """
    if not isinstance(text, str):
        return None
    match = PCI_ADDRESS_RE.match(text.strip())
    if not match:
        return None
    domain, bus, dev, func = match.groups()
    domain_value = int(domain, 16) if domain else 0
    return "%04x:%s:%s.%s" % (domain_value, bus.lower(), dev.lower(), func)


class Reader:
    """Reads text files below the sysfs and procfs roots and collects warnings."""

    def __init__(self, sysfs_root="/sys", procfs_root="/proc"):
        self.sysfs_root = sysfs_root
        self.procfs_root = procfs_root
        self.warnings = []

    def sys_path(self, *parts):
        return os.path.join(self.sysfs_root, *parts)

    def proc_path(self, *parts):
        return os.path.join(self.procfs_root, *parts)

    def read(self, path, binary=False, warn=True):
        """Return the file's content, or None (with a warning if ``warn``) when it can't be read."""
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except FileNotFoundError:
            if warn:
                self.warnings.append("%s is missing" % path)
            return None
        except OSError as exc:
            if warn:
                self.warnings.append("cannot read %s: %s" % (path, exc.strerror or exc))
            return None
        if binary:
            return data
        return data.decode("utf-8", errors="replace")


def _hex_id(text, width):
    """'0x10de\\n' -> '10de'; None when the text is not a hex number of that width."""
    if text is None:
        return None
    value = text.strip().lower()
    if value.startswith("0x"):
        value = value[2:]
    if not value or len(value) > width or any(c not in "0123456789abcdef" for c in value):
        return None
    return value.zfill(width)


def scan_pci(reader, vendors=None):
    """Return the PCI functions under ``<sysfs_root>/bus/pci/devices`` as a list of dicts.

    With ``vendors`` (a collection of vendor IDs), functions of other vendors are skipped after
    reading only their ``vendor`` file: a GPU server has hundreds of bridges and NICs.
    """
    base = reader.sys_path("bus", "pci", "devices")
    try:
        names = sorted(os.listdir(base))
    except FileNotFoundError:
        reader.warnings.append("%s is missing: no PCI devices could be scanned" % base)
        return []
    except OSError as exc:
        reader.warnings.append("cannot list %s: %s" % (base, exc.strerror or exc))
        return []
    functions = []
    for name in names:
        address = normalize_pci_address(name)
        if address is None:
            continue
        path = os.path.join(base, name)
        vendor_id = _hex_id(reader.read(os.path.join(path, "vendor")), 4)
        if vendors is not None and vendor_id is not None and vendor_id not in vendors:
            continue
        device_id = _hex_id(reader.read(os.path.join(path, "device")), 4)
        class_code = _hex_id(reader.read(os.path.join(path, "class")), 6)
        if vendor_id is None or device_id is None or class_code is None:
            reader.warnings.append("PCI device %s has an unreadable vendor, device or class entry; skipped" % address)
            continue
        functions.append(
            {
                "pci_address": address,
                "vendor_id": vendor_id,
                "device_id": device_id,
                "class": class_code,
                "numa_node": _numa_node(reader.read(os.path.join(path, "numa_node"), warn=False)),
                "driver": _bound_driver(os.path.join(path, "driver")),
            }
        )
    return functions


def _numa_node(text):
    if text is None:
        return None
    try:
        value = int(text.strip())
    except ValueError:
        return None
    return value if value >= 0 else None


def _bound_driver(link):
    try:
        return os.path.basename(os.readlink(link)) or None
    except OSError:
        return None


def is_accelerator(function):
    """True for a display or processing-accelerator function of an accelerator vendor.

    A VGA controller (class 0300) of Intel or AMD counts only when the catalog knows it: both
    vendors put integrated graphics in their CPUs, and those are not what a node is for.
    See is_integrated_graphics().
    """
    if function["vendor_id"] not in catalog.ACCELERATOR_VENDORS or function["class"][:4] not in catalog.ACCELERATOR_CLASSES:
        return False
    return not is_integrated_graphics(function)


def is_integrated_graphics(function):
    """An Intel or AMD VGA controller the catalog does not know: most likely the CPU's own graphics."""
    return (
        function["vendor_id"] in catalog.INTEGRATED_GRAPHICS_VENDORS
        and function["class"][:4] == "0300"
        and (function["vendor_id"], function["device_id"]) not in pci_index()
    )


def describe_display(function, reader):
    """A display controller reported beside, not among, the accelerators."""
    vendor = catalog.ACCELERATOR_VENDORS[function["vendor_id"]]
    reader.warnings.append(
        "%s VGA controller %s:%s at %s is not in the silicon catalog and is taken for integrated graphics: listed under other_displays, "
        "not counted as an accelerator" % (vendor, function["vendor_id"], function["device_id"], function["pci_address"])
    )
    return {
        "pci_address": function["pci_address"],
        "vendor": vendor,
        "vendor_id": function["vendor_id"],
        "device_id": function["device_id"],
        "driver": function["driver"],
    }


def silicon_class(vendor, architecture):
    if not architecture:
        return "%s-unknown" % vendor
    return "%s-%s" % (vendor, architecture)


def describe_pci_accelerator(function, reader):
    """Turn one accelerator PCI function into the device entry of the facts."""
    vendor = catalog.ACCELERATOR_VENDORS[function["vendor_id"]]
    entry = pci_index().get((function["vendor_id"], function["device_id"]))
    if entry is None:
        reader.warnings.append(
            "%s device %s:%s at %s is not in the silicon catalog: reported with its raw IDs"
            % (vendor, function["vendor_id"], function["device_id"], function["pci_address"])
        )
    architecture = entry["architecture"] if entry else None
    driver = function["driver"]
    if driver in catalog.PASSTHROUGH_DRIVERS:
        reader.warnings.append("%s at %s is bound to %s: it is passed through to a guest, not usable here" % (vendor, function["pci_address"], driver))
    return {
        "pci_address": function["pci_address"],
        "vendor": vendor,
        "vendor_id": function["vendor_id"],
        "device_id": function["device_id"],
        "model": entry["model"] if entry else None,
        "architecture": architecture,
        "silicon_class": silicon_class(vendor, architecture),
        "memory_mib": entry["memory_mib"] if entry else None,
        "numa_node": function["numa_node"],
        "driver": driver,
        "driver_version": None,
    }


def _nul_list(data):
    if data is None:
        return []
    return [item.decode("utf-8", errors="replace").strip() for item in data.split(b"\0") if item.strip()]


def jetson_device(reader, tegra_release_path):
    """Return the device entry of a Jetson's integrated GPU, or None on any other machine."""
    base = reader.sys_path("firmware", "devicetree", "base")
    compatible = _nul_list(reader.read(os.path.join(base, "compatible"), binary=True, warn=False))
    if not any(item.startswith("nvidia,") for item in compatible):
        return None
    # A developer kit's first entry names carrier board and module together:
    # "nvidia,p3737-0000+p3701-0005" is also "nvidia,p3701-0005".
    for item in list(compatible):
        if item.startswith("nvidia,") and "+" in item:
            compatible.extend("nvidia," + part for part in item[len("nvidia,") :].split("+"))
    module = None
    for entry in catalog.JETSON_MODULES:
        if entry[0] in compatible:
            module = entry
            break
    architecture = module[2] if module else None
    if architecture is None:
        for soc, soc_architecture in catalog.JETSON_SOCS:
            if soc in compatible:
                architecture = soc_architecture
                break
    if architecture is None and not any(item.startswith("nvidia,tegra") for item in compatible):
        return None
    if architecture is None:
        reader.warnings.append("NVIDIA Tegra device tree (%s) is not in the silicon catalog: its GPU is reported as nvidia-unknown" % ", ".join(compatible))
    model_list = _nul_list(reader.read(os.path.join(base, "model"), binary=True, warn=False))
    board = model_list[0] if model_list else None
    release = parse_tegra_release(reader.read(tegra_release_path, warn=False))
    # nvgpu drives Jetson GPUs up to Orin; Thor (L4T R38+) uses the nvidia module, as discrete GPUs do.
    loaded = next((name for name in ("nvgpu", "nvidia") if os.path.isdir(reader.sys_path("module", name))), None)
    return {
        "pci_address": None,
        "vendor": "nvidia",
        "vendor_id": "10de",
        "device_id": None,
        "model": module[1] if module else board,
        "board": board,
        "architecture": architecture,
        "silicon_class": silicon_class("nvidia", architecture),
        "memory_mib": module[3] if module else None,
        "numa_node": None,
        "driver": loaded,
        "driver_version": release["l4t_version"] if release else None,
        "l4t": release,
    }


# NVSwitch chips of HGX/DGX baseboards are NVIDIA functions of class "bridge, other" (0680): the
# recorded HGX H100 shows four (10de:22a3, driver nvidia-nvswitch), the Azure ND A100 v4 six.
NVSWITCH_CLASS = "0680"

_TEGRA_RELEASE_RE = re.compile(r"#\s*R(\d+)\s*\(release\),\s*REVISION:\s*([0-9.]+)(.*)")


def parse_tegra_release(text):
    """Parse /etc/nv_tegra_release ('# R36 (release), REVISION: 4.0, ...') into a dict, or None."""
    if not text:
        return None
    match = _TEGRA_RELEASE_RE.search(text)
    if not match:
        return None
    major, revision, rest = match.groups()
    fields = {}
    for part in rest.split(","):
        if ":" in part:
            key, value = part.split(":", 1)
            fields[key.strip().lower()] = value.strip()
    return {
        "release": "R%s" % major,
        "revision": revision,
        "l4t_version": "%s.%s" % (major, revision),
        "board": fields.get("board"),
        "date": fields.get("date"),
    }


# Arm cores by (CPU implementer, CPU part), as /proc/cpuinfo prints them on arm64, which has no
# "model name" line (the same table util-linux's lscpu uses).
ARM_CORES = {
    ("0x41", "0xd07"): "ARM Cortex-A57",
    ("0x41", "0xd08"): "ARM Cortex-A72",
    ("0x41", "0xd0c"): "ARM Neoverse-N1",
    ("0x41", "0xd40"): "ARM Neoverse-V1",
    ("0x41", "0xd42"): "ARM Cortex-A78AE",
    ("0x41", "0xd49"): "ARM Neoverse-N2",
    ("0x41", "0xd4f"): "ARM Neoverse-V2",
    ("0x41", "0xd84"): "ARM Neoverse-V3",
    ("0x4e", "0x004"): "NVIDIA Carmel",
    ("0x48", "0xd01"): "HiSilicon Kunpeng-920",
    ("0xc0", "0xac3"): "Ampere Ampere-1",
}


def parse_cpuinfo(text):
    """Return {model, sockets, cores, threads, architecture, flags} from /proc/cpuinfo text."""
    blocks = [block for block in re.split(r"\n\s*\n", text or "") if block.strip()]
    processors = []
    for block in blocks:
        fields = {}
        for line in block.splitlines():
            if ":" in line:
                key, value = line.split(":", 1)
                fields[key.strip().lower()] = value.strip()
        if "processor" in fields:
            processors.append(fields)
    if not processors:
        return {"model": None, "sockets": None, "cores": None, "threads": None, "architecture": None, "flags": [], "has_topology": False}
    first = processors[0]
    flags_text = first.get("flags") or first.get("features") or ""
    architecture = "x86_64" if "flags" in first else ("aarch64" if "features" in first else None)
    model = first.get("model name") or first.get("cpu model")
    if not model and "cpu implementer" in first:
        key = (first["cpu implementer"].lower(), first.get("cpu part", "").lower())
        model = ARM_CORES.get(key, "Arm implementer %s part %s" % key)
    physical = {p.get("physical id") for p in processors if "physical id" in p}
    core_pairs = {(p.get("physical id"), p.get("core id")) for p in processors if "core id" in p}
    flags = set(flags_text.split())
    return {
        "has_topology": bool(physical),
        "model": model,
        "sockets": len(physical) if physical else 1,
        "cores": len(core_pairs) if core_pairs else len(processors),
        "threads": len(processors),
        "architecture": architecture,
        "flags": [flag for flag in CPU_FLAGS_OF_INTEREST if flag in flags],
        "hypervisor": "hypervisor" in flags,
    }


def cpu_topology(reader):
    """(sockets, cores) from <sysfs_root>/devices/system/cpu/cpu*/topology, or None."""
    base = reader.sys_path("devices", "system", "cpu")
    try:
        names = [name for name in os.listdir(base) if name.startswith("cpu") and name[3:].isdigit()]
    except OSError:
        return None
    pairs = set()
    for name in names:
        package = reader.read(os.path.join(base, name, "topology", "physical_package_id"), warn=False)
        core = reader.read(os.path.join(base, name, "topology", "core_id"), warn=False)
        if package is None or core is None:
            return None
        pairs.add((package.strip(), core.strip()))
    if not pairs:
        return None
    return len({package for package, _core in pairs}), len(pairs)


def secure_boot_state(reader):
    """'enabled' | 'disabled' | 'unknown' from the SecureBoot EFI variable."""
    efivars = reader.sys_path("firmware", "efi", "efivars")
    try:
        names = os.listdir(efivars)
    except FileNotFoundError:
        return "unknown"  # legacy BIOS boot, or /sys/firmware hidden (containers)
    except OSError as exc:
        reader.warnings.append("cannot list %s: %s; Secure Boot state unknown" % (efivars, exc.strerror or exc))
        return "unknown"
    if not names:
        return "unknown"  # efivarfs not mounted
    if SECURE_BOOT_VAR not in names:
        return "disabled"  # EFI firmware without the variable does not support Secure Boot
    data = reader.read(os.path.join(efivars, SECURE_BOOT_VAR), binary=True)
    if data is None:
        return "unknown"  # the reader recorded why
    if len(data) < 5:
        reader.warnings.append("%s is shorter than 5 bytes; Secure Boot state unknown" % SECURE_BOOT_VAR)
        return "unknown"
    return "enabled" if data[4] == 1 else "disabled"


# DMI sys_vendor / product_name prefixes that only hypervisors report.
_VM_DMI_PREFIXES = ("qemu", "kvm", "bochs", "vmware", "xen", "innotek", "parallels", "openstack")


_CONTAINER_CGROUP_MARKERS = ("kubepods", "/docker/", "/docker-", "libpod", "/lxc/", "containerd")


def virtualization(reader, cpu, live):
    """'container' | 'vm' | 'none' for the node the facts describe."""
    environ = reader.read(reader.proc_path("1", "environ"), binary=True, warn=False)
    if environ and any(item.startswith(b"container=") for item in environ.split(b"\0")):
        return "container"
    cgroup = reader.read(reader.proc_path("1", "cgroup"), warn=False) or ""
    if any(marker in cgroup for marker in _CONTAINER_CGROUP_MARKERS):
        return "container"
    if live and any(os.path.exists(path) for path in ("/run/.containerenv", "/.dockerenv", "/run/systemd/container")):
        return "container"
    if cpu.get("hypervisor"):
        return "vm"
    vendor = (reader.read(reader.sys_path("class", "dmi", "id", "sys_vendor"), warn=False) or "").strip().lower()
    product = (reader.read(reader.sys_path("class", "dmi", "id", "product_name"), warn=False) or "").strip().lower()
    if vendor.startswith(_VM_DMI_PREFIXES) or product.startswith(_VM_DMI_PREFIXES) or "virtual machine" in product:
        return "vm"
    # Cloud instances on Arm report no hypervisor flag; their DMI names the cloud. Bare-metal
    # instances say so in the product name.
    if vendor in ("amazon ec2", "google") and not product.endswith(".metal"):
        return "vm"
    return "none"


def kernel_release(reader, live):
    text = reader.read(reader.proc_path("sys", "kernel", "osrelease"), warn=False)
    if text and text.strip():
        return text.strip()
    return platform.release() if live else None


def node_silicon_class(devices):
    classes = sorted({device["silicon_class"] for device in devices})
    if not classes:
        return "cpu"
    if len(classes) == 1:
        return classes[0]
    return "mixed"


def driver_loaded(devices):
    for device in devices:
        if device["driver"] and device["driver"] in catalog.COMPUTE_DRIVERS.get(device["vendor"], ()):
            return True
        if "l4t" in device and device["driver"] in ("nvgpu", "nvidia"):
            return True
    return False


def gather(sysfs_root="/sys", procfs_root="/proc", tegra_release_path="/etc/nv_tegra_release"):
    """Scan the machine and return (facts, reader). Vendor-tool enrichment comes later."""
    reader = Reader(sysfs_root, procfs_root)
    live = sysfs_root == "/sys" and procfs_root == "/proc"
    functions = scan_pci(reader, vendors=catalog.ACCELERATOR_VENDORS)
    devices = [describe_pci_accelerator(function, reader) for function in functions if is_accelerator(function)]
    displays = [describe_display(function, reader) for function in functions if is_integrated_graphics(function)]
    jetson = jetson_device(reader, tegra_release_path)
    if jetson is not None:
        devices.append(jetson)
    cpu = parse_cpuinfo(reader.read(reader.proc_path("cpuinfo")))
    if cpu["model"] is not None and not cpu["has_topology"]:
        # arm64 cpuinfo names no package or core: sysfs topology does, where it is visible.
        topology = cpu_topology(reader)
        if topology:
            cpu["sockets"], cpu["cores"] = topology
    facts = {
        "devices": devices,
        "other_displays": displays,
        "nvswitch_count": sum(1 for function in functions if function["vendor_id"] == "10de" and function["class"][:4] == NVSWITCH_CLASS),
        "cpu": {key: cpu[key] for key in ("model", "sockets", "cores", "threads", "architecture", "flags")},
        "secure_boot": secure_boot_state(reader),
        "kernel": kernel_release(reader, live),
        "virtualization": virtualization(reader, cpu, live),
        "tools": {},
        "warnings": reader.warnings,
    }
    return refresh_summary(facts), reader


def refresh_summary(facts):
    """Set the node-level fields (count, vendors, silicon_class, driver_loaded) from the devices."""
    devices = facts["devices"]
    facts["count"] = len(devices)
    facts["vendors"] = sorted({device["vendor"] for device in devices})
    facts["silicon_class"] = node_silicon_class(devices)
    facts["driver_loaded"] = driver_loaded(devices)
    return facts
