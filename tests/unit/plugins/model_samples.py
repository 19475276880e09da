# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Sample model trees for model_sync tests: a few files of the shapes real models have."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def sample_files(big=3 * 1024 * 1024 + 17, seed=b"horizon"):
    """A small model: weights in two shards, configs, a tokenizer in a sub-directory."""
    block = hashlib.sha256(seed).digest() * 32  # 1 KiB of reproducible bytes
    weights = (block * (big // len(block) + 1))[:big]
    return {
        "config.json": b'{"architectures": ["LlamaForCausalLM"], "hidden_size": 64}\n',
        "generation_config.json": b'{"max_new_tokens": 64}\n',
        "model-00001-of-00002.safetensors": weights,
        "model-00002-of-00002.safetensors": weights[: len(weights) // 3][::-1],
        "pytorch_model.bin": weights[:4096],
        "tokenizer/tokenizer.json": b'{"model": {"type": "BPE"}}\n',
        "tokenizer/special_tokens_map.json": b'{"eos_token": "</s>"}\n',
    }


def sha256sums(files):
    return "".join(f"{hashlib.sha256(content).hexdigest()}  {path}\n" for path, content in sorted(files.items()))


def write_model(root, files, checksums="SHA256SUMS"):
    """Write ``files`` under ``root`` and, unless ``checksums`` is None, their checksum list."""
    root = str(root)
    for path, content in files.items():
        full = os.path.join(root, *path.split("/"))
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as f:
            f.write(content)
    if checksums:
        with open(os.path.join(root, checksums), "w", encoding="utf-8") as f:
            f.write(sha256sums(files))
    return Path(root)


def read_tree(root):
    """Every regular file under ``root`` as ``{relative path: bytes}``."""
    found = {}
    for dirpath, _dirs, filenames in os.walk(root):
        for fn in filenames:
            full = os.path.join(dirpath, fn)
            with open(full, "rb") as f:
                found[os.path.relpath(full, root).replace(os.sep, "/")] = f.read()
    return found
