#!/usr/bin/python
# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: cdi_spec
short_description: Write a Container Device Interface (CDI) spec for accelerators that containers reach through device nodes
version_added: 0.1.0
description:
  - Writes the CDI spec through which podman, Docker (25 and later) and containerd (1.7 and later) give a container
    AMD Instinct GPUs (V(amd)), Intel data-center GPUs (V(intel_gpu)) or Intel Gaudi accelerators (V(intel_gaudi)),
    for example with C(podman run --device amd.com/gpu=all).
  - Each PCI device in O(devices) gets the device nodes the kernel lists for it in sysfs (C(drm/card*) and
    C(drm/renderD*) for GPUs, C(accel/accel*) for Gaudi, with Gaudi's C(accel_controlD*) node where the driver made one).
    AMD GPUs also get the shared C(/dev/kfd). Each node in C(/dev) must be the character device sysfs names; a missing
    or stale node is reported by name.
  - Every device is named by its index and by its PCI address, and C(all) names every device. The index follows the
    driver's own numbering (the order of the C(renderD) or C(accel) nodes), as C(rocm-smi) and C(hl-smi) number the
    devices, not the PCI order. The spec
    uses the oldest CDI version its content allows (0.5.0), which the podman of Debian 12 reads as well as newer
    runtimes.
  - A spec in O(spec_dirs) that defines the same devices of the same kind makes a runtime drop or override them, so it
    fails the task, naming the file.
  - NVIDIA GPUs need NVIDIA's libraries and hooks as well, so their spec comes from C(nvidia-ctk cdi generate), not
    from this module.
author:
  - horizon.ai_platform maintainers (@horizon-ai-platform)
extends_documentation_fragment:
  - horizon.ai_platform.attributes
attributes:
  check_mode:
    support: full
    details:
      - Reads sysfs and C(/dev) and reports whether the spec would change; nothing is written.
  diff_mode:
    support: full
    details:
      - Shows the spec file before and after.
  idempotent:
    support: full
options:
  stack:
    description:
      - The kind of accelerator, as M(horizon.ai_platform.accelerator_facts) and the C(accelerator_drivers) role name
        it. The spec's kind is C(amd.com/gpu), C(intel.com/gpu) or C(intel.com/gaudi).
    type: str
    choices: [amd, intel_gpu, intel_gaudi]
    required: true
  devices:
    description:
      - The PCI addresses of the accelerators (as in C(ansible_facts.accelerators.devices)).
      - Required with O(state=present).
    type: list
    elements: str
    default: []
  path:
    description:
      - The spec file. Defaults to C(/etc/cdi/<vendor>-<class>.json), the name CDI's own library gives it
        (C(/etc/cdi/amd.com-gpu.json)).
    type: path
  state:
    description: V(present) writes the spec, V(absent) removes it.
    type: str
    choices: [present, absent]
    default: present
  missing:
    description:
      - What to do with a device whose nodes are missing (its driver not loaded yet) or stale.
      - V(fail) fails the task and names each one; V(omit) leaves such devices out of the spec and lists them in
        RV(problems).
    type: str
    choices: [fail, omit]
    default: fail
  spec_dirs:
    description: The directories the runtimes read specs from, searched for specs that define the same devices.
    type: list
    elements: path
    default: [/etc/cdi, /var/run/cdi]
  sysfs_root:
    description: Where sysfs is mounted. A test points it at a recorded machine's tree.
    type: path
    default: /sys
  dev_root:
    description: Where the device nodes are. The spec always names them under C(/dev), where containers see them.
    type: path
    default: /dev
  mode:
    description: The spec file's mode. Runtimes run by other users need to read it.
    type: raw
    default: "0644"
notes:
  - MI300 GPUs split into compute partitions (CPX) add render nodes that belong to no PCI device
    (C(amdgpu_xcp) platform devices); they are not in the spec.
seealso:
  - module: horizon.ai_platform.accelerator_facts
  - name: Container Device Interface specification
    description: The spec format and the runtimes' rules.
    link: https://github.com/cncf-tags/container-device-interface/blob/main/SPEC.md
"""

EXAMPLES = r"""
- name: Gather the node's accelerators
  horizon.ai_platform.accelerator_facts:

- name: Write the CDI spec of the node's AMD GPUs
  horizon.ai_platform.cdi_spec:
    stack: amd
    devices: "{{ ansible_facts.accelerators.devices | selectattr('vendor', 'eq', 'amd') | map(attribute='pci_address') | list }}"

- name: Run a ROCm container on every GPU
  ansible.builtin.command:
    argv: [podman, run, --rm, --device, amd.com/gpu=all, registry.example.com/rocm/rocm-terminal, rocminfo]
  changed_when: false
"""

RETURN = r"""
path:
  description: The spec file.
  returned: always
  type: str
  sample: /etc/cdi/amd.com-gpu.json
kind:
  description: The spec's CDI kind.
  returned: always
  type: str
  sample: amd.com/gpu
names:
  description: The fully qualified device names containers can ask for.
  returned: when O(state=present)
  type: list
  elements: str
  sample: [amd.com/gpu=0, amd.com/gpu=0000:0c:00.0, amd.com/gpu=all]
devices:
  description: Each device in the spec, with its PCI address and its nodes (path and major, minor numbers).
  returned: when O(state=present)
  type: list
  elements: dict
  sample:
    - name: "0"
      pci_address: "0000:0c:00.0"
      nodes: [{path: /dev/dri/card1, dev: [226, 1]}, {path: /dev/dri/renderD128, dev: [226, 128]}]
shared:
  description: The nodes every device of the spec gets (C(/dev/kfd) for AMD).
  returned: when O(state=present)
  type: list
  elements: dict
  sample: [{path: /dev/kfd, dev: [509, 0]}]
problems:
  description: Devices left out with O(missing=omit), and why.
  returned: when O(state=present)
  type: list
  elements: str
  sample: ["0000:0c:00.0 has no device nodes in sysfs (/sys/bus/pci/devices/0000:0c:00.0/drm): its driver is not bound or not loaded"]
cdi_version:
  description: The CDI version the spec declares.
  returned: when a spec is written
  type: str
  sample: 0.5.0
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.horizon.ai_platform.plugins.module_utils._cdi import KINDS, CdiError, build, conflicts, dumps, spec_devices, spec_file_name
from ansible_collections.horizon.ai_platform.plugins.module_utils._staged_write import write_file


def _current(path):
    if not os.path.exists(path):
        return None
    with open(path, "rb") as handle:
        return handle.read().decode("utf-8", "replace")


def _write(module, path, text):
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        os.makedirs(directory, mode=0o755)
    write_file(module, path, text.encode("utf-8"), mode=module.params["mode"])


def run(module):
    p = module.params
    kind = KINDS[p["stack"]]
    path = p["path"] or os.path.join("/etc/cdi", spec_file_name(kind))
    if not path.endswith((".json", ".yaml")):
        raise CdiError("path %s must end in .json or .yaml: runtimes read no other file" % path)
    current = _current(path)
    result = {"path": path, "kind": kind}
    if p["state"] == "absent":
        result["changed"] = current is not None
        if module._diff:
            result["diff"] = {"before_header": path, "after_header": path, "before": current or "", "after": ""}
        if current is not None and not module.check_mode:
            os.unlink(path)
        return result
    if not p["devices"]:
        raise CdiError("devices is empty: give the PCI addresses of the %s devices (state=absent removes the spec)" % p["stack"])
    spec, report = build(p["stack"], p["devices"], p["sysfs_root"], p["dev_root"], p["missing"])
    if spec is None:
        raise CdiError("no %s device has its device nodes, so there is no spec to write: %s" % (p["stack"], "; ".join(report["problems"])))
    names = [device["name"] for device in spec["devices"]]
    clashes = conflicts(kind, names, p["spec_dirs"], path)
    if clashes:
        raise CdiError(
            "%s also defines %s: a runtime drops devices defined twice, or takes another directory's. Remove the "
            "other spec (or the tool that writes it), or give this one the other's path"
            % ("; ".join("%s (%s)" % (other, ", ".join("%s=%s" % (kind, name) for name in clash)) for other, clash in clashes), kind)
        )
    text = dumps(spec)

    def nodes(items):
        return [{"path": node["path"], "dev": list(node["dev"])} for node in items]

    result.update(
        changed=text != current,
        names=spec_devices(spec),
        devices=[
            {"name": d["name"], "pci_address": d["pci_address"], "nodes": [{"path": n["path"], "dev": list(n["dev"])} for n in d["nodes"]]}
            for d in report["devices"]
        ],
        shared=[{"path": n["path"], "dev": list(n["dev"])} for n in report["shared"]],
        problems=report["problems"],
        cdi_version=spec["cdiVersion"],
    )
    if module._diff:
        result["diff"] = {"before_header": path, "after_header": path, "before": current or "", "after": text}
    if result["changed"] and not module.check_mode:
        _write(module, path, text)
    if os.path.exists(path):
        file_args = module.load_file_common_arguments({"path": path, "mode": p["mode"]})
        result["changed"] = module.set_fs_attributes_if_different(file_args, result["changed"])
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            stack=dict(type="str", choices=sorted(KINDS), required=True),
            devices=dict(type="list", elements="str", default=[]),
            path=dict(type="path"),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            missing=dict(type="str", choices=["fail", "omit"], default="fail"),
            spec_dirs=dict(type="list", elements="path", default=["/etc/cdi", "/var/run/cdi"]),
            sysfs_root=dict(type="path", default="/sys"),
            dev_root=dict(type="path", default="/dev"),
            mode=dict(type="raw", default="0644"),
        ),
        supports_check_mode=True,
    )
    try:
        module.exit_json(**run(module))
    except CdiError as exc:
        module.fail_json(msg="cdi_spec %s: %s" % (module.params["stack"], exc))


if __name__ == "__main__":
    main()
