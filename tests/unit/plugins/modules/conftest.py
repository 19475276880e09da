# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures the model_sync tests share: a sample model, its source directory, a store, a mirror serving it."""

from __future__ import annotations

import pytest

from ansible_collections.horizon.ai_platform.plugins.module_utils import _model_sync
from ansible_collections.horizon.ai_platform.tests.servers.http_mirror import serve
from ansible_collections.horizon.ai_platform.tests.unit.plugins.model_samples import sample_files, write_model


@pytest.fixture
def files():
    return sample_files()


@pytest.fixture
def source(tmp_path, files):
    return write_model(tmp_path / "src", files)


@pytest.fixture
def store(tmp_path):
    return tmp_path / "store"


@pytest.fixture
def mirror(source):
    with serve(source) as server:
        yield server


@pytest.fixture(params=["inline", "thread"])
def hashing(request, monkeypatch):
    """Run a test with files hashed in the transfer thread, then in a hashing thread of their own.

    model_sync hashes only files of ``HASH_THREAD_BYTES`` or more in a thread of their own; the sample
    model's files are smaller, so the threshold is lowered to reach that path too.
    """
    monkeypatch.setattr(_model_sync, "HASH_THREAD_BYTES", 0 if request.param == "thread" else 1 << 62)
    return request.param
