# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The driver plan for every OS x silicon pair, from the role's own vars files and recorded machines.

Each pair is rendered as ansible-playbook renders it (ansible-core's Templar over the role's
defaults, vars/main.yml and the OS file) and compared with the package and repository names the
vendors document (docs/design/accelerator-drivers-research.md).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from ansible_collections.horizon.ai_platform.plugins.module_utils import _accelerators as acc
from ansible_collections.horizon.ai_platform.plugins.module_utils import _driver_plan as dp
from ansible_collections.horizon.ai_platform.tests.unit.roles.role_vars import ROLES, render, role_vars

MACHINES = Path(__file__).resolve().parents[3] / "fixtures" / "machines"
sys.path.insert(0, str(MACHINES))
import materialize  # noqa: E402

VARS = ROLES / "accelerator_drivers" / "vars"
OS_FILES = {
    "Debian_12.yml": {"distribution_version": "12.8", "kernel": "6.1.0-28-amd64"},
    "Debian_13.yml": {"distribution_version": "13.2", "kernel": "6.12.57+deb13-amd64"},
    "Ubuntu_22.yml": {"distribution_version": "22.04", "kernel": "5.15.0-130-generic"},
    "Ubuntu_24.yml": {"distribution_version": "24.04", "kernel": "6.8.0-51-generic"},
    "RedHat_9.yml": {"distribution_version": "9.4", "kernel": "5.14.0-427.13.1.el9_4.x86_64"},
    "RedHat_10.yml": {"distribution_version": "10.0", "kernel": "6.12.0-55.9.1.el10_0.x86_64"},
}
# A recorded machine per stack.
MACHINE_OF = {
    "nvidia": "hgx-h100-8x",
    "amd": "mi300x-8x",
    "intel_gaudi": "gaudi2-8x",
    "intel_gpu": "intel-max",
    "nvidia_jetson": "jetson-orin",
}
# What the support matrix in vars/main.yml promises, by OS file.
SUPPORTED = {
    "Debian_12.yml": {"nvidia", "amd"},
    "Debian_13.yml": {"nvidia", "amd"},
    "Ubuntu_22.yml": {"nvidia", "nvidia_jetson", "amd", "intel_gaudi", "intel_gpu"},
    "Ubuntu_24.yml": {"nvidia", "nvidia_jetson", "amd", "intel_gaudi", "intel_gpu"},
    "RedHat_9.yml": {"nvidia", "amd", "intel_gaudi"},
    "RedHat_10.yml": {"nvidia", "amd"},
}
_FACTS_CACHE = {}


def machine_facts(name, tmp_path_factory):
    if name not in _FACTS_CACHE:
        root = tmp_path_factory.mktemp(name)
        materialize.materialize(str(MACHINES / ("%s.yml" % name)), str(root / "m"))
        facts, _reader = acc.gather(str(root / "m" / "sys"), str(root / "no-proc"), str(root / "m" / "etc" / "nv_tegra_release"))
        _FACTS_CACHE[name] = facts
    return _FACTS_CACHE[name]


def os_data(os_file, extra=None, architecture="x86_64"):
    facts = dict(OS_FILES[os_file], architecture=architecture)
    templar = role_vars("accelerator_drivers", os_file, facts, extra=extra)
    return render(templar, "__accelerator_drivers_os"), templar


def plan_for(os_file, facts, settings=None, extra=None):
    data, templar = os_data(os_file, extra=extra)
    settings = dict(settings or {})
    settings.setdefault("known_repositories", render(templar, "__accelerator_drivers_repository_names"))
    return dp.plan(facts, data, settings, supported=render(templar, "__accelerator_drivers_support"))


def stack(plan, name):
    (entry,) = [s for s in plan["stacks"] if s["name"] == name]
    return entry


def test_every_os_file_is_tested_and_the_support_matrix_says_what_the_files_hold():
    assert {path.name for path in VARS.glob("*.yml")} - {"main.yml"} == set(OS_FILES)
    _data, templar = os_data("Debian_12.yml")
    matrix = render(templar, "__accelerator_drivers_support")
    for os_file, stacks in SUPPORTED.items():
        held = set(os_data(os_file)[0]["stacks"])
        assert held == stacks, os_file
        name = os_data(os_file)[0]["name"]
        for stack_name in dp.STACKS:
            listed = any(entry.startswith(name) for entry in matrix[stack_name])
            assert listed == (stack_name in stacks), (os_file, stack_name)


def test_the_repository_names_list_is_every_name_in_the_os_files():
    names = set()
    for os_file in OS_FILES:
        for stack_data in os_data(os_file)[0]["stacks"].values():
            for source in stack_data["sources"].values():
                names.update(repo["name"] for repo in source.get("repositories") or [])
    templar = os_data("Debian_12.yml")[1]
    assert set(render(templar, "__accelerator_drivers_repository_names")) == names


PAIRS = [(os_file, stack_name) for os_file in OS_FILES for stack_name in sorted(SUPPORTED[os_file])]


@pytest.mark.parametrize(("os_file", "stack_name"), PAIRS)
def test_every_supported_pair_renders_a_complete_plan(tmp_path_factory, os_file, stack_name):
    facts = machine_facts(MACHINE_OF[stack_name], tmp_path_factory)
    overrides = {}
    # Keys whose full fingerprint no source the authors read gives: the operator must supply them.
    if os_file == "RedHat_10.yml" and stack_name == "nvidia":
        overrides = {"cuda": {"fingerprints": ["A" * 40]}}
    plan = plan_for(os_file, facts, {"repositories": overrides})
    entry = stack(plan, stack_name)
    assert entry["count"] == facts["count"]
    assert entry["packages"], entry
    assert entry["tool"] in (None, "nvidia-smi", "amd-smi", "rocm-smi", "hl-smi", "xpu-smi")
    assert plan["kernel_steps"] is True
    for repo in entry["repositories"]:
        assert repo["uris"] and all(uri.startswith(("https://", "http://")) for uri in repo["uris"])
        assert repo["keyring"] or (repo["key_url"].startswith("https://") and repo["fingerprints"])
        assert "{{" not in str(repo) and "{l4t_branch}" not in str(repo) and "{soc}" not in str(repo)
    assert "{{" not in str(entry)


def test_nvidia_debian12_vendor_names_match_nvidia_documentation(tmp_path_factory):
    plan = plan_for("Debian_12.yml", machine_facts("hgx-h100-8x", tmp_path_factory))
    entry = stack(plan, "nvidia")
    # NVIDIA driver installation guide, Debian: compute-only open = nvidia-driver-cuda nvidia-kernel-open-dkms.
    assert entry["flavour"] == "open"
    assert entry["packages"][0] == "nvidia-driver-cuda"
    assert entry["kernel_packages"] == ["nvidia-kernel-open-dkms"]
    # An HGX baseboard (4 NVSwitches in the recording) gets Fabric Manager, locked to the branch.
    assert entry["nvswitch_count"] == 4
    assert "nvidia-fabricmanager-580" in entry["packages"]
    assert "nvidia-fabricmanager-580=580.*" in entry["install"]
    assert "nvidia-persistenced" in entry["packages"]
    assert entry["services"] == ["nvidia-persistenced", "nvidia-fabricmanager"]
    assert entry["prerequisites"] == ["nvidia-driver-pinning-580"]
    (repo,) = entry["repositories"]
    assert repo["uris"] == ["https://developer.download.nvidia.com/compute/cuda/repos/debian12/x86_64/"]
    assert repo["suites"] == ["/"] and repo["components"] == []
    assert repo["key_url"].endswith("/debian12/x86_64/3bf863cc.pub")
    assert repo["fingerprints"] == ["EB693B3035CD5710E231E123A4B469963BF863CC"]
    assert entry["blacklist"] == ["nouveau"] and entry["modules"] == ["nvidia", "nvidia_uvm"]


def test_nvidia_debian13_uses_its_own_repository_and_key(tmp_path_factory):
    entry = stack(plan_for("Debian_13.yml", machine_facts("hgx-h100-8x", tmp_path_factory)), "nvidia")
    (repo,) = entry["repositories"]
    assert "/repos/debian13/" in repo["uris"][0]
    assert repo["key_url"].endswith("/8793F200.pub")
    assert repo["fingerprints"] == ["02182E60104FCDC26EAE1B8597A5D4CB8793F200"]


def test_nvidia_distribution_source_on_debian(tmp_path_factory):
    facts = machine_facts("hgx-h100-8x", tmp_path_factory)
    entry = stack(plan_for("Debian_12.yml", facts, {"sources": {"nvidia": "distribution"}, "nvidia_fabric_manager": False}), "nvidia")
    assert entry["packages"][:2] == ["nvidia-smi", "libcuda1"]
    assert entry["kernel_packages"] == ["nvidia-open-kernel-dkms", "firmware-nvidia-gsp"]
    assert entry["version"] is None and entry["install"][0] == "nvidia-smi"
    (repo,) = entry["repositories"]
    assert repo["components"] == ["contrib", "non-free", "non-free-firmware"]
    assert repo["keyring"] == "/usr/share/keyrings/debian-archive-keyring.gpg"
    # Debian's driver has no Fabric Manager: an NVSwitch system on it must say so.
    with pytest.raises(ValueError, match="no Fabric Manager package"):
        plan_for("Debian_12.yml", facts, {"sources": {"nvidia": "distribution"}})


@pytest.mark.parametrize(
    ("branch", "compute", "dkms", "utils"),
    [
        ("580", "libnvidia-compute-580", "nvidia-dkms-580-open", "nvidia-utils-580"),
        ("590", "libnvidia-compute", "nvidia-dkms-open", "nvidia-utils"),
        ("595", "libnvidia-compute", "nvidia-dkms-open", "nvidia-utils"),
    ],
)
def test_nvidia_ubuntu_names_drop_the_branch_from_590(tmp_path_factory, branch, compute, dkms, utils):
    facts = machine_facts("hgx-h100-8x", tmp_path_factory)
    entry = stack(plan_for("Ubuntu_24.yml", facts, extra={"accelerator_drivers_nvidia_branch": branch}), "nvidia")
    assert entry["packages"][:2] == [compute, utils]
    assert entry["kernel_packages"] == [dkms]
    assert entry["prerequisites"] == ["nvidia-driver-pinning-%s" % branch]
    assert "%s=%s.*" % (compute, branch) in entry["install"]
    assert entry["repositories"][0]["uris"] == ["https://developer.download.nvidia.com/compute/cuda/repos/ubuntu2404/x86_64/"]


def test_nvidia_ubuntu_distribution_source_uses_signed_precompiled_modules(tmp_path_factory):
    facts = machine_facts("hgx-h100-8x", tmp_path_factory)
    entry = stack(plan_for("Ubuntu_22.yml", facts, {"sources": {"nvidia": "distribution"}}), "nvidia")
    assert entry["kernel_packages"] == ["linux-modules-nvidia-580-server-open-generic"]
    assert entry["packages"][:2] == ["nvidia-utils-580-server", "libnvidia-compute-580-server"]
    assert "nvidia-fabricmanager-580" in entry["packages"] and "libnvidia-nscq-580" in entry["packages"]
    assert entry["repositories"] == []


def test_nvidia_rhel9_module_stream_and_rhel10_versionlock(tmp_path_factory):
    facts = machine_facts("hgx-h100-8x", tmp_path_factory)
    rhel9 = stack(plan_for("RedHat_9.yml", facts), "nvidia")
    assert rhel9["module_stream"] == "nvidia-driver:580-open"
    assert rhel9["packages"][0] == "nvidia-driver-cuda" and rhel9["kernel_packages"] == ["kmod-nvidia-open-dkms"]
    assert "nvidia-fabricmanager" in rhel9["packages"]
    assert rhel9["repositories"][0]["fingerprints"] == ["610C7B14E068A878070DA4E99CD0A493D42D0685"]
    # dnf installs names; the version is held by versionlock specs.
    assert rhel9["install"][0] == "nvidia-driver-cuda"
    assert "nvidia-driver-cuda-580.*" in rhel9["hold"]
    proprietary = stack(plan_for("RedHat_9.yml", facts, {"nvidia_modules": "auto"}, extra={"accelerator_drivers_nvidia_branch": "570"}), "nvidia")
    assert "nvidia-fabric-manager" in proprietary["packages"]  # the RPM's name before 580
    with pytest.raises(ValueError, match=r"cuda.*no fingerprints.*accelerator_drivers_repositories\['cuda'\]"):
        plan_for("RedHat_10.yml", facts)
    rhel10 = stack(plan_for("RedHat_10.yml", facts, {"repositories": {"cuda": {"fingerprints": ["ab" * 20]}}}), "nvidia")
    assert rhel10["module_stream"] is None
    assert rhel10["repositories"][0]["key_url"].endswith("/rhel10/x86_64/CDF6BA43.pub")
    assert rhel10["repositories"][0]["fingerprints"] == ["AB" * 20]


def test_amd_repositories_follow_the_documented_layout(tmp_path_factory):
    facts = machine_facts("mi300x-8x", tmp_path_factory)
    debian12 = stack(plan_for("Debian_12.yml", facts), "amd")
    amdgpu, rocm = debian12["repositories"]
    assert amdgpu["uris"] == ["https://repo.radeon.com/amdgpu/30.30.3/ubuntu"] and amdgpu["suites"] == ["jammy"]
    assert rocm["uris"] == ["https://repo.radeon.com/rocm/apt/7.2.3"] and rocm["suites"] == ["jammy"]
    assert rocm["fingerprints"] == ["CA8BB4727A47B4D09B4EE8969386B48A1A693C5C"]
    assert debian12["kernel_packages"] == ["amdgpu-dkms"] and "rocm=7.2.3.*" in debian12["install"]
    assert stack(plan_for("Debian_13.yml", facts), "amd")["repositories"][0]["suites"] == ["noble"]
    rhel9 = stack(plan_for("RedHat_9.yml", facts), "amd")
    assert rhel9["repositories"][0]["uris"] == ["https://repo.radeon.com/amdgpu/30.30.3/el/9.4/main/x86_64/"]
    assert rhel9["repositories"][1]["uris"] == ["https://repo.radeon.com/rocm/el9/7.2.3/main"]
    assert stack(plan_for("RedHat_10.yml", facts), "amd")["repositories"][0]["uris"] == ["https://repo.radeon.com/amdgpu/30.30.3/el/10/main/x86_64/"]
    debian13 = stack(plan_for("Debian_13.yml", facts, {"sources": {"amd": "distribution"}}), "amd")
    assert debian13["packages"] == ["rocminfo", "rocm-smi", "amd-smi"] and debian13["tool"] == "amd-smi"


def test_gaudi_and_intel_gpu_names(tmp_path_factory):
    gaudi = stack(plan_for("Ubuntu_22.yml", machine_facts("gaudi2-8x", tmp_path_factory)), "intel_gaudi")
    assert gaudi["kernel_packages"] == ["habanalabs-dkms"]
    assert "habanalabs-firmware-tools" in gaudi["packages"] and gaudi["tool"] == "hl-smi"
    assert "habanalabs-dkms=1.23.0-*" in gaudi["install"]
    assert gaudi["repositories"][0]["uris"] == ["https://vault.habana.ai/artifactory/debian"]
    assert gaudi["modules"] == ["habanalabs_en", "habanalabs_cn", "habanalabs", "habanalabs_ib"]
    rhel = stack(plan_for("RedHat_9.yml", machine_facts("gaudi3-8x", tmp_path_factory)), "intel_gaudi")
    assert rhel["kernel_packages"] == ["habanalabs"]  # the DKMS RPM's name on RHEL
    assert rhel["repositories"][0]["uris"] == ["https://vault.habana.ai/artifactory/rhel/9/9.4"]
    lts = stack(plan_for("Ubuntu_22.yml", machine_facts("intel-max", tmp_path_factory)), "intel_gpu")
    assert lts["repositories"][0]["suites"] == ["jammy/lts/2350"] and lts["kernel_packages"] == ["intel-fw-gpu", "intel-i915-dkms"]
    noble = stack(plan_for("Ubuntu_24.yml", machine_facts("intel-max", tmp_path_factory)), "intel_gpu")
    assert noble["packages"] == ["libze-intel-gpu1", "libze1", "intel-opencl-icd", "xpu-smi"]


def test_jetson_repository_follows_the_boards_release(tmp_path_factory):
    facts = machine_facts("jetson-orin", tmp_path_factory)
    release = facts["devices"][0]["l4t"]
    entry = stack(plan_for("Ubuntu_22.yml", facts), "nvidia_jetson")
    branch = "r%s.%s" % (release["release"][1:], release["revision"].split(".")[0])
    assert entry["jetson_branch"] == branch
    common, soc = entry["repositories"]
    assert common["uris"] == ["https://repo.download.nvidia.com/jetson/common"] and common["suites"] == [branch]
    assert soc["uris"] == ["https://repo.download.nvidia.com/jetson/t234"]
    assert entry["packages"] == ["nvidia-jetpack"] and entry["kernel_packages"] == []
    with pytest.raises(ValueError, match="only verified with the root filesystem of their own L4T release"):
        plan_for("Ubuntu_22.yml", facts, {"jetson_release": "r35.5"})


@pytest.mark.parametrize(
    ("os_file", "machine", "stack_label"),
    [
        ("Debian_12.yml", "gaudi2-8x", "Intel Gaudi"),
        ("Debian_13.yml", "intel-max", "Intel Data Center GPU"),
        ("RedHat_10.yml", "gaudi3-8x", "Intel Gaudi"),
        ("Debian_12.yml", "jetson-orin", "NVIDIA Jetson"),
    ],
)
def test_an_unsupported_pair_fails_listing_what_is_supported(tmp_path_factory, os_file, machine, stack_label):
    with pytest.raises(ValueError) as error:
        plan_for(os_file, machine_facts(machine, tmp_path_factory))
    message = str(error.value)
    assert stack_label in message and "is not supported" in message
    assert "Supported: nvidia: Debian 12, Debian 13" in message and "intel_gaudi: Ubuntu 22.04, Ubuntu 24.04, RHEL 9" in message


def test_a_cpu_only_node_gets_nothing_and_says_so(tmp_path_factory):
    plan = plan_for("Debian_13.yml", machine_facts("cpu-only", tmp_path_factory) if (MACHINES / "cpu-only.yml").exists() else {"devices": []})
    assert plan["stacks"] == [] and plan["install"] == []
    assert plan["summary"] == "no accelerator here that needs a driver stack (CPU-only node): nothing to install"


def test_a_container_skips_only_the_kernel_steps(tmp_path_factory):
    facts = dict(machine_facts("hgx-h100-8x", tmp_path_factory), virtualization="container")
    plan = plan_for("Debian_12.yml", facts)
    entry = stack(plan, "nvidia")
    assert plan["kernel_steps"] is False and "container" in plan["kernel_reason"]
    assert entry["kernel_packages"] == [] and entry["skipped_kernel_packages"] == ["nvidia-kernel-open-dkms"]
    assert entry["services"] == [] and entry["modules"] == [] and entry["blacklist"] == []
    # persistenced runs beside the kernel module; Fabric Manager's package is still installed, its service is not.
    assert "nvidia-persistenced" not in entry["packages"]
    assert plan["messages"] == ["nvidia: kernel packages left out: nvidia-kernel-open-dkms."]
    forced = plan_for("Debian_12.yml", facts, {"kernel_steps": "always"})
    assert stack(forced, "nvidia")["kernel_packages"] == ["nvidia-kernel-open-dkms"]


def _gpu(architecture, device_id, model):
    return {"vendor": "nvidia", "vendor_id": "10de", "device_id": device_id, "architecture": architecture, "model": model, "pci_address": "0000:01:00.0"}


@pytest.mark.parametrize(
    ("devices", "requested", "flavour"),
    [
        ([_gpu("hopper", "2330", "H100")], "auto", "open"),
        ([_gpu("turing", "1eb8", "Tesla T4")], "auto", "open"),
        ([_gpu(None, "1db1", "V100")], "auto", "proprietary"),  # Volta, not in the catalog: below 0x1e00
        ([_gpu(None, "2c02", None)], "auto", "open"),  # a newer GPU the catalog does not know yet
        ([_gpu("ampere", "20b2", "A100")], "proprietary", "proprietary"),
    ],
)
def test_nvidia_module_flavour(devices, requested, flavour):
    assert dp.nvidia_flavour(devices, requested)[0] == flavour


@pytest.mark.parametrize(
    ("devices", "requested", "message"),
    [
        ([_gpu("blackwell", "2901", "B200")], "proprietary", "B200 only work with the open kernel modules"),
        ([_gpu("hopper", "2342", "GH200 96GB")], "proprietary", "GH200 96GB only work with the open kernel modules"),
        ([_gpu(None, "1db1", "V100")], "open", "V100 are older than Turing"),
        ([_gpu(None, "1db1", "V100"), _gpu("blackwell", "2901", "B200")], "auto", "no NVIDIA driver supports both"),
        ([_gpu("hopper", "2330", "H100")], "closed", "must be one of auto, open, proprietary"),
    ],
)
def test_nvidia_module_flavour_refusals(devices, requested, message):
    with pytest.raises(ValueError, match=message):
        dp.nvidia_flavour(devices, requested)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"stacks": ["amd"]}, "asks for amd, but the PCI scan found no such devices on this node"),
        ({"stacks": ["tpu"]}, "unknown stacks tpu"),
        ({"sources": {"nvidia": "mirror"}}, "must be one of vendor, distribution"),
        ({"repositories": {"cudaa": {"uris": ["https://mirror/"]}}}, "names cudaa, which is no repository of this role"),
        ({"repositories": ["cuda"]}, "must be a dictionary of repository name to override"),
        ({"repositories": {"cuda": {"uris": ["ftp://mirror/"]}}}, "must be an http://, https:// or file:// URL"),
        ({"repositories": {"cuda": {"fingerprints": ["3BF863CC"]}}}, "not a full 40-hex-digit OpenPGP fingerprint"),
        ({"repositories": {"cuda": {"key": "not a key"}}}, "ASCII-armored OpenPGP public key block"),
        ({"repositories": {"cuda": {"trusted": True}}}, "unknown keys trusted"),
        ({"repositories": {"cuda": {"suites": ["horizon"]}}}, "needs components for suites horizon"),
        ({"kernel_steps": "sometimes"}, "must be one of auto, always, never"),
        ({"nvidia_fabric_manager": "sometimes"}, "must be auto, true or false"),
    ],
)
def test_bad_settings_fail_with_a_message_naming_them(tmp_path_factory, settings, message):
    with pytest.raises(ValueError, match=message):
        plan_for("Debian_12.yml", machine_facts("hgx-h100-8x", tmp_path_factory), settings)


def test_a_mirror_override_replaces_uris_and_key(tmp_path_factory):
    key = "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQINBF...\n-----END PGP PUBLIC KEY BLOCK-----\n"
    override = {
        "cuda": {
            "uris": ["https://apt.mirror.example/cuda/"],
            "suites": ["stable"],
            "components": ["main"],
            "key": key,
            "fingerprints": ["eb69 3b30 35cd 5710 e231 e123 a4b4 6996 3bf8 63cc"],
        }
    }
    (repo,) = stack(plan_for("Debian_12.yml", machine_facts("hgx-h100-8x", tmp_path_factory), {"repositories": override}), "nvidia")["repositories"]
    assert repo["uris"] == ["https://apt.mirror.example/cuda/"] and repo["suites"] == ["stable"]
    assert repo["key"] == key and repo["key_url"] == ""
    assert repo["fingerprints"] == ["EB693B3035CD5710E231E123A4B469963BF863CC"]


def test_missing_facts_fail_clearly():
    data, _templar = os_data("Debian_12.yml")
    with pytest.raises(ValueError, match=r"run horizon\.ai_platform\.accelerator_facts first"):
        dp.plan({}, data)


def _seen(address, device_id=None, name="NVIDIA A100-SXM4-80GB"):
    entry = {"pci_address": address, "product_name": name}
    if device_id:
        entry["device_id"] = device_id
    return entry


def _after(tool_state):
    device = _gpu("ampere", "20b2", "A100 SXM4 80GB")
    return {"devices": [device], "tools": {"nvidia-smi": tool_state}}


STACK = {"name": "nvidia", "tool": "nvidia-smi", "pci_addresses": ["0000:01:00.0"]}


def test_verify_success_and_each_kind_of_failure():
    ok = dp.verify(STACK, _after({"status": "ok", "devices": [_seen("0000:01:00.0", "20b2")]}))
    assert ok["ok"] and ok["message"] == "nvidia: nvidia-smi sees every device the PCI scan found (0000:01:00.0 A100 SXM4 80GB)"
    missing = dp.verify(STACK, _after({"status": "ok", "devices": []}))
    assert not missing["ok"] and "Missing from nvidia-smi: 0000:01:00.0" in missing["message"]
    other = dp.verify(STACK, _after({"status": "ok", "devices": [_seen("0000:01:00.0", "1eb8", "Tesla T4")]}))
    assert not other["ok"] and "0000:01:00.0 (PCI scan 20b2, nvidia-smi 1eb8)" in other["message"]
    absent = dp.verify(STACK, {"devices": [], "tools": {}})
    assert not absent["ok"] and "did not run after the install" in absent["message"]
    mismatch = dp.verify(
        STACK, _after({"status": "failed", "error": "`nvidia-smi -q -x` exited 18: Failed to initialize NVML: Driver/library version mismatch"})
    )
    assert not mismatch["ok"] and mismatch["mismatch"] and "a reboot" in mismatch["message"]


def test_secure_boot_signs_dkms_builds_with_the_mok(tmp_path_factory):
    facts = dict(machine_facts("hgx-h100-8x", tmp_path_factory), secure_boot="enabled")
    plan = plan_for("Debian_12.yml", facts)
    entry = stack(plan, "nvidia")
    assert plan["secure_boot"] == "enabled" and plan["mok"] is True
    assert entry["module_build"] == "dkms" and entry["signing"] == "mok"
    assert "signed with the site's Machine Owner Key" in " ".join(plan["messages"])
    # Debian's in-kernel amdgpu is signed by Debian: no MOK.
    amd = plan_for("Debian_13.yml", dict(machine_facts("mi300x-8x", tmp_path_factory), secure_boot="enabled"), {"sources": {"amd": "distribution"}})
    assert stack(amd, "amd")["signing"] == "distribution" and amd["mok"] is False
    # Gaudi's DKMS package on RHEL is named habanalabs, without "dkms": its data says how it builds.
    gaudi = plan_for("RedHat_9.yml", dict(machine_facts("gaudi2-8x", tmp_path_factory), secure_boot="enabled"))
    assert stack(gaudi, "intel_gaudi")["signing"] == "mok"


def test_secure_boot_on_ubuntu_prefers_canonicals_signed_modules(tmp_path_factory):
    facts = dict(machine_facts("hgx-h100-8x", tmp_path_factory), secure_boot="enabled")
    plan = plan_for("Ubuntu_24.yml", facts)
    entry = stack(plan, "nvidia")
    assert entry["source"] == "distribution" and entry["signing"] == "vendor" and plan["mok"] is False
    assert entry["kernel_packages"] == ["linux-modules-nvidia-580-server-open-generic"]
    assert "signed precompiled modules are used instead of the vendor source's DKMS build" in " ".join(plan["messages"])
    # An explicit source is kept: then the DKMS build is signed with the MOK.
    kept = plan_for("Ubuntu_24.yml", facts, {"sources": {"nvidia": "vendor"}})
    assert stack(kept, "nvidia")["source"] == "vendor" and kept["mok"] is True


def test_secure_boot_state_unknown_or_overridden(tmp_path_factory):
    facts = machine_facts("hgx-h100-8x", tmp_path_factory)  # the recordings do not show the state
    plan = plan_for("Debian_12.yml", facts)
    assert plan["secure_boot"] == "unknown" and plan["mok"] is False
    assert "Secure Boot state is unknown" in " ".join(plan["messages"])
    assert plan_for("Debian_12.yml", facts, {"secure_boot": "enabled"})["mok"] is True
    assert plan_for("Debian_12.yml", dict(facts, secure_boot="enabled"), {"secure_boot": "disabled"})["mok"] is False
    # In a container nothing is signed: there is no kernel of its own.
    assert plan_for("Debian_12.yml", dict(facts, secure_boot="enabled", virtualization="container"))["mok"] is False
    with pytest.raises(ValueError, match="accelerator_drivers_secure_boot must be one of auto, enabled, disabled"):
        plan_for("Debian_12.yml", facts, {"secure_boot": "on"})


def test_verify_reports_a_recorded_driver_library_mismatch(recorded):
    from ansible_collections.horizon.ai_platform.plugins.module_utils import _vendor_tools as tools  # noqa: PLC0415

    class Runner:
        def which(self, name):
            return "/usr/bin/" + name

        def run(self, argv):
            return 18, recorded("nvidia/nvidia-smi_error_driver-library-mismatch_nvml-580.173.txt"), ""

    facts = {"devices": [_gpu("ampere", "20b2", "A100 SXM4 80GB")], "tools": {}, "warnings": []}
    tools.enrich(facts, Runner())
    report = dp.verify(STACK, facts)
    assert not report["ok"] and report["mismatch"] is True
    assert "Driver/library version mismatch" in report["message"] and "a reboot (or reloading the modules) fixes it" in report["message"]


def test_booleans_from_the_command_line_and_the_boundary_urls(tmp_path_factory):
    facts = machine_facts("hgx-h100-8x", tmp_path_factory)
    plan = plan_for("Debian_12.yml", facts, {"nvidia_persistenced": "false", "nvidia_fabric_manager": "no", "nvidia_dcgm": "yes"})
    entry = stack(plan, "nvidia")
    assert "nvidia-persistenced" not in entry["packages"] and "nvidia-fabricmanager-580" not in entry["packages"]
    assert "datacenter-gpu-manager-4-cuda13" in entry["packages"]
    with pytest.raises(ValueError, match="accelerator_drivers_nvidia_dcgm must be a boolean"):
        plan_for("Debian_12.yml", facts, {"nvidia_dcgm": "maybe"})
    # The key is fetched from its own URL: the boundary check covers it too.
    assert plan["boundary_urls"] == [
        {"name": "cuda", "url": "https://developer.download.nvidia.com/compute/cuda/repos/debian12/x86_64/"},
        {"name": "cuda", "url": "https://developer.download.nvidia.com/compute/cuda/repos/debian12/x86_64/3bf863cc.pub"},
    ]


def test_stale_versionlock_entries_after_a_branch_change(tmp_path_factory):
    facts = machine_facts("hgx-h100-8x", tmp_path_factory)
    rhel10 = plan_for("RedHat_10.yml", facts, {"repositories": {"cuda": {"fingerprints": ["ab" * 20]}}}, extra={"accelerator_drivers_nvidia_branch": "590"})
    locks = [
        "nvidia-driver-cuda-580.*",  # the raw pattern the role added for branch 580
        "nvidia-driver-cuda-3:580.95.05-1.el10.*",  # what dnf versionlock add writes for an installed package
        "nvidia-driver-cuda-590.*",
        "kmod-nvidia-open-dkms-3:590.44.01-1.el10.*",
        "kernel-6.12.0-55.el10.*",  # the site's own lock: not the role's
        "nvidia-driver-cuda-libs-3:590.44.01-1.el10.*",  # another package whose name starts alike
    ]
    assert dp.stale_locks(locks, rhel10) == ["nvidia-driver-cuda-3:580.95.05-1.el10.*", "nvidia-driver-cuda-580.*"]
    # RHEL 9: the branch is the module stream's; the late locks of the old stream's packages are stale.
    rhel9 = plan_for("RedHat_9.yml", facts, extra={"accelerator_drivers_nvidia_branch": "590"})
    assert dp.stale_locks(["nvidia-driver-cuda-3:580.95.05-1.el9.*", "nvidia-driver-cuda-3:590.44.01-1.el9.*"], rhel9) == [
        "nvidia-driver-cuda-3:580.95.05-1.el9.*"
    ]
    rocm = plan_for("RedHat_9.yml", machine_facts("mi300x-8x", tmp_path_factory), extra={"accelerator_drivers_rocm_version": "7.2.3"})
    assert dp.stale_locks(["rocm-7.1.0.70100-1.el9.*", "rocm-7.2.3.70203-1.el9.*", "rocm-core-7.1.0.70100-1.el9.*"], rocm) == ["rocm-7.1.0.70100-1.el9.*"]
    # On RHEL 10 the install spec pins the branch too, whatever the holds.
    assert "nvidia-driver-cuda-590.*" in stack(rhel10, "nvidia")["install"]
