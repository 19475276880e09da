# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filters over the accelerator facts of a fleet; documented in the ``<filter name>.yml`` files beside this one."""

from __future__ import annotations

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.horizon.ai_platform.plugins.module_utils import _accelerators, _fleet


def _fleet_hosts(name, data, skip_missing):
    if not isinstance(skip_missing, bool):
        raise AnsibleFilterError("%s: skip_missing must be a boolean, got %s" % (name, type(skip_missing).__name__))
    try:
        return _fleet.normalise_hosts(data, skip_missing=skip_missing)
    except (TypeError, ValueError) as exc:
        raise AnsibleFilterError("%s: %s" % (name, exc)) from exc


def hosts_by_silicon_class(data, skip_missing=False):
    """``{silicon class: [host names]}`` for hostvars, a ``{host: {accelerators, region}}`` mapping or a fleet report."""
    return _fleet.hosts_by_silicon_class(_fleet_hosts("hosts_by_silicon_class", data, skip_missing))


def accelerator_memory_by_class(data, skip_missing=False):
    """``{device silicon class: known accelerator memory in MiB}``."""
    return _fleet.summarise(_fleet_hosts("accelerator_memory_by_class", data, skip_missing))["memory_mib_by_class"]


def fleet_summary(data, skip_missing=False):
    """The summary that horizon.ai_platform.fleet_report writes into its JSON report."""
    return _fleet.summarise(_fleet_hosts("fleet_summary", data, skip_missing))


def fleet_groups(host, region=None):
    """Inventory group names for one host: ``vendor_<v>``, ``silicon_<class>`` and ``region_<r>``."""
    name = host.get("inventory_hostname") if isinstance(host, Mapping) else None
    name = name if isinstance(name, str) and name else "host"
    try:
        return _fleet.group_names(_fleet.normalise_host(name, host, region=region))
    except (TypeError, ValueError) as exc:
        raise AnsibleFilterError("fleet_groups: %s" % exc) from exc


def silicon_class_pci_device(silicon_class):
    """The silicon catalog's first physical PCI device of a class, with the IDs a PCI scan would read."""
    if not isinstance(silicon_class, str) or not silicon_class:
        raise AnsibleFilterError("silicon_class_pci_device: the input must be a silicon class such as nvidia-hopper, got %r" % (silicon_class,))
    rows = [
        (ids, row)
        for ids, row in _accelerators.pci_index().items()
        if _accelerators.silicon_class(row["vendor"], row["architecture"]) == silicon_class and not (row["model"] or "").endswith(" VF")
    ]
    if not rows:
        known = sorted({_accelerators.silicon_class(row["vendor"], row["architecture"]) for row in _accelerators.pci_index().values()})
        raise AnsibleFilterError(
            "silicon_class_pci_device: %s is no PCI silicon class of the catalog (Jetson modules and CPU-only nodes have no PCI "
            "accelerator); the catalog's are %s" % (silicon_class, ", ".join(known))
        )
    (vendor_id, device_id), row = rows[0]
    return {"vendor_id": vendor_id, "device_id": device_id, "vendor": row["vendor"], "model": row["model"], "class_code": "120000"}


class FilterModule:
    """Fleet filters of horizon.ai_platform."""

    def filters(self):
        return {
            "hosts_by_silicon_class": hosts_by_silicon_class,
            "accelerator_memory_by_class": accelerator_memory_by_class,
            "fleet_summary": fleet_summary,
            "fleet_groups": fleet_groups,
            "silicon_class_pci_device": silicon_class_pci_device,
        }
