# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a real ansible-playbook from a test: this project's config and collections, state in ``tmp_path``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def playbook_env(tmp_path, **extra):
    """The environment: the project's ansible.cfg and collections, ANSIBLE_HOME under ``tmp_path``, no colour."""
    return dict(
        os.environ,
        ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
        ANSIBLE_COLLECTIONS_PATH=str(REPO / ".cache" / "collections"),
        ANSIBLE_HOME=str(tmp_path / "ansible-home"),
        ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-home" / "tmp"),
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_NOCOLOR="1",
        **extra,
    )


def ansible_playbook(tmp_path, *args, env=None, cwd=None, timeout=300):
    """``ansible-playbook ARGS`` from this venv; its exit status and its output (stdout, then stderr)."""
    cmd = [str(Path(sys.executable).with_name("ansible-playbook")), *map(str, args)]
    proc = subprocess.run(cmd, env=playbook_env(tmp_path, **(env or {})), capture_output=True, text=True, check=False, timeout=timeout, cwd=cwd)
    return proc.returncode, proc.stdout + proc.stderr


def recap(output, host="localhost"):
    """The PLAY RECAP counts of ``host`` in a run's output: {"ok": 3, "changed": 0, ...}."""
    line = next(ln for ln in output.splitlines() if ln.startswith(host) and "changed=" in ln)
    return {key: int(value) for key, value in (part.split("=") for part in line.split()[2:])}
