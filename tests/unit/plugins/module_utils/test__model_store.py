# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The store's path guard, flush and retention rules on their own (the module tests cover them end to end)."""

from __future__ import annotations

import errno
import os

import pytest

from ansible_collections.horizon.ai_platform.plugins.module_utils import _model_store
from ansible_collections.horizon.ai_platform.plugins.module_utils._model_store import (
    StoreError,
    WriteBehind,
    inside,
    prune_victims,
    sync_filesystem,
)


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
    assert _model_store._libc_function("syncfs", "c_int")[0] is not None  # this machine's libc has syncfs(2)


def test_sync_filesystem_reports_a_write_back_error(tmp_path, monkeypatch):
    monkeypatch.setattr(_model_store, "_libc_function", lambda name, *types: (lambda fd: -1, lambda: errno.EIO))
    with pytest.raises(OSError, match=r"flushing .* to disk failed"):
        sync_filesystem(str(tmp_path))


def test_sync_filesystem_falls_back_to_sync(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setattr(_model_store, "_libc_function", lambda name, *types: (None, None))
    monkeypatch.setattr(os, "sync", lambda: calls.append("sync"))
    sync_filesystem(str(tmp_path))
    assert calls == ["sync"]


def _write_with(behind, out, blocks):
    for block in blocks:
        out.write(block)
        out.flush()  # Python's buffer: the kernel must see the bytes before their write-back starts
        behind.wrote(len(block))


def test_write_behind_starts_write_back_window_by_window(tmp_path):
    calls = []
    behind = WriteBehind(None, 0, window=64 * 1024)
    real = behind.func
    assert real is not None  # this machine's libc has sync_file_range(2)

    def recording(fd, offset, length, flags):
        calls.append((offset, length, flags))
        return real(fd, offset, length, flags)

    behind.func = recording
    blocks = [os.urandom(40 * 1024) for _n in range(10)]  # 400 KiB in 40 KiB writes
    with open(tmp_path / "f", "wb") as out:
        behind.fd = out.fileno()
        _write_with(behind, out, blocks)
    assert (tmp_path / "f").read_bytes() == b"".join(blocks)
    started = [(offset, length) for offset, length, flags in calls if flags == 2]
    waited = [(offset, length) for offset, length, flags in calls if flags == 7]
    # Windows of at least 64 KiB, back to back from the start, the tail left to the final fsync.
    assert started == [(0, 80 * 1024), (80 * 1024, 80 * 1024), (160 * 1024, 80 * 1024), (240 * 1024, 80 * 1024), (320 * 1024, 80 * 1024)]
    # Each window is waited for once the next one has been started: at most two are in flight.
    assert waited == started[:-1]


def test_write_behind_resumes_at_the_partial_files_end(tmp_path):
    calls = []
    behind = WriteBehind(None, 1000, window=64 * 1024)
    behind.func = lambda fd, offset, length, flags: calls.append((offset, length, flags)) or 0
    behind.wrote(64 * 1024)
    assert calls == [(1000, 64 * 1024, 2)]


def test_write_behind_stops_asking_once_the_kernel_refuses(tmp_path):
    calls = []
    behind = WriteBehind(None, 0, window=16)
    behind.func = lambda fd, offset, length, flags: calls.append(offset) or -1  # e.g. EINVAL from a file system
    for _n in range(5):
        behind.wrote(16)
    assert calls == [0]
    assert behind.func is None


def test_write_behind_without_sync_file_range_does_nothing(monkeypatch):
    monkeypatch.setattr(_model_store, "_libc_function", lambda name, *types: (None, None))
    behind = WriteBehind(3, 0, window=16)
    behind.wrote(1 << 20)  # fd 3 is never touched
    assert behind.func is None and behind.pending is None


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
