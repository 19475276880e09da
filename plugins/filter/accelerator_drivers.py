# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filters of the accelerator_drivers role; documented in the ``<filter name>.yml`` files beside this one."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.horizon.ai_platform.plugins.module_utils import _driver_plan

SETTINGS = (
    "stacks",
    "sources",
    "nvidia_modules",
    "nvidia_fabric_manager",
    "nvidia_persistenced",
    "nvidia_dcgm",
    "jetson_release",
    "kernel_steps",
    "secure_boot",
    "repositories",
    "known_repositories",
)


def accelerator_driver_plan(facts, os_data, supported=None, **settings):
    """The driver stacks one node needs, from its accelerator facts and its OS's data."""
    unknown = sorted(set(settings) - set(SETTINGS))
    if unknown:
        raise AnsibleFilterError("accelerator_driver_plan: unknown options %s; known: %s" % (", ".join(unknown), ", ".join(SETTINGS)))
    try:
        return _driver_plan.plan(facts, os_data, settings, supported=supported)
    except ValueError as exc:
        raise AnsibleFilterError("accelerator_driver_plan: %s" % exc) from exc


def accelerator_driver_verification(stack, facts):
    """Whether a stack's vendor tool sees every device of the PCI scan, with both lists."""
    if not isinstance(stack, dict) or "name" not in stack:
        raise AnsibleFilterError("accelerator_driver_verification: the input must be one stack of accelerator_driver_plan")
    if not isinstance(facts, dict):
        raise AnsibleFilterError("accelerator_driver_verification: facts must be ansible_facts.accelerators")
    return _driver_plan.verify(stack, facts)


def accelerator_driver_stale_locks(lines, plan):
    """The dnf versionlock entries that hold a plan's packages at another release."""
    if not isinstance(plan, dict):
        raise AnsibleFilterError("accelerator_driver_stale_locks: plan must be the output of accelerator_driver_plan")
    return _driver_plan.stale_locks(lines, plan)


class FilterModule:
    """Accelerator driver filters of horizon.ai_platform."""

    def filters(self):
        return {
            "accelerator_driver_plan": accelerator_driver_plan,
            "accelerator_driver_verification": accelerator_driver_verification,
            "accelerator_driver_stale_locks": accelerator_driver_stale_locks,
        }
