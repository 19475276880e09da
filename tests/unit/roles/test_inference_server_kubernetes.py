# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The inference_server role's kubernetes and openshift backends through a real ansible-playbook (connection local).

No Kubernetes API server can run on this machine (no kube-apiserver, kind or k3s binary is to be had), so these
runs cover everything up to the cluster and how a cluster's refusal is reported:

- a model published by model_sync into a store in ``tmp_path`` and the recorded 8x H100 machine's PCI scan are
  planned and rendered into ``<config_dir>/manifests.yml`` (staged, ``inference_server_start=false``), and those
  objects validate against the Kubernetes schemas, the OpenShift Route and KServe ServingRuntime CRDs and KServe's
  SDK types (the InferenceService);
- a second run changes nothing, and check mode shows a change's diff without writing it;
- against a loopback server that answers as an API server refusing the credentials (401 with a ``Status``), the
  gate fails naming the object and the refusal, rolls nothing back (nothing reached the cluster), and never prints
  the API key or its base64 form;
- a new API key changes the pods' annotation (so that they roll and read the Secret again); bad cluster settings
  are refused before any file is written.
"""

from __future__ import annotations

import base64
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import yaml

from ansible_collections.horizon.ai_platform.tests.servers.tiny_llama import write_tiny_llama
from ansible_collections.horizon.ai_platform.tests.unit.playbook_runner import REPO, ansible_playbook, recap
from ansible_collections.horizon.ai_platform.tests.unit.plugins.module_utils.test__serving import materialize
from ansible_collections.horizon.ai_platform.tests.unit.plugins.module_utils.test__serving_k8s import validate

API_KEY = "k8s-test-key-never-printed-0123456789"


def policy(root):
    """Models from this test's source directory (in eu-central-1) stay in the EU boundary."""
    return {
        "version": 1,
        "boundaries": {"eu": {"regions": ["eu-central-1", "eu-west-1"]}, "us": {"regions": ["us-east-1"]}},
        "paths": [{"match": str(root / "src"), "region": "eu-central-1"}],
        "data": [{"match": "*", "boundary": "eu"}],
    }


SYNC = """
- name: Publish the tiny model into the store
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Sync it
      horizon.ai_platform.model_sync:
        src: "file://{{ model_src }}"
        name: tiny
        dest: "{{ store }}"
"""

SERVE = """
- name: Serve the model on a cluster
  hosts: localhost
  connection: local
  gather_facts: false
  roles:
    - role: horizon.ai_platform.inference_server
"""


class RefusingApiServer(BaseHTTPRequestHandler):
    """An API server that refuses the client's credentials, as kube-apiserver answers them: 401 and a Status."""

    def _refuse(self):
        body = json.dumps(
            {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": "Unauthorized", "reason": "Unauthorized", "code": 401}
        ).encode()
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _refuse

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """A store holding the tiny Llama (4 heads) as model_sync publishes it, and the 8x H100 machine's tree."""
    root = tmp_path_factory.mktemp("k8s")
    write_tiny_llama(root / "src", heads=4, kv_heads=2)
    (root / "play.yml").write_text(SYNC, encoding="utf-8")
    extra = {"model_src": str(root / "src"), "store": str(root / "store"), "ansible_python_interpreter": sys.executable}
    rc, out = ansible_playbook(root, "-i", "localhost,", "-e", json.dumps(extra), root / "play.yml")
    assert rc == 0, out
    materialize.materialize(str(REPO / "tests" / "fixtures" / "machines" / "hgx-h100-8x.yml"), str(root / "hgx"))
    (root / "hgx" / "proc").mkdir(exist_ok=True)  # the recordings of that machine hold no /proc file
    return root


def serve_vars(published, tmp_path, **extra):
    values = {
        "ansible_python_interpreter": sys.executable,
        "inference_server_backend": "kubernetes",
        "inference_server_model": "tiny",
        "inference_server_model_dest": str(published / "store"),
        "inference_server_config_dir": str(tmp_path / "etc"),
        "inference_server_api_key": API_KEY,
        "inference_server_sysfs_root": str(published / "hgx" / "sys"),
        "inference_server_procfs_root": str(published / "hgx" / "proc"),
        "inference_server_k8s_model_claim": "models",
        "inference_server_k8s_namespace": "serving",
        "inference_server_boundary_policy": policy(published),
        "inference_server_boundary_audit_log": str(tmp_path / "audit.jsonl"),
        "inference_server_start": False,
        "horizon_region": "eu-central-1",
    }
    values.update(extra)
    return values


def run_serve(tmp_path, values, *args):
    (tmp_path / "serve.yml").write_text(SERVE, encoding="utf-8")
    vars_file = tmp_path / "vars.json"
    vars_file.write_text(json.dumps(values), encoding="utf-8")
    return ansible_playbook(tmp_path, "-i", "localhost,", "-e", f"@{vars_file}", *args, tmp_path / "serve.yml")


def objects(tmp_path):
    return [obj for obj in yaml.safe_load_all((tmp_path / "etc" / "manifests.yml").read_text(encoding="utf-8")) if obj]


def test_staged_objects_are_the_plan_for_the_pods_silicon_and_validate(published, tmp_path):
    rc, out = run_serve(tmp_path, serve_vars(published, tmp_path))
    assert rc == 0, out
    written = objects(tmp_path)
    assert [obj["kind"] for obj in written] == ["Deployment", "Service"]
    assert validate(written) == []  # both by the Kubernetes schemas
    deployment = written[0]
    pod = deployment["spec"]["template"]["spec"]
    server = pod["containers"][0]
    # Eight H100s, but the model's 4 attention heads allow a tensor-parallel size of 4: four devices per pod.
    assert server["resources"]["limits"]["nvidia.com/gpu"] == "4"
    assert server["args"][server["args"].index("--tensor-parallel-size") + 1] == "4"
    assert server["image"].startswith("docker.io/vllm/vllm-openai:")
    revision = (published / "store" / "tiny" / "current").readlink().name
    assert f"/models/{revision}" in server["args"]
    assert {"name": "model", "persistentVolumeClaim": {"claimName": "models", "readOnly": True}} in pod["volumes"]
    # The policy's data rule puts every model in boundary "eu": the pods may run in its regions only.
    terms = pod["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"][0]["matchExpressions"]
    assert {"key": "topology.kubernetes.io/region", "operator": "In", "values": ["eu-central-1", "eu-west-1"]} in terms
    assert {"key": "horizon.ai/silicon-class", "operator": "In", "values": ["nvidia-hopper"]} in terms
    key_ref = next(env for env in server["env"] if env["name"] == "VLLM_API_KEY")["valueFrom"]["secretKeyRef"]
    assert key_ref == {"name": "horizon-inference-tiny-api-key", "key": "api-key"}
    assert deployment["metadata"]["namespace"] == "serving"
    assert API_KEY not in (tmp_path / "etc" / "manifests.yml").read_text(encoding="utf-8")
    assert "is applied on the next run that starts it; nothing was applied to the cluster" in " ".join(out.split()), out
    assert (tmp_path / "etc" / "restart-pending").exists()

    rc, out = run_serve(tmp_path, serve_vars(published, tmp_path))
    assert rc == 0, out
    assert recap(out)["changed"] == 0, out

    before = (tmp_path / "etc" / "manifests.yml").read_text(encoding="utf-8")
    rc, out = run_serve(tmp_path, serve_vars(published, tmp_path, inference_server_k8s_replicas=2), "--check", "--diff")
    assert rc == 0, out
    assert "-  replicas: 1" in out and "+  replicas: 2" in out, out
    assert (tmp_path / "etc" / "manifests.yml").read_text(encoding="utf-8") == before


def test_openshift_adds_a_route_and_kserve_a_runtime(published, tmp_path):
    rc, out = run_serve(tmp_path, serve_vars(published, tmp_path, inference_server_backend="openshift", inference_server_k8s_route_host="llm.apps.example.com"))
    assert rc == 0, out
    written = objects(tmp_path)
    assert [obj["kind"] for obj in written] == ["Deployment", "Service", "Route"]
    assert validate(written) == ["Route"]
    assert written[2]["spec"]["host"] == "llm.apps.example.com"

    rc, out = run_serve(tmp_path, serve_vars(published, tmp_path, inference_server_k8s_mode="kserve", inference_server_k8s_regions=["eu-west-1"]))
    assert rc == 0, out
    written = objects(tmp_path)
    assert [obj["kind"] for obj in written] == ["ServingRuntime", "InferenceService"]
    assert validate(written) == ["ServingRuntime", "InferenceService (SDK)"]
    predictor = written[1]["spec"]["predictor"]
    assert predictor["model"]["storageUri"].startswith("pvc://models/tiny/")
    terms = predictor["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"][0]["matchExpressions"]
    assert {"key": "topology.kubernetes.io/region", "operator": "In", "values": ["eu-west-1"]} in terms


@pytest.mark.parametrize(
    "setting, value",
    [("inference_server_k8s_model_claim", ""), ("inference_server_k8s_memory", "16 GB"), ("inference_server_k8s_regions", "eu-west-1")],
)
def test_bad_cluster_settings_are_refused_before_anything_is_written(published, tmp_path, setting, value):
    rc, out = run_serve(tmp_path, serve_vars(published, tmp_path, **{setting: value}))
    assert rc != 0
    assert "The kubernetes backend needs inference_server_k8s_model_claim" in " ".join(out.split()), out
    assert not (tmp_path / "etc").exists()


def test_a_new_api_key_rolls_the_pods(published, tmp_path):
    rc, out = run_serve(tmp_path, serve_vars(published, tmp_path))
    assert rc == 0, out
    before = objects(tmp_path)[0]["spec"]["template"]["metadata"]["annotations"]["horizon.ai/api-key-sha256"]
    rc, out = run_serve(tmp_path, serve_vars(published, tmp_path, inference_server_api_key=API_KEY + "-rotated"))
    assert rc == 0, out
    after = objects(tmp_path)[0]["spec"]["template"]["metadata"]["annotations"]["horizon.ai/api-key-sha256"]
    assert len(before) == len(after) == 16 and before != after
    assert API_KEY not in out and before not in API_KEY


@pytest.fixture
def refusing_cluster(tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), RefusingApiServer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    kubeconfig = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "loopback", "cluster": {"server": "http://127.0.0.1:%d" % server.server_address[1]}}],
        "users": [{"name": "someone", "user": {"token": "not-a-valid-token"}}],
        "contexts": [{"name": "loopback", "context": {"cluster": "loopback", "user": "someone", "namespace": "serving"}}],
        "current-context": "loopback",
    }
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(kubeconfig), encoding="utf-8")
    yield path
    server.shutdown()
    server.server_close()


def test_a_refusing_cluster_fails_the_gate_with_its_reason_and_keeps_the_key_out(published, tmp_path, refusing_cluster):
    # An earlier run staged the objects; this one changes them and applies them.
    rc, out = run_serve(tmp_path, serve_vars(published, tmp_path))
    assert rc == 0, out
    staged = (tmp_path / "etc" / "manifests.yml").read_text(encoding="utf-8")
    values = serve_vars(
        published, tmp_path, inference_server_start=True, inference_server_k8s_replicas=2, inference_server_k8s_kubeconfig=str(refusing_cluster)
    )
    rc, out = run_serve(tmp_path, values, "-vvv", "--diff")
    assert rc != 0
    message = out[out.index("The health gate failed for") :]
    # The first call to the cluster names the refusal: the API's status, not the client's traceback.
    first = "The health gate failed for Deployment serving/horizon-inference-tiny (Read the API key's Secret): 401"
    assert message.startswith(first + "\nReason: Unauthorized\n"), message
    assert '"message": "Unauthorized"' in message
    assert "Traceback" not in message and "Original traceback" not in message and "HTTP response headers" not in message
    # Nothing reached the cluster: nothing to roll back; the objects' file holds this run's, for the next run.
    assert "Nothing was rolled back: the cluster was not changed before the failure." in message, message
    record = (tmp_path / "etc" / "manifests.yml").read_text(encoding="utf-8")
    assert record != staged
    assert "replicas: 2" in record
    assert not (tmp_path / "etc" / "applied.yml").exists()
    assert API_KEY not in out
    assert base64.b64encode(API_KEY.encode()).decode() not in out


def test_without_a_key_a_host_asks_the_cluster_then_generates_one(published, tmp_path, refusing_cluster):
    values = serve_vars(published, tmp_path, inference_server_start=True, inference_server_api_key="", inference_server_k8s_kubeconfig=str(refusing_cluster))
    rc, out = run_serve(tmp_path, values, "-vvv")
    assert rc != 0
    assert "Read the API key's Secret on the cluster" in out
    key = (tmp_path / "etc" / "api-key").read_text(encoding="utf-8").strip()
    assert len(key) == 40 and key not in out
    assert oct((tmp_path / "etc" / "api-key").stat().st_mode & 0o777) == "0o600"
    assert "The health gate failed for Deployment serving/horizon-inference-tiny (Read the API key's Secret): 401" in out
