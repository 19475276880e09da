# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filters of the inference_server role; documented in the ``<filter name>.yml`` files beside this one."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.horizon.ai_platform.plugins.module_utils import _serving, _serving_k8s


def inference_server_plan(facts, manifest, config, **settings):
    """What the inference_server role runs on one node, tuned from its silicon and the model."""
    try:
        return _serving.plan(facts, {"manifest": manifest, "config": config}, settings)
    except ValueError as exc:
        raise AnsibleFilterError("inference_server_plan: %s" % exc) from exc


def inference_server_manifests(plan, **settings):
    """The Kubernetes or OpenShift objects that serve a plan of inference_server_plan."""
    try:
        return _serving_k8s.manifests(plan, settings)
    except ValueError as exc:
        raise AnsibleFilterError("inference_server_manifests: %s" % exc) from exc


def inference_server_images(platforms, engine="vllm", source="upstream", images=None):
    """The serving images a fleet's silicon needs (for an air-gapped bundle or a registry mirror)."""
    try:
        return _serving.serving_images(platforms, engine, source, images)
    except ValueError as exc:
        raise AnsibleFilterError("inference_server_images: %s" % exc) from exc


class FilterModule:
    """Inference server filters of horizon.ai_platform."""

    def filters(self):
        return {
            "inference_server_plan": inference_server_plan,
            "inference_server_manifests": inference_server_manifests,
            "inference_server_images": inference_server_images,
        }
