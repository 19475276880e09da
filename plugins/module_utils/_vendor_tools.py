# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Enrich the PCI scan with what the vendors' own tools report.

PRIVATE: this module is internal to horizon.ai_platform and may change without notice.

One entry per tool in ``TOOLS``: the exact command lines it runs and the parser for their
output. Running (``ToolRunner``) is kept apart from parsing (``parse_*``) so tests feed
recorded outputs to the parsers with the exact argv mocked. A tool that is absent is skipped
quietly; a tool that is present but fails leaves the PCI facts as they are and adds a warning
that says what failed.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from xml.etree import ElementTree

from ansible_collections.horizon.ai_platform.plugins.module_utils._accelerators import normalize_pci_address

NVIDIA_SMI_ARGV = ("nvidia-smi", "-q", "-x")
AMD_SMI_LIST_ARGV = ("amd-smi", "list")
AMD_SMI_ASIC_ARGV = ("amd-smi", "static", "--asic")
AMD_SMI_PARTITION_ARGV = ("amd-smi", "static", "--partition")
ROCM_SMI_ARGV = ("rocm-smi", "-a")
HL_SMI_ARGV = (
    "hl-smi",
    "--format=csv,nounits",
    "--query-aip=name,uuid,power.draw,temperature.aip,utilization.aip,memory.used,memory.total",
)
XPU_SMI_ARGV = ("xpu-smi", "discovery", "-j")


class ToolError(Exception):
    """A vendor tool ran but its result can't be used; the message says why."""


class ToolRunner:
    """Runs vendor tools with a time limit and a fixed C locale."""

    def __init__(self, get_bin_path, timeout=30):
        self._get_bin_path = get_bin_path
        self.timeout = timeout

    def which(self, name):
        return self._get_bin_path(name)

    def run(self, argv):
        """Return (rc, stdout, stderr); raise ToolError when the tool can't be run or times out."""
        path = self.which(argv[0])
        if not path:
            raise ToolError("%s is not installed" % argv[0])
        env = dict(os.environ, LC_ALL="C", LANG="C")
        try:
            proc = subprocess.run(
                [path] + list(argv[1:]),
                stdin=subprocess.DEVNULL,
                capture_output=True,
                env=env,
                timeout=self.timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise ToolError("`%s` did not finish within %s s" % (" ".join(argv), self.timeout)) from None
        except OSError as exc:
            raise ToolError("`%s` could not be started: %s" % (" ".join(argv), exc.strerror or exc)) from exc
        return proc.returncode, proc.stdout.decode("utf-8", "replace"), proc.stderr.decode("utf-8", "replace")


def _first_line(*texts):
    for text in texts:
        for line in (text or "").splitlines():
            if line.strip():
                return line.strip()
    return "no output"


def _checked(runner, argv):
    rc, out, err = runner.run(argv)
    if rc != 0:
        raise ToolError("`%s` exited %s: %s" % (" ".join(argv), rc, _first_line(err, out)))
    return out


def _mib(text):
    """'81559 MiB' -> 81559; None for 'N/A' or anything else."""
    match = re.match(r"^\s*(\d+)\s*MiB\s*$", text or "")
    return int(match.group(1)) if match else None


def _text(node, path):
    if node is None:
        return None
    value = node.findtext(path)
    if value is None:
        return None
    value = value.strip()
    return None if value in ("", "N/A", "[N/A]") else value


# ---------------------------------------------------------------- NVIDIA


def parse_nvidia_smi_xml(text):
    """Parse ``nvidia-smi -q -x`` into (node, {pci_address: device fields})."""
    try:
        root = ElementTree.fromstring(text.encode("utf-8") if isinstance(text, str) else text)
    except ElementTree.ParseError as exc:
        raise ToolError("nvidia-smi -q -x printed XML that does not parse: %s" % exc) from exc
    if root.tag != "nvidia_smi_log":
        raise ToolError("nvidia-smi -q -x printed <%s>, not <nvidia_smi_log>" % root.tag)
    node = {"driver_version": _text(root, "driver_version"), "cuda_version": _text(root, "cuda_version")}
    devices = {}
    for gpu in root.findall("gpu"):
        address = normalize_pci_address(_text(gpu, "pci/pci_bus_id") or gpu.get("id") or "")
        if address is None:
            continue
        mig = _text(gpu, "mig_mode/current_mig")
        mig_devices = gpu.findall("mig_devices/mig_device")
        reasons = _nvidia_health_reasons(gpu)
        devices[address] = {
            "product_name": _text(gpu, "product_name"),
            "driver_version": node["driver_version"],
            "firmware_version": _text(gpu, "vbios_version"),
            "memory_mib": _mib(_text(gpu, "fb_memory_usage/total")),
            "uuid": _text(gpu, "uuid"),
            "partition_mode": "mig" if mig == "Enabled" else ("none" if mig == "Disabled" else None),
            "partitions": len(mig_devices) if mig == "Enabled" else None,
            "persistence_mode": (_text(gpu, "persistence_mode") or "").lower() or None,
            "health": "degraded" if reasons else "ok",
            "health_reasons": reasons,
        }
    return node, devices


def _nvidia_health_reasons(gpu):
    reasons = []
    checks = (
        ("retired_pages/pending_retirement", "a page retirement is pending (reset the GPU)"),
        ("retired_pages/pending_blacklist", "a page retirement is pending (reset the GPU)"),
        ("remapped_rows/remapped_row_pending", "a row remapping is pending (reset the GPU)"),
        ("remapped_rows/remapped_row_failure", "row remapping failed"),
    )
    for path, reason in checks:
        if _text(gpu, path) == "Yes" and reason not in reasons:
            reasons.append(reason)
    action = _text(gpu, "gpu_recovery_action")
    if action and action != "None":
        reasons.append("recovery action required: %s" % action)
    return reasons


def query_nvidia(runner):
    out = _checked(runner, NVIDIA_SMI_ARGV)
    return parse_nvidia_smi_xml(out)


# ---------------------------------------------------------------- AMD


def parse_amd_smi_sections(text):
    """Parse amd-smi's indented text output into {gpu_index: {KEY or SECTION/KEY: value}}."""
    gpus = {}
    current = None
    section = None
    for raw in (text or "").splitlines():
        if not raw.strip():
            continue
        match = re.match(r"^GPU:\s*(\d+)\s*$", raw)
        if match:
            current = gpus.setdefault(int(match.group(1)), {})
            section = None
            continue
        if current is None:
            continue
        indent = len(raw) - len(raw.lstrip())
        key, sep, value = raw.strip().partition(":")
        if not sep:
            continue
        key, value = key.strip(), value.strip()
        if not value and indent <= 4:
            section = key
            continue
        current["%s/%s" % (section, key) if section and indent > 4 else key] = value
    return gpus


def parse_amd_smi(list_text, asic_text, partition_text):
    """Combine ``amd-smi list``, ``static --asic`` and ``static --partition`` into device fields."""
    listed = parse_amd_smi_sections(list_text)
    if not listed:
        raise ToolError("amd-smi list printed no GPU")
    asic = parse_amd_smi_sections(asic_text)
    partition = parse_amd_smi_sections(partition_text)
    devices = {}
    for index, fields in sorted(listed.items()):
        address = normalize_pci_address(fields.get("BDF", ""))
        if address is None:
            continue
        info = asic.get(index, {})
        part = partition.get(index, {})
        uuid = fields.get("UUID")
        devices[address] = {
            "product_name": info.get("ASIC/MARKET_NAME"),
            "uuid": None if uuid in (None, "<redacted>", "N/A") else uuid,
            "compute_units": _int(info.get("ASIC/NUM_COMPUTE_UNITS")),
            "gfx_target": info.get("ASIC/TARGET_GRAPHICS_VERSION"),
            "partition_mode": _lower(part.get("PARTITION/COMPUTE_PARTITION")),
            "memory_partition": _lower(part.get("PARTITION/MEMORY_PARTITION")),
        }
    return {}, devices


def _int(text):
    try:
        return int(str(text).strip(), 0)
    except (TypeError, ValueError):
        return None


def _lower(text):
    if not text or text == "N/A":
        return None
    return text.strip().lower()


def query_amd_smi(runner):
    listed = _checked(runner, AMD_SMI_LIST_ARGV)
    asic = _checked(runner, AMD_SMI_ASIC_ARGV)
    partition = _checked(runner, AMD_SMI_PARTITION_ARGV)
    return parse_amd_smi(listed, asic, partition)


_ROCM_LINE_RE = re.compile(r"^GPU\[(\d+)\]\s*:\s*([^:]+?):\s*(.*)$")


def parse_rocm_smi(text):
    """Parse ``rocm-smi -a`` text into (node, {pci_address: device fields})."""
    if "Driver not initialized" in (text or ""):
        raise ToolError("rocm-smi reports the amdgpu driver is not initialized: %s" % _first_line(text))
    node = {}
    cards = {}
    for line in (text or "").splitlines():
        if line.startswith("Driver version:"):
            node["driver_version"] = line.split(":", 1)[1].strip() or None
            continue
        match = _ROCM_LINE_RE.match(line)
        if match:
            index, key, value = match.groups()
            cards.setdefault(int(index), {})[key.strip()] = value.strip()
    if not cards:
        raise ToolError("rocm-smi -a printed no GPU: %s" % _first_line(text))
    devices = {}
    for fields in cards.values():
        address = normalize_pci_address(fields.get("PCI Bus", ""))
        if address is None:
            continue
        serial = fields.get("Serial Number")
        devices[address] = {
            "product_name": fields.get("Card series") or fields.get("Card Series"),
            "driver_version": node.get("driver_version"),
            "firmware_version": fields.get("VBIOS version"),
            "serial": None if serial in (None, "N/A") else serial,
        }
    return node, devices


def query_rocm_smi(runner):
    rc, out, err = runner.run(ROCM_SMI_ARGV)
    # rocm-smi exits 0 even when the driver is missing; parse_rocm_smi spots that.
    if rc != 0:
        raise ToolError("`%s` exited %s: %s" % (" ".join(ROCM_SMI_ARGV), rc, _first_line(err, out)))
    return parse_rocm_smi(out + "\n" + err)


# ---------------------------------------------------------------- Intel Gaudi


def parse_hl_smi_csv(text):
    """Parse hl-smi's query CSV into a list of device fields, in the order hl-smi lists them."""
    lines = [line for line in (text or "").splitlines() if line.strip()]
    if not lines or not lines[0].startswith("name"):
        raise ToolError("hl-smi printed no CSV header: %s" % _first_line(text))
    header = [column.strip().split(" [")[0] for column in lines[0].split(",")]
    devices = []
    for line in lines[1:]:
        values = [value.strip() for value in line.split(",")]
        if len(values) != len(header):
            raise ToolError("hl-smi CSV row has %d fields, header has %d: %s" % (len(values), len(header), line))
        row = dict(zip(header, values))
        devices.append(
            {
                "product_name": row.get("name"),
                "uuid": row.get("uuid"),
                "memory_mib": _int(row.get("memory.total")),
            }
        )
    return devices


def query_hl_smi(runner):
    return {}, parse_hl_smi_csv(_checked(runner, HL_SMI_ARGV))


# ---------------------------------------------------------------- Intel XPU


def parse_xpu_smi_discovery(text):
    """Parse ``xpu-smi discovery -j`` into {pci_address: device fields}."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ToolError("xpu-smi discovery -j printed JSON that does not parse: %s" % exc) from exc
    if not isinstance(data, dict) or not isinstance(data.get("device_list"), list):
        raise ToolError("xpu-smi discovery -j printed no device_list")
    devices = {}
    for item in data["device_list"]:
        if not isinstance(item, dict):
            continue
        address = normalize_pci_address(item.get("pci_bdf_address", ""))
        if address is None:
            continue
        devices[address] = {
            "product_name": item.get("device_name"),
            "uuid": item.get("uuid"),
            "drm_device": item.get("drm_device"),
            "function_type": item.get("device_function_type"),
        }
    return {}, devices


def query_xpu_smi(runner):
    return parse_xpu_smi_discovery(_checked(runner, XPU_SMI_ARGV))


# ---------------------------------------------------------------- applying


# (tool name, which devices it describes, query function, matches devices by PCI address?)
TOOLS = (
    ("nvidia-smi", lambda d: d["vendor_id"] == "10de" and d["pci_address"], query_nvidia, True),
    ("amd-smi", lambda d: d["vendor_id"] == "1002", query_amd_smi, True),
    ("rocm-smi", lambda d: d["vendor_id"] == "1002", query_rocm_smi, True),
    ("hl-smi", lambda d: d["vendor_id"] == "1da3", query_hl_smi, False),
    ("xpu-smi", lambda d: d["vendor_id"] == "8086", query_xpu_smi, True),
)


def _merge(device, fields):
    for key, value in fields.items():
        if value is None and device.get(key) is not None:
            continue
        device[key] = value
    if device.get("model") is None and fields.get("product_name"):
        device["model"] = fields["product_name"]


def enrich(facts, runner):
    """Run the vendor tools that apply to the scanned devices and merge what they report."""
    warnings = facts["warnings"]
    amd_done = False
    for name, selects, query, by_address in TOOLS:
        targets = [device for device in facts["devices"] if selects(device)]
        if not targets or (name == "rocm-smi" and amd_done):
            continue
        if not runner.which(name):
            continue
        try:
            node, reported = query(runner)
        except ToolError as exc:
            facts["tools"][name] = {"status": "failed", "error": str(exc)}
            warnings.append("%s failed, facts come from the PCI scan only: %s" % (name, exc))
            continue
        facts["tools"][name] = dict(node, status="ok")
        if name == "amd-smi":
            amd_done = True
        if by_address:
            for device in targets:
                fields = reported.pop(device["pci_address"], None)
                if fields is not None:
                    _merge(device, fields)
            for address in sorted(reported):
                warnings.append("%s reports a device at %s that the PCI scan did not find" % (name, address))
        elif len(reported) == len(targets):
            # hl-smi's query output has no bus address: it lists devices in PCI order.
            for device, fields in zip(sorted(targets, key=lambda d: d["pci_address"]), reported):
                _merge(device, fields)
        else:
            warnings.append("%s lists %d devices but the PCI scan found %d: its details were not applied" % (name, len(reported), len(targets)))
    return facts
