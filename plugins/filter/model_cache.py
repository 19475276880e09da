# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filters for fanning model_sync out over a fleet; documented in the ``<filter name>.yml`` files beside this one."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.horizon.ai_platform.plugins.module_utils import _model_cache


def model_cache_plan(models, mode="node", region=None, mirrors=None, upstream_fallback=False):
    """One sync per model: its source on this host (the regional mirror, the upstream or its own src) and options."""
    if not isinstance(upstream_fallback, bool):
        raise AnsibleFilterError(f"model_cache_plan: upstream_fallback must be a boolean, got {type(upstream_fallback).__name__}")
    try:
        return _model_cache.plan(models, mode=mode, region=region, mirrors=mirrors, upstream_fallback=upstream_fallback)
    except ValueError as exc:
        raise AnsibleFilterError(f"model_cache_plan: {exc}") from exc


class FilterModule:
    """Model cache filters of horizon.ai_platform."""

    def filters(self):
        return {"model_cache_plan": model_cache_plan}
