# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Fleet aggregation and report rendering for horizon.ai_platform.

PRIVATE: this file is an implementation detail of the horizon.ai_platform collection
(``fleet_report`` module, ``fleet`` filters, ``fleet`` inventory plugin). It is not a
public API and may change without notice.

Everything here is a pure function over plain data: no I/O, nothing from ansible-core (the node-class
rule comes from _accelerators, so the report and the facts module cannot disagree on it).
It runs on the controller and, through the module, on Python 3.8+.
Bad input raises ``TypeError`` (wrong type) or ``ValueError`` (wrong value) whose
message names the host and the key at fault.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import html
import io
import math
import re
from collections.abc import Mapping

from ansible_collections.horizon.ai_platform.plugins.module_utils import _accelerators
from ansible_collections.horizon.ai_platform.plugins.module_utils._report_files import TIMESTAMP as _TIMESTAMP
from ansible_collections.horizon.ai_platform.plugins.module_utils._report_files import (
    render_json,
    utc_now_iso,
)

SCHEMA = "horizon.ai_platform/fleet-report/v1"
UNASSIGNED_REGION = "unassigned"
FORMATS = ("json", "csv", "html")
DEFAULT_TITLE = "Accelerator fleet report"

CSV_COLUMNS = (
    "host",
    "region",
    "host_silicon_class",
    "pci_address",
    "vendor",
    "vendor_id",
    "device_id",
    "model",
    "architecture",
    "device_silicon_class",
    "memory_mib",
    "numa_node",
    "driver",
    "driver_version",
)

# Where a host's accelerator facts may live, in lookup order, and which keys name its region in that form:
# ``{accelerators, region}`` entries and report hosts use ``region``; hostvars use the inventory variable ``horizon_region``.
FACT_LOCATIONS = (
    (("accelerators",), ("region", "horizon_region")),
    (("ansible_facts", "accelerators"), ("horizon_region",)),
    (("ansible_accelerators",), ("horizon_region",)),
)

_STR_DEVICE_KEYS = ("pci_address", "vendor", "vendor_id", "device_id", "model", "architecture", "driver", "driver_version")
_INT_DEVICE_KEYS = ("memory_mib", "numa_node")
_STR_FACT_KEYS = ("secure_boot", "kernel", "virtualization")
_GROUP_UNSAFE = re.compile(r"[^a-z0-9_]")
_CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


# ---------------------------------------------------------------------------
# Validation and normalisation
# ---------------------------------------------------------------------------


def _where(host, key):
    """``host 'x': accelerators.devices[3].model`` from a key path tuple (built lazily, only for messages)."""
    text = ""
    for part in key:
        text += "[%d]" % part if isinstance(part, int) else ("." + part if text else part)
    return "host %r: %s" % (host, text)


def _type_name(value):
    return type(value).__name__


_EXACT_SCALARS = frozenset((str, int, bool, type(None)))


def _plain(value, host, key):
    """Return a JSON-compatible copy of ``value`` (plain dict/list/str/int/float/bool/None)."""
    kind = type(value)
    if kind in _EXACT_SCALARS:
        return value
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("%s is %r, which JSON cannot represent" % (_where(host, key), value))
        return float(value)
    if isinstance(value, Mapping):
        out = {}
        for raw_key, v in value.items():
            if not isinstance(raw_key, str):
                raise TypeError("%s has a non-string key %r" % (_where(host, key), raw_key))
            out[raw_key] = v if type(v) in _EXACT_SCALARS else _plain(v, host, key + (raw_key,))
        return out
    if isinstance(value, (list, tuple)):
        return [v if type(v) in _EXACT_SCALARS else _plain(v, host, key + (i,)) for i, v in enumerate(value)]
    raise TypeError("%s has unsupported type %s" % (_where(host, key), _type_name(value)))


def _check_opt_str(out, name, host, key):
    value = out.get(name)
    if value is not None and not isinstance(value, str):
        raise TypeError("%s must be a string or null, got %s" % (_where(host, key + (name,)), _type_name(value)))
    out[name] = value


def _req_str(value, host, key):
    if not isinstance(value, str) or not value.strip():
        if isinstance(value, str):
            raise ValueError("%s must not be empty" % _where(host, key))
        raise TypeError("%s must be a non-empty string, got %s" % (_where(host, key), _type_name(value)))
    return value


def _check_opt_int(out, name, host, key):
    value = out.get(name)
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        out[name] = value
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (isinstance(value, float) and not value.is_integer()):
        raise TypeError("%s must be an integer or null, got %s %r" % (_where(host, key + (name,)), _type_name(value), value))
    out[name] = int(value)


def _str_list(value, host, key):
    if not isinstance(value, list):
        raise TypeError("%s must be a list of strings, got %s" % (_where(host, key), _type_name(value)))
    return [_req_str(item, host, key + (i,)) for i, item in enumerate(value)]


def _normalise_device(out, host, key):
    """Check one device, already copied by ``_plain``, in place."""
    if not isinstance(out, dict):
        raise TypeError("%s must be a mapping, got %s" % (_where(host, key), _type_name(out)))
    for name in _STR_DEVICE_KEYS:  # inlined _check_opt_str(): this loop runs for every device of the fleet
        value = out.get(name)
        if value is None:
            out[name] = None
        elif not isinstance(value, str):
            raise TypeError("%s must be a string or null, got %s" % (_where(host, key + (name,)), _type_name(value)))
    for name in _INT_DEVICE_KEYS:
        _check_opt_int(out, name, host, key)
    if out["memory_mib"] is not None and out["memory_mib"] < 0:
        raise ValueError("%s must not be negative, got %d" % (_where(host, key + ("memory_mib",)), out["memory_mib"]))
    if "silicon_class" not in out:
        raise ValueError("%s is missing" % _where(host, key + ("silicon_class",)))
    _req_str(out["silicon_class"], host, key + ("silicon_class",))
    return out


def normalise_accelerators(host, facts, from_json=False):
    """Validate one host's ``accelerators`` facts and return a plain, complete copy.

    ``count``, ``vendors`` and ``silicon_class`` are derived from ``devices`` when absent.
    ``from_json``: ``facts`` comes straight from ``json.loads``, so it holds only JSON types already;
    it is then checked and completed in place instead of copied.
    """
    key = ("accelerators",)
    if not isinstance(facts, Mapping):
        raise TypeError("%s must be a mapping, got %s" % (_where(host, key), _type_name(facts)))
    out = facts if from_json and isinstance(facts, dict) else _plain(facts, host, key)
    devices = out.get("devices")
    if devices is None:
        devices = out["devices"] = []
    if not isinstance(devices, list):
        raise TypeError("%s must be a list, got %s" % (_where(host, key + ("devices",)), _type_name(facts.get("devices"))))
    for i, device in enumerate(devices):
        _normalise_device(device, host, key + ("devices", i))

    count = out.get("count")
    if count is None:
        count = len(devices)
    elif isinstance(count, bool) or not isinstance(count, int):
        raise TypeError("%s must be an integer, got %s" % (_where(host, key + ("count",)), _type_name(count)))
    if count != len(devices):
        raise ValueError("%s is %d but accelerators.devices lists %d devices" % (_where(host, key + ("count",)), count, len(devices)))
    out["count"] = count

    if out.get("vendors") is None:
        out["vendors"] = sorted({d["vendor"] for d in devices if d["vendor"]})
    else:
        out["vendors"] = sorted(set(_str_list(out["vendors"], host, key + ("vendors",))))

    if out.get("silicon_class") is None:
        out["silicon_class"] = _accelerators.node_silicon_class(devices)
    else:
        _req_str(out["silicon_class"], host, key + ("silicon_class",))

    driver_loaded = out.get("driver_loaded")
    if driver_loaded is not None and not isinstance(driver_loaded, bool):
        raise TypeError("%s must be a boolean or null, got %s" % (_where(host, key + ("driver_loaded",)), _type_name(driver_loaded)))
    out["driver_loaded"] = driver_loaded
    for name in _STR_FACT_KEYS:
        _check_opt_str(out, name, host, key)
    cpu = out.get("cpu")
    if cpu is not None and not isinstance(cpu, dict):
        raise TypeError("%s must be a mapping or null, got %s" % (_where(host, key + ("cpu",)), _type_name(cpu)))
    out["cpu"] = cpu
    out["warnings"] = _str_list(out.get("warnings") or [], host, key + ("warnings",))
    return out


def _lookup(entry, path):
    value = entry
    for part in path:
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _locate(entry):
    """``(facts, region keys)`` for one host entry; facts is None when there are none."""
    if not isinstance(entry, Mapping):
        return None, ()
    for path, region_keys in FACT_LOCATIONS:
        facts = _lookup(entry, path)
        if facts is not None:
            return facts, region_keys
    if "devices" in entry and "count" in entry:
        return entry, ()
    return None, ()


def find_accelerator_facts(entry):
    """Return the accelerator facts inside one host entry, or None.

    ``entry`` is ``{accelerators: ..., region: ...}``, a host's hostvars (facts under
    ``ansible_facts.accelerators`` or ``ansible_accelerators``), or the bare facts.
    """
    return _locate(entry)[0]


def _region(value, host, key):
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError("%s must be a string or null, got %s" % (_where(host, (key,)), _type_name(value)))
    return str(value).strip() or None


def _check_host_name(name):
    if not isinstance(name, str) or not name.strip():
        raise TypeError("host names must be non-empty strings, got %s %r" % (_type_name(name), name))
    return str(name)


def normalise_host(name, entry, region=None, from_json=False):
    """Validate one host and return ``{name, region, silicon_class, accelerators}``.

    ``region`` overrides whatever ``entry`` says. Raises ValueError when ``entry`` holds no accelerator facts.
    ``from_json``: see normalise_accelerators().
    """
    name = _check_host_name(name)
    facts, region_keys = _locate(entry)
    if facts is None:
        if not isinstance(entry, Mapping):
            raise TypeError("host %r: expected a mapping with accelerator facts, got %s" % (name, _type_name(entry)))
        raise ValueError(
            "host %r has no accelerator facts (looked for accelerators, ansible_facts.accelerators and ansible_accelerators);"
            " run horizon.ai_platform.accelerator_facts on it first" % name
        )
    accelerators = normalise_accelerators(name, facts, from_json=from_json)
    if region is not None:
        region = _region(region, name, "region")
    else:
        key = next((k for k in region_keys if entry.get(k) is not None), None)
        region = _region(entry[key], name, key) if key else None
    return {"name": name, "region": region, "silicon_class": accelerators["silicon_class"], "accelerators": accelerators}


def is_report(data):
    return isinstance(data, Mapping) and data.get("schema") == SCHEMA


def hosts_from_report(report, from_json=False):
    """Validate a fleet report document (as written by fleet_report) and return its normalised hosts.

    ``from_json``: ``report`` is fresh from ``json.loads`` and may be completed in place (see normalise_accelerators()).
    """
    if not isinstance(report, Mapping):
        raise TypeError("fleet report must be a JSON object, got %s" % _type_name(report))
    schema = report.get("schema")
    if schema != SCHEMA:
        raise ValueError("fleet report has schema %r, expected %r" % (schema, SCHEMA))
    hosts = report.get("hosts")
    if not isinstance(hosts, list):
        raise TypeError("fleet report key 'hosts' must be a list, got %s" % _type_name(hosts))
    out = []
    for i, entry in enumerate(hosts):
        if not isinstance(entry, Mapping) or "name" not in entry:
            raise TypeError("fleet report hosts[%d] must be an object with a 'name', got %s" % (i, _type_name(entry)))
        out.append(normalise_host(entry["name"], entry, from_json=from_json))
    return _sorted_unique(out)


def _sorted_unique(hosts):
    hosts.sort(key=lambda h: h["name"])
    for previous, current in zip(hosts, hosts[1:]):
        if previous["name"] == current["name"]:
            raise ValueError("host %r appears more than once" % current["name"])
    return hosts


def normalise_hosts(data, skip_missing=False):
    """Normalise a fleet given as ``{hostname: entry}`` (hostvars-like or ``{accelerators, region}``) or as a fleet report.

    Returns the hosts sorted by name. Hosts without accelerator facts raise ValueError unless ``skip_missing``.
    """
    if is_report(data):
        return hosts_from_report(data)
    if not isinstance(data, Mapping):
        raise TypeError("fleet must be a mapping of host name to host data (for example hostvars), got %s" % _type_name(data))
    out = []
    for name in data:
        entry = data[name]
        if skip_missing and find_accelerator_facts(entry) is None:
            continue
        out.append(normalise_host(name, entry))
    return _sorted_unique(out)


# ---------------------------------------------------------------------------
# Summaries and groups
# ---------------------------------------------------------------------------


def _count(counter, key, amount=1):
    counter[key] = counter.get(key, 0) + amount


def _sorted_dict(mapping):
    return {k: mapping[k] for k in sorted(mapping)}


def host_region(host):
    return host["region"] or UNASSIGNED_REGION


def summarise(hosts):
    """Aggregate normalised hosts into the report summary (device counts by class/region/vendor, memory, hosts)."""
    hosts_by_class, hosts_by_region = {}, {}
    by_class, by_region, by_vendor, by_class_region = {}, {}, {}, {}
    memory, unknown_memory = {}, {}
    devices = cpu_only = 0
    for host in hosts:
        region = host_region(host)
        _count(hosts_by_class, host["silicon_class"])
        _count(hosts_by_region, region)
        host_devices = host["accelerators"]["devices"]
        if not host_devices:
            cpu_only += 1
        for device in host_devices:
            cls = device["silicon_class"]
            devices += 1
            _count(by_class, cls)
            _count(by_region, region)
            _count(by_vendor, device["vendor"] or "unknown")
            _count(by_class_region.setdefault(cls, {}), region)
            _count(memory, cls, device["memory_mib"] or 0)
            _count(unknown_memory, cls, 1 if device["memory_mib"] is None else 0)
    return {
        "hosts": len(hosts),
        "devices": devices,
        "cpu_only_hosts": cpu_only,
        "classes": sorted(by_class),
        "regions": sorted(hosts_by_region),
        "vendors": sorted(by_vendor),
        "hosts_by_class": _sorted_dict(hosts_by_class),
        "hosts_by_region": _sorted_dict(hosts_by_region),
        "devices_by_class": _sorted_dict(by_class),
        "devices_by_region": _sorted_dict(by_region),
        "devices_by_vendor": _sorted_dict(by_vendor),
        "devices_by_class_and_region": {cls: _sorted_dict(by_class_region[cls]) for cls in sorted(by_class_region)},
        "memory_mib_by_class": _sorted_dict(memory),
        "unknown_memory_devices_by_class": _sorted_dict(unknown_memory),
        "memory_mib_total": sum(memory.values()),
    }


def hosts_by_silicon_class(hosts):
    """``{host silicon class: [host names]}``, classes and names sorted."""
    out = {}
    for host in hosts:
        out.setdefault(host["silicon_class"], []).append(host["name"])
    return {cls: sorted(out[cls]) for cls in sorted(out)}


def sanitise_group_name(value):
    """Lower-case ``value`` and replace everything outside ``[a-z0-9_]`` with ``_``."""
    return _GROUP_UNSAFE.sub("_", str(value).lower())


def group_names(host):
    """Groups for a normalised host: ``vendor_<v>`` per vendor, ``silicon_<class>``, ``region_<r>`` (sorted)."""
    names = {"vendor_" + sanitise_group_name(v) for v in host["accelerators"]["vendors"]}
    names.add("silicon_" + sanitise_group_name(host["silicon_class"]))
    names.add("region_" + sanitise_group_name(host_region(host)))
    return sorted(names)


# ---------------------------------------------------------------------------
# Report document and renderers
# ---------------------------------------------------------------------------


def build_report(hosts, generated_at=None):
    """The fleet report document for normalised ``hosts``."""
    generated_at = generated_at or utc_now_iso()
    if not re.match(_TIMESTAMP + "$", generated_at):
        raise ValueError("generated_at must look like 2026-01-31T12:00:00Z, got %r" % generated_at)
    return {
        "schema": SCHEMA,
        "generated_at": generated_at,
        "summary": summarise(hosts),
        "hosts": [
            {"name": h["name"], "region": h["region"], "silicon_class": h["silicon_class"], "accelerators": h["accelerators"]}
            for h in sorted(hosts, key=lambda h: h["name"])
        ],
    }


def _csv_cell(value):
    """Empty for null; text that a spreadsheet would run as a formula gets a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_CSV_FORMULA_START):
        return "'" + value
    return value


def render_csv(report, title=None):
    """One row per device, one row with empty device columns per CPU-only host (RFC 4180 quoting)."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(CSV_COLUMNS)
    for host in report["hosts"]:
        lead = [host["name"], host["region"], host["silicon_class"]]
        devices = host["accelerators"]["devices"]
        if not devices:
            writer.writerow([_csv_cell(v) for v in lead] + [""] * (len(CSV_COLUMNS) - len(lead)))
        for d in devices:
            row = lead + [d["pci_address"], d["vendor"], d["vendor_id"], d["device_id"], d["model"], d["architecture"], d["silicon_class"]]
            row += [d["memory_mib"], d["numa_node"], d["driver"], d["driver_version"]]
            writer.writerow([_csv_cell(v) for v in row])
    return buf.getvalue()


_PALETTE_SIZE = 12

_CSS = """
:root{--ink:#1f2933;--muted:#616e7c;--line:#e4e7eb;--bg:#f5f7fa;--card:#fff;--accent:#1f4e79}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
header{background:var(--accent);color:#fff;padding:20px 32px}
header h1{margin:0;font-size:22px;font-weight:600}
header p{margin:4px 0 0;opacity:.85;font-size:13px}
main{padding:24px 32px;max-width:1600px}
section{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:16px 20px;margin-bottom:20px}
h2{font-size:16px;margin:0 0 12px;font-weight:600}
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(170px,1fr));gap:16px;background:none;border:0;padding:0}
.tile{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:14px 18px}
.tile .value{display:block;font-size:28px;font-weight:600;color:var(--accent)}
.tile .label{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.05em}
.tile .note{display:block;color:var(--muted);font-size:12px}
svg.chart{width:100%;max-width:1100px;height:auto;display:block}
svg.chart text{font-size:12px;fill:var(--ink)}
svg.chart .axis text{fill:var(--muted);font-size:11px}
svg.chart .grid{stroke:var(--line)}
svg.chart rect.seg{stroke:#fff;stroke-width:.5}
.legend{list-style:none;margin:8px 0 0;padding:0;display:flex;flex-wrap:wrap;gap:6px 16px;font-size:12px}
.swatch{display:inline-block;width:11px;height:11px;border-radius:2px;margin-right:5px;vertical-align:-1px}
.muted{color:var(--muted)}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:6px 10px;border-bottom:1px solid var(--line);vertical-align:top}
td{overflow-wrap:anywhere}
th.num{text-align:right}
.scroll{overflow-x:auto}
th{background:#f0f3f7;font-weight:600;white-space:nowrap;position:sticky;top:0}
th button{all:unset;cursor:pointer}
th[aria-sort=ascending] button::after{content:" \\25B2";font-size:10px}
th[aria-sort=descending] button::after{content:" \\25BC";font-size:10px}
td.num{text-align:right;font-variant-numeric:tabular-nums}
tbody tr:hover{background:#f8fafc}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;background:#e8eef5;color:var(--accent);font-size:12px;white-space:nowrap}
.warn{color:#a61b1b}
ul.plain{margin:0;padding-left:16px}
footer{color:var(--muted);font-size:12px;padding:0 32px 24px}
"""
_PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#2f7ebc", "#8cd17d", "#86bcb6")
_UNASSIGNED_COLOUR = "#bab0ac"
_CSS += "".join(".c%d{fill:%s;background:%s}\n" % (i, c, c) for i, c in enumerate(_PALETTE))
_CSS += ".cu{fill:%s;background:%s}\n" % (_UNASSIGNED_COLOUR, _UNASSIGNED_COLOUR)

_SORT_JS = """
document.querySelectorAll("table.sortable th button").forEach(function (button) {
  button.addEventListener("click", function () {
    var th = button.parentNode, table = th.closest("table"), body = table.tBodies[0];
    var index = Array.prototype.indexOf.call(th.parentNode.children, th);
    var ascending = th.getAttribute("aria-sort") !== "ascending", numeric = th.dataset.type === "number";
    table.querySelectorAll("th").forEach(function (other) { other.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var key = function (row) { var cell = row.cells[index]; return cell.dataset.sort !== undefined ? cell.dataset.sort : cell.textContent; };
    Array.prototype.slice.call(body.rows).sort(function (a, b) {
      var x = key(a), y = key(b), r = numeric ? parseFloat(x) - parseFloat(y) : x.localeCompare(y);
      return ascending ? r : -r;
    }).forEach(function (row) { body.appendChild(row); });
  });
});
"""
_CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-%s'; img-src 'none'; base-uri 'none'; form-action 'none'" % (
    base64.b64encode(hashlib.sha256(_SORT_JS.encode("utf-8")).digest()).decode("ascii")
)


def _e(value):
    return html.escape("" if value is None else str(value), quote=True)


def format_mib(mib):
    """Human-readable size for a MiB figure: ``637.2 GiB``, ``512 MiB``."""
    if mib >= 1024 * 1024:
        return "%.1f TiB" % (mib / 1024.0 / 1024.0)
    if mib >= 1024:
        return "%.1f GiB" % (mib / 1024.0)
    return "%d MiB" % mib


def _nice_step(maximum, ticks=5):
    raw = max(maximum, 1) / float(ticks)
    magnitude = 10 ** len(str(int(raw))) // 10 or 1
    for factor in (1, 2, 5, 10):
        if magnitude * factor >= raw:
            return magnitude * factor
    return magnitude * 10


def _region_colours(regions):
    colours, index = {}, 0
    for region in regions:
        if region == UNASSIGNED_REGION:
            colours[region] = "cu"
        else:
            colours[region] = "c%d" % (index % _PALETTE_SIZE)
            index += 1
    return colours


def _truncate(text, limit):
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _render_chart(summary, colours):
    by_class = summary["devices_by_class_and_region"]
    if not by_class:
        return '<p class="muted" data-testid="chart-empty">No accelerator devices in this fleet.</p>'
    rows = sorted(by_class, key=lambda cls: (-summary["devices_by_class"][cls], cls))
    label_w, bar_w, total_w, row_h, bar_h, top = 200, 820, 1100, 26, 18, 6
    step = _nice_step(max(summary["devices_by_class"].values()))
    axis_max = step * -(-max(summary["devices_by_class"].values()) // step)
    scale = bar_w / float(axis_max)
    height = top + row_h * len(rows) + 24
    out = [
        '<svg class="chart" data-testid="chart" viewBox="0 0 %d %d" role="img" aria-labelledby="chart-title">' % (total_w, height),
        '<title id="chart-title">Accelerator devices by silicon class and region</title>',
        '<g class="axis">',
    ]
    for tick in range(0, axis_max + 1, step):
        x = label_w + tick * scale
        out.append('<line class="grid" x1="%.1f" x2="%.1f" y1="%d" y2="%d"/>' % (x, x, top, top + row_h * len(rows)))
        out.append('<text x="%.1f" y="%d" text-anchor="middle">%d</text>' % (x, height - 6, tick))
    out.append("</g>")
    for i, cls in enumerate(rows):
        y = top + i * row_h + (row_h - bar_h) / 2.0
        total = summary["devices_by_class"][cls]
        out.append('<g data-testid="chart-row" data-class="%s">' % _e(cls))
        out.append('<text x="%d" y="%.1f" text-anchor="end"><title>%s</title>%s</text>' % (label_w - 8, y + 13, _e(cls), _e(_truncate(cls, 26))))
        x = float(label_w)
        for region, count in by_class[cls].items():
            width = count * scale
            out.append(
                '<rect class="seg %s" data-testid="chart-bar" data-class="%s" data-region="%s" data-count="%d" x="%.2f" y="%.1f" width="%.2f" height="%d">'
                "<title>%s \u00b7 %s: %d device%s</title></rect>"
                % (colours[region], _e(cls), _e(region), count, x, y, width, bar_h, _e(cls), _e(region), count, "" if count == 1 else "s")
            )
            x += width
        out.append('<text x="%.1f" y="%.1f">%d</text></g>' % (x + 6, y + 13, total))
    out.append("</svg>")
    out.append('<ul class="legend" data-testid="chart-legend">')
    for region in sorted(summary["devices_by_region"]):
        out.append('<li data-testid="legend-item"><span class="swatch %s"></span>%s</li>' % (colours[region], _e(region)))
    out.append("</ul>")
    return "\n".join(out)


def _model_label(device):
    if device["model"]:
        return device["model"]
    return "unknown %s device (%s:%s)" % (device["vendor"] or "", device["vendor_id"] or "?", device["device_id"] or "?")


def _yes_no(value):
    return "unknown" if value is None else ("yes" if value else "no")


def _render_host_row(host):
    acc = host["accelerators"]
    models = {}
    for device in acc["devices"]:
        _count(models, _model_label(device))
    known = [d["memory_mib"] for d in acc["devices"] if d["memory_mib"] is not None]
    unknown = len(acc["devices"]) - len(known)
    memory = format_mib(sum(known)) if known else ("\u2014" if not unknown else "unknown")
    if known and unknown:
        memory += " (+%d unknown)" % unknown
    models_html = "<br>".join("%d\u00d7 %s" % (n, _e(m)) for m, n in sorted(models.items())) or '<span class="muted">CPU only</span>'
    warnings = acc["warnings"]
    warnings_html = '<ul class="plain warn">%s</ul>' % "".join("<li>%s</li>" % _e(w) for w in warnings) if warnings else '<span class="muted">\u2014</span>'
    region = host["region"]
    cells = [
        "<td>%s</td>" % _e(host["name"]),
        "<td>%s</td>" % (_e(region) if region else '<span class="muted">%s</span>' % UNASSIGNED_REGION),
        '<td><span class="badge">%s</span></td>' % _e(host["silicon_class"]),
        '<td class="num">%d</td>' % acc["count"],
        "<td>%s</td>" % models_html,
        '<td class="num" data-sort="%d">%s</td>' % (sum(known), memory),
        "<td>%s</td>" % _yes_no(acc["driver_loaded"]),
        "<td>%s</td>" % _e(acc["secure_boot"] or "unknown"),
        "<td>%s</td>" % _e(acc["virtualization"] or "unknown"),
        '<td data-sort="%d">%s</td>' % (len(warnings), warnings_html),
    ]
    return '<tr data-testid="host-row" data-host="%s">%s</tr>' % (_e(host["name"]), "".join(cells))


# (header, sort as, right-aligned)
_HOST_COLUMNS = (
    ("Host", "text", False),
    ("Region", "text", False),
    ("Silicon class", "text", False),
    ("Devices", "number", True),
    ("Models", "text", False),
    ("Accelerator memory", "number", True),
    ("Driver loaded", "text", False),
    ("Secure Boot", "text", False),
    ("Virtualization", "text", False),
    ("Warnings", "number", False),
)
_CLASS_COLUMNS = (
    ("Silicon class", "text", False),
    ("Devices", "number", True),
    ("Known memory", "number", True),
    ("Devices with unknown memory", "number", True),
)


def _table(testid, columns, rows):
    head = "".join(
        '<th data-type="%s"%s><button type="button">%s</button></th>' % (kind, ' class="num"' if right else "", name) for name, kind, right in columns
    )
    return '<div class="scroll"><table class="sortable" data-testid="%s"><thead><tr>%s</tr></thead><tbody>\n%s\n</tbody></table></div>' % (
        testid,
        head,
        "\n".join(rows),
    )


def _render_class_row(summary, cls):
    known, unknown = summary["memory_mib_by_class"][cls], summary["unknown_memory_devices_by_class"][cls]
    memory = "unknown" if unknown and not known else format_mib(known)
    cells = '<td><span class="badge">%s</span></td><td class="num">%d</td>' % (_e(cls), summary["devices_by_class"][cls])
    cells += '<td class="num" data-sort="%d">%s</td><td class="num">%s</td>' % (known, memory, unknown or "\u2014")
    return '<tr data-testid="class-row">%s</tr>' % cells


def _tile(testid, value, label, note=""):
    note_html = '<span class="note">%s</span>' % note if note else ""
    return '<div class="tile" data-testid="%s"><span class="value">%s</span><span class="label">%s</span>%s</div>' % (testid, value, label, note_html)


def render_html(report, title=DEFAULT_TITLE):
    """One self-contained HTML page without external resources; its CSP allows only the page's own sorting script (by hash), no network access."""
    summary = report["summary"]
    title = _e(title or DEFAULT_TITLE)
    generated = _e(report["generated_at"])
    colours = _region_colours(sorted(summary["devices_by_region"]))
    known_regions = [r for r in summary["regions"] if r != UNASSIGNED_REGION]
    unassigned = summary["hosts_by_region"].get(UNASSIGNED_REGION, 0)
    memory = "%s known memory" % format_mib(summary["memory_mib_total"]) if summary["devices"] else ""
    tiles = [
        _tile("tile-hosts", summary["hosts"], "Hosts", "%d CPU only" % summary["cpu_only_hosts"] if summary["cpu_only_hosts"] else ""),
        _tile("tile-devices", summary["devices"], "Accelerator devices", memory),
        _tile("tile-classes", len(summary["classes"]), "Silicon classes", ", ".join(_e(v) for v in summary["vendors"])),
        _tile("tile-regions", len(known_regions), "Regions", "%d host%s unassigned" % (unassigned, "" if unassigned == 1 else "s") if unassigned else ""),
    ]
    class_table = ""
    if summary["classes"]:
        class_rows = [_render_class_row(summary, c) for c in summary["classes"]]
        class_table = "<section><h2>Silicon classes</h2>%s</section>" % _table("class-table", _CLASS_COLUMNS, class_rows)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta http-equiv="Content-Security-Policy" content="%s">' % _CSP,
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="generator" content="horizon.ai_platform.fleet_report">',
        '<meta name="horizon-generated-at" content="%s">' % generated,
        "<title>%s</title>" % title,
        "<style>%s</style>" % _CSS,
        "</head>",
        "<body>",
        '<header><h1 data-testid="title">%s</h1><p>Generated <time datetime="%s" data-testid="generated-at">%s</time></p></header>'
        % (title, generated, generated.replace("T", " ").replace("Z", " UTC")),
        "<main>",
        '<section class="tiles" data-testid="tiles">%s</section>' % "".join(tiles),
        "<section><h2>Devices by silicon class and region</h2>\n%s</section>" % _render_chart(summary, colours),
        class_table,
        "<section><h2>Hosts</h2>%s</section>" % _table("host-table", _HOST_COLUMNS, [_render_host_row(h) for h in report["hosts"]]),
        "</main>",
        "<footer>Schema %s &middot; written by horizon.ai_platform.fleet_report</footer>" % _e(SCHEMA),
        "<script>%s</script>" % _SORT_JS,
        "</body>",
        "</html>",
        "",
    ]
    return "\n".join(parts)


RENDERERS = {"json": render_json, "csv": render_csv, "html": render_html}


def render(report, fmt, title=DEFAULT_TITLE):
    """Render ``report`` in one of FORMATS."""
    if fmt not in RENDERERS:
        raise ValueError("unknown report format %r, expected one of %s" % (fmt, ", ".join(FORMATS)))
    return RENDERERS[fmt](report, title=title)
