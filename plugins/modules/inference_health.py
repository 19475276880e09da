#!/usr/bin/python
# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: inference_health
short_description: Check that an OpenAI-compatible inference server is up, lists its model and answers a completion
version_added: 0.1.0
description:
  - The health gate of the C(inference_server) role, in three steps, each of which must pass before the next.
  - Waits for C(GET /health) to answer 200. While it waits, it watches the server's systemd O(unit), if given - a unit
    that fails or restarts (the engine crashed) ends the wait at once instead of at O(timeout).
  - Checks that C(GET /v1/models) lists O(model).
  - Sends one short completion (C(POST /v1/completions), greedy) and checks that it returns at least one token.
  - On failure the message says which step failed and why, quoting the engine's last error lines, and RV(log) holds
    the last journal lines of the run that was checked (the unit's invocation when the module started).
  - Works against vLLM and Hugging Face TGI, which both serve these routes.
author:
  - horizon.ai_platform maintainers (@horizon-ai-platform)
extends_documentation_fragment:
  - horizon.ai_platform.attributes
attributes:
  check_mode:
    support: full
    details:
      - Only reads; it runs the same checks in check mode.
  diff_mode:
    support: none
  idempotent:
    support: full
options:
  url:
    description: The server's base URL.
    type: str
    default: http://127.0.0.1:8000
  model:
    description: The served model name that C(/v1/models) must list and the completion asks for.
    type: str
    required: true
  api_key:
    description: The server's API key, sent as a bearer token to the C(/v1) routes.
    type: str
  unit:
    description: The server's systemd unit, watched while waiting and read for RV(log).
    type: str
  timeout:
    description: Seconds to wait for C(/health), in all.
    type: int
    default: 600
  request_timeout:
    description: Seconds each request may take (the completion's included).
    type: int
    default: 60
  prompt:
    description: The completion's prompt.
    type: str
    default: Hello
  max_tokens:
    description: Tokens the completion asks for.
    type: int
    default: 4
  log_lines:
    description: Journal lines of O(unit) returned on failure.
    type: int
    default: 40
  validate_certs:
    description: Whether an C(https) server's certificate must be valid (a cluster's route or ingress).
    type: bool
    default: true
  ca_path:
    description: A PEM file of the CA that signed an C(https) server's certificate (an OpenShift ingress's own CA).
    type: path
"""

EXAMPLES = r"""
- name: Wait for the server and ask it one question
  horizon.ai_platform.inference_health:
    url: http://127.0.0.1:8000
    model: tiny-llama
    api_key: "{{ lookup('ansible.builtin.file', 'secrets/api-key') }}"
    unit: horizon-inference-tiny-llama.service
    timeout: 900
"""

RETURN = r"""
waited:
  description: Seconds until C(/health) answered.
  returned: always
  type: float
models:
  description: The model names C(/v1/models) listed.
  returned: when the server answered /health
  type: list
  elements: str
completion:
  description: The completion's text and token count.
  returned: success
  type: dict
  sample: {"text": " edge all", "tokens": 4, "seconds": 0.06}
log:
  description: The unit's last journal lines.
  returned: failure, when unit is given
  type: list
  elements: str
errors:
  description: The last three distinct error lines in the unit's last 500 journal lines; the message quotes them.
  returned: failure, when unit is given
  type: list
  elements: str
"""

import json
import re
import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.urls import open_url

HTTP_ERRORS = (OSError, ValueError)
# A line of a Python traceback's verdict or an engine's error log.
ERROR_LINE = re.compile(r"(^\w[\w.]*(Error|Exception)\b|\bERROR\b)")


def request(url, timeout, api_key=None, body=None, tls=None):
    """(status, parsed JSON or text) of one request; status None where the server did not answer."""
    headers = {"Accept": "application/json"}
    if api_key:
        headers["Authorization"] = "Bearer %s" % api_key
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    try:
        response = open_url(
            url, data=data, headers=headers, method="POST" if body is not None else "GET", timeout=timeout, follow_redirects="none", **(tls or {})
        )
        status, text = response.getcode(), response.read().decode("utf-8", "replace")
    except HTTP_ERRORS as exc:
        status = getattr(exc, "code", None)
        text = exc.read().decode("utf-8", "replace") if hasattr(exc, "read") else str(exc)
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text


class Unit:
    """The server's systemd unit, as systemctl shows it."""

    def __init__(self, module, name):
        self.module = module
        self.name = name
        # The run being checked: its log is what a failure quotes, not the previous run's shutdown.
        self.restarts, self.invocation = self.state()[1:] if name else (None, None)

    def state(self):
        rc, out, _err = self.module.run_command(["systemctl", "show", "-p", "ActiveState", "-p", "NRestarts", "-p", "InvocationID", self.name])
        values = dict(line.split("=", 1) for line in out.splitlines() if "=" in line) if rc == 0 else {}
        return values.get("ActiveState", "unknown"), values.get("NRestarts", "0"), values.get("InvocationID", "")

    def problem(self):
        """Why waiting longer is pointless, or None."""
        if not self.name:
            return None
        active, restarts, _invocation = self.state()
        if active == "failed":
            return "%s failed" % self.name
        if restarts != self.restarts:
            return "%s exited and was restarted (the engine crashed)" % self.name
        if active == "inactive":
            return "%s is not running" % self.name
        return None

    def log(self, lines):
        """(the last lines, the last distinct error lines among the last 500)."""
        if not self.name:
            return [], []
        command = ["journalctl", "-n", str(max(lines, 500)), "--no-pager", "-o", "cat"]
        out = ""
        if self.invocation:
            _rc, out, _err = self.module.run_command(command + ["_SYSTEMD_INVOCATION_ID=%s" % self.invocation])
        if not out.strip():
            _rc, out, _err = self.module.run_command(command + ["-u", self.name])
        # podman's journald log driver keeps each line's newline in the message: an empty line after each.
        journal = [line for line in out.splitlines() if line.strip()]
        errors = []
        for line in reversed(journal):
            if ERROR_LINE.search(line) and not line[:1].isspace() and line not in errors:
                errors.insert(0, line)
                if len(errors) == 3:
                    break
        return journal[-lines:], errors


def main():
    module = AnsibleModule(
        argument_spec={
            "url": {"type": "str", "default": "http://127.0.0.1:8000"},
            "model": {"type": "str", "required": True},
            "api_key": {"type": "str", "no_log": True},
            "unit": {"type": "str"},
            "timeout": {"type": "int", "default": 600},
            "request_timeout": {"type": "int", "default": 60},
            "prompt": {"type": "str", "default": "Hello"},
            "max_tokens": {"type": "int", "default": 4, "no_log": False},
            "log_lines": {"type": "int", "default": 40},
            "validate_certs": {"type": "bool", "default": True},
            "ca_path": {"type": "path"},
        },
        supports_check_mode=True,
    )
    params = module.params
    base = params["url"].rstrip("/")
    tls = {"validate_certs": params["validate_certs"], "ca_path": params["ca_path"]}
    unit = Unit(module, params["unit"])
    result = {"changed": False, "waited": 0.0}

    def fail(message):
        log, errors = unit.log(params["log_lines"])
        if errors:
            message += ". The engine's last errors: " + " | ".join(errors)
        module.fail_json(msg=message, log=log, errors=errors, **result)

    start = time.monotonic()
    deadline = start + params["timeout"]
    while True:
        status, body = request(base + "/health", params["request_timeout"], tls=tls)
        result["waited"] = round(time.monotonic() - start, 1)
        if status == 200:
            break
        problem = unit.problem()
        if problem:
            fail("%s before %s/health answered (last answer: %s)" % (problem, base, status or body))
        if time.monotonic() >= deadline:
            fail("%s/health did not answer 200 within %d s (last answer: %s)" % (base, params["timeout"], status or body))
        time.sleep(2)

    status, body = request(base + "/v1/models", params["request_timeout"], params["api_key"], tls=tls)
    if status != 200 or not isinstance(body, dict) or not isinstance(body.get("data"), list):
        fail("%s/v1/models answered %s: %s" % (base, status, str(body)[:300]))
    result["models"] = [entry.get("id") for entry in body["data"] if isinstance(entry, dict)]
    if params["model"] not in result["models"]:
        fail("%s/v1/models does not list %s; it lists %s" % (base, params["model"], ", ".join(map(str, result["models"])) or "nothing"))

    asked = time.monotonic()
    completion = {"model": params["model"], "prompt": params["prompt"], "max_tokens": params["max_tokens"], "temperature": 0}
    status, body = request(base + "/v1/completions", params["request_timeout"], params["api_key"], completion, tls=tls)
    choices = body.get("choices") if isinstance(body, dict) else None
    tokens = ((body.get("usage") or {}).get("completion_tokens") or 0) if isinstance(body, dict) else 0
    if status != 200 or not choices or not isinstance(choices[0].get("text"), str) or tokens < 1:
        fail("the completion at %s/v1/completions returned no tokens (%s): %s" % (base, status, str(body)[:300]))
    result["completion"] = {"text": choices[0]["text"], "tokens": tokens, "seconds": round(time.monotonic() - asked, 2)}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
