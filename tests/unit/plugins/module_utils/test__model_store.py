# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The store's path guard, flush and retention rules on their own (the module tests cover them end to end)."""

from __future__ import annotations

import errno
import os

import pytest

from ansible_collections.horizon.ai_platform.plugins.module_utils import _model_store
from ansible_collections.horizon.ai_platform.plugins.module_utils._model_store import StoreError, inside, prune_victims, sync_filesystem


def test_inside_joins_paths_below_the_base(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    assert inside(str(tmp_path), "a/b/c.json") == str(tmp_path / "a" / "b" / "c.json")
    # Directories that do not exist yet are fine: the store creates them itself.
    assert inside(str(tmp_path), "x/y/z") == str(tmp_path / "x" / "y" / "z")


def test_inside_follows_a_base_that_is_itself_a_link(tmp_path):
    (tmp_path / "disk" / "a").mkdir(parents=True)
    os.symlink(tmp_path / "disk", tmp_path / "store")  # a store on another disk, reached through a link
    assert inside(str(tmp_path / "store"), "a/f") == str(tmp_path / "store" / "a" / "f")


@pytest.mark.parametrize("link_target", ["outside", "base/inner"], ids=["leads-out", "stays-in"])
def test_inside_refuses_a_symbolic_link_on_the_way(tmp_path, link_target):
    base = tmp_path / "base"
    (base / "inner").mkdir(parents=True)
    (tmp_path / "outside").mkdir()
    os.symlink(tmp_path / link_target, base / "a")
    with pytest.raises(StoreError, match=r"refusing 'a/f': .*/base/a is a symbolic link"):
        inside(str(base), "a/f")


def test_inside_refuses_a_link_in_the_files_place(tmp_path):
    os.symlink("/etc/passwd", tmp_path / "f")
    with pytest.raises(StoreError, match="a symbolic link is in its place"):
        inside(str(tmp_path), "f")


def test_sync_filesystem_flushes_with_syncfs(tmp_path):
    (tmp_path / "f").write_bytes(b"x")
    sync_filesystem(str(tmp_path))
    assert _model_store._libc_syncfs()[0] is not None  # this machine's libc has syncfs(2)


def test_sync_filesystem_reports_a_write_back_error(tmp_path, monkeypatch):
    monkeypatch.setattr(_model_store, "_libc_syncfs", lambda: (lambda fd: -1, lambda: errno.EIO))
    with pytest.raises(OSError, match=r"flushing .* to disk failed"):
        sync_filesystem(str(tmp_path))


def test_sync_filesystem_falls_back_to_sync(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(_model_store, "_libc_syncfs", lambda: (None, None))
    monkeypatch.setattr(os, "sync", lambda: calls.append("sync"))
    sync_filesystem(str(tmp_path))
    assert calls == ["sync"]


@pytest.mark.parametrize(
    ("revisions", "keep", "current", "previous", "victims"),
    [
        (["a", "b", "c"], 0, "c", "b", []),
        (["a", "b", "c"], 1, "c", "b", ["a", "b"]),
        (["a", "b", "c"], 2, "c", "b", ["a"]),
        # The previous revision is older than another one: it is the one kept, to roll back to.
        (["a", "b", "c"], 2, "c", "a", ["b"]),
        (["a", "b", "c"], 3, "c", "a", []),
        # In check mode the new revision is not published yet; it counts as current all the same.
        (["a", "b"], 2, "n", "b", ["a"]),
        (["a", "b", "c"], 2, "c", None, ["a"]),
    ],
)
def test_prune_victims(revisions, keep, current, previous, victims):
    assert prune_victims(revisions, keep, current, previous) == victims
