# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What model_sync reports about a sync: files, bytes, and where the bytes came from.

``files`` and ``bytes`` describe the revision as published (a generated checksum list included);
``transferred_bytes``, ``resumed_bytes`` and ``reused_bytes`` say where the files' bytes came from
in this run, so they add up to ``bytes`` (less a generated checksum list) when no file was found
complete in staging. A resumed file that starts over counts as transferred in full and as nothing
resumed.
"""

from __future__ import annotations

import json
import os

import pytest
from ansible.module_utils.basic import AnsibleModule

from ansible_collections.horizon.ai_platform.plugins.modules import model_sync
from ansible_collections.horizon.ai_platform.tests.servers.http_mirror import serve
from ansible_collections.horizon.ai_platform.tests.unit.plugins.model_samples import read_tree, sha256sums, write_model
from ansible_collections.horizon.ai_platform.tests.unit.plugins.modules.module_runner import run_module

BIG = "model-00001-of-00002.safetensors"


def sync(capsys, check_mode=False, **args):
    return run_module(model_sync.main, args, capsys, check_mode=check_mode)


@pytest.fixture
def warnings(monkeypatch):
    """The module's warnings, as it gives them (ansible-core's own record depends on what ran before in the process)."""
    seen = []
    monkeypatch.setattr(AnsibleModule, "warn", lambda self, msg, *args, **kwargs: seen.append(msg))
    return seen


def on_disk(store, name="m"):
    """``(files, bytes)`` of the current revision as it is on disk."""
    tree = read_tree(store / name / "current")
    return len(tree), sum(len(c) for c in tree.values())


def manifest(store, revision, name="m"):
    return json.loads((store / name / f"{revision}.manifest.json").read_text())


def big_gets(server):
    return [r for r in server.requests if r[0] == "GET" and r[1] == "/" + BIG]


def progress(store, name="m"):
    return json.loads((store / name / ".staging" / "progress.json").read_text())


def model_bytes(files):
    return sum(len(c) for c in files.values())


# --------------------------------------------------------------------------- write_checksums


def test_write_checksums_counts_the_list_in_files_and_bytes_on_every_run(capsys, mirror, store, files):
    """The generated list is part of the revision and of its manifest: files and bytes count it, in every mode."""
    args = dict(src=mirror.url, name="m", dest=str(store), write_checksums=True)
    planned, failed = sync(capsys, check_mode=True, **args)
    assert not failed, planned
    result, failed = sync(capsys, **args)
    assert not failed, result
    sums = (store / "m" / "current" / "SHA256SUMS").read_bytes()
    assert sums.decode() == sha256sums(files)
    expected = (len(files) + 1, model_bytes(files) + len(sums))
    assert on_disk(store) == expected
    recorded = manifest(store, result["revision"])
    assert (len(recorded["files"]), recorded["bytes"]) == expected
    assert (result["files"], result["bytes"]) == expected
    assert (planned["files"], planned["bytes"]) == expected  # check mode knows the list's size from the paths
    again, failed = sync(capsys, **args)
    assert not failed and not again["changed"]
    assert (again["files"], again["bytes"]) == expected
    # The list is generated, not transferred.
    assert result["transferred_bytes"] == model_bytes(files)


def test_write_checksums_set_on_a_published_revision_adds_the_list(capsys, mirror, store, files, tmp_path):
    """A revision synced without the list, then with write_checksums: the list appears, nothing is transferred."""
    first, failed = sync(capsys, src=mirror.url, name="m", dest=str(store))
    assert not failed and "SHA256SUMS" not in read_tree(store / "m" / "current")
    mirror.requests.clear()
    args = dict(src=mirror.url, name="m", dest=str(store), write_checksums=True)
    result, failed = sync(capsys, **args)
    assert not failed, result
    assert result["changed"] and result["revision"] == first["revision"] and result["repaired"] == []
    assert result["transferred_bytes"] == 0 and result["reused_bytes"] == model_bytes(files)
    assert [r[1] for r in mirror.requests] == ["/SHA256SUMS"]
    assert read_tree(store / "m" / "current") == dict(files, SHA256SUMS=sha256sums(files).encode())
    assert any(e["path"] == "SHA256SUMS" and e.get("generated") for e in manifest(store, result["revision"])["files"])
    again, failed = sync(capsys, **args)
    assert not failed and not again["changed"]
    # The store now serves as a mirror.
    with serve(store / "m" / "current") as regional:
        downstream, failed = sync(capsys, src=regional.url, name="m", dest=str(tmp_path / "node"))
    assert not failed and downstream["revision"] == first["revision"]


# --------------------------------------------------------------------------- resumed files that start over


def test_resumed_file_that_fails_verification_counts_as_transferred_in_full(capsys, mirror, store, files, warnings):
    args = dict(src=mirror.url, name="m", dest=str(store), parallel=1)
    planned, _failed = sync(capsys, check_mode=True, **args)
    half = len(files[BIG]) // 2
    # What a crash can leave: a partial file whose bytes never reached the disk intact.
    partial = store / "m" / ".staging" / planned["revision"] / "partial" / BIG
    partial.parent.mkdir(parents=True)
    partial.write_bytes(bytes(b ^ 0xFF for b in files[BIG][:half]))
    result, failed = sync(capsys, **args)
    assert not failed, result
    assert any(BIG in w and "did not verify" in w for w in warnings), warnings
    # Resumed from its half, then fetched again from the start.
    assert big_gets(mirror) == [("GET", "/" + BIG, f"bytes={half}-"), ("GET", "/" + BIG, None)]
    assert result["resumed_bytes"] == 0
    assert result["transferred_bytes"] == result["bytes"] == model_bytes(files)
    assert progress(store)["bytes_done"] == progress(store)["bytes_total"] == result["bytes"]
    assert read_tree(store / "m" / "current") == files


def sync_from_half(capsys, mirror, store, files):
    """Sync with the first half of the large file already in staging, as an interrupted run leaves it."""
    args = dict(src=mirror.url, name="m", dest=str(store), parallel=1)
    planned, _failed = sync(capsys, check_mode=True, **args)
    partial = store / "m" / ".staging" / planned["revision"] / "partial" / BIG
    partial.parent.mkdir(parents=True)
    partial.write_bytes(files[BIG][: len(files[BIG]) // 2])
    return sync(capsys, **args)


def test_server_ignoring_range_counts_the_file_as_transferred_not_resumed(capsys, source, store, files):
    half = len(files[BIG]) // 2
    with serve(source, ignore_range=True) as mirror:
        result, failed = sync_from_half(capsys, mirror, store, files)
        assert not failed, result
        assert big_gets(mirror) == [("GET", "/" + BIG, f"bytes={half}-")]  # asked for the rest, sent the whole
    assert result["resumed_bytes"] == 0
    assert result["transferred_bytes"] == result["bytes"] == model_bytes(files)
    assert progress(store)["bytes_done"] == progress(store)["bytes_total"]
    assert read_tree(store / "m" / "current") == files


def test_corrupt_file_sent_whole_despite_range_fails_after_one_download(capsys, source, store, files, warnings):
    """Nothing of the earlier run was used, so there is no reason to fetch the file once more."""
    half = len(files[BIG]) // 2
    data = bytearray(files[BIG])
    data[-1] ^= 0x01
    (source / BIG).write_bytes(bytes(data))
    with serve(source, ignore_range=True) as mirror:
        result, failed = sync_from_half(capsys, mirror, store, files)
        assert big_gets(mirror) == [("GET", "/" + BIG, f"bytes={half}-")]
    assert failed and "checksum mismatch" in result["msg"] and BIG in result["msg"]
    assert not [w for w in warnings if "did not verify" in w], warnings


def test_partial_file_larger_than_the_file_starts_over(capsys, mirror, store, files):
    """A named revision's staging can hold a partial of other content, longer than the file now listed."""
    partial = store / "m" / ".staging" / "v1" / "partial" / BIG
    partial.parent.mkdir(parents=True)
    partial.write_bytes(os.urandom(len(files[BIG]) + 4096))
    result, failed = sync(capsys, src=mirror.url, name="m", dest=str(store), revision="v1", parallel=1)
    assert not failed, result
    assert big_gets(mirror) == [("GET", "/" + BIG, None)]
    assert result["resumed_bytes"] == 0
    assert result["transferred_bytes"] == result["bytes"] == model_bytes(files)
    assert progress(store)["bytes_done"] == progress(store)["bytes_total"]
    assert read_tree(store / "m" / "current") == files


def test_counts_add_up_after_a_plain_resume(capsys, mirror, store, files):
    """The ordinary case stays as it was: the resumed prefix counts as resumed, the rest as transferred."""
    size = len(files[BIG])
    mirror.drop_next(size // 3, "/" + BIG)
    _result, failed = sync(capsys, src=mirror.url, name="m", dest=str(store), parallel=1)
    assert failed
    result, failed = sync(capsys, src=mirror.url, name="m", dest=str(store), parallel=1)
    assert not failed, result
    assert result["resumed_bytes"] == size // 3
    assert result["transferred_bytes"] + result["resumed_bytes"] + result["reused_bytes"] == result["bytes"]
    assert progress(store)["bytes_done"] == progress(store)["bytes_total"]


def test_progress_counts_hard_linked_files_as_done(capsys, mirror, source, store, files):
    """A new revision that reuses all files but one: the progress file ends with every file done."""
    first, failed = sync(capsys, src=mirror.url, name="m", dest=str(store))
    assert not failed, first
    write_model(source, dict(files, **{"config.json": b'{"hidden_size": 65}\n'}))
    result, failed = sync(capsys, src=mirror.url, name="m", dest=str(store))
    assert not failed and result["reused_bytes"] > 0 and result["transferred_bytes"] == len(b'{"hidden_size": 65}\n')
    done = progress(store)
    assert done["state"] == "done"
    assert done["files_done"] == done["files_total"] == len(files)
    assert done["bytes_done"] == done["bytes_total"] == result["bytes"]
