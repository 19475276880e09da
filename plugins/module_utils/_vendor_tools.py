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
HL_SMI_ARGV = ("hl-smi",)
XPU_SMI_ARGV = ("xpu-smi", "discovery", "-j")


def xpu_smi_detail_argv(pci_address):
    return ("xpu-smi", "discovery", "-d", pci_address)


class ToolError(Exception):
    """A vendor tool ran but its result can't be used; the message says why."""


class ToolRunner:
    """Runs vendor tools with a time limit and a fixed C locale."""

    def __init__(self, get_bin_path, timeout=30):
        self._get_bin_path = get_bin_path
        self._paths = {}
        self.timeout = timeout

    def which(self, name):
        """The tool's path, or None; PATH is searched once per tool."""
        if name not in self._paths:
            self._paths[name] = self._get_bin_path(name)
        return self._paths[name]

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
            # pci_device_id is DDDDVVVV: the device ID the tool sees, kept apart from the scan's.
            "reported_device_id": ((_text(gpu, "pci/pci_device_id") or "")[:4].lower() or None),
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

_HL_HEADER_RE = re.compile(r"^\|\s*(HL-SMI Version|Driver Version):\s*(\S+)\s*\|")
_HL_ROW_RE = re.compile(r"^\|\s*(\d+)\s+(\S+)\s+\S+\s*\|\s*([0-9A-Fa-f]{4}:[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}\.[0-7])\s+\S+\s*\|\s*(\S+)\s*\|")
_HL_MEMORY_RE = re.compile(r"\|\s*(\d+)MiB\s*/\s*(\d+)MiB\s*\|")


def parse_hl_smi_table(text):
    """Parse hl-smi's default table into (node, {pci_address: device fields})."""
    node = {}
    devices = {}
    current = None
    for line in (text or "").splitlines():
        header = _HL_HEADER_RE.match(line)
        if header:
            node["driver_version" if header.group(1) == "Driver Version" else "hl_smi_version"] = header.group(2)
            continue
        row = _HL_ROW_RE.match(line)
        if row:
            _index, name, address, ecc = row.groups()
            current = devices[normalize_pci_address(address)] = {
                "product_name": name,
                "driver_version": node.get("driver_version"),
                "uncorrectable_ecc_errors": _int(ecc),
            }
            continue
        memory = _HL_MEMORY_RE.search(line)
        if memory and current is not None and "memory_mib" not in current:
            current["memory_mib"] = int(memory.group(2))
    if not devices:
        raise ToolError("hl-smi printed no AIP: %s" % _first_line(text))
    for fields in devices.values():
        errors = fields.pop("uncorrectable_ecc_errors")
        reasons = ["%d uncorrectable ECC errors" % errors] if errors else []
        fields["health"] = "degraded" if reasons else ("ok" if errors == 0 else None)
        fields["health_reasons"] = reasons
    return node, devices


def query_hl_smi(runner):
    return parse_hl_smi_table(_checked(runner, HL_SMI_ARGV))


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


_XPU_DETAIL_RE = re.compile(r"^\|\s*\S*\s*\|\s*([^:|]+?):\s*(.*?)\s*\|\s*$")


def parse_xpu_smi_detail(text):
    """Parse ``xpu-smi discovery -d <bdf>`` (a boxed key: value table) into device fields."""
    fields = {}
    for line in (text or "").splitlines():
        match = _XPU_DETAIL_RE.match(line)
        if match:
            fields.setdefault(match.group(1).strip(), match.group(2).strip())
    if "PCI BDF Address" not in fields:
        raise ToolError("xpu-smi discovery -d printed no device details: %s" % _first_line(text))
    memory = re.match(r"^(\d+)(?:\.\d+)?\s*MiB$", fields.get("Memory Physical Size", ""))
    return normalize_pci_address(fields["PCI BDF Address"]), {
        "driver_version": fields.get("Driver Version"),
        "firmware_version": fields.get("Firmware Version"),
        "memory_mib": int(memory.group(1)) if memory else None,
    }


def query_xpu_smi(runner):
    node, devices = parse_xpu_smi_discovery(_checked(runner, XPU_SMI_ARGV))
    failures = []
    for address in sorted(devices):
        try:
            detail_address, fields = parse_xpu_smi_detail(_checked(runner, xpu_smi_detail_argv(address)))
        except ToolError as exc:
            failures.append(str(exc))
            continue
        if detail_address == address:
            devices[address].update(fields)
    if failures:
        node["detail_errors"] = failures
    return node, devices


# ---------------------------------------------------------------- applying


# (tool name, PCI vendor ID of the devices it describes, query function); every tool's
# devices are matched to the PCI scan by bus address.
TOOLS = (
    ("nvidia-smi", "10de", query_nvidia),
    ("amd-smi", "1002", query_amd_smi),
    ("rocm-smi", "1002", query_rocm_smi),
    ("hl-smi", "1da3", query_hl_smi),
    ("xpu-smi", "8086", query_xpu_smi),
)


def _merge(device, fields):
    for key, value in fields.items():
        if key.startswith("reported_"):
            continue
        if value is None and device.get(key) is not None:
            continue
        device[key] = value
    if device.get("model") is None and fields.get("product_name"):
        device["model"] = fields["product_name"]


def _seen(address, fields):
    """What a tool reported of one device, kept in the facts so that a role can compare it with the PCI scan."""
    seen = {"pci_address": address, "product_name": fields.get("product_name")}
    if fields.get("reported_device_id"):
        seen["device_id"] = fields["reported_device_id"]
    return seen


def enrich(facts, runner):
    """Run the vendor tools that apply to the scanned devices and merge what they report."""
    warnings = facts["warnings"]
    done_vendors = set()
    for name, vendor_id, query in TOOLS:
        targets = [device for device in facts["devices"] if device["vendor_id"] == vendor_id and device["pci_address"]]
        # amd-smi supersedes rocm-smi: the second runs only when the first is absent or failed.
        if not targets or vendor_id in done_vendors or not runner.which(name):
            continue
        try:
            node, reported = query(runner)
        except ToolError as exc:
            facts["tools"][name] = {"status": "failed", "error": str(exc)}
            warnings.append("%s failed, facts come from the PCI scan only: %s" % (name, exc))
            continue
        for error in node.pop("detail_errors", ()):
            warnings.append("%s: %s" % (name, error))
        facts["tools"][name] = dict(node, status="ok", devices=[_seen(address, fields) for address, fields in sorted(reported.items())])
        done_vendors.add(vendor_id)
        for device in targets:
            fields = reported.pop(device["pci_address"], None)
            if fields is not None:
                _merge(device, fields)
        for address in sorted(reported):
            warnings.append("%s reports a device at %s that the PCI scan did not find" % (name, address))
    return facts
