# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The model_cache role through a real ansible-playbook on this machine (connection local).

The Molecule scenario covers the fleet (mirrors, nodes, regions). These runs cover what needs the
play's own output: credentials for the regional mirror never appear in it, even at -vvv with
--diff, in success and in failure; a second run reports no change; and a node's mirror that
refuses the credentials fails with a message naming the mirror.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

import pytest

from ansible_collections.horizon.ai_platform.tests.servers.http_mirror import serve
from ansible_collections.horizon.ai_platform.tests.unit.playbook_runner import ansible_playbook

SECRET = "s3cr3t-mirror-Passw0rd"
TOKEN = "hf_tok3n_never_printed"

PLAY = """
- name: Sync from the regional mirror
  hosts: localhost
  connection: local
  gather_facts: false
  roles:
    - role: horizon.ai_platform.model_cache
"""


def build_mirror(root):
    """A mirror tree with one model at <root>/tiny/, as the role's nginx mirrors serve it."""
    model = root / "tiny"
    (model / "tokenizer").mkdir(parents=True)
    files = {"config.json": b'{"num_hidden_layers": 2}\n', "model.safetensors": os.urandom(256 * 1024), "tokenizer/tokenizer.json": b"{}\n"}
    for rel, data in files.items():
        (model / rel).write_bytes(data)
    (model / "SHA256SUMS").write_text("".join(f"{hashlib.sha256(d).hexdigest()}  {p}\n" for p, d in sorted(files.items())), encoding="utf-8")
    return files


def run_play(tmp_path, extra_vars):
    playbook = tmp_path / "play.yml"
    playbook.write_text(PLAY, encoding="utf-8")
    vars_file = tmp_path / "vars.json"
    vars_file.write_text(json.dumps(extra_vars), encoding="utf-8")
    return ansible_playbook(tmp_path, "-i", "localhost,", "-vvv", "--diff", "-e", f"@{vars_file}", playbook)


def recap(output):
    line = next(ln for ln in output.splitlines() if ln.startswith("localhost") and "changed=" in ln)
    return dict(part.split("=") for part in line.split()[2:])


@pytest.fixture
def mirror(tmp_path):
    root = tmp_path / "mirror"
    root.mkdir()
    files = build_mirror(root)
    with serve(str(root), auth=f"models:{SECRET}") as server:
        yield server, files


def node_vars(tmp_path, server, password):
    return {
        "ansible_python_interpreter": sys.executable,
        "horizon_region": "eu-central-1",
        "model_cache_dest": str(tmp_path / "store"),
        "model_cache_poll_interval": 1,
        "model_cache_mirrors": {"eu-central-1": {"url": server.url, "username": "models", "password": password}},
        "model_cache_models": [
            {"name": "tiny", "upstream": "hf://acme/tiny", "upstream_options": {"token": TOKEN}, "ignore_patterns": ["*.bin"]},
        ],
    }


def test_node_syncs_from_its_mirror_without_printing_credentials(tmp_path, mirror):
    server, files = mirror
    rc, out = run_play(tmp_path, node_vars(tmp_path, server, SECRET))
    assert rc == 0, out
    assert SECRET not in out
    assert TOKEN not in out
    assert recap(out)["changed"] == "1"
    current = tmp_path / "store" / "tiny" / "current"
    for rel, data in files.items():
        assert (current / rel).read_bytes() == data
    assert "tiny: from mirror of region eu-central-1" in out

    rc, out = run_play(tmp_path, node_vars(tmp_path, server, SECRET))
    assert rc == 0, out
    assert recap(out)["changed"] == "0", out
    assert SECRET not in out


def test_refused_credentials_fail_clearly_without_printing_them(tmp_path, mirror):
    server, _files = mirror
    wrong = "Wr0ng-" + SECRET
    rc, out = run_play(tmp_path, node_vars(tmp_path, server, wrong))
    assert rc != 0
    assert wrong not in out
    assert SECRET not in out
    assert "401" in out or "refused" in out or "credentials" in out, out
    assert server.url.split("//")[1].rstrip("/") in out
    assert not (tmp_path / "store" / "tiny" / "current").exists()
    assert "Traceback" not in out


def test_a_misspelt_key_fails_validation_without_printing_credentials(tmp_path, mirror):
    server, _files = mirror
    extra = node_vars(tmp_path, server, SECRET)
    extra["model_cache_models"][0]["ignore_pattern"] = ["*.bin"]
    rc, out = run_play(tmp_path, extra)
    assert rc != 0
    assert "model_cache_models.ignore_pattern" in out, out
    assert SECRET not in out
    assert TOKEN not in out
    assert not (tmp_path / "store").exists()


def test_a_mirror_left_to_the_sites_own_web_server_seeds_without_nginx(tmp_path, mirror):
    """model_cache_mirror_server: none seeds the store with its checksum lists and touches no web server."""
    server, files = mirror
    extra = {
        "ansible_python_interpreter": sys.executable,
        "horizon_region": "eu-central-1",
        "model_cache_mode": "mirror",
        "model_cache_mirror_server": "none",
        "model_cache_dest": str(tmp_path / "store"),
        "model_cache_poll_interval": 1,
        "model_cache_models": [
            {"name": "tiny", "upstream": server.url + "tiny/", "upstream_options": {"username": "models", "password": SECRET}},
        ],
    }
    rc, out = run_play(tmp_path, extra)
    assert rc == 0, out
    assert SECRET not in out
    assert "nginx" not in recap_tasks(out)
    current = tmp_path / "store" / "tiny" / "current"
    published = (current / "SHA256SUMS").read_text(encoding="utf-8")
    assert published == "".join(f"{hashlib.sha256(d).hexdigest()}  {p}\n" for p, d in sorted(files.items()))


def recap_tasks(output):
    """The names of the tasks the play ran, lower-cased."""
    return " ".join(line.lower() for line in output.splitlines() if line.startswith("TASK ["))


BOUNDARY_POLICY = {
    "version": 1,
    "boundaries": {"eu": {"regions": ["eu-central-1"]}, "de": {"regions": ["de-fra-1"]}},
    "endpoints": [{"match": "127.0.0.0/8", "region": "eu-central-1"}, {"match": "huggingface.co", "region": "us-east-1"}],
    "data": [{"match": "tiny-de", "boundary": "de"}, {"match": "*", "boundary": "eu"}],
}


def test_a_boundary_policy_gates_every_sync_and_logs_it(tmp_path, mirror):
    """The in-region mirror is allowed; a model whose boundary excludes the node is refused before any request."""
    server, files = mirror
    (Path(server.root) / "tiny-de").symlink_to(Path(server.root) / "tiny")
    extra = node_vars(tmp_path, server, SECRET)
    extra["model_cache_models"].append({"name": "tiny-de", "upstream": "hf://acme/tiny-de"})
    extra["model_cache_boundary_policy"] = BOUNDARY_POLICY
    extra["model_cache_boundary_audit_log"] = str(tmp_path / "audit.jsonl")
    rc, out = run_play(tmp_path, extra)
    assert rc != 0, out
    assert "data boundary: the node's region 'eu-central-1' is outside boundary 'de' (de-fra-1); nothing was transferred" in out
    assert (tmp_path / "store" / "tiny" / "current" / "config.json").read_bytes() == files["config.json"]
    assert not (tmp_path / "store" / "tiny-de").exists()
    assert not [r for r in server.requests if "/tiny-de/" in r[1]]
    records = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    assert [(r["flow"]["name"], r["verdict"], r["host_region"]) for r in records] == [("tiny", "allow", "eu-central-1"), ("tiny-de", "deny", "eu-central-1")]
    assert SECRET not in out and SECRET not in (tmp_path / "audit.jsonl").read_text()
