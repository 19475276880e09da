# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Data-boundary filters; documented in the ``<filter name>.yml`` files beside this one.

They run on the controller: a host name is resolved as the controller resolves it. The
data_boundary module and model_sync decide on the node.
"""

from __future__ import annotations

import os

from ansible.errors import AnsibleFilterError

from ansible_collections.horizon.ai_platform.plugins.module_utils._boundary import PolicyError, node_affinity, policy_digest, resolve_host
from ansible_collections.horizon.ai_platform.plugins.module_utils._uri import redact
from ansible_collections.horizon.ai_platform.plugins.plugin_utils._boundary_policy import PolicyLoadError, load_policy

_LOADED = {}


def _policy(policy, who):
    """A validated policy from a mapping or a file path, loaded once per content."""
    try:
        if isinstance(policy, str):
            st = os.stat(policy)
            key = ("file", os.path.abspath(policy), st.st_mtime_ns, st.st_size)
        elif isinstance(policy, dict):
            key = ("data", policy_digest(policy))
        else:
            raise AnsibleFilterError(f"{who}: the policy must be a mapping or a path to a policy file, not {type(policy).__name__}")
        if key not in _LOADED:
            if len(_LOADED) >= 32:
                _LOADED.clear()
            _LOADED[key] = load_policy(policy)
        return _LOADED[key]
    except OSError as exc:
        raise AnsibleFilterError(f"{who}: boundary policy {policy}: cannot be read ({exc.strerror or exc})") from None
    except PolicyLoadError as exc:
        raise AnsibleFilterError(f"{who}: {exc}") from None


def _flag(value, key, who):
    if not isinstance(value, bool):
        raise AnsibleFilterError(f"{who}: {key} must be a boolean, not {type(value).__name__}")
    return value


def _src(src, who):
    if not isinstance(src, str) or not src:
        raise AnsibleFilterError(f"{who}: the input must be a source URI or path, not {type(src).__name__}")
    return src


def region_of(src, policy, host_region=None, endpoint_url=None, region=None, resolve=False):
    """The region ``policy`` places ``src`` in, or None when no rule places it."""
    who = "region_of"
    resolver = resolve_host if _flag(resolve, "resolve", who) else None
    return _policy(policy, who).region_of(_src(src, who), host_region=host_region, endpoint=endpoint_url, region=region, resolve=resolver)


def _decide(who, src, policy, host_region, name, endpoint_url, region, resolve):
    resolver = resolve_host if _flag(resolve, "resolve", who) else None
    return _policy(policy, who).decide(_src(src, who), host_region=host_region, name=name, endpoint=endpoint_url, region=region, resolve=resolver)


def within_boundary(src, policy, host_region=None, name=None, endpoint_url=None, region=None, resolve=True):
    """Whether bytes may flow from ``src`` to a node in ``host_region`` under ``policy``."""
    return _decide("within_boundary", src, policy, host_region, name, endpoint_url, region, resolve)["allowed"]


def boundary_decision(src, policy, host_region=None, name=None, endpoint_url=None, region=None, resolve=True):
    """The whole decision for one flow, as the data_boundary module returns it (without logging it)."""
    return dict(_decide("boundary_decision", src, policy, host_region, name, endpoint_url, region, resolve))


def boundary_node_affinity(policy, boundary=None, src=None, name=None, key="topology.kubernetes.io/region"):
    """A Kubernetes nodeAffinity keeping pods on nodes whose region label is inside the boundary."""
    who = "boundary_node_affinity"
    loaded = _policy(policy, who)
    if boundary is None:
        if src is None and name is None:
            raise AnsibleFilterError(f"{who}: name the boundary, or the model's src or name to take its boundary from the data rules")
        boundary = loaded.boundary_of(src or "", name=name)
        if boundary is None:
            raise AnsibleFilterError(f"{who}: no data rule matches {src or name!r} and the policy has no default_boundary")
    try:
        return node_affinity(loaded, boundary, key=key)
    except PolicyError as exc:
        raise AnsibleFilterError(f"{who}: {exc}") from None


def boundary_flows(plan, extra=None):
    """The flows to audit: model_cache_plan entries (their source and its endpoint) plus ``extra``."""
    who = "boundary_flows"
    if not isinstance(plan, list) or (extra is not None and not isinstance(extra, list)):
        raise AnsibleFilterError(f"{who}: expects the model_cache_plan list and a list of extra flows")
    flows = []
    for entry in plan:
        options = entry.get("options") or {}
        flows.append(
            {
                "src": entry["src"],
                "name": entry.get("name"),
                "endpoint_url": options.get("endpoint_url"),
                "region": options.get("region"),
                "kind": f"model from {entry.get('via', 'source')}",
            }
        )
    for i, flow in enumerate(extra or []):
        if not isinstance(flow, dict) or not isinstance(flow.get("src"), str) or not flow["src"]:
            raise AnsibleFilterError(f"{who}: horizon_boundary_flows[{i}] must be a mapping with src (and name, endpoint_url, region, kind)")
        flows.append({k: flow.get(k) for k in ("src", "name", "endpoint_url", "region")} | {"kind": flow.get("kind") or "flow"})
    for flow in flows:
        flow["label"] = " ".join(str(part) for part in (flow["kind"], flow["name"] or "", redact(flow["src"])) if part)
    return flows


def boundary_audit_entries(results, host):
    """data_boundary loop results as the decisions boundary_report takes: each with its host and kind."""
    entries = []
    for result in results or []:
        if not isinstance(result, dict) or "verdict" not in result:
            continue
        entry = {k: v for k, v in result.items() if k not in ("item", "invocation", "ansible_loop_var", "changed", "failed", "msg")}
        entry["host"] = host
        entry["kind"] = (result.get("item") or {}).get("kind")
        entries.append(entry)
    return entries


class FilterModule:
    """Regional data-boundary filters of horizon.ai_platform."""

    def filters(self):
        return {
            "region_of": region_of,
            "within_boundary": within_boundary,
            "boundary_decision": boundary_decision,
            "boundary_node_affinity": boundary_node_affinity,
            "boundary_flows": boundary_flows,
            "boundary_audit_entries": boundary_audit_entries,
        }
