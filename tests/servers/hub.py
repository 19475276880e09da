# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A Hugging Face-compatible hub on loopback: olah (PyPI), serving local git repositories offline.

olah is a self-hosted hub mirror; with ``offline = true`` and ``mirrors-path`` it serves git
repositories laid out as ``<mirrors>/models/<org>/<name>`` through the hub's HTTP API, which the
real huggingface_hub client talks to. LFS files are read from ``.git/lfs/objects`` of a non-bare
repository; ``LocalRepo`` writes LFS pointers and objects itself, so git-lfs is not needed.

What olah does not do (see docs/model-sync.md): answer ``Range`` requests (it sends the whole
file), list file sizes in ``model_info(files_metadata=True)`` (``list_repo_tree`` does), or serve
``model_info`` without a revision.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
import sys

from ansible_collections.horizon.ai_platform.tests.servers.process import free_port, server_process
from ansible_collections.horizon.ai_platform.tests.servers.tls import probe_context

LFS_POINTER = "version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize {size}\n"


class LocalRepo:
    """A non-bare git repository with LFS-tracked weights, as a hub stores a model."""

    def __init__(self, mirrors, repo_id):
        self.path = os.path.join(mirrors, "models", *repo_id.split("/"))
        os.makedirs(self.path)
        self.git("init", "-q", "-b", "main")
        self.git("config", "user.email", "tests@horizon.invalid")
        self.git("config", "user.name", "horizon tests")
        self.write(".gitattributes", b"*.safetensors filter=lfs diff=lfs merge=lfs -text\n*.bin filter=lfs diff=lfs merge=lfs -text\n")

    def git(self, *args):
        env = dict(os.environ, GIT_CONFIG_NOSYSTEM="1", HOME=self.path)
        return subprocess.run(["git", "-C", self.path, *args], check=True, capture_output=True, text=True, env=env).stdout.strip()

    def write(self, path, content):
        full = os.path.join(self.path, *path.split("/"))
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as f:
            f.write(content)

    def lfs_object(self, oid):
        return os.path.join(self.path, ".git", "lfs", "objects", oid[:2], oid[2:4], oid)

    def write_lfs(self, path, content):
        oid = hashlib.sha256(content).hexdigest()
        obj = self.lfs_object(oid)
        os.makedirs(os.path.dirname(obj), exist_ok=True)
        with open(obj, "wb") as f:
            f.write(content)
        self.write(path, LFS_POINTER.format(oid=oid, size=len(content)).encode())

    def commit(self, files, message, tag=None):
        """Write ``files`` (LFS for .safetensors and .bin), commit, optionally tag; return the commit id."""
        for path, content in files.items():
            if path.endswith((".safetensors", ".bin")):
                self.write_lfs(path, content)
            else:
                self.write(path, content)
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)
        if tag:
            self.git("tag", tag)
        return self.git("rev-parse", "HEAD")


@contextlib.contextmanager
def olah_hub(workdir, log=None, tls=None):
    """Run olah offline on a free port over ``<workdir>/mirrors``; yield ``(endpoint, mirrors)``.

    With ``tls=(certificate, key, ca)`` olah (uvicorn) serves HTTPS with that certificate; ``ca``
    is the CA file the readiness check trusts.
    """
    mirrors = os.path.join(workdir, "mirrors")
    os.makedirs(os.path.join(mirrors, "models"), exist_ok=True)
    port = free_port()
    config = os.path.join(workdir, "olah.toml")
    scheme = "https" if tls else "http"
    basic = [
        'host = "127.0.0.1"',
        f"port = {port}",
        f'repos-path = "{workdir}/cache"',
        f'mirror-scheme = "{scheme}"',
        f'mirror-netloc = "127.0.0.1:{port}"',
        f'mirror-lfs-netloc = "127.0.0.1:{port}"',
        f'mirrors-path = ["{mirrors}"]',
        "metadata-cache-ttl = 0",
    ]
    if tls:
        basic += [f'ssl-cert = "{tls[0]}"', f'ssl-key = "{tls[1]}"']
    with open(config, "w", encoding="utf-8") as f:
        f.write("[basic]\n" + "\n".join(basic) + "\n[accessibility]\noffline = true\n")
    exe = shutil.which("olah-cli") or os.path.join(os.path.dirname(sys.executable), "olah-cli")
    argv = [exe, "-c", config, "--log-path", os.path.join(workdir, "logs")]
    endpoint = f"{scheme}://127.0.0.1:{port}"
    context = probe_context(tls[2]) if tls else None
    with server_process(argv, endpoint + "/api/models/none/none/revision/main", log=log, cwd=workdir, context=context):
        yield endpoint, mirrors
