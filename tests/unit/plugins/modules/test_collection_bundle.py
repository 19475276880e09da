# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""collection_bundle: the collections and their dependencies found, packed and refused as a site's ansible-galaxy would."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tarfile
from pathlib import Path

from ansible_collections.horizon.ai_platform.plugins.modules import collection_bundle
from ansible_collections.horizon.ai_platform.tests.unit.plugins.modules.module_runner import run_module

BIN = Path(sys.executable).parent


def installed(root, name, version, dependencies=None, files=None):
    """An installed collection as Galaxy leaves it: its files, and MANIFEST.json and FILES.json that list them."""
    namespace, collection = name.split(".")
    path = root / "ansible_collections" / namespace / collection
    path.mkdir(parents=True)
    entries = [{"name": ".", "ftype": "dir", "chksum_type": None, "chksum_sha256": None, "format": 1}]
    for rel, data in (files or {"plugins/modules/x.py": b"# x\n"}).items():
        (path / rel).parent.mkdir(parents=True, exist_ok=True)
        (path / rel).write_bytes(data)
    for entry in collection_bundle.present_files(path)[1:]:
        entries.append(entry)
    files_json = json.dumps({"files": entries, "format": 1}).encode()
    (path / "FILES.json").write_bytes(files_json)
    info = {"namespace": namespace, "name": collection, "version": version, "dependencies": dependencies or {}}
    manifest = {
        "collection_info": info,
        "file_manifest_file": {
            "name": "FILES.json",
            "ftype": "file",
            "chksum_type": "sha256",
            "chksum_sha256": hashlib.sha256(files_json).hexdigest(),
            "format": 1,
        },
        "format": 1,
    }
    (path / "MANIFEST.json").write_text(json.dumps(manifest))
    return path


def run(capsys, **args):
    return run_module(collection_bundle.main, args, capsys, check_mode=args.pop("check_mode", False))


def test_dependencies_are_found_packed_and_install_offline(tmp_path, capsys):
    root = tmp_path / "site-packages"
    installed(root, "acme.app", "1.2.0", {"acme.base": ">=1.0.0,<2.0.0"})
    installed(root, "acme.base", "1.5.1")
    dest = tmp_path / "bundle"
    result, failed = run(capsys, names=["acme.app"], dest=str(dest), search_paths=[str(tmp_path / "nothing"), str(root)], check_mode=True)
    assert not failed and result["changed"] and not dest.exists()
    result, failed = run(capsys, names=["acme.app"], dest=str(dest), search_paths=[str(tmp_path / "nothing"), str(root)])
    assert not failed and result["changed"]
    assert [(c["name"], c["version"], c["origin"]) for c in result["collections"]] == [("acme.app", "1.2.0", "installed"), ("acme.base", "1.5.1", "installed")]
    # A copy that holds what its FILES.json lists is packed as it is: MANIFEST.json and FILES.json byte for byte.
    with tarfile.open(dest / "acme-base-1.5.1.tar.gz") as tar:
        assert tar.extractfile("FILES.json").read() == (root / "ansible_collections/acme/base/FILES.json").read_bytes()
    assert (dest / "requirements.yml").read_text().index("acme-base-1.5.1") < (dest / "requirements.yml").read_text().index("acme-app-1.2.0")

    result, failed = run(capsys, names=["acme.app"], dest=str(dest), search_paths=[str(root)])
    assert not failed and not result["changed"]

    target = tmp_path / "installed"
    proc = subprocess.run(
        [str(BIN / "ansible-galaxy"), "collection", "install", "--offline", "-r", "requirements.yml", "-p", str(target)],
        cwd=dest,
        capture_output=True,
        text=True,
        check=False,
        env={"ANSIBLE_COLLECTIONS_PATH": str(target), "PATH": str(BIN), "HOME": str(tmp_path)},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (target / "ansible_collections/acme/app/plugins/modules/x.py").is_file()


def test_a_copy_stripped_of_listed_files_is_repacked_to_install(tmp_path, capsys):
    root = tmp_path / "site-packages"
    path = installed(root, "acme.base", "1.0.0", files={"plugins/modules/x.py": b"# x\n", "tests/unit/test_x.py": b"# test\n"})
    (path / "tests/unit/test_x.py").unlink()  # as the ansible package strips tests
    dest = tmp_path / "bundle"
    result, failed = run(capsys, names=["acme.base"], dest=str(dest), search_paths=[str(root)])
    assert not failed and result["collections"][0]["origin"] == "installed, repacked"
    with tarfile.open(dest / "acme-base-1.0.0.tar.gz") as tar:
        listed = [e["name"] for e in json.load(tar.extractfile("FILES.json"))["files"]]
    assert "plugins/modules/x.py" in listed and "tests/unit/test_x.py" not in listed
    target = tmp_path / "installed"
    proc = subprocess.run(
        [str(BIN / "ansible-galaxy"), "collection", "install", "--offline", str(dest / "acme-base-1.0.0.tar.gz"), "-p", str(target)],
        capture_output=True,
        text=True,
        check=False,
        env={"ANSIBLE_COLLECTIONS_PATH": str(target), "PATH": str(BIN), "HOME": str(tmp_path)},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_missing_and_out_of_range_dependencies_are_named(tmp_path, capsys):
    root = tmp_path / "site-packages"
    installed(root, "acme.app", "1.2.0", {"acme.base": ">=2.0.0", "acme.gone": "*"})
    installed(root, "acme.base", "1.5.1")
    result, failed = run(capsys, names=["acme.app"], dest=str(tmp_path / "bundle"), search_paths=[str(root)])
    assert failed
    assert "acme.app needs acme.base >=2.0.0, and the one found in" in result["msg"] and "is 1.5.1" in result["msg"]
    assert f"acme.gone (needed by acme.app) is in none of {root}" in result["msg"]
    assert not (tmp_path / "bundle").exists()
    result, failed = run(capsys, names=["not-a-name"], dest=str(tmp_path / "bundle"), search_paths=[str(root)])
    assert failed and "'not-a-name' is not a collection name" in result["msg"]
