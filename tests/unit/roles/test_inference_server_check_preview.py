# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check mode of model_cache then inference_server, before the model is on the node (a real ansible-playbook).

site.yml runs model_cache before inference_server. In check mode model_cache publishes nothing, so the server
cannot be configured; model_sync's preview (the listing and config.json, read from the region's mirror) still
lets inference_server show its plan for the node's silicon - here the recorded 8x H100 machine - and nothing is
written on the host.
"""

from __future__ import annotations

import hashlib
import json
import sys

from ansible_collections.horizon.ai_platform.tests.servers.http_mirror import serve
from ansible_collections.horizon.ai_platform.tests.servers.tiny_llama import write_tiny_llama
from ansible_collections.horizon.ai_platform.tests.unit.playbook_runner import REPO, ansible_playbook
from ansible_collections.horizon.ai_platform.tests.unit.plugins.module_utils.test__serving import materialize

PLAY = """
- name: Sync the model, then serve it
  hosts: localhost
  connection: local
  gather_facts: false
  roles:
    - role: horizon.ai_platform.model_cache
    - role: horizon.ai_platform.inference_server
"""


def write_mirror(root):
    """The mirror's tree: the tiny Llama (8 heads) with the SHA256SUMS list the role's mirrors publish."""
    model = root / "tiny"
    write_tiny_llama(model, heads=8, kv_heads=2)
    paths = sorted(p for p in model.rglob("*") if p.is_file())
    lines = "".join(f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.relative_to(model)}\n" for p in paths)
    (model / "SHA256SUMS").write_text(lines, encoding="utf-8")


def test_check_mode_plans_the_server_from_what_model_cache_would_publish(tmp_path):
    write_mirror(tmp_path / "mirror")
    materialize.materialize(str(REPO / "tests" / "fixtures" / "machines" / "hgx-h100-8x.yml"), str(tmp_path / "hgx"))
    (tmp_path / "hgx" / "proc").mkdir(exist_ok=True)
    with serve(str(tmp_path / "mirror")) as server:
        values = {
            "ansible_python_interpreter": sys.executable,
            "horizon_region": "eu-central-1",
            "model_cache_dest": str(tmp_path / "store"),
            "model_cache_poll_interval": 1,
            "model_cache_mirrors": {"eu-central-1": {"url": server.url}},
            "model_cache_models": [{"name": "tiny", "upstream": "hf://acme/tiny"}],
            "inference_server_model": "tiny",
            "inference_server_model_dest": str(tmp_path / "store"),
            "inference_server_config_dir": str(tmp_path / "etc"),
            "inference_server_sysfs_root": str(tmp_path / "hgx" / "sys"),
            "inference_server_procfs_root": str(tmp_path / "hgx" / "proc"),
        }
        (tmp_path / "vars.json").write_text(json.dumps(values), encoding="utf-8")
        (tmp_path / "play.yml").write_text(PLAY, encoding="utf-8")
        rc, out = ansible_playbook(tmp_path, "-i", "localhost,", "--check", "-e", f"@{tmp_path / 'vars.json'}", tmp_path / "play.yml")
        gets = sorted(path.rsplit("/", 1)[1] for method, path, *_rest in server.requests if method == "GET")
    assert rc == 0, out
    flat = " ".join(out.split()).replace("''", "'")  # the YAML callback doubles quotes in single-quoted text
    assert "The plan that follows is made from what model_cache would publish (the source's listing and config.json)." in flat, out
    # Eight H100s and 8 attention heads: tensor parallel 8; the catalog's CUDA image; bf16 on Hopper.
    plan = flat[flat.index("localhost (nvidia-hopper): vllm on podman") :]
    assert "docker.io/vllm/vllm-openai:" in plan.split(";", maxsplit=1)[0]
    assert "tensor parallel 8" in plan and "bfloat16" in plan, plan[:600]
    # The mirror gave its checksum list and config.json - no weights - and nothing was written on the host.
    assert gets == ["SHA256SUMS", "config.json"], gets
    assert not (tmp_path / "store").exists()
    assert not (tmp_path / "etc").exists()
