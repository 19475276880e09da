# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import copy
import csv
import io
import json
from collections import OrderedDict

import pytest

from ansible_collections.horizon.ai_platform.plugins.module_utils import _fleet
from ansible_collections.horizon.ai_platform.plugins.module_utils._report_files import embedded_generated_at, renders_the_same, with_generated_at
from ansible_collections.horizon.ai_platform.tests.unit.plugins.fleet_samples import (
    HOSTILE_HOST,
    HOSTILE_MODEL,
    SAMPLE_HOSTS,
    SAMPLE_HOSTS_BY_CLASS,
    hostile_fleet,
    mixed_facts,
    recorded_facts,
    sample_fleet,
    sample_hostvars,
)

STAMP = "2026-01-31T12:00:00Z"
H100_MIB = 81559  # per device, from the catalog row of 10de:2330 (nvidia-smi recording)
MI300X_MIB = 196608  # per device, 192 GiB


def _memory(machine):
    """Memory of the first device of a recorded machine as gather() reports it (None when the catalog does not know it)."""
    return recorded_facts(machine)["devices"][0]["memory_mib"]


@pytest.fixture
def hosts():
    return _fleet.normalise_hosts(sample_fleet())


@pytest.fixture
def report(hosts):
    return _fleet.build_report(hosts, STAMP)


# --- normalisation ----------------------------------------------------------


def test_normalise_sorts_hosts_and_keeps_facts(hosts):
    assert [h["name"] for h in hosts] == ["cpu-01", "edge-orin-01", "gaudi2-01", "gpu-h100-01", "gpu-mi300x-01", "mixed-01"]
    by_name = {h["name"]: h for h in hosts}
    assert by_name["gpu-h100-01"]["silicon_class"] == "nvidia-hopper"
    assert by_name["gpu-h100-01"]["region"] == "eu-central-1"
    assert by_name["edge-orin-01"]["region"] is None
    assert by_name["mixed-01"]["accelerators"]["vendors"] == ["amd", "nvidia"]
    assert by_name["cpu-01"]["accelerators"]["devices"] == []
    orin = by_name["edge-orin-01"]["accelerators"]["devices"][0]
    assert (orin["vendor_id"], orin["architecture"], orin["silicon_class"]) == ("10de", "jetson-orin", "nvidia-jetson-orin")
    assert orin["model"] == "Jetson AGX Orin 64GB"
    assert by_name["cpu-01"]["accelerators"]["cpu"]["model"] == "AMD EPYC"


@pytest.mark.parametrize("name", sorted(SAMPLE_HOSTS))
def test_module_facts_pass_unchanged(name):
    """What accelerator_facts sets is already complete: normalisation keeps every key and value, extra ones (tools, l4t) included."""
    machine, region = SAMPLE_HOSTS[name]
    facts = mixed_facts() if machine is None else recorded_facts(machine)
    host = _fleet.normalise_host(name, {"accelerators": facts, "region": region})
    assert host["accelerators"] == facts
    assert host["silicon_class"] == facts["silicon_class"]


def test_hostvars_form_matches_plain_form(hosts):
    assert _fleet.normalise_hosts(sample_hostvars()) == hosts


@pytest.mark.parametrize(
    "entry",
    [
        pytest.param(lambda facts: {"accelerators": facts, "region": "eu-west-1"}, id="accelerators+region"),
        pytest.param(lambda facts: {"ansible_facts": {"accelerators": facts}, "horizon_region": "eu-west-1"}, id="ansible_facts"),
        pytest.param(lambda facts: {"ansible_accelerators": facts, "horizon_region": "eu-west-1"}, id="ansible_accelerators"),
        pytest.param(lambda facts: {"accelerators": facts, "horizon_region": "eu-west-1"}, id="accelerators+horizon_region"),
    ],
)
def test_fact_locations(entry):
    facts = sample_fleet()["gpu-h100-01"]["accelerators"]
    host = _fleet.normalise_host("h", entry(facts))
    assert host["region"] == "eu-west-1"
    assert host["accelerators"]["count"] == 8


def test_hostvars_region_comes_from_horizon_region_only():
    """A user's own ``region`` variable in hostvars is not the horizon region."""
    facts = sample_fleet()["cpu-01"]["accelerators"]
    assert _fleet.normalise_host("h", {"ansible_facts": {"accelerators": facts}, "region": "us-east-1"})["region"] is None


def test_bare_facts_and_explicit_region():
    facts = sample_fleet()["gpu-h100-01"]["accelerators"]
    host = _fleet.normalise_host("h", facts, region="  ap-south-1 ")
    assert host["region"] == "ap-south-1"


def test_missing_values_are_derived():
    facts = {"devices": copy.deepcopy(sample_fleet()["mixed-01"]["accelerators"]["devices"])}
    acc = _fleet.normalise_host("h", {"accelerators": facts})["accelerators"]
    assert acc["count"] == 2
    assert acc["vendors"] == ["amd", "nvidia"]
    assert acc["silicon_class"] == "mixed"
    assert acc["warnings"] == [] and acc["driver_loaded"] is None and acc["secure_boot"] is None


def test_normalise_copies_to_plain_types():
    facts = sample_fleet()["gpu-h100-01"]["accelerators"]
    facts["cpu"]["flags"] = ("avx2",)
    facts["extra"] = OrderedDict(a=1.5)
    acc = _fleet.normalise_host("h", {"accelerators": facts})["accelerators"]
    assert acc["cpu"]["flags"] == ["avx2"] and not isinstance(acc["extra"], OrderedDict)
    acc["devices"][0]["model"] = "changed"
    assert facts["devices"][0]["model"] == "H100 SXM5 80GB"
    json.dumps(acc)


def test_skip_missing():
    fleet = sample_hostvars()
    fleet["localhost"] = {"inventory_hostname": "localhost"}
    with pytest.raises(ValueError, match="host 'localhost' has no accelerator facts"):
        _fleet.normalise_hosts(fleet)
    assert len(_fleet.normalise_hosts(fleet, skip_missing=True)) == 6


def _bad(path, value):
    fleet = sample_fleet()
    target = fleet["gpu-h100-01"]
    for part in path[:-1]:
        target = target[part]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return fleet


@pytest.mark.parametrize(
    ("fleet", "error", "message"),
    [
        (["not", "a", "mapping"], TypeError, "fleet must be a mapping of host name to host data"),
        ({"": {"accelerators": {}}}, TypeError, "host names must be non-empty strings"),
        ({"h": "facts"}, TypeError, "host 'h': expected a mapping with accelerator facts, got str"),
        (_bad(("accelerators",), [1]), TypeError, r"host 'gpu-h100-01': accelerators must be a mapping, got list"),
        (_bad(("accelerators", "devices"), "gpu0"), TypeError, r"accelerators.devices must be a list, got str"),
        (_bad(("accelerators", "devices", 2), None), TypeError, r"accelerators.devices\[2\] must be a mapping, got NoneType"),
        (_bad(("accelerators", "devices", 3, "memory_mib"), "80 GiB"), TypeError, r"accelerators.devices\[3\].memory_mib must be an integer or null, got str"),
        (_bad(("accelerators", "devices", 3, "memory_mib"), -1), ValueError, r"accelerators.devices\[3\].memory_mib must not be negative"),
        (_bad(("accelerators", "devices", 0, "numa_node"), True), TypeError, r"accelerators.devices\[0\].numa_node must be an integer or null, got bool"),
        (_bad(("accelerators", "devices", 1, "model"), 42), TypeError, r"accelerators.devices\[1\].model must be a string or null, got int"),
        (_bad(("accelerators", "devices", 1, "silicon_class"), KeyError), ValueError, r"accelerators.devices\[1\].silicon_class is missing"),
        (_bad(("accelerators", "devices", 1, "silicon_class"), ""), ValueError, r"accelerators.devices\[1\].silicon_class must not be empty"),
        (_bad(("accelerators", "count"), 7), ValueError, r"accelerators.count is 7 but accelerators.devices lists 8 devices"),
        (_bad(("accelerators", "count"), "8"), TypeError, r"accelerators.count must be an integer, got str"),
        (_bad(("accelerators", "vendors"), "nvidia"), TypeError, r"accelerators.vendors must be a list of strings, got str"),
        (_bad(("accelerators", "driver_loaded"), "yes"), TypeError, r"accelerators.driver_loaded must be a boolean or null"),
        (_bad(("accelerators", "cpu"), "Xeon"), TypeError, r"accelerators.cpu must be a mapping or null, got str"),
        (_bad(("accelerators", "warnings"), ["ok", 3]), TypeError, r"accelerators.warnings\[1\] must be a non-empty string, got int"),
        (_bad(("accelerators", "cpu", "flags"), {"x"}), TypeError, r"accelerators.cpu.flags has unsupported type set"),
        (_bad(("accelerators", "cpu", "ghz"), float("nan")), ValueError, r"accelerators.cpu.ghz is nan, which JSON cannot represent"),
        (_bad(("region",), 1), TypeError, r"host 'gpu-h100-01': region must be a string or null, got int"),
    ],
)
def test_validation_errors_name_host_and_key(fleet, error, message):
    with pytest.raises(error, match=message):
        _fleet.normalise_hosts(fleet)


def test_duplicate_hosts_in_report(report):
    report["hosts"].append(copy.deepcopy(report["hosts"][0]))
    with pytest.raises(ValueError, match="host 'cpu-01' appears more than once"):
        _fleet.hosts_from_report(report)


@pytest.mark.parametrize(
    ("doc", "error", "message"),
    [
        ([], TypeError, "fleet report must be a JSON object, got list"),
        ({"schema": "other/v9", "hosts": []}, ValueError, "fleet report has schema 'other/v9', expected 'horizon.ai_platform/fleet-report/v1'"),
        ({"schema": _fleet.SCHEMA, "hosts": {}}, TypeError, "fleet report key 'hosts' must be a list, got dict"),
        ({"schema": _fleet.SCHEMA, "hosts": [{"region": None}]}, TypeError, r"fleet report hosts\[0\] must be an object with a 'name'"),
    ],
)
def test_bad_reports(doc, error, message):
    with pytest.raises(error, match=message):
        _fleet.hosts_from_report(doc)


def test_report_round_trip(report, hosts):
    doc = json.loads(_fleet.render_json(report))
    assert _fleet.hosts_from_report(doc) == hosts
    assert _fleet.hosts_from_report(json.loads(_fleet.render_json(report)), from_json=True) == hosts
    assert _fleet.normalise_hosts(doc) == hosts  # a report is accepted wherever a fleet is


# --- summary and groups ------------------------------------------------------


def test_summary(report):
    summary = report["summary"]
    assert summary["hosts"] == 6
    assert summary["devices"] == 8 + 8 + 8 + 1 + 0 + 2
    assert summary["cpu_only_hosts"] == 1
    assert summary["classes"] == ["amd-cdna3", "intel-gaudi2", "nvidia-ampere", "nvidia-hopper", "nvidia-jetson-orin"]
    assert summary["regions"] == ["ap-southeast-1", "eu-central-1", "unassigned", "us-east-1"]
    assert summary["vendors"] == ["amd", "intel", "nvidia"]
    assert summary["hosts_by_class"] == {"amd-cdna3": 1, "cpu": 1, "intel-gaudi2": 1, "mixed": 1, "nvidia-hopper": 1, "nvidia-jetson-orin": 1}
    assert summary["hosts_by_region"] == {"ap-southeast-1": 1, "eu-central-1": 2, "unassigned": 1, "us-east-1": 2}
    assert summary["devices_by_class"] == {"amd-cdna3": 9, "intel-gaudi2": 8, "nvidia-ampere": 1, "nvidia-hopper": 8, "nvidia-jetson-orin": 1}
    assert summary["devices_by_vendor"] == {"amd": 9, "intel": 8, "nvidia": 10}
    assert summary["devices_by_region"] == {"ap-southeast-1": 2, "eu-central-1": 16, "unassigned": 1, "us-east-1": 8}
    assert summary["devices_by_class_and_region"] == {
        "amd-cdna3": {"ap-southeast-1": 1, "us-east-1": 8},
        "intel-gaudi2": {"eu-central-1": 8},
        "nvidia-ampere": {"ap-southeast-1": 1},
        "nvidia-hopper": {"eu-central-1": 8},
        "nvidia-jetson-orin": {"unassigned": 1},
    }
    vf = _memory("mi300x-vf-qemu")  # the MI300X VF of the mixed host
    assert summary["memory_mib_by_class"] == {
        "amd-cdna3": 8 * MI300X_MIB + (vf or 0),
        "intel-gaudi2": 8 * _memory("gaudi2-8x"),
        "nvidia-ampere": _memory("qemu-a10"),
        "nvidia-hopper": 8 * H100_MIB,
        "nvidia-jetson-orin": _memory("jetson-orin"),
    }
    assert summary["unknown_memory_devices_by_class"] == {k: (1 if k == "amd-cdna3" and vf is None else 0) for k in summary["classes"]}
    assert summary["memory_mib_total"] == sum(summary["memory_mib_by_class"].values())


def test_unknown_memory_is_counted_apart():
    """The catalog has no memory figure for a PCI ID sold in several sizes; such devices add nothing and are counted."""
    fleet = sample_fleet()
    for device in fleet["mixed-01"]["accelerators"]["devices"]:
        if device["silicon_class"] == "amd-cdna3":
            device["memory_mib"] = None
    report = _fleet.build_report(_fleet.normalise_hosts(fleet), STAMP)
    summary = report["summary"]
    assert summary["memory_mib_by_class"]["amd-cdna3"] == 8 * MI300X_MIB
    assert summary["unknown_memory_devices_by_class"]["amd-cdna3"] == 1
    page = _fleet.render_html(report)
    a10 = _fleet.format_mib(_memory("qemu-a10"))
    assert '<td class="num" data-sort="%d">%s (+1 unknown)</td>' % (_memory("qemu-a10"), a10) in page
    assert '<td class="num" data-sort="%d">1.5 TiB</td><td class="num">1</td>' % (8 * MI300X_MIB) in page


def test_empty_fleet():
    summary = _fleet.summarise([])
    assert summary["hosts"] == summary["devices"] == 0 and summary["classes"] == [] and summary["memory_mib_total"] == 0
    page = _fleet.render_html(_fleet.build_report([], STAMP))
    assert 'data-testid="chart-empty"' in page and 'data-testid="host-row"' not in page


def test_hosts_by_silicon_class(hosts):
    assert _fleet.hosts_by_silicon_class(hosts) == SAMPLE_HOSTS_BY_CLASS


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("gpu-h100-01", ["region_eu_central_1", "silicon_nvidia_hopper", "vendor_nvidia"]),
        ("cpu-01", ["region_us_east_1", "silicon_cpu"]),
        ("edge-orin-01", ["region_unassigned", "silicon_nvidia_jetson_orin", "vendor_nvidia"]),
        ("mixed-01", ["region_ap_southeast_1", "silicon_mixed", "vendor_amd", "vendor_nvidia"]),
    ],
)
def test_group_names(hosts, name, expected):
    assert _fleet.group_names(next(h for h in hosts if h["name"] == name)) == expected


@pytest.mark.parametrize(("raw", "safe"), [("eu-central-1", "eu_central_1"), ("US East (Ohio)", "us_east__ohio_"), ("<b>", "_b_"), ("ä", "_")])
def test_sanitise_group_name(raw, safe):
    assert _fleet.sanitise_group_name(raw) == safe


# --- report and renderers ------------------------------------------------------


def test_build_report(report):
    assert report["schema"] == "horizon.ai_platform/fleet-report/v1"
    assert report["generated_at"] == STAMP
    assert [h["name"] for h in report["hosts"]] == sorted(h["name"] for h in report["hosts"])
    assert set(report["hosts"][0]) == {"name", "region", "silicon_class", "accelerators"}


def test_build_report_rejects_bad_timestamp(hosts):
    with pytest.raises(ValueError, match="generated_at must look like"):
        _fleet.build_report(hosts, "yesterday")


def test_default_timestamp_is_utc_iso8601(hosts):
    assert _fleet.build_report(hosts)["generated_at"].endswith("Z")


def test_render_json_is_deterministic(report):
    text = _fleet.render_json(report)
    assert text == _fleet.render_json(copy.deepcopy(report)) and text.endswith("}\n")
    assert json.loads(text) == report


def test_render_csv(report):
    rows = list(csv.DictReader(io.StringIO(_fleet.render_csv(report), newline="")))
    assert list(rows[0]) == list(_fleet.CSV_COLUMNS)
    assert len(rows) == report["summary"]["devices"] + report["summary"]["cpu_only_hosts"]
    cpu = [r for r in rows if r["host"] == "cpu-01"]
    assert len(cpu) == 1 and cpu[0]["host_silicon_class"] == "cpu" and cpu[0]["pci_address"] == "" and cpu[0]["memory_mib"] == ""
    orin = next(r for r in rows if r["host"] == "edge-orin-01")
    assert orin["region"] == "" and orin["pci_address"] == "" and orin["device_id"] == "" and orin["vendor_id"] == "10de"
    assert (orin["model"], orin["architecture"], orin["device_silicon_class"]) == ("Jetson AGX Orin 64GB", "jetson-orin", "nvidia-jetson-orin")
    assert orin["memory_mib"] == str(_memory("jetson-orin")) and orin["driver_version"] == "39.2.0"  # the L4T release
    h100 = [r for r in rows if r["host"] == "gpu-h100-01"]
    assert len(h100) == 8 and all(r["memory_mib"] == str(H100_MIB) and r["driver"] == "nvidia" and r["device_id"] == "2330" for r in h100)
    assert [r["numa_node"] for r in h100] == ["0"] * 4 + ["1"] * 4
    assert h100[0]["pci_address"] == "0000:19:00.0" and h100[0]["model"] == "H100 SXM5 80GB" and h100[0]["driver_version"] == ""
    mi300x = [r for r in rows if r["host"] == "gpu-mi300x-01"]
    assert len(mi300x) == 8 and {r["memory_mib"] for r in mi300x} == {str(MI300X_MIB)} and {r["numa_node"] for r in mi300x} == {""}


def test_render_csv_quotes_and_defuses_formulas():
    fleet = hostile_fleet()
    fleet["gpu-h100-01"]["accelerators"]["devices"][0]["model"] = '=HYPERLINK("x","H100, "80GB"")'
    text = _fleet.render_csv(_fleet.build_report(_fleet.normalise_hosts(fleet), STAMP))
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert all(len(row) == len(_fleet.CSV_COLUMNS) for row in rows)
    assert [r[7] for r in rows if r[0] == "gpu-h100-01" and r[3] == "0000:19:00.0"] == ["'" + '=HYPERLINK("x","H100, "80GB"")']
    assert [r[7] for r in rows if r[0] == HOSTILE_HOST] == [HOSTILE_MODEL]


def test_render_html_escapes_everything_from_outside():
    page = _fleet.render_html(_fleet.build_report(_fleet.normalise_hosts(hostile_fleet()), STAMP), title="<i>Fleet</i>")
    for raw in (HOSTILE_HOST, HOSTILE_MODEL, "<i>Fleet</i>", "<b>bold</b>"):
        assert raw not in page
    assert "&lt;img src=x onerror=document.title=&#x27;pwned&#x27;&gt;" in page
    assert "&lt;script&gt;document.title=&#x27;pwned&#x27;&lt;/script&gt;" in page
    assert "<title>&lt;i&gt;Fleet&lt;/i&gt;</title>" in page
    assert page.count("<script>") == 1  # only the page's own sorting script


def test_render_html_structure(report):
    page = _fleet.render_html(report)
    assert page.startswith("<!DOCTYPE html>")
    assert page.count('data-testid="host-row"') == 6
    assert page.count('data-testid="chart-row"') == len(report["summary"]["classes"])
    bars = sum(len(regions) for regions in report["summary"]["devices_by_class_and_region"].values())
    assert page.count('data-testid="chart-bar"') == bars
    assert page.count('data-testid="legend-item"') == len(report["summary"]["devices_by_region"])
    assert '<meta name="horizon-generated-at" content="%s">' % STAMP in page
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    for external in ('src="http', 'href="http', 'src="//', 'href="//', "url(", "@import"):
        assert external not in page


def test_chart_scales_to_many_classes():
    hosts = []
    for i in range(30):
        acc = {"devices": [{"vendor": "nvidia", "silicon_class": "class-%02d" % i, "memory_mib": 1024}] * (i + 1)}
        hosts.append(_fleet.normalise_host("h%02d" % i, {"accelerators": acc, "region": "r%d" % (i % 14)}))
    page = _fleet.render_html(_fleet.build_report(hosts, STAMP))
    assert page.count('data-testid="chart-row"') == 30
    assert page.count('data-testid="legend-item"') == 14


@pytest.mark.parametrize(("mib", "text"), [(512, "512 MiB"), (H100_MIB, "79.6 GiB"), (8 * MI300X_MIB, "1.5 TiB")])
def test_format_mib(mib, text):
    assert _fleet.format_mib(mib) == text


def test_render_rejects_unknown_format(report):
    with pytest.raises(ValueError, match="unknown report format 'xml'"):
        _fleet.render(report, "xml")


@pytest.mark.parametrize("fmt", _fleet.FORMATS)
def test_same_apart_from_timestamp(report, fmt):
    """The rule write_reports applies: a file that renders the same at the time it records is unchanged."""

    def unchanged(report, existing, title):
        def render(f, stamp):
            return _fleet.render(with_generated_at(report, stamp), f, title)

        return renders_the_same(render, fmt, existing, report["generated_at"])

    old = _fleet.render(report, fmt, "T")
    newer = with_generated_at(report, "2027-02-01T00:00:00Z")
    assert unchanged(newer, old, "T")
    assert not unchanged(newer, old.replace("gpu-h100-01", "gpu-h100-99"), "T")
    if fmt == "html":
        assert not unchanged(newer, old, "Other title")


@pytest.mark.parametrize(
    ("fmt", "text", "stamp"),
    [("json", '{"generated_at": "%s"}' % STAMP, STAMP), ("json", "not json", None), ("json", "[]", None), ("csv", "a,b", None), ("html", "<html>", None)],
)
def test_embedded_generated_at(fmt, text, stamp):
    assert embedded_generated_at(fmt, text) == stamp
