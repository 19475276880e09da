# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filters of the container_runtime role; documented in the ``<filter name>.yml`` files beside this one."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.horizon.ai_platform.plugins.module_utils import _runtime_plan

SETTINGS = (
    "engine",
    "source",
    "cdi",
    "accelerators",
    "nvidia_toolkit_version",
    "repositories",
    "known_repositories",
    "registries",
    "unqualified_search_registries",
)


def container_runtime_plan(facts, os_data, **settings):
    """What the container_runtime role installs on one node."""
    unknown = sorted(set(settings) - set(SETTINGS))
    if unknown:
        raise AnsibleFilterError("container_runtime_plan: unknown options %s; known: %s" % (", ".join(unknown), ", ".join(SETTINGS)))
    try:
        return _runtime_plan.plan(facts, os_data, settings)
    except ValueError as exc:
        raise AnsibleFilterError("container_runtime_plan: %s" % exc) from exc


def container_runtime_config(plan, version, verdicts=None, config_text=None, nvidia_default_runtime=False):
    """How the installed engine is configured, and how each accelerator reaches its containers."""
    if verdicts is not None and not isinstance(verdicts, dict):
        raise AnsibleFilterError("container_runtime_config: verdicts must map registry URLs to data_boundary results")
    try:
        return _runtime_plan.configure(plan, version, verdicts=verdicts, config_text=config_text, nvidia_default=nvidia_default_runtime)
    except ValueError as exc:
        raise AnsibleFilterError("container_runtime_config: %s" % exc) from exc


def container_runtime_auth(auth, engine, images_table=None):
    """The keys of an engine's credentials file (podman, docker) or config.toml (containerd) for registry logins."""
    try:
        return _runtime_plan.auth_settings(auth, engine, images_table)
    except ValueError as exc:
        raise AnsibleFilterError("container_runtime_auth: %s" % exc) from exc


def container_runtime_podman_toml(settings):
    """container_runtime_podman_settings as the TOML of a containers.conf drop-in."""
    try:
        return _runtime_plan.podman_settings_toml(settings)
    except ValueError as exc:
        raise AnsibleFilterError("container_runtime_podman_toml: %s" % exc) from exc


class FilterModule:
    """Container runtime filters of horizon.ai_platform."""

    def filters(self):
        return {
            "container_runtime_plan": container_runtime_plan,
            "container_runtime_config": container_runtime_config,
            "container_runtime_auth": container_runtime_auth,
            "container_runtime_podman_toml": container_runtime_podman_toml,
        }
