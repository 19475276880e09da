# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""bundle_manifest: what it records of a bundle, and what it finds when the bundle changed on the way."""

from __future__ import annotations

import hashlib
import json
import os
import socket

from ansible_collections.horizon.ai_platform.plugins.modules import bundle_manifest
from ansible_collections.horizon.ai_platform.tests.unit.plugins.modules.module_runner import run_module


def run(capsys, **args):
    check_mode = args.pop("check_mode", False)
    diff = args.pop("diff", False)
    return run_module(bundle_manifest.main, args, capsys, check_mode=check_mode, diff=diff)


def make_bundle(root):
    (root / "models" / "m" / "rev1").mkdir(parents=True)
    (root / "models" / "m" / "rev1" / "w.bin").write_bytes(b"\x00\x01" * 5000)
    os.symlink("rev1", root / "models" / "m" / "current")
    (root / "collections").mkdir()
    (root / "collections" / "a-b-1.0.0.tar.gz").write_bytes(b"tarball")
    return root


def test_present_lists_every_file_and_link_then_is_unchanged(tmp_path, capsys):
    root = make_bundle(tmp_path / "bundle")
    result, failed = run(capsys, path=str(root), content={"fleet": "fra"}, check_mode=True, diff=True)
    assert not failed and result["changed"] and not (root / "manifest.json").exists()
    assert "models/m/rev1/w.bin" in result["diff"]["after"] and result["diff"]["before"] == ""

    result, failed = run(capsys, path=str(root), content={"fleet": "fra"})
    assert not failed and result["changed"] and result["files"] == 3 and result["bytes"] == 10007
    manifest = json.loads((root / "manifest.json").read_text())
    files = {e["path"]: e for e in manifest["files"]}
    assert files["models/m/current"] == {"path": "models/m/current", "link": "rev1"}
    assert files["models/m/rev1/w.bin"]["sha256"] == hashlib.sha256(b"\x00\x01" * 5000).hexdigest()
    assert manifest["content"] == {"fleet": "fra"}

    result, failed = run(capsys, path=str(root), content={"fleet": "fra"})
    assert not failed and not result["changed"]
    result, failed = run(capsys, path=str(root), state="verified")
    assert not failed and not result["changed"] and result["content"] == {"fleet": "fra"} and result["files"] == 3


def test_verified_names_every_difference(tmp_path, capsys):
    root = make_bundle(tmp_path / "bundle")
    run(capsys, path=str(root))
    (root / "models" / "m" / "rev1" / "w.bin").write_bytes(b"\x00\x01" * 4999 + b"\x00\x02")  # same size, one byte
    (root / "collections" / "a-b-1.0.0.tar.gz").unlink()
    (root / "collections" / "extra.txt").write_text("?")
    os.unlink(root / "models" / "m" / "current")
    os.symlink("rev2", root / "models" / "m" / "current")
    result, failed = run(capsys, path=str(root), state="verified")
    assert failed
    assert "models/m/rev1/w.bin has SHA-256" in result["msg"]
    assert "collections/a-b-1.0.0.tar.gz is missing" in result["msg"]
    assert "collections/extra.txt is not in the manifest" in result["msg"]
    assert "models/m/current should link to rev1" in result["msg"]


def test_bad_bundles_are_clear_errors(tmp_path, capsys):
    root = make_bundle(tmp_path / "bundle")
    result, failed = run(capsys, path=str(root), state="verified")
    assert failed and "manifest.json does not exist" in result["msg"]
    (root / "manifest.json").write_text("{not json")
    result, failed = run(capsys, path=str(root), state="verified")
    assert failed and "is not valid JSON" in result["msg"] and "damaged" in result["msg"]
    (root / "manifest.json").unlink()

    os.symlink("/etc/passwd", root / "collections" / "escape")
    result, failed = run(capsys, path=str(root))
    assert failed and "collections/escape links to /etc/passwd, outside the bundle" in result["msg"]
    os.unlink(root / "collections" / "escape")

    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(root / "collections" / "sock"))
    try:
        result, failed = run(capsys, path=str(root))
    finally:
        sock.close()
    assert failed and "collections/sock is neither a file nor a link" in result["msg"]
    assert not (root / "manifest.json").exists()

    result, failed = run(capsys, path=str(tmp_path / "absent"))
    assert failed and "is not a directory" in result["msg"]
    # In check mode, a folder the play would have made first.
    result, failed = run(capsys, path=str(tmp_path / "absent"), check_mode=True)
    assert not failed and result["changed"] and result["files"] == 0 and not (tmp_path / "absent").exists()
