# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Private to horizon.ai_platform: the Kubernetes and OpenShift manifests of an inference server.

``manifests()`` turns a plan of ``_serving.plan()`` into the objects to apply: a Deployment and a Service (and a
Route on OpenShift), or a KServe ServingRuntime and InferenceService. The model comes from a PersistentVolumeClaim
that holds a model_sync store (``<claim>/<model>/<revision>``), read-only; pods land only on nodes of the model's
silicon class and of the regions the data boundary allows; the API key comes from a Secret. It raises ``ValueError``
naming what is wrong.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ansible_collections.horizon.ai_platform.plugins.module_utils._serving import _NAME_RE, merge_settings

# Node labels the pods are placed by: the silicon class (the fleet's own label, set from accelerator_facts) and the
# well-known region label.
SILICON_LABEL = "horizon.ai/silicon-class"
REGION_LABEL = "topology.kubernetes.io/region"
MODES = ("deployment", "kserve")
PLATFORMS = ("kubernetes", "openshift")
_QUANTITY_RE = re.compile(r"^[0-9]+(\.[0-9]+)?(m|k|Ki|M|Mi|G|Gi|T|Ti)?$")

K8S_SETTINGS = {
    "name": None,
    "namespace": "default",
    "platform": "kubernetes",
    "mode": "deployment",
    "replicas": 1,
    "model_claim": None,
    "model": None,
    "revision": None,
    "api_key_secret": None,
    "regions": [],
    "cpu": "4",
    "memory": "16Gi",
    "shm_size": "2Gi",
    "route_host": None,
    "pod_annotations": {},
}


def _k8s_settings(settings):
    merged = merge_settings(settings, K8S_SETTINGS)
    for key in ("name", "model_claim", "model", "revision", "api_key_secret"):
        if not isinstance(merged[key], str) or not merged[key]:
            raise ValueError("%s is required" % key)
    for key in ("name", "namespace", "model_claim", "api_key_secret"):
        if not _NAME_RE.match(merged[key]):
            raise ValueError("%s %r must be a DNS label: lower-case letters, digits, '.' and '-'" % (key, merged[key]))
    if "/" in merged["model"] or "/" in merged["revision"] or merged["revision"] in (".", ".."):
        raise ValueError("model and revision are directory names in the claim, not paths")
    if merged["platform"] not in PLATFORMS:
        raise ValueError("platform must be one of %s, not %r" % (", ".join(PLATFORMS), merged["platform"]))
    if merged["mode"] not in MODES:
        raise ValueError("mode must be one of %s, not %r" % (", ".join(MODES), merged["mode"]))
    if not isinstance(merged["replicas"], int) or isinstance(merged["replicas"], bool) or merged["replicas"] < 1:
        raise ValueError("replicas must be a positive integer, not %r" % (merged["replicas"],))
    for key in ("cpu", "memory", "shm_size"):
        if not _QUANTITY_RE.match(str(merged[key])):
            raise ValueError("%s %r is not a Kubernetes quantity (for example 4, 500m, 16Gi)" % (key, merged[key]))
    if not isinstance(merged["regions"], list) or not all(isinstance(region, str) and region for region in merged["regions"]):
        raise ValueError("regions must be a list of region names")
    annotations = merged["pod_annotations"]
    if not isinstance(annotations, Mapping) or not all(isinstance(k, str) and k and isinstance(v, str) for k, v in annotations.items()):
        raise ValueError("pod_annotations must map annotation names to strings")
    return merged


def _affinity(plan, regions):
    expressions = [{"key": SILICON_LABEL, "operator": "In", "values": [plan["silicon_class"]]}]
    if regions:
        expressions.append({"key": REGION_LABEL, "operator": "In", "values": sorted(regions)})
    return {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{"matchExpressions": expressions}]}}}


def _resources(plan, settings):
    requests = {"cpu": str(settings["cpu"]), "memory": str(settings["memory"])}
    limits = {"memory": str(settings["memory"])}
    device = plan["kubernetes_resource"]
    if device:
        requests[device["name"]] = str(device["count"])
        limits[device["name"]] = str(device["count"])
    return {"requests": requests, "limits": limits}


def _env(plan, settings):
    key_variable = "VLLM_API_KEY" if plan["engine"] == "vllm" else "API_KEY"
    env = [{"name": name, "value": value} for name, value in sorted(plan["env"].items())]
    env += [
        {"name": "HOME", "value": "/cache"},
        {"name": "HF_HOME", "value": "/cache/huggingface"},
        {"name": "HF_HUB_OFFLINE", "value": "1"},
        {"name": key_variable, "valueFrom": {"secretKeyRef": {"name": settings["api_key_secret"], "key": "api-key"}}},
    ]
    return env


def _container(plan, settings, name, model_path):
    args = [model_path if arg == plan["model_path"] else arg for arg in plan["args"]]
    container = {
        "name": name,
        "image": plan["image"],
        "args": args,
        "env": _env(plan, settings),
        "ports": [{"name": "http", "containerPort": plan["container_port"], "protocol": "TCP"}],
        "resources": _resources(plan, settings),
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"], "add": list(plan["capabilities"])},
        },
        "volumeMounts": [{"name": "cache", "mountPath": "/cache"}, {"name": "shm", "mountPath": "/dev/shm"}],
        # Loading a large model takes minutes: the startup probe allows an hour before liveness applies.
        "startupProbe": {"httpGet": {"path": "/health", "port": "http"}, "periodSeconds": 10, "failureThreshold": 360},
        "readinessProbe": {"httpGet": {"path": "/health", "port": "http"}, "periodSeconds": 10},
        "livenessProbe": {"httpGet": {"path": "/health", "port": "http"}, "periodSeconds": 30, "failureThreshold": 3},
    }
    if plan["entrypoint"]:
        container["command"] = list(plan["entrypoint"])
    return container


def _pod_spec(plan, settings, container):
    volumes = [
        {"name": "cache", "emptyDir": {}},
        {"name": "shm", "emptyDir": {"medium": "Memory", "sizeLimit": str(settings["shm_size"])}},
    ]
    security = {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
    if plan["image_user"]:
        security["runAsUser"] = plan["image_user"]
    else:
        # The upstream images run as root by default; any UID works with HOME on the cache volume.
        security.update({"runAsUser": 1001, "runAsGroup": 0, "fsGroup": 0})
    return {
        "affinity": _affinity(plan, settings["regions"]),
        # A Service named like the engine would put VLLM_PORT=tcp://... into the pod, which vLLM refuses.
        "enableServiceLinks": False,
        "securityContext": security,
        "containers": [container],
        "volumes": volumes,
    }


def _metadata(settings, name, extra_labels=None):
    labels = {
        "app.kubernetes.io/name": "horizon-inference",
        "app.kubernetes.io/instance": settings["name"],
        "app.kubernetes.io/managed-by": "horizon.ai_platform",
    }
    labels.update(extra_labels or {})
    return {"name": name, "namespace": settings["namespace"], "labels": labels}


def _pod_metadata(settings, labels):
    metadata = {"labels": labels}
    if settings["pod_annotations"]:
        metadata["annotations"] = dict(settings["pod_annotations"])
    return metadata


def _deployment(plan, settings):
    name = "horizon-inference-%s" % settings["name"]
    container = _container(plan, settings, "server", "/models/%s" % settings["revision"])
    container["volumeMounts"].append({"name": "model", "mountPath": "/models", "subPath": settings["model"], "readOnly": True})
    pod = _pod_spec(plan, settings, container)
    pod["volumes"].append({"name": "model", "persistentVolumeClaim": {"claimName": settings["model_claim"], "readOnly": True}})
    selector = {"app.kubernetes.io/name": "horizon-inference", "app.kubernetes.io/instance": settings["name"]}
    revision_label = {"horizon.ai/model-revision": settings["revision"][:63]}
    objects = [
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": _metadata(settings, name, revision_label),
            "spec": {
                "replicas": settings["replicas"],
                "selector": {"matchLabels": selector},
                # Accelerators are whole devices: a new pod starts only once an old one has freed its devices.
                "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}},
                "template": {"metadata": _pod_metadata(settings, dict(selector, **revision_label)), "spec": pod},
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": _metadata(settings, name),
            "spec": {"selector": selector, "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}]},
        },
    ]
    if settings["platform"] == "openshift":
        route = {
            "apiVersion": "route.openshift.io/v1",
            "kind": "Route",
            "metadata": _metadata(settings, name),
            "spec": {
                "to": {"kind": "Service", "name": name, "weight": 100},
                "port": {"targetPort": "http"},
                "tls": {"termination": "edge", "insecureEdgeTerminationPolicy": "Redirect"},
                "wildcardPolicy": "None",
            },
        }
        # Long completions outlast the router's default timeout.
        route["metadata"]["annotations"] = {"haproxy.router.openshift.io/timeout": "600s"}
        if settings["route_host"]:
            route["spec"]["host"] = settings["route_host"]
        objects.append(route)
    return objects


def _kserve(plan, settings):
    name = "horizon-inference-%s" % settings["name"]
    model_format = "vLLM" if plan["engine"] == "vllm" else "tgi"
    # KServe's storage initializer puts the model at /mnt/models; the runtime's port must be the engine's.
    container = _container(plan, settings, "kserve-container", "/mnt/models")
    pod = _pod_spec(plan, settings, container)
    runtime = {
        "apiVersion": "serving.kserve.io/v1alpha1",
        "kind": "ServingRuntime",
        "metadata": _metadata(settings, name),
        "spec": {
            "supportedModelFormats": [{"name": model_format, "autoSelect": True}],
            "multiModel": False,
            "containers": [container],
            "volumes": pod["volumes"],
        },
    }
    if plan["kubernetes_resource"]:
        runtime["metadata"]["annotations"] = {"opendatahub.io/recommended-accelerators": '["%s"]' % plan["kubernetes_resource"]["name"]}
    service = {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": _metadata(settings, name),
        "spec": {
            "predictor": {
                "minReplicas": settings["replicas"],
                "affinity": pod["affinity"],
                "model": {
                    "modelFormat": {"name": model_format},
                    "runtime": name,
                    "storageUri": "pvc://%s/%s/%s" % (settings["model_claim"], settings["model"], settings["revision"]),
                    "resources": container["resources"],
                },
            }
        },
    }
    service["metadata"]["annotations"] = {"serving.kserve.io/deploymentMode": "RawDeployment"}
    if settings["pod_annotations"]:
        service["spec"]["predictor"]["annotations"] = dict(settings["pod_annotations"])
    return [runtime, service]


def manifests(plan, settings):
    """The objects that serve plan on a cluster, in the order to apply them."""
    if not isinstance(plan, Mapping) or "image" not in plan:
        raise ValueError("the first argument must be an inference_server_plan")
    settings = _k8s_settings(settings)
    if plan["backend"] not in PLATFORMS:
        raise ValueError("the plan is for the %s backend; plan with backend=%s" % (plan["backend"], settings["platform"]))
    if settings["mode"] == "kserve":
        return _kserve(plan, settings)
    return _deployment(plan, settings)
