# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest
from ansible.errors import AnsibleError, AnsibleFilterError
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

from ansible_collections.horizon.ai_platform.plugins.filter import fleet
from ansible_collections.horizon.ai_platform.plugins.module_utils import _accelerators
from ansible_collections.horizon.ai_platform.tests.unit.plugins.fleet_samples import (
    SAMPLE_HOSTS_BY_CLASS,
    enable_collection_loader,
    recorded_facts,
    sample_fleet,
    sample_hostvars,
)

FILTERS = ("hosts_by_silicon_class", "accelerator_memory_by_class", "fleet_summary", "fleet_groups", "silicon_class_pci_device")


def test_registered_filters():
    assert set(fleet.FilterModule().filters()) == set(FILTERS)


@pytest.mark.parametrize("data", [sample_fleet, sample_hostvars], ids=["accelerators+region", "hostvars"])
def test_hosts_by_silicon_class(data):
    assert fleet.hosts_by_silicon_class(data()) == SAMPLE_HOSTS_BY_CLASS


def test_accelerator_memory_by_class():
    memory = fleet.accelerator_memory_by_class(sample_hostvars())
    vf = recorded_facts("mi300x-vf-qemu")["devices"][0]["memory_mib"]  # the mixed host's MI300X VF; None when the catalog has no figure
    assert memory == {
        "amd-cdna3": 8 * 196608 + (vf or 0),
        "intel-gaudi2": 8 * recorded_facts("gaudi2-8x")["devices"][0]["memory_mib"],
        "nvidia-ampere": recorded_facts("qemu-a10")["devices"][0]["memory_mib"],
        "nvidia-hopper": 8 * 81559,
        "nvidia-jetson-orin": recorded_facts("jetson-orin")["devices"][0]["memory_mib"],
    }
    assert list(memory) == sorted(memory)


def test_fleet_summary():
    summary = fleet.fleet_summary(sample_fleet())
    assert summary["hosts"] == 6 and summary["devices"] == 27
    assert summary["devices_by_class_and_region"]["amd-cdna3"] == {"ap-southeast-1": 1, "us-east-1": 8}
    assert summary["devices_by_class_and_region"]["nvidia-hopper"] == {"eu-central-1": 8}
    assert summary["hosts_by_region"]["unassigned"] == 1


def test_skip_missing():
    hostvars = sample_hostvars()
    hostvars["localhost"] = {"inventory_hostname": "localhost", "ansible_connection": "local"}
    with pytest.raises(AnsibleFilterError, match="fleet_summary: host 'localhost' has no accelerator facts"):
        fleet.fleet_summary(hostvars)
    assert fleet.fleet_summary(hostvars, skip_missing=True)["hosts"] == 6
    with pytest.raises(AnsibleFilterError, match="skip_missing must be a boolean, got str"):
        fleet.fleet_summary(hostvars, skip_missing="yes")


@pytest.mark.parametrize(
    ("host", "region", "expected"),
    [
        ("gpu-h100-01", None, ["region_eu_central_1", "silicon_nvidia_hopper", "vendor_nvidia"]),
        ("edge-orin-01", None, ["region_unassigned", "silicon_nvidia_jetson_orin", "vendor_nvidia"]),
        ("mixed-01", None, ["region_ap_southeast_1", "silicon_mixed", "vendor_amd", "vendor_nvidia"]),
        ("cpu-01", "EU Central (Frankfurt)", ["region_eu_central__frankfurt_", "silicon_cpu"]),
    ],
)
def test_fleet_groups_from_hostvars(host, region, expected):
    assert fleet.fleet_groups(sample_hostvars()[host], region=region) == expected


def test_fleet_groups_from_bare_facts():
    facts = sample_fleet()["gaudi2-01"]["accelerators"]
    assert fleet.fleet_groups(facts) == ["region_unassigned", "silicon_intel_gaudi2", "vendor_intel"]
    assert fleet.fleet_groups(facts, region="eu-central-1") == ["region_eu_central_1", "silicon_intel_gaudi2", "vendor_intel"]


@pytest.mark.parametrize(
    ("name", "args", "message"),
    [
        ("hosts_by_silicon_class", ("gpu-01",), "hosts_by_silicon_class: fleet must be a mapping of host name to host data"),
        ("accelerator_memory_by_class", ({"h": {"accelerators": {"devices": [{"vendor": "amd"}]}}},), r"accelerators.devices\[0\].silicon_class is missing"),
        ("fleet_summary", ({"h": {"accelerators": {"count": "8"}}},), "host 'h': accelerators.count must be an integer, got str"),
        ("fleet_groups", ({"inventory_hostname": "web-01"},), "fleet_groups: host 'web-01' has no accelerator facts"),
        ("fleet_groups", (["not", "a", "host"],), "fleet_groups: host 'host': expected a mapping with accelerator facts, got list"),
        ("fleet_groups", ({"accelerators": {"devices": []}}, 5), "region must be a string or null, got int"),
    ],
)
def test_errors_are_filter_errors(name, args, message):
    with pytest.raises(AnsibleFilterError, match=message):
        fleet.FilterModule().filters()[name](*args)


@pytest.fixture(scope="module")
def templar():
    enable_collection_loader()
    return Templar(loader=DataLoader(), variables={"fleet": sample_fleet(), "hv": sample_hostvars()})


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("(fleet | horizon.ai_platform.fleet_summary).hosts", 6),
        ("(hv | horizon.ai_platform.hosts_by_silicon_class)['nvidia-hopper']", ["gpu-h100-01"]),
        ("(fleet | horizon.ai_platform.accelerator_memory_by_class)['nvidia-hopper']", 8 * 81559),
        ("hv['mixed-01'] | horizon.ai_platform.fleet_groups", ["region_ap_southeast_1", "silicon_mixed", "vendor_amd", "vendor_nvidia"]),
        ("hv['cpu-01'].ansible_facts.accelerators | horizon.ai_platform.fleet_groups(region='us-west-2')", ["region_us_west_2", "silicon_cpu"]),
    ],
)
def test_filters_through_the_template_engine(templar, expression, expected):
    assert templar.evaluate_expression(trust_as_template(expression)) == expected


def test_template_engine_reports_filter_error(templar):
    with pytest.raises(AnsibleError, match="fleet_summary: fleet must be a mapping"):
        templar.evaluate_expression(trust_as_template("'gpu-01' | horizon.ai_platform.fleet_summary"))


@pytest.mark.parametrize("silicon_class", ["nvidia-ampere", "nvidia-hopper", "amd-cdna3", "intel-gaudi2", "intel-xe-hpc"])
def test_silicon_class_pci_device_is_scanned_back_as_its_class(tmp_path, silicon_class):
    """The device the bundle writes into a staging container's PCI tree is what accelerator_facts reads as that class."""
    device = fleet.silicon_class_pci_device(silicon_class)
    assert not device["model"].endswith(" VF")
    function = tmp_path / "sys" / "bus" / "pci" / "devices" / "0000:01:00.0"
    function.mkdir(parents=True)
    for name, value in (("vendor", device["vendor_id"]), ("device", device["device_id"]), ("class", device["class_code"])):
        (function / name).write_text(f"0x{value}\n", encoding="utf-8")
    facts, _reader = _accelerators.gather(sysfs_root=str(tmp_path / "sys"), procfs_root=str(tmp_path / "proc"))
    assert [d["silicon_class"] for d in facts["devices"]] == [silicon_class]
    assert facts["devices"][0]["model"] == device["model"]


@pytest.mark.parametrize("value", ["cpu", "nvidia-jetson-orin", "nvidia-hoper", "", None])
def test_silicon_class_pci_device_names_what_it_cannot_place(value):
    with pytest.raises(AnsibleFilterError, match="silicon_class_pci_device: ") as error:
        fleet.silicon_class_pci_device(value)
    if value:
        assert f"{value} is no PCI silicon class of the catalog" in str(error.value) and "nvidia-hopper" in str(error.value)
