#!/usr/bin/python
# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: accelerator_facts
short_description: Inventory a node's AI accelerators, CPU and platform, with or without drivers
version_added: 0.1.0
description:
  - Sets C(ansible_facts.accelerators), which describes the node's accelerator devices (GPUs, Gaudi, Jetson), its silicon class,
    CPU, Secure Boot state, kernel and virtualization.
  - The base is a scan of PCI devices in sysfs, so the module works on a node with no driver installed, which is
    when an operator needs it to choose the driver. Devices are identified with the collection's silicon catalog
    (PCI vendor and device ID to vendor, model, architecture and memory).
  - Where a vendor tool is installed and working, each device it reports is matched by PCI address and enriched
    from it. C(nvidia-smi -q -x) gives driver and CUDA versions, VBIOS, memory, MIG mode and health;
    C(amd-smi) (C(list), C(static --asic), C(static --partition)) gives the product name, compute units, gfx target
    and compute and memory partition, or, where only C(rocm-smi -a) is installed, driver version, VBIOS and
    product name; C(hl-smi) gives driver version, memory and health (uncorrectable ECC errors); C(xpu-smi discovery)
    gives the device name, driver and firmware versions and memory. On NVIDIA Jetson the device-tree model and
    C(/etc/nv_tegra_release) are read.
  - An Intel or AMD VGA controller that the catalog does not know is taken for the CPU's integrated graphics. It is
    listed in RV(ansible_facts.accelerators.other_displays) with a warning, not counted as an accelerator.
  - Faults never fail the task. A missing or unreadable sysfs entry, or a vendor tool that is installed but fails,
    leaves the facts that could be read and adds a message to RV(ansible_facts.accelerators.warnings).
  - An unknown device of a known accelerator vendor is reported with its raw IDs and silicon class
    C(<vendor>-unknown). BMC display controllers, NVSwitches, NICs and bridges are not accelerators.
author:
  - horizon.ai_platform maintainers (@horizon-ai-platform)
extends_documentation_fragment:
  - horizon.ai_platform.attributes
  - horizon.ai_platform.attributes.facts
  - horizon.ai_platform.attributes.facts_module
options:
  sysfs_root:
    description:
      - Directory laid out like C(/sys) to scan, for example a recorded machine.
      - Read below it are C(bus/pci/devices/<address>/{vendor,device,class,numa_node,driver}),
        C(firmware/devicetree/base/{model,compatible}), C(firmware/efi/efivars/SecureBoot-*),
        C(class/dmi/id/{sys_vendor,product_name}) and C(module/nvgpu).
    type: path
    default: /sys
  procfs_root:
    description:
      - Directory laid out like C(/proc) to read C(cpuinfo), C(sys/kernel/osrelease) and C(1/environ) from.
    type: path
    default: /proc
  tegra_release_path:
    description:
      - Path of the Jetson Linux (L4T) release file.
    type: path
    default: /etc/nv_tegra_release
  vendor_tools:
    description:
      - Run the vendors' tools, where installed, to enrich the devices found in the PCI scan.
      - With V(false) the facts come from sysfs and procfs alone.
      - When not set, the tools run only when O(sysfs_root) is V(/sys), since they describe the live node and their
        output must not be mixed with a recorded machine's.
    type: bool
  tool_timeout:
    description:
      - Seconds each vendor tool may run before it is abandoned with a warning.
    type: int
    default: 30
notes:
  - Class names are C(nvidia-<turing|ampere|ada|hopper|blackwell>), C(nvidia-jetson-<orin|xavier|thor>),
    C(amd-<cdna|cdna2|cdna3|cdna4|rdna3>), C(intel-gaudi), C(intel-gaudi2), C(intel-gaudi3), C(intel-xe-hpc),
    C(intel-xe-hpg), C(intel-xe2-hpg), C(<vendor>-unknown), C(cpu) (no accelerator) and C(mixed) (devices of different classes).
  - Habana Labs devices (PCI vendor C(1da3)) are reported as vendor C(intel).
  - The silicon catalog lives in C(plugins/module_utils/_silicon_catalog.py); the support matrix in the
    collection's docs is generated from it.
seealso:
  - module: ansible.builtin.setup
"""

EXAMPLES = r"""
- name: Gather accelerator facts
  horizon.ai_platform.accelerator_facts:

- name: Show the node's silicon class
  ansible.builtin.debug:
    msg: "{{ inventory_hostname }} is {{ ansible_facts.accelerators.silicon_class }}"

- name: Gather facts from the PCI scan only, without running vendor tools
  horizon.ai_platform.accelerator_facts:
    vendor_tools: false

- name: Inventory a recorded machine instead of the live one
  horizon.ai_platform.accelerator_facts:
    sysfs_root: /srv/recorded/hgx-h100/sys
    procfs_root: /srv/recorded/hgx-h100/proc
    vendor_tools: false
"""

RETURN = r"""
ansible_facts:
  description: Facts added to the host.
  returned: always
  type: dict
  contains:
    accelerators:
      description: The node's accelerators and platform.
      returned: always
      type: dict
      contains:
        count:
          description: Number of accelerator devices; V(0) on a CPU-only node.
          type: int
          returned: always
          sample: 8
        vendors:
          description: Sorted, unique vendors of the devices (V(nvidia), V(amd), V(intel)).
          type: list
          elements: str
          returned: always
          sample: [nvidia]
        silicon_class:
          description: The node's class - its devices' class, V(mixed) when they differ, V(cpu) when there are none.
          type: str
          returned: always
          sample: nvidia-hopper
        driver_loaded:
          description: Whether any device is bound to its vendor's compute driver (C(nvidia), C(amdgpu), C(habanalabs), C(i915), C(xe); C(nvgpu) on Jetson).
          type: bool
          returned: always
          sample: false
        devices:
          description: One entry per accelerator device, in PCI address order, the Jetson GPU last.
          type: list
          elements: dict
          returned: always
          sample:
            - pci_address: "0000:18:00.0"
              vendor: nvidia
              vendor_id: "10de"
              device_id: "2330"
              model: H100 SXM5 80GB
              architecture: hopper
              silicon_class: nvidia-hopper
              memory_mib: 81559
              numa_node: 0
              driver: null
              driver_version: null
          contains:
            pci_address:
              description: PCI address C(dddd:bb:dd.f); V(null) for a Jetson's integrated GPU.
              type: str
              returned: always
            vendor:
              description: V(nvidia), V(amd) or V(intel).
              type: str
              returned: always
            vendor_id:
              description: PCI vendor ID, four lower-case hex digits.
              type: str
              returned: always
            device_id:
              description: PCI device ID, four lower-case hex digits; V(null) on Jetson.
              type: str
              returned: always
            model:
              description: Model from the silicon catalog, else the vendor tool's product name, else V(null).
              type: str
              returned: always
            architecture:
              description: Architecture (V(hopper), V(cdna3), V(gaudi2), V(jetson-orin), ...); V(null) when unknown.
              type: str
              returned: always
            silicon_class:
              description: C(<vendor>-<architecture>), or C(<vendor>-unknown).
              type: str
              returned: always
            memory_mib:
              description: Accelerator memory in MiB - the vendor tool's figure when it ran, else the catalog's; V(null) when unknown.
              type: int
              returned: always
            numa_node:
              description: NUMA node of the device; V(null) when unknown.
              type: int
              returned: always
            driver:
              description: Name of the bound kernel driver, or V(null).
              type: str
              returned: always
            driver_version:
              description: Driver version from the vendor tool (the L4T version on Jetson), or V(null).
              type: str
              returned: always
            product_name:
              description: The product name the vendor tool reports.
              type: str
              returned: when a vendor tool reported the device
            firmware_version:
              description: VBIOS or firmware version from the vendor tool.
              type: str
              returned: when a vendor tool reported it
            uuid:
              description: Device UUID from the vendor tool.
              type: str
              returned: when a vendor tool reported it
            partition_mode:
              description: V(mig) or V(none) on NVIDIA; the compute partition (V(spx), V(cpx), ...) on AMD with C(amd-smi).
              type: str
              returned: when a vendor tool reported it
            partitions:
              description: Number of MIG devices when MIG is enabled.
              type: int
              returned: when nvidia-smi reported the device
            health:
              description:
                - V(ok) or V(degraded). From C(nvidia-smi) - pending page retirement, row remapping, recovery actions;
                  from C(hl-smi) - uncorrectable ECC errors.
              type: str
              returned: when nvidia-smi or hl-smi reported the device
            health_reasons:
              description: Why the device is degraded.
              type: list
              elements: str
              returned: when nvidia-smi or hl-smi reported the device
        nvswitch_count:
          description:
            - Number of NVSwitch chips (NVIDIA PCI functions of class C(0680), bridge) - an HGX or DGX baseboard,
              which needs NVIDIA Fabric Manager. V(0) elsewhere.
          type: int
          returned: always
          sample: 4
        other_displays:
          description:
            - Intel or AMD VGA controllers the catalog does not know (integrated graphics, most likely), with their
              V(pci_address), V(vendor), V(vendor_id), V(device_id) and V(driver). Not counted in RV(ansible_facts.accelerators.count).
          type: list
          elements: dict
          returned: always
          sample: [{pci_address: "0000:00:02.0", vendor: intel, vendor_id: "8086", device_id: a780, driver: i915}]
        cpu:
          description: CPU model, sockets, physical cores, threads, architecture and the flags that matter for inference.
          type: dict
          returned: always
          sample: {model: "Intel(R) Xeon(R) Platinum 8480+", sockets: 2, cores: 112, threads: 224, architecture: x86_64,
                   flags: [avx2, avx512f, amx_bf16]}
        secure_boot:
          description: V(enabled), V(disabled) or V(unknown), from the C(SecureBoot) EFI variable.
          type: str
          returned: always
          sample: enabled
        kernel:
          description: Kernel release.
          type: str
          returned: always
          sample: 6.8.0-45-generic
        virtualization:
          description: V(none), V(container) or V(vm), so roles know whether kernel modules can be loaded.
          type: str
          returned: always
          sample: none
        tools:
          description:
            - The vendor tools that ran, each with its V(status) (V(ok) or V(failed)) and what it reported about the node.
            - A tool that ran lists in C(devices) every device it reported, each with C(pci_address) and C(product_name),
              including devices the PCI scan did not find, so that the tool's view can be compared with the scan's.
            - A tool that failed gives its C(error).
          type: dict
          returned: always
          sample:
            nvidia-smi:
              status: ok
              driver_version: "550.54.14"
              cuda_version: "12.4"
              devices: [{pci_address: "0000:18:00.0", product_name: NVIDIA H100 80GB HBM3}]
        warnings:
          description: What could not be read or run, one message each.
          type: list
          elements: str
          returned: always
          sample: ["nvidia-smi failed, facts come from the PCI scan only: `nvidia-smi -q -x` exited 9: NVIDIA-SMI has failed ..."]
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.horizon.ai_platform.plugins.module_utils import _accelerators, _vendor_tools


def main():
    module = AnsibleModule(
        argument_spec={
            "sysfs_root": {"type": "path", "default": "/sys"},
            "procfs_root": {"type": "path", "default": "/proc"},
            "tegra_release_path": {"type": "path", "default": "/etc/nv_tegra_release"},
            "vendor_tools": {"type": "bool"},
            "tool_timeout": {"type": "int", "default": 30},
        },
        supports_check_mode=True,
    )
    params = module.params
    if params["tool_timeout"] < 1:
        module.fail_json(msg="tool_timeout must be at least 1 second, got %d" % params["tool_timeout"])
    for option in ("sysfs_root", "procfs_root"):
        if not os.path.isdir(params[option]):
            module.fail_json(msg="%s %s is not a directory" % (option, params[option]))

    facts, _reader = _accelerators.gather(params["sysfs_root"], params["procfs_root"], params["tegra_release_path"])
    vendor_tools = params["vendor_tools"]
    if vendor_tools is None:
        vendor_tools = os.path.realpath(params["sysfs_root"]) == "/sys"
    if vendor_tools:
        runner = _vendor_tools.ToolRunner(module.get_bin_path, timeout=params["tool_timeout"])
        _vendor_tools.enrich(facts, runner)
        _accelerators.refresh_summary(facts)
    module.exit_json(changed=False, ansible_facts={"accelerators": facts})


if __name__ == "__main__":
    main()
