# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Validate KServe objects against the types of KServe's own Python SDK, read from its wheel as data.

KServe's CRDs are not in any package this machine can install, but its SDK (``kserve`` on PyPI) carries the
OpenAPI-generated model of every KServe type: each class's ``openapi_types`` (attribute -> type) and
``attribute_map`` (attribute -> JSON key), generated from the same Go types as the CRDs. This module reads those two
mappings with ``ast`` from the wheel (nothing of the SDK is imported or installed) and the Kubernetes types they
refer to from the ``kubernetes`` client's models, and checks an object strictly: every key must be a field of its
type, and every value of the field's type. It checks names and shapes, not a CRD's enums, patterns or required
fields.

The wheel is fetched, pinned by hash, by ``make venv`` (requirements/test-data.txt) into ``.cache/test-data``.
"""

from __future__ import annotations

import ast
import zipfile
from pathlib import Path

import kubernetes.client.models as k8s_models

REPO = Path(__file__).resolve().parents[2]
WHEEL = REPO / ".cache" / "test-data" / "kserve-0.21.0-py3-none-any.whl"

# Names the SDK uses for types it does not define, and what they are.
ALIASES = {
    "K8sIoApiAppsV1DeploymentStrategy": "V1DeploymentStrategy",
    "K8sIoApiAutoscalingV2HorizontalPodAutoscalerBehavior": "V2HorizontalPodAutoscalerBehavior",
}
# A Kubernetes quantity is a string or a number in JSON; a time a string; "object" anything (int-or-string too).
SCALARS = {
    "str": (str,),
    "int": (int,),
    "float": (int, float),
    "bool": (bool,),
    "ResourceQuantity": (str, int, float),
    "V1Time": (str,),
    "datetime": (str,),
    "date": (str,),
    "object": (object,),
}


class SdkValidationError(ValueError):
    """An object does not fit the SDK's types; the message names the path."""


def _literal_dicts(source):
    """{class name: (openapi_types, attribute_map)} of one generated model file."""
    types = {}
    for node in ast.parse(source).body:
        if not isinstance(node, ast.ClassDef):
            continue
        found = {}
        for statement in node.body:
            target = statement.targets[0] if isinstance(statement, ast.Assign) and len(statement.targets) == 1 else None
            if isinstance(target, ast.Name) and target.id in ("openapi_types", "attribute_map"):
                found[target.id] = ast.literal_eval(statement.value)
        if len(found) == 2:
            types[node.name] = (found["openapi_types"], found["attribute_map"])
    return types


def load_sdk_types(wheel=WHEEL):
    """Every model type of the KServe SDK in ``wheel``."""
    if not Path(wheel).is_file():
        raise FileNotFoundError(f"{wheel} is missing: `make venv` fetches it (requirements/test-data.txt)")
    types = {}
    with zipfile.ZipFile(wheel) as archive:
        for name in archive.namelist():
            if name.startswith("kserve/models/") and name.endswith(".py") and not name.endswith("__init__.py"):
                types.update(_literal_dicts(archive.read(name).decode("utf-8")))
    return types


class SdkValidator:
    def __init__(self, sdk_types):
        self.sdk_types = sdk_types

    def _fields(self, type_name, path):
        type_name = ALIASES.get(type_name, type_name)
        if type_name in self.sdk_types:
            return self.sdk_types[type_name]
        cls = getattr(k8s_models, type_name, None)
        if cls is None or not hasattr(cls, "openapi_types"):
            raise SdkValidationError(f"{path}: type {type_name} is in neither the KServe SDK nor the kubernetes client")
        return cls.openapi_types, cls.attribute_map

    def check(self, value, type_name, path="$"):
        # The SDK writes list[X] and dict(str, X); the kubernetes client List[X] and Dict[str, X].
        if type_name[:5] in ("list[", "List[") and type_name.endswith("]"):
            if not isinstance(value, list):
                raise SdkValidationError(f"{path}: expected a list ({type_name}), got {type(value).__name__}")
            for index, item in enumerate(value):
                self.check(item, type_name[5:-1], f"{path}[{index}]")
            return
        if (type_name.startswith("dict(") and type_name.endswith(")")) or (type_name.startswith("Dict[") and type_name.endswith("]")):
            if not isinstance(value, dict):
                raise SdkValidationError(f"{path}: expected a mapping ({type_name}), got {type(value).__name__}")
            value_type = type_name[5:-1].split(",", 1)[1].strip()
            for key, item in value.items():
                if not isinstance(key, str):
                    raise SdkValidationError(f"{path}: key {key!r} is not a string")
                self.check(item, value_type, f"{path}.{key}")
            return
        if type_name in SCALARS:
            # JSON's true is no integer: bool is an int subclass in Python.
            if not isinstance(value, SCALARS[type_name]) or (isinstance(value, bool) and type_name not in ("bool", "object")):
                raise SdkValidationError(f"{path}: expected {type_name}, got {type(value).__name__} {value!r}")
            return
        openapi_types, attribute_map = self._fields(type_name, path)
        if not isinstance(value, dict):
            raise SdkValidationError(f"{path}: expected a {type_name} mapping, got {type(value).__name__}")
        by_key = {key: attribute for attribute, key in attribute_map.items()}
        for key, item in value.items():
            if key not in by_key:
                raise SdkValidationError(f"{path}: {key!r} is not a field of {type_name} (its fields: {', '.join(sorted(by_key))})")
            self.check(item, openapi_types[by_key[key]], f"{path}.{key}")


KINDS = {
    ("serving.kserve.io/v1beta1", "InferenceService"): "V1beta1InferenceService",
    ("serving.kserve.io/v1alpha1", "ServingRuntime"): "V1alpha1ServingRuntime",
}


def validate(obj, validator):
    """Check a KServe object against its SDK type."""
    key = (obj.get("apiVersion"), obj.get("kind"))
    if key not in KINDS:
        raise SdkValidationError(f"no SDK type is known for {key}")
    validator.check(obj, KINDS[key])
