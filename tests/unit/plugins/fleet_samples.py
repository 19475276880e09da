# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Realistic ``accelerators`` facts, as horizon.ai_platform.accelerator_facts sets them, for the fleet tests."""

from __future__ import annotations

import copy
import os
import random
import sys

from ansible.plugins.loader import init_plugin_loader
from ansible.utils.collection_loader import AnsibleCollectionConfig


def enable_collection_loader():
    """Install ansible-core's collection loader so that the plugin loader finds this collection's plugins.

    Nothing to do when ansible-test or a conftest installed it already. Otherwise ``ansible_collections.*``
    modules imported earlier as plain namespace packages are dropped first: the loader must own them to
    know the collection's metadata.
    """
    if AnsibleCollectionConfig.collection_finder:
        return
    roots = [os.path.dirname(p) for p in getattr(sys.modules.get("ansible_collections"), "__path__", [])]
    for name in [n for n in sys.modules if n == "ansible_collections" or n.startswith("ansible_collections.")]:
        del sys.modules[name]
    init_plugin_loader(roots)


HOSTILE_HOST = "<img src=x onerror=document.title='pwned'>"
HOSTILE_MODEL = "<script>document.title='pwned'</script>"

_CPU_SPR = {
    "model": "Intel(R) Xeon(R) Platinum 8480+",
    "sockets": 2,
    "cores": 112,
    "flags": ["avx2", "avx512f", "amx_bf16", "amx_int8"],
}
_CPU_GENOA = {"model": "AMD EPYC 9654 96-Core Processor", "sockets": 2, "cores": 192, "flags": ["avx2", "avx512f"]}
_CPU_ORIN = {"model": "ARMv8 Processor rev 1 (v8l)", "sockets": 1, "cores": 12, "flags": ["fp", "asimd", "sve"]}

# PCI bus numbers of the eight accelerators on a typical HGX-style 2-socket board.
_BUSES = ("18", "2a", "3a", "5d", "9a", "ab", "ba", "db")


def device(vendor, vendor_id, device_id, model, architecture, silicon_class, memory_mib, **extra):
    out = {
        "pci_address": None,
        "vendor": vendor,
        "vendor_id": vendor_id,
        "device_id": device_id,
        "model": model,
        "architecture": architecture,
        "silicon_class": silicon_class,
        "memory_mib": memory_mib,
        "numa_node": None,
        "driver": None,
        "driver_version": None,
    }
    out.update(extra)
    return out


def eight(template, driver=None, driver_version=None):
    """Eight copies of ``template`` on the usual buses, NUMA nodes 0 and 1."""
    return [
        dict(template, pci_address="0000:%s:00.0" % bus, numa_node=0 if i < 4 else 1, driver=driver, driver_version=driver_version)
        for i, bus in enumerate(_BUSES)
    ]


def facts(devices, cpu, vendors=None, silicon_class=None, **extra):
    classes = sorted({d["silicon_class"] for d in devices})
    out = {
        "count": len(devices),
        "vendors": vendors if vendors is not None else sorted({d["vendor"] for d in devices}),
        "silicon_class": silicon_class or ("cpu" if not classes else classes[0] if len(classes) == 1 else "mixed"),
        "driver_loaded": any(d["driver"] for d in devices),
        "devices": devices,
        "cpu": cpu,
        "secure_boot": "enabled",
        "kernel": "6.8.0-45-generic",
        "virtualization": "none",
        "warnings": [],
    }
    out.update(extra)
    return out


H100 = device("nvidia", "10de", "2330", "H100 SXM5 80GB", "hopper", "nvidia-hopper", 81559)
MI300X = device("amd", "1002", "74a1", "Instinct MI300X", "cdna3", "amd-cdna3", 196592)
GAUDI2 = device("intel", "1da3", "1020", "Gaudi2 HL-225", "gaudi2", "intel-gaudi2", 98304)
L40S = device("nvidia", "10de", "26b9", "L40S", "ada", "nvidia-ada", 46068)
W7900 = device("amd", "1002", "7448", "Radeon PRO W7900", "rdna3", "amd-rdna3", 49136)
ORIN = device("nvidia", None, None, "Jetson AGX Orin 64GB", "ampere", "nvidia-jetson-orin", None)


def sample_fleet():
    """``{hostname: {accelerators, region}}`` for six hosts: 8x H100, 8x MI300X, 8x Gaudi2, a Jetson Orin, CPU-only, mixed."""
    return copy.deepcopy(
        {
            "gpu-h100-01": {"accelerators": facts(eight(H100, "nvidia", "550.90.07"), _CPU_SPR), "region": "eu-central-1"},
            "gpu-mi300x-01": {"accelerators": facts(eight(MI300X, "amdgpu", "6.8.5"), _CPU_GENOA, kernel="6.8.0-51-generic"), "region": "us-east-1"},
            "gaudi2-01": {
                "accelerators": facts(eight(GAUDI2), _CPU_SPR, secure_boot="disabled", warnings=["habanalabs driver is not loaded"]),
                "region": "eu-central-1",
            },
            "edge-orin-01": {
                "accelerators": facts([dict(ORIN, driver="nvgpu")], _CPU_ORIN, kernel="5.15.148-tegra", secure_boot="unknown"),
                "region": None,
            },
            "cpu-01": {"accelerators": facts([], _CPU_SPR, virtualization="vm"), "region": "us-east-1"},
            "mixed-01": {
                "accelerators": facts(
                    [
                        dict(L40S, pci_address="0000:17:00.0", numa_node=0, driver="nvidia", driver_version="550.90.07"),
                        dict(L40S, pci_address="0000:65:00.0", numa_node=0, driver="nvidia", driver_version="550.90.07"),
                        dict(W7900, pci_address="0000:ca:00.0", numa_node=1),
                        device("nvidia", "10de", "2bb5", None, None, "nvidia-unknown", None, pci_address="0000:e1:00.0", numa_node=1),
                    ],
                    _CPU_GENOA,
                    warnings=["amdgpu driver is not loaded", "unknown NVIDIA device 10de:2bb5"],
                ),
                "region": "ap-southeast-1",
            },
        }
    )


def sample_hostvars():
    """The same fleet as hostvars: facts under ``ansible_facts.accelerators``, region in ``horizon_region`` when set."""
    out = {}
    for name, entry in sample_fleet().items():
        out[name] = {"inventory_hostname": name, "ansible_facts": {"accelerators": entry["accelerators"]}, "ansible_host": "10.0.0.1"}
        if entry["region"]:
            out[name]["horizon_region"] = entry["region"]
    return out


def hostile_fleet():
    """The sample fleet plus a host whose name and model try to inject markup."""
    fleet = sample_fleet()
    fleet[HOSTILE_HOST] = {
        "accelerators": facts([dict(H100, model=HOSTILE_MODEL, pci_address="0000:18:00.0")], _CPU_SPR, warnings=['<b>bold</b> & "quoted"']),
        "region": "eu-central-1\"><script>document.title='pwned'</script>",
    }
    return fleet


def big_fleet(hosts, seed=7):
    """``hosts`` hosts with a realistic spread of classes and regions (deterministic)."""
    rng = random.Random(seed)
    regions = ["eu-central-1", "eu-west-1", "us-east-1", "us-west-2", "ap-southeast-1", "ap-northeast-1", None]
    shapes = [
        (30, lambda: facts(eight(H100, "nvidia", "550.90.07"), _CPU_SPR)),
        (15, lambda: facts(eight(MI300X, "amdgpu", "6.8.5"), _CPU_GENOA)),
        (10, lambda: facts(eight(GAUDI2, "habanalabs", "1.18.0"), _CPU_SPR)),
        (15, lambda: facts([dict(L40S, pci_address="0000:%02x:00.0" % (0x17 + i)) for i in range(4)], _CPU_GENOA)),
        (10, lambda: facts([dict(ORIN)], _CPU_ORIN)),
        (15, lambda: facts([], _CPU_SPR)),
        (5, lambda: facts([dict(L40S, pci_address="0000:17:00.0"), dict(W7900, pci_address="0000:ca:00.0")], _CPU_GENOA)),
    ]
    weights = [weight for weight, _make in shapes]
    out = {}
    for i in range(hosts):
        make = rng.choices(shapes, weights)[0][1]
        out["node-%05d.example.net" % i] = {"accelerators": make(), "region": rng.choice(regions)}
    return out


# hosts_by_silicon_class() of sample_fleet()
SAMPLE_HOSTS_BY_CLASS = {
    "amd-cdna3": ["gpu-mi300x-01"],
    "cpu": ["cpu-01"],
    "intel-gaudi2": ["gaudi2-01"],
    "mixed": ["mixed-01"],
    "nvidia-hopper": ["gpu-h100-01"],
    "nvidia-jetson-orin": ["edge-orin-01"],
}
