# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The inference_server's Kubernetes and OpenShift manifests, validated offline.

Kubernetes' own kinds go through kubernetes-validate (the Kubernetes JSON schemas, strict: an unknown field is an
error); custom resources through the openAPIV3Schema of their CRD under tests/fixtures/crds, made strict the same way
(an object with properties takes no others unless the schema preserves unknown fields).
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest
import yaml

from ansible_collections.horizon.ai_platform.plugins.filter.inference_server import inference_server_manifests
from ansible_collections.horizon.ai_platform.plugins.module_utils import _serving as sv
from ansible_collections.horizon.ai_platform.plugins.module_utils import _serving_k8s as k8s
from ansible_collections.horizon.ai_platform.tests.unit import kserve_sdk_types
from ansible_collections.horizon.ai_platform.tests.unit.plugins.module_utils.test__serving import GIB, LLAMA8B, facts_for, manifest

CRDS = Path(__file__).resolve().parents[3] / "fixtures" / "crds"
KUBERNETES = "1.33"


def _strict(schema):
    if isinstance(schema, dict):
        # openshift/api's generator writes `anyOf: null` beside x-kubernetes-int-or-string: no constraint.
        schema = {key: _strict(value) for key, value in schema.items() if value is not None}
        if "properties" in schema and not schema.get("x-kubernetes-preserve-unknown-fields") and "additionalProperties" not in schema:
            schema["additionalProperties"] = False
        return schema
    if isinstance(schema, list):
        return [_strict(item) for item in schema]
    return schema


def crd_schemas():
    schemas = {}
    for path in CRDS.glob("*.yaml"):
        crd = yaml.safe_load(path.read_text())
        for version in crd["spec"]["versions"]:
            api_version = "%s/%s" % (crd["spec"]["group"], version["name"])
            schemas[(api_version, crd["spec"]["names"]["kind"])] = _strict(version["schema"]["openAPIV3Schema"])
    return schemas


SCHEMAS = crd_schemas()
# KServe's InferenceService CRD is not in tests/fixtures/crds: its SDK's generated types check it instead.
SDK = kserve_sdk_types.SdkValidator(kserve_sdk_types.load_sdk_types())


def validate(objects):
    """Validate each object; return the kinds validated with a CRD schema, or with KServe's SDK types ("<kind> (SDK)")."""
    by_crd = []
    for obj in objects:
        key = (obj["apiVersion"], obj["kind"])
        if key in SCHEMAS:
            jsonschema.Draft7Validator(SCHEMAS[key]).validate(obj)
            by_crd.append(obj["kind"])
        elif key in kserve_sdk_types.KINDS:
            kserve_sdk_types.validate(obj, SDK)
            by_crd.append(obj["kind"] + " (SDK)")
        else:
            kubernetes_validate.validate(obj, KUBERNETES, strict=True)
    return by_crd


def plan_for(silicon_class="nvidia-hopper", count=8, memory=81559, **settings):
    settings.setdefault("backend", "kubernetes")
    return sv.plan(facts_for(silicon_class, count, memory), {"manifest": manifest(16 * GIB), "config": LLAMA8B}, settings)


BASE = {"name": "llama-8b", "namespace": "serving", "model_claim": "models", "model": "llama-8b", "revision": "a1b2c3d4", "api_key_secret": "llama-key"}


def test_the_crd_schemas_are_loaded():
    assert ("route.openshift.io/v1", "Route") in SCHEMAS
    assert ("serving.kserve.io/v1alpha1", "ServingRuntime") in SCHEMAS


def test_deployment_and_service_on_h100_validate():
    objects = k8s.manifests(plan_for(), dict(BASE, regions=["eu-central-1"]))
    assert [obj["kind"] for obj in objects] == ["Deployment", "Service"]
    validate(objects)
    deployment = objects[0]
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["image"] == "docker.io/vllm/vllm-openai:v0.31.0"
    assert container["args"][0] == "/models/a1b2c3d4"
    assert container["args"][container["args"].index("--tensor-parallel-size") :][:2] == ["--tensor-parallel-size", "8"]
    assert container["resources"]["limits"]["nvidia.com/gpu"] == "8"
    assert {"name": "model", "mountPath": "/models", "subPath": "llama-8b", "readOnly": True} in container["volumeMounts"]
    assert {"name": "VLLM_API_KEY", "valueFrom": {"secretKeyRef": {"name": "llama-key", "key": "api-key"}}} in container["env"]
    terms = pod["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    assert terms == [
        {
            "matchExpressions": [
                {"key": "horizon.ai/silicon-class", "operator": "In", "values": ["nvidia-hopper"]},
                {"key": "topology.kubernetes.io/region", "operator": "In", "values": ["eu-central-1"]},
            ]
        }
    ]
    assert pod["enableServiceLinks"] is False
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert objects[1]["metadata"]["name"] != "vllm"


@pytest.mark.parametrize(
    "silicon_class, count, memory",
    [
        ("nvidia-hopper", 8, 81559),
        ("nvidia-ampere", 1, 40960),
        ("amd-cdna3", 8, 196608),
        ("intel-gaudi2", 8, 98304),
        ("intel-xe-hpc", 4, 131072),
        ("cpu", 0, None),
    ],
)
@pytest.mark.parametrize("engine", ["vllm", "tgi"])
def test_kserve_objects_fit_kserves_types_for_every_vendor(silicon_class, count, memory, engine):
    plan = plan_for(silicon_class, count, memory, engine=engine)
    assert validate(k8s.manifests(plan, dict(BASE, mode="kserve", regions=["eu-west-1"], cpu="8", memory="32Gi"))) == [
        "ServingRuntime",
        "InferenceService (SDK)",
    ]


@pytest.mark.parametrize(
    "path, value, error",
    [
        (("spec", "predictor", "model", "storageURI"), "pvc://x", "'storageURI' is not a field of V1beta1ModelSpec"),
        (("spec", "predictor", "minReplicas"), "1", "spec.predictor.minReplicas: expected int, got str '1'"),
        (("spec", "predictor", "affinity", "nodeAffinity", "preferred"), [], "'preferred' is not a field of V1NodeAffinity"),
        (("spec", "predictor", "model", "resources", "limits", "nvidia.com/gpu"), True, "nvidia.com/gpu: expected str, got bool True"),
    ],
)
def test_kserve_sdk_types_catch_a_wrong_field(path, value, error):
    service = k8s.manifests(plan_for(), dict(BASE, mode="kserve"))[1]
    node = service
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    with pytest.raises(kserve_sdk_types.SdkValidationError, match=re.escape(error)):
        validate([service])


@pytest.mark.parametrize(
    "silicon_class, memory, resource",
    [("amd-cdna3", 196608, "amd.com/gpu"), ("intel-gaudi2", 98304, "habana.ai/gaudi"), ("intel-xe-hpc", 131072, "gpu.intel.com/i915")],
)
def test_every_vendors_resource(silicon_class, memory, resource):
    objects = k8s.manifests(plan_for(silicon_class, 4, memory), BASE)
    validate(objects)
    assert objects[0]["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"][resource] == "4"


def test_gaudi_image_entrypoint_and_capability():
    container = k8s.manifests(plan_for("intel-gaudi2", 8, 98304), BASE)[0]["spec"]["template"]["spec"]["containers"][0]
    assert container["command"] == ["vllm", "serve"]
    assert container["securityContext"]["capabilities"]["add"] == ["SYS_NICE"]


def test_cpu_plan_asks_for_no_device():
    objects = k8s.manifests(plan_for("cpu", 0, None), dict(BASE, cpu="8", memory="32Gi"))
    validate(objects)
    resources = objects[0]["spec"]["template"]["spec"]["containers"][0]["resources"]
    assert resources == {"requests": {"cpu": "8", "memory": "32Gi"}, "limits": {"memory": "32Gi"}}


def test_openshift_adds_a_route_that_validates_against_its_crd():
    objects = k8s.manifests(plan_for(backend="openshift"), dict(BASE, platform="openshift", route_host="llama.apps.example.com"))
    assert validate(objects) == ["Route"]
    route = objects[2]
    assert route["spec"]["to"]["name"] == objects[1]["metadata"]["name"]
    assert route["spec"]["host"] == "llama.apps.example.com"


def test_the_route_schema_catches_a_wrong_field():
    route = k8s.manifests(plan_for(backend="openshift"), dict(BASE, platform="openshift"))[2]
    broken = copy.deepcopy(route)
    broken["spec"]["tls"]["termination"] = "sometimes"
    with pytest.raises(jsonschema.ValidationError, match="sometimes"):
        validate([broken])
    broken = copy.deepcopy(route)
    broken["spec"]["tsl"] = broken["spec"].pop("tls")
    with pytest.raises(jsonschema.ValidationError, match="tsl"):
        validate([broken])


def test_kubernetes_validate_catches_a_wrong_field():
    deployment = k8s.manifests(plan_for(), BASE)[0]
    deployment["spec"]["template"]["spec"]["containers"][0]["imagePullPolice"] = "Always"
    with pytest.raises(kubernetes_validate.ValidationError):
        validate([deployment])


def test_kserve_runtime_and_inference_service():
    objects = k8s.manifests(plan_for(engine="tgi"), dict(BASE, mode="kserve"))
    runtime, service = objects
    # The ServingRuntime against KServe's CRD; the InferenceService against KServe's SDK types (its CRD is not here).
    assert validate(objects) == ["ServingRuntime", "InferenceService (SDK)"]
    broken = copy.deepcopy(runtime)
    broken["spec"]["supportedModelFormat"] = broken["spec"].pop("supportedModelFormats")
    with pytest.raises(jsonschema.ValidationError, match="supportedModelFormat"):
        validate([broken])
    assert (runtime["apiVersion"], runtime["kind"]) == ("serving.kserve.io/v1alpha1", "ServingRuntime")
    assert runtime["spec"]["containers"][0]["name"] == "kserve-container"
    assert runtime["spec"]["containers"][0]["args"][:2] == ["--model-id", "/mnt/models"]
    model = service["spec"]["predictor"]["model"]
    assert model["storageUri"] == "pvc://models/llama-8b/a1b2c3d4"
    assert model["runtime"] == runtime["metadata"]["name"]
    assert model["modelFormat"] == {"name": "tgi"}
    assert model["resources"]["limits"]["nvidia.com/gpu"] == "8"


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"name": None}, "name is required"),
        ({"model_claim": "Models"}, "model_claim 'Models' must be a DNS label"),
        ({"revision": "../x"}, "directory names in the claim"),
        ({"mode": "helm"}, "mode must be one of deployment, kserve"),
        ({"replicas": 0}, "replicas must be a positive integer"),
        ({"memory": "lots"}, "'lots' is not a Kubernetes quantity"),
        ({"regions": "eu"}, "regions must be a list"),
        ({"colour": "blue"}, "unknown settings colour"),
    ],
)
def test_bad_settings_are_named(settings, message):
    with pytest.raises(ValueError, match=message):
        k8s.manifests(plan_for(), dict(BASE, **settings))


def test_a_plan_for_another_backend_is_refused_by_the_filter():
    with pytest.raises(Exception, match="inference_server_manifests: the plan is for the podman backend"):
        inference_server_manifests(plan_for(backend="podman"), **BASE)


def _pod_annotations(objects, mode):
    """The pods' annotations: the Deployment's pod template's, or the InferenceService predictor's."""
    if mode == "deployment":
        return objects[0]["spec"]["template"]["metadata"].get("annotations")
    return objects[1]["spec"]["predictor"].get("annotations")


@pytest.mark.parametrize("mode", ["deployment", "kserve"])
def test_pod_annotations_roll_the_pods(mode):
    objects = k8s.manifests(plan_for(), dict(BASE, mode=mode, pod_annotations={"horizon.ai/api-key-sha256": "0f1e2d3c4b5a6978"}))
    assert validate(objects) in ([], ["ServingRuntime", "InferenceService (SDK)"])
    assert _pod_annotations(objects, mode) == {"horizon.ai/api-key-sha256": "0f1e2d3c4b5a6978"}
    assert _pod_annotations(k8s.manifests(plan_for(), dict(BASE, mode=mode)), mode) is None


def test_pod_annotations_must_be_strings():
    with pytest.raises(ValueError, match="pod_annotations must map annotation names to strings"):
        k8s.manifests(plan_for(), dict(BASE, pod_annotations={"a": 1}))
