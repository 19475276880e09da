# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Fleets for the fleet tests, built from what horizon.ai_platform.accelerator_facts reports on recorded machines.

Every host's ``accelerators`` facts come from ``_accelerators.gather()`` run over a machine of
tests/fixtures/machines, materialized into a temporary directory (once per machine and process), so
they have exactly the shape and values the module produces. Only the host names, the regions and,
where a comment says so, a combination of two recordings are this file's own.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import random
import sys
import tempfile

from ansible.plugins.loader import init_plugin_loader
from ansible.utils.collection_loader import AnsibleCollectionConfig

from ansible_collections.horizon.ai_platform.plugins.module_utils import _accelerators

MACHINES_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "fixtures", "machines")


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


@functools.lru_cache(maxsize=None)
def _materialize():
    """tests/fixtures/machines/materialize.py, loaded as a library."""
    spec = importlib.util.spec_from_file_location("horizon_fleet_samples_materialize", os.path.join(MACHINES_DIR, "materialize.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_GATHERED = {}
# The HGX tree alone is some 3,000 small files: a memory file system builds it ten times faster than a disk.
_SCRATCH = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK | os.X_OK) else None


def recorded_facts(machine):
    """``accelerators`` facts of the recorded machine ``machine`` (tests/fixtures/machines/<machine>.yml), as gather() returns them.

    The tree is materialized and scanned once per process; every call returns a fresh deep copy.
    Machines without a recorded /proc/cpuinfo get an empty procfs, as the module would with
    ``procfs_root`` pointing at an empty directory (gather() then warns that cpuinfo is missing).
    """
    if machine not in _GATHERED:
        with tempfile.TemporaryDirectory(prefix="horizon-fleet-samples-", dir=_SCRATCH) as tmp:
            root = os.path.join(tmp, machine)
            _materialize().materialize(os.path.join(MACHINES_DIR, machine + ".yml"), root)
            procfs = os.path.join(root, "proc")
            os.makedirs(procfs, exist_ok=True)
            facts, _reader = _accelerators.gather(os.path.join(root, "sys"), procfs, os.path.join(root, "etc", "nv_tegra_release"))
        _GATHERED[machine] = json.dumps(facts)  # also proves the facts are plain JSON data
    return json.loads(_GATHERED[machine])


def mixed_facts():
    """A node with an NVIDIA A10 and an AMD Instinct MI300X VF.

    No recorded machine has accelerators of two vendors, so this joins the device lists of two real
    gather() results (the QEMU guests qemu-a10 and mi300x-vf-qemu) and recomputes the node-level keys
    with the module's own refresh_summary().
    """
    facts = recorded_facts("qemu-a10")
    other = recorded_facts("mi300x-vf-qemu")
    facts["devices"] += other["devices"]
    facts["warnings"] += [w for w in other["warnings"] if w not in facts["warnings"]]
    return _accelerators.refresh_summary(facts)


HOSTILE_HOST = "<img src=x onerror=document.title='pwned'>"
HOSTILE_MODEL = "<script>document.title='pwned'</script>"

# host name: (recorded machine, or None for mixed_facts(), region)
SAMPLE_HOSTS = {
    "gpu-h100-01": ("hgx-h100-8x", "eu-central-1"),
    "gpu-mi300x-01": ("mi300x-8x", "us-east-1"),
    "gaudi2-01": ("gaudi2-8x", "eu-central-1"),
    "edge-orin-01": ("jetson-orin", None),
    "cpu-01": ("dev-vm", "us-east-1"),
    "mixed-01": (None, "ap-southeast-1"),
}


def _facts_of(machine):
    return mixed_facts() if machine is None else recorded_facts(machine)


def sample_fleet():
    """``{hostname: {accelerators, region}}`` for six hosts: 8x H100, 8x MI300X, 8x Gaudi2, a Jetson AGX Orin, a CPU-only VM, mixed."""
    return {name: {"accelerators": _facts_of(machine), "region": region} for name, (machine, region) in SAMPLE_HOSTS.items()}


def sample_hostvars():
    """The same fleet as hostvars: facts under ``ansible_facts.accelerators``, region in ``horizon_region`` when set."""
    out = {}
    for name, entry in sample_fleet().items():
        out[name] = {"inventory_hostname": name, "ansible_facts": {"accelerators": entry["accelerators"]}, "ansible_host": "10.0.0.1"}
        if entry["region"]:
            out[name]["horizon_region"] = entry["region"]
    return out


def hostile_fleet():
    """The sample fleet plus a host whose name, region, model and warning try to inject markup.

    Its facts are the HGX H100's, cut down to the first GPU, with those strings put in.
    """
    fleet = sample_fleet()
    facts = recorded_facts("hgx-h100-8x")
    facts["devices"] = [dict(facts["devices"][0], model=HOSTILE_MODEL)]
    facts["warnings"] = ['<b>bold</b> & "quoted"']
    fleet[HOSTILE_HOST] = {
        "accelerators": _accelerators.refresh_summary(facts),
        "region": "eu-central-1\"><script>document.title='pwned'</script>",
    }
    return fleet


# (weight, recorded machine or None for mixed_facts()) of big_fleet()
_BIG_FLEET_SHAPES = (
    (30, "hgx-h100-8x"),
    (15, "mi300x-8x"),
    (10, "gaudi2-8x"),
    (10, "azure-a100-8x"),
    (5, "qemu-a10"),
    (10, "jetson-orin"),
    (10, "dev-vm"),
    (5, "cpu-only"),
    (5, None),
)


def big_fleet(hosts, seed=7):
    """``hosts`` hosts with a realistic spread of classes and regions (deterministic).

    Each host gets its own copy of the facts of a recorded machine (see recorded_facts()), under its own name.
    """
    rng = random.Random(seed)
    regions = ["eu-central-1", "eu-west-1", "us-east-1", "us-west-2", "ap-southeast-1", "ap-northeast-1", None]
    templates = [json.dumps(_facts_of(machine)) for _weight, machine in _BIG_FLEET_SHAPES]
    weights = [weight for weight, _machine in _BIG_FLEET_SHAPES]
    out = {}
    for i in range(hosts):
        template = rng.choices(templates, weights)[0]
        out["node-%05d.example.net" % i] = {"accelerators": json.loads(template), "region": rng.choice(regions)}
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
