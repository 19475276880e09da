# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Container Device Interface (CDI) specs for accelerators that containers reach through device nodes.

Private to horizon.ai_platform (the leading underscore): the API may change without notice.

AMD Instinct GPUs, Intel data-center GPUs and Intel Gaudi need no runtime hook in a container: their device nodes
are enough (``/dev/dri/card*`` and ``/dev/dri/renderD*``, plus ``/dev/kfd`` for ROCm; ``/dev/accel/accel*`` for
Gaudi). ``build()`` finds each PCI device's nodes where the kernel lists them in sysfs
(``/sys/bus/pci/devices/<address>/drm/renderD128/dev`` holds ``226:128``), checks that the node in ``/dev`` is the
same character device, and writes one CDI device per accelerator, named by its index (the driver's numbering, as
the vendor tools show it) and by its PCI address, plus ``all``. The spec uses the oldest CDI version its content
allows (0.5.0, because device names start with a digit), so that the podman of Debian 12 (4.3.1, which reads specs
up to 0.5.0) takes it as well as newer runtimes.

NVIDIA's spec is not built here: ``nvidia-ctk cdi generate`` writes it, with the driver's libraries and hooks.
``read_spec()`` and ``spec_devices()`` read any vendor's spec, to list its devices and to find conflicts.
"""

from __future__ import annotations

import json
import os
import re
import stat

# The CDI kinds the vendors' own generators use (amd-ctk: amd.com/gpu; Intel's cdi-specs-generator: intel.com/gpu
# and intel.com/gaudi).
KINDS = {
    "amd": "amd.com/gpu",
    "intel_gpu": "intel.com/gpu",
    "intel_gaudi": "intel.com/gaudi",
}
# Where the kernel lists a PCI device's nodes (sysfs subdirectory), the /dev directory they are in, and which of
# them a container needs.
_NODES = {
    "amd": ("drm", "dri", re.compile(r"^(card|renderD)[0-9]+$")),
    "intel_gpu": ("drm", "dri", re.compile(r"^(card|renderD)[0-9]+$")),
    "intel_gaudi": ("accel", "accel", re.compile(r"^accel[0-9]+$")),
}
# ROCm's compute interface, one node shared by every AMD GPU: its sysfs class entry and its path.
_KFD = (("class", "kfd", "kfd", "dev"), "/dev/kfd")
# Spec versions and what needs them (cncf-tags/container-device-interface specs-go/version.go).
_VERSION_BASE = "0.3.0"
_VERSION_DIGIT_NAMES = "0.5.0"
_KIND_RE = re.compile(r"^[A-Za-z]([A-Za-z0-9_.-]*[A-Za-z0-9])?/[A-Za-z]([A-Za-z0-9_.-]*[A-Za-z0-9])?$")
_NAME_RE = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9_.:-]*[A-Za-z0-9])?$")


class CdiError(Exception):
    """A device without its nodes, a node that is not what sysfs says, or a spec that is not valid."""


def spec_file_name(kind):
    """The file name CDI's own library gives a vendor's spec: ``amd.com-gpu.json``."""
    return kind.replace("/", "-") + ".json"


def _read_dev(path):
    """``(major, minor)`` from a sysfs ``dev`` file, or None where there is none."""
    try:
        with open(path) as handle:
            text = handle.read().strip()
    except OSError:
        return None
    match = re.match(r"^([0-9]+):([0-9]+)$", text)
    return (int(match.group(1)), int(match.group(2))) if match else None


def _natural(name):
    return [int(part) if part.isdigit() else part for part in re.split(r"([0-9]+)", name)]


def pci_nodes(stack, sysfs_root, address):
    """The device nodes sysfs lists for one PCI device: ``[{"path", "dev"}]`` in name order."""
    subsystem, dev_dir, wanted = _NODES[stack]
    directory = os.path.join(sysfs_root, "bus", "pci", "devices", address, subsystem)
    try:
        names = sorted((name for name in os.listdir(directory) if wanted.match(name)), key=_natural)
    except OSError:
        return []
    nodes = []
    for name in names:
        dev = _read_dev(os.path.join(directory, name, "dev"))
        if dev is not None:
            nodes.append({"path": "/dev/%s/%s" % (dev_dir, name), "dev": dev})
    return nodes


def shared_nodes(stack, sysfs_root):
    """Nodes every device of the stack needs (ROCm's /dev/kfd), or a reason why one is missing."""
    if stack != "amd":
        return [], None
    dev = _read_dev(os.path.join(sysfs_root, *_KFD[0]))
    if dev is None:
        return [], "%s is not in sysfs (%s): amdgpu's compute interface (KFD) is not loaded" % (_KFD[1], os.path.join(sysfs_root, *_KFD[0][:-1]))
    return [{"path": _KFD[1], "dev": dev}], None


def _check_node(node, dev_root, stat_fn):
    """None when the node in /dev is the character device sysfs names, else what is wrong with it."""
    path = os.path.join(dev_root, node["path"][len("/dev/") :])
    try:
        info = stat_fn(path)
    except OSError:
        return "%s does not exist (sysfs lists it as %d:%d)" % (node["path"], node["dev"][0], node["dev"][1])
    if not stat.S_ISCHR(info.st_mode):
        return "%s is not a character device" % node["path"]
    found = (os.major(info.st_rdev), os.minor(info.st_rdev))
    if found != node["dev"]:
        return "%s is %d:%d, but sysfs says %d:%d: a stale node" % (node["path"], found[0], found[1], node["dev"][0], node["dev"][1])
    return None


def _primary_minor(nodes):
    """The minor of a device's compute node (renderD*, accel*), by which the driver numbers its devices."""
    for node in nodes:
        name = os.path.basename(node["path"])
        if name.startswith(("renderD", "accel")) and not name.startswith("accel_control"):
            return node["dev"][1]
    return nodes[0]["dev"][1]


def _gaudi_control(node, dev_root, stat_fn):
    """Gaudi's control node accel_controlD<N> beside accel<N>, where the driver made one."""
    index = node["path"].rsplit("accel", 1)[1]
    path = "/dev/accel/accel_controlD%s" % index
    try:
        info = stat_fn(os.path.join(dev_root, path[len("/dev/") :]))
    except OSError:
        return None
    if not stat.S_ISCHR(info.st_mode):
        return None
    return {"path": path, "dev": (os.major(info.st_rdev), os.minor(info.st_rdev))}


def build(stack, addresses, sysfs_root="/sys", dev_root="/dev", missing="fail", stat_fn=os.stat):
    """The CDI spec for ``addresses`` (PCI addresses of one stack's devices).

    Returns ``(spec, report)``: ``spec`` is None when no device has its nodes; ``report`` holds ``devices`` (name,
    PCI address, nodes), ``shared`` nodes and ``problems``. With ``missing="fail"`` a device without its nodes, or a
    node that is not what sysfs says, raises CdiError naming each one; with ``"omit"`` such devices are left out.
    """
    if stack not in KINDS:
        raise CdiError("no device-node CDI spec for stack %r; known: %s" % (stack, ", ".join(sorted(KINDS))))
    problems = []
    devices = []
    shared, reason = shared_nodes(stack, sysfs_root)
    if reason:
        problems.append(reason)
    for node in shared:
        issue = _check_node(node, dev_root, stat_fn)
        if issue:
            problems.append(issue)
    found = []
    for address in addresses:
        nodes = pci_nodes(stack, sysfs_root, address)
        if not nodes:
            problems.append(
                "%s has no device nodes in sysfs (%s): its driver is not bound or not loaded"
                % (address, os.path.join(sysfs_root, "bus", "pci", "devices", address, _NODES[stack][0]))
            )
            continue
        issues = [issue for issue in (_check_node(node, dev_root, stat_fn) for node in nodes) if issue]
        if issues:
            problems.extend("%s: %s" % (address, issue) for issue in issues)
            continue
        if stack == "intel_gaudi":
            nodes = nodes + [control for control in (_gaudi_control(node, dev_root, stat_fn) for node in nodes) if control]
        found.append((_primary_minor(nodes), address, nodes))
    # The index follows the driver's own numbering (the render or accel node's minor), which the vendor tools
    # (rocm-smi, hl-smi) and their *_VISIBLE_DEVICES variables use, not the PCI order.
    for index, (_minor, address, nodes) in enumerate(sorted(found)):
        devices.append({"name": str(index), "pci_address": address, "nodes": nodes})
    if problems and missing == "fail":
        raise CdiError("; ".join(problems))
    if stack == "amd" and reason:
        devices = []
    report = {"kind": KINDS[stack], "devices": devices, "shared": shared, "problems": problems}
    if not devices:
        return None, report
    spec = {"cdiVersion": _VERSION_DIGIT_NAMES, "kind": KINDS[stack], "devices": []}
    every = []
    for device in devices:
        edits = {"deviceNodes": [{"path": node["path"]} for node in device["nodes"]]}
        every.extend(edits["deviceNodes"])
        spec["devices"].append({"name": device["name"], "containerEdits": edits})
        spec["devices"].append({"name": device["pci_address"], "containerEdits": {"deviceNodes": list(edits["deviceNodes"])}})
    spec["devices"].append({"name": "all", "containerEdits": {"deviceNodes": every}})
    if shared:
        spec["containerEdits"] = {"deviceNodes": [{"path": node["path"]} for node in shared]}
    spec["cdiVersion"] = required_version(spec)
    return spec, report


def required_version(spec):
    """The oldest CDI version that can hold ``spec`` (the rules of the CDI library's specs-go/version.go)."""
    names = [device.get("name", "") for device in spec.get("devices", [])]
    edits = [spec.get("containerEdits") or {}] + [device.get("containerEdits") or {} for device in spec.get("devices", [])]
    if any(edit.get("additionalGids") or edit.get("intelRdt") for edit in edits):
        return "0.7.0"
    if spec.get("annotations") or any(device.get("annotations") for device in spec.get("devices", [])) or "." in spec.get("kind", "/").split("/", 1)[1]:
        return "0.6.0"
    if any(name[:1].isdigit() for name in names) or any(node.get("hostPath") for edit in edits for node in edit.get("deviceNodes") or []):
        return _VERSION_DIGIT_NAMES
    if any(mount.get("type") for edit in edits for mount in edit.get("mounts") or []):
        return "0.4.0"
    return _VERSION_BASE


def dumps(spec):
    """A spec as the file holds it."""
    return json.dumps(spec, indent=2) + "\n"


def read_spec(path):
    """A CDI spec file (JSON or YAML) as data; CdiError when it cannot be read or is not a spec."""
    try:
        with open(path) as handle:
            text = handle.read()
    except OSError as exc:
        raise CdiError("cannot read %s: %s" % (path, exc.strerror)) from None
    if path.endswith(".json"):
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise CdiError("%s is not valid JSON: %s" % (path, exc)) from None
    else:
        try:
            import yaml  # noqa: PLC0415 - only YAML specs (NVIDIA's) need it; PyYAML ships with ansible-core
        except ImportError:
            raise CdiError("%s is YAML, and PyYAML is not installed on this node" % path) from None
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise CdiError("%s is not valid YAML: %s" % (path, exc)) from None
    problems = validate(data)
    if problems:
        raise CdiError("%s is not a valid CDI spec: %s" % (path, "; ".join(problems)))
    return data


def validate(data):
    """What is wrong with a spec's required fields and names (an empty list when nothing)."""
    if not isinstance(data, dict):
        return ["a spec is a mapping, not %s" % type(data).__name__]
    problems = []
    if not isinstance(data.get("cdiVersion"), str):
        problems.append("cdiVersion is missing")
    kind = data.get("kind")
    if not isinstance(kind, str) or not _KIND_RE.match(kind):
        problems.append("kind %r is not vendor.com/class" % (kind,))
    devices = data.get("devices")
    if not isinstance(devices, list) or not devices:
        problems.append("devices is missing or empty")
        return problems
    seen = set()
    for device in devices:
        name = device.get("name") if isinstance(device, dict) else None
        if not isinstance(name, str) or not _NAME_RE.match(name):
            problems.append("device name %r is not valid" % (name,))
        elif name in seen:
            problems.append("device %s is defined twice" % name)
        seen.add(name)
    return problems


def spec_devices(data):
    """The fully qualified device names a spec defines (``vendor.com/class=name``)."""
    return ["%s=%s" % (data["kind"], device["name"]) for device in data.get("devices", [])]


def device_paths(data, name):
    """The container paths of the device nodes a container gets for one device of a spec (its own and the spec's)."""
    paths = [node["path"] for node in (data.get("containerEdits") or {}).get("deviceNodes") or []]
    for device in data.get("devices", []):
        if device.get("name") == name:
            paths.extend(node["path"] for node in (device.get("containerEdits") or {}).get("deviceNodes") or [])
    return sorted(set(paths), key=_natural)


def conflicts(kind, names, spec_dirs, own_path):
    """Other spec files in ``spec_dirs`` that define one of ``names`` for ``kind``: ``[(path, [names])]``.

    Two specs of one priority (directory) that define the same device make the runtime drop it; a spec in a later
    directory (``/var/run/cdi``) silently overrides one in ``/etc/cdi``. Either way, the node would not get the
    devices this spec describes. Files that cannot be read are reported with an empty list.
    """
    found = []
    for directory in spec_dirs:
        try:
            entries = sorted(os.listdir(directory))
        except OSError:
            continue
        for entry in entries:
            path = os.path.join(directory, entry)
            if not entry.endswith((".json", ".yaml")) or os.path.abspath(path) == os.path.abspath(own_path) or not os.path.isfile(path):
                continue
            try:
                data = read_spec(path)
            except CdiError:
                continue
            if data.get("kind") != kind:
                continue
            clash = sorted(set(names) & {device["name"] for device in data["devices"]}, key=_natural)
            if clash:
                found.append((path, clash))
    return found
