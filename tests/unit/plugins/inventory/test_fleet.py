# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import json

import pytest
from ansible.errors import AnsibleError, AnsibleParserError
from ansible.inventory.data import InventoryData
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import inventory_loader
from ansible.template import Templar, is_trusted_as_template

from ansible_collections.horizon.ai_platform.plugins.module_utils import _fleet
from ansible_collections.horizon.ai_platform.tests.unit.plugins.fleet_samples import big_fleet, enable_collection_loader, sample_fleet

STAMP = "2026-01-31T12:00:00Z"
# Rendered, it would create the file named by $HORIZON_PWNED_MARKER (the pipe lookup runs a shell).
TEMPLATE_BAIT = "{{ lookup('ansible.builtin.pipe', 'touch \"$HORIZON_PWNED_MARKER\"') }}"


@pytest.fixture(scope="module")
def plugin_loader():
    enable_collection_loader()
    return inventory_loader


def write_report(path, fleet):
    path.write_text(_fleet.render_json(_fleet.build_report(_fleet.normalise_hosts(fleet), STAMP)))
    return path


@pytest.fixture
def report_path(tmp_path):
    fleet = sample_fleet()
    fleet["gpu-h100-01"]["accelerators"]["devices"][0]["model"] = TEMPLATE_BAIT
    (tmp_path / "reports").mkdir()
    return write_report(tmp_path / "reports" / "fleet-report.json", fleet)


def parse(plugin_loader, tmp_path, config, name="test.fleet.yml"):
    """Parse ``config`` (a YAML string) with the real plugin into a fresh InventoryData."""
    path = tmp_path / name
    path.write_text(config)
    plugin = plugin_loader.get("horizon.ai_platform.fleet")
    assert plugin.verify_file(str(path))
    inventory = InventoryData()
    plugin.parse(inventory, DataLoader(), str(path), cache=False)
    return inventory


def members(inventory, group):
    return sorted(h.name for h in inventory.groups[group].get_hosts())


def test_verify_file(plugin_loader, tmp_path):
    plugin = plugin_loader.get("horizon.ai_platform.fleet")
    for name, ok in (("demo.fleet.yml", True), ("fleet.yaml", True), ("demo.fleet.json", False), ("inventory.yml", False), ("fleet.yml.bak", False)):
        (tmp_path / name).write_text("plugin: horizon.ai_platform.fleet\n")
        assert plugin.verify_file(str(tmp_path / name)) is ok, name
    assert plugin.verify_file(str(tmp_path / "missing.fleet.yml")) is False


def test_groups_and_hostvars_from_report(plugin_loader, tmp_path, report_path):
    inventory = parse(plugin_loader, tmp_path, "plugin: horizon.ai_platform.fleet\nreport_path: reports/fleet-report.json\n")
    assert sorted(inventory.hosts) == ["cpu-01", "edge-orin-01", "gaudi2-01", "gpu-h100-01", "gpu-mi300x-01", "mixed-01"]
    assert members(inventory, "vendor_nvidia") == ["edge-orin-01", "gpu-h100-01", "mixed-01"]
    assert members(inventory, "vendor_amd") == ["gpu-mi300x-01", "mixed-01"]
    assert members(inventory, "vendor_intel") == ["gaudi2-01"]
    assert members(inventory, "silicon_nvidia_hopper") == ["gpu-h100-01"]
    assert members(inventory, "silicon_cpu") == ["cpu-01"]
    assert members(inventory, "silicon_mixed") == ["mixed-01"]
    assert members(inventory, "silicon_nvidia_jetson_orin") == ["edge-orin-01"]
    assert members(inventory, "region_eu_central_1") == ["gaudi2-01", "gpu-h100-01"]
    assert members(inventory, "region_unassigned") == ["edge-orin-01"]

    h100 = inventory.hosts["gpu-h100-01"].vars
    assert h100["horizon_silicon_class"] == "nvidia-hopper"
    assert h100["horizon_region"] == "eu-central-1"
    assert h100["horizon_accelerators"]["count"] == 8 and h100["horizon_accelerators"]["devices"][1]["memory_mib"] == 81559
    assert "horizon_region" not in inventory.hosts["edge-orin-01"].vars


def test_values_from_outside_are_never_templated(plugin_loader, tmp_path, report_path, monkeypatch):
    marker = tmp_path / "pwned"
    monkeypatch.setenv("HORIZON_PWNED_MARKER", str(marker))
    config = "plugin: horizon.ai_platform.fleet\nreport_path: reports/fleet-report.json\ncompose:\n  first_model: horizon_accelerators.devices[0].model\n"
    inventory = parse(plugin_loader, tmp_path, config)
    model = inventory.hosts["gpu-h100-01"].vars["horizon_accelerators"]["devices"][0]["model"]
    assert model == TEMPLATE_BAIT and not is_trusted_as_template(model)
    composed = inventory.hosts["gpu-h100-01"].vars["first_model"]
    assert composed == TEMPLATE_BAIT
    assert Templar(loader=DataLoader(), variables=inventory.hosts["gpu-h100-01"].vars).template(composed) == TEMPLATE_BAIT
    assert not marker.exists()


def test_constructed_options(plugin_loader, tmp_path, report_path):
    config = """
plugin: horizon.ai_platform.fleet
report_path: reports/fleet-report.json
strict: true
compose:
  gpu_count: horizon_accelerators.count
  hbm_gib: (horizon_accelerators.devices | map(attribute='memory_mib') | select | sum) // 1024
groups:
  big_memory: (horizon_accelerators.devices | map(attribute='memory_mib') | select | sum) >= 1000000
  needs_attention: horizon_accelerators.warnings | length > 0
keyed_groups:
  - key: horizon_accelerators.virtualization
    prefix: virt
  - key: horizon_accelerators.secure_boot
    prefix: secureboot
  - key: horizon_accelerators.cpu.architecture | default('unknown', true)
    prefix: arch
  - key: horizon_region | default('')
    prefix: zone
    default_value: none
"""
    inventory = parse(plugin_loader, tmp_path, config)
    assert inventory.hosts["gpu-h100-01"].vars["gpu_count"] == 8
    assert inventory.hosts["gpu-mi300x-01"].vars["hbm_gib"] == 8 * 196608 // 1024 == 1536
    assert inventory.hosts["gpu-h100-01"].vars["hbm_gib"] == 8 * 81559 // 1024 == 637
    assert members(inventory, "big_memory") == ["gpu-mi300x-01"]
    # every recording without /proc/cpuinfo warns about it; the development VM's has one
    assert members(inventory, "needs_attention") == ["edge-orin-01", "gaudi2-01", "gpu-h100-01", "gpu-mi300x-01", "mixed-01"]
    assert members(inventory, "virt_vm") == ["cpu-01"]
    assert members(inventory, "virt_none") == ["edge-orin-01", "gaudi2-01", "gpu-h100-01", "gpu-mi300x-01", "mixed-01"]
    assert members(inventory, "secureboot_unknown") == sorted(inventory.hosts)  # no recording shows the Secure Boot state
    assert members(inventory, "arch_x86_64") == ["cpu-01"]
    assert members(inventory, "zone_none") == ["edge-orin-01"]
    assert members(inventory, "zone_us_east_1") == ["cpu-01", "gpu-mi300x-01"]


def test_strict_compose_error(plugin_loader, tmp_path, report_path):
    config = "plugin: horizon.ai_platform.fleet\nreport_path: reports/fleet-report.json\nstrict: true\ncompose:\n  x: horizon_accelerators.nope.deeper\n"
    with pytest.raises(AnsibleError, match="Could not set x for host"):
        parse(plugin_loader, tmp_path, config)
    relaxed = parse(plugin_loader, tmp_path, config.replace("strict: true", "strict: false"))
    assert "x" not in relaxed.hosts["cpu-01"].vars


def test_fact_cache_source(plugin_loader, tmp_path):
    cache = tmp_path / "facts"
    cache.mkdir()
    fleet = sample_fleet()
    (cache / "cache_gpu-h100-01").write_text(
        json.dumps({"accelerators": fleet["gpu-h100-01"]["accelerators"], "horizon_region": "eu-central-1", "ansible_os_family": "Debian"})
    )
    (cache / "cache_gpu-mi300x-01").write_text(json.dumps({"ansible_accelerators": fleet["gpu-mi300x-01"]["accelerators"]}))
    legacy = json.loads(json.dumps(fleet["cpu-01"]["accelerators"]))
    legacy["kernel"] = {"__ansible_unsafe": legacy["kernel"]}  # how older controllers wrote unsafe strings
    (cache / "cache_cpu-01").write_text(json.dumps({"accelerators": legacy}))
    (cache / "cache_web-01").write_text(json.dumps({"ansible_os_family": "Debian"}))
    (cache / ".hidden").write_text("not json")
    (cache / "other_db-01").write_text("not json either")
    config = "plugin: horizon.ai_platform.fleet\nsource: fact_cache\nfact_cache_path: facts\nfact_cache_prefix: cache_\n"
    inventory = parse(plugin_loader, tmp_path, config)
    assert sorted(inventory.hosts) == ["cpu-01", "gpu-h100-01", "gpu-mi300x-01"]
    assert members(inventory, "region_eu_central_1") == ["gpu-h100-01"]
    assert members(inventory, "region_unassigned") == ["cpu-01", "gpu-mi300x-01"]
    assert members(inventory, "silicon_amd_cdna3") == ["gpu-mi300x-01"]
    assert inventory.hosts["cpu-01"].vars["horizon_accelerators"]["kernel"] == "6.18.44-fc-v782"
    assert inventory.hosts["cpu-01"].vars["horizon_accelerators"] == fleet["cpu-01"]["accelerators"]


@pytest.mark.parametrize(
    ("setup", "config", "message"),
    [
        (None, "report_path: nowhere.json", r"fleet report .*nowhere.json does not exist"),
        ("{not json", "report_path: r.json", r"fleet report .*r.json is not valid JSON: Expecting property name enclosed in double quotes: line 1 column 2"),
        (
            '{"schema": "horizon.ai_platform/fleet-report/v1", "hosts": [{"name": "x", "accelerators": {"count": NaN}}]}',
            "report_path: r.json",
            "NaN is not allowed in JSON",
        ),
        (
            '{"schema": "acme/v2", "hosts": []}',
            "report_path: r.json",
            r"fleet report .*r.json: fleet report has schema 'acme/v2', expected 'horizon.ai_platform/fleet-report/v1'",
        ),
        (
            '{"schema": "horizon.ai_platform/fleet-report/v1", "hosts": [{"name": "x", "accelerators": {"count": 2, "devices": []}}]}',
            "report_path: r.json",
            r"host 'x': accelerators.count is 2",
        ),
        ("[]", "report_path: r.json", "fleet report must be a JSON object, got list"),
        (None, "source: report", "option report_path is required when source is report"),
        (None, "source: fact_cache\nfact_cache_path: nope", r"fact cache directory .*nope does not exist or is not a directory"),
        (None, "source: fact_cache", "option fact_cache_path is required when source is fact_cache"),
        (None, "source: redis", "Invalid value 'redis' for config 'source'"),
    ],
)
def test_bad_input_errors(plugin_loader, tmp_path, setup, config, message):
    if setup is not None:
        (tmp_path / "r.json").write_text(setup)
    with pytest.raises(AnsibleError, match=message):
        parse(plugin_loader, tmp_path, "plugin: horizon.ai_platform.fleet\n" + config + "\n")


def test_bad_fact_cache_file(plugin_loader, tmp_path):
    (tmp_path / "facts").mkdir()
    (tmp_path / "facts" / "gpu-01").write_text('{"accelerators": {"devices": [{"silicon_class": 7}]}}')
    with pytest.raises(
        AnsibleParserError, match=r"fact cache file .*gpu-01: host 'gpu-01': accelerators.devices\[0\].silicon_class must be a non-empty string"
    ):
        parse(plugin_loader, tmp_path, "plugin: horizon.ai_platform.fleet\nsource: fact_cache\nfact_cache_path: facts\n")


def test_wrong_plugin_name(plugin_loader, tmp_path):
    with pytest.raises(AnsibleParserError, match="Incorrect plugin name in file"):
        parse(plugin_loader, tmp_path, "plugin: ansible.builtin.constructed\n")


def test_ten_thousand_hosts(plugin_loader, tmp_path):
    """Every host of a large fleet lands in exactly one silicon group (speed: benchmarks/bench_inventory.py)."""
    write_report(tmp_path / "big.json", big_fleet(10000))
    inventory = parse(plugin_loader, tmp_path, "plugin: horizon.ai_platform.fleet\nreport_path: big.json\n")
    assert len(inventory.hosts) == 10000
    assert sum(len(inventory.groups[g].hosts) for g in inventory.groups if g.startswith("silicon_")) == 10000


def test_host_facts_summary(plugin_loader, tmp_path, report_path):
    config = "plugin: horizon.ai_platform.fleet\nreport_path: reports/fleet-report.json\nhost_facts: summary\n"
    inventory = parse(plugin_loader, tmp_path, config)
    facts = inventory.hosts["gpu-h100-01"].vars["horizon_accelerators"]
    assert sorted(facts) == ["count", "driver_loaded", "kernel", "secure_boot", "silicon_class", "vendors", "virtualization"]
    assert facts["count"] == 8
    assert facts["vendors"] == ["nvidia"]
    assert members(inventory, "silicon_nvidia_hopper") == ["gpu-h100-01"]
