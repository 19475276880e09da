# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check what `make demo` did with playbooks/site.yml: demo-cpu served the tiny model through vLLM and answered a
completion, a second run changed nothing, and the accelerator nodes ran in check mode.

Usage: python tests/demo/check_site.py demo/output/site
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

RECAP = re.compile(r"^(?P<host>\S+)\s+: ok=(?P<ok>\d+)\s+changed=(?P<changed>\d+)\s+unreachable=(?P<unreachable>\d+)\s+failed=(?P<failed>\d+)", re.M)

# The accelerator nodes in check mode: host -> failed tasks (the run stops there), and why.
CHECK_EXPECTED = {
    "demo-hgx-h100": 0,
    "demo-mi300x": 0,
    # Its CUDA repository (horizon_boundary_flows) is in us-east-1: the boundary audit refuses the node.
    "demo-jetson-orin": 1,
    # In us-east-1, where no mirror holds the model: the audit cannot even plan its flow, and says so.
    "demo-gaudi2": 1,
}

# What check mode must show for the nodes that go on: their drivers, their container engine with its devices, where
# the model would come from, and the server each would run, planned from what the mirror would give them (the
# model's 4 attention heads allow 4 of the 8 devices).
CHECK_SAYS = [
    "It would configure the repositories cuda and install nvidia-driver-cuda=580.*",
    "It would configure the repositories amdgpu, rocm and install rocm=",
    "accelerators: nvidia x8 (nvidia.com/gpu)",
    "tiny-llama: from mirror of region eu-west-1",
    "Check mode - tiny-llama is not published on demo-hgx-h100 yet",
    "The plan that follows is made from what model_cache would publish",
    "demo-hgx-h100 (nvidia-hopper): vllm on podman, docker.io/vllm/vllm-openai:",
    "demo-mi300x (amd-cdna3): vllm on podman,",
    "tensor parallel 4 (8 device(s), 4 attention heads",
    "developer.download.nvidia.com is in region 'us-east-1'",
    "model_cache_mirrors has no mirror for region 'us-east-1'",
]


def recap(log: Path) -> dict[str, dict[str, int]]:
    """Each host's counts in the log's last PLAY RECAP; none where the run stopped before one."""
    text = log.read_text(encoding="utf-8")
    if "PLAY RECAP" not in text:
        return {}
    tail = text[text.rindex("PLAY RECAP") :]
    return {m["host"]: {key: int(m[key]) for key in ("ok", "changed", "unreachable", "failed")} for m in RECAP.finditer(tail)}


def main() -> int:
    out = Path(sys.argv[1])
    problems = []

    completion = json.loads((out / "completion.json").read_text(encoding="utf-8"))
    if completion.get("model") != "tiny-llama" or completion.get("usage", {}).get("completion_tokens") != 8:
        problems.append(f"the completion is not 8 tokens of tiny-llama: {completion}")
    if not str(completion.get("system_fingerprint", "")).startswith("vllm-"):
        problems.append(f"the completion did not come from vLLM: {completion.get('system_fingerprint')}")

    first = recap(out / "first-run.log")
    if first.get("demo-cpu", {}).get("failed", 1) or first.get("demo-cpu", {}).get("changed", 0) == 0:
        problems.append(f"the first site.yml run did not converge demo-cpu: {first}")
    second = recap(out / "second-run.log")
    if any(counts["changed"] or counts["failed"] for counts in second.values()) or "demo-cpu" not in second:
        problems.append(f"the second site.yml run was not a no-op: {second}")

    checked = recap(out / "check-run.log")
    got = {host: counts["failed"] for host, counts in checked.items()}
    if got != CHECK_EXPECTED:
        problems.append(f"check mode on the accelerator nodes: expected failures {CHECK_EXPECTED}, got {got}")
    if any(counts["changed"] == 0 for counts in checked.values() if not counts["failed"]):
        problems.append(f"check mode showed no change on a fresh accelerator node: {checked}")
    # Ansible folds long messages: compare the log with its line breaks and indentation made single spaces.
    said = " ".join((out / "check-run.log").read_text(encoding="utf-8").split())
    problems += [f"check mode did not say: {text}" for text in CHECK_SAYS if text not in said]

    timings = json.loads((out / "timings.json").read_text(encoding="utf-8"))
    if not (timings["first_completion_s"] > timings["unchanged_run_s"] > 0):
        problems.append(f"timings out of order: {timings}")

    for problem in problems:
        print(f"check_site: {problem}", file=sys.stderr)
    if not problems:
        served = completion["choices"][0]["text"]
        print(f"check_site: demo-cpu served tiny-llama ({served!r}); unchanged rerun {second['demo-cpu']}; check mode {got}; {timings}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
