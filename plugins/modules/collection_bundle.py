#!/usr/bin/python
# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: collection_bundle
short_description: Put collections and everything they depend on into a directory, as installable tarballs
version_added: 0.1.0
description:
  - For an air-gapped site - finds each collection of O(names) and, recursively, the collections it depends on (its
    C(MANIFEST.json) or C(galaxy.yml)) in O(search_paths), and writes each as a collection tarball to O(dest), with a
    C(requirements.yml) that installs them all offline (C(ansible-galaxy collection install -r requirements.yml)).
  - A collection installed from Galaxy or Automation Hub (it has C(MANIFEST.json) and C(FILES.json)) is packed as it
    is installed, byte for byte the same tarball on every run. The C(ansible) package strips tests and CI files from
    the collections it carries; their C(FILES.json) is written anew for the files present, so that C(ansible-galaxy)
    installs them. A source checkout (it has C(galaxy.yml)) is built with C(ansible-galaxy collection build), whose
    build ignores apply.
  - A dependency that is not found fails the module, naming the collection that needs it and the paths searched; a
    version that does not satisfy a dependency's range is reported, as the site's C(ansible-galaxy) would refuse it.
  - "Runs where the collections are, normally the controller (C(delegate_to: localhost))."
author:
  - horizon.ai_platform maintainers (@horizon-ai-platform)
extends_documentation_fragment:
  - horizon.ai_platform.attributes
attributes:
  check_mode:
    support: full
    details:
      - Finds and resolves the collections and reports which tarballs it would write; writes nothing.
  diff_mode:
    support: full
    details:
      - The tarballs in O(dest) before and after, one per line.
  idempotent:
    support: full
    details:
      - An installed collection packs to the same bytes every time; a built one whose files did not change (its
        C(FILES.json)) leaves the tarball in place.
options:
  names:
    description: The collections to bundle, as C(namespace.name).
    type: list
    elements: str
    default: [horizon.ai_platform]
  dest:
    description: The directory to write the tarballs and C(requirements.yml) to; created when missing.
    type: path
    required: true
  search_paths:
    description:
      - Where collections are installed - each a directory holding C(ansible_collections), as in
        C(COLLECTIONS_PATHS). The first path holding a collection wins, as in Ansible itself.
    type: list
    elements: path
    required: true
  dependencies:
    description: Also bundle the collections O(names) depend on, and theirs.
    type: bool
    default: true
seealso:
  - module: horizon.ai_platform.bundle_manifest
"""

EXAMPLES = r"""
- name: Bundle this collection and its dependencies, from the controller's own collections
  horizon.ai_platform.collection_bundle:
    dest: /srv/bundles/site-fra/collections
    search_paths: "{{ lookup('ansible.builtin.config', 'COLLECTIONS_PATHS') }}"
  delegate_to: localhost
"""

RETURN = r"""
collections:
  description: The collections bundled, dependencies after what needs them.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The collection's C(namespace.name).
      type: str
    version:
      description: Its version.
      type: str
    file:
      description: The tarball's file name in O(dest).
      type: str
    origin:
      description:
        - V(installed) (packed as installed), V(installed, repacked) (installed without some of the files its
          C(FILES.json) lists, as the C(ansible) package's collections are - C(FILES.json) rewritten for the files
          present), or V(source) (built from C(galaxy.yml)).
      type: str
    sha256:
      description: The tarball's SHA-256.
      type: str
  sample: [{name: horizon.ai_platform, version: 0.1.0, file: horizon-ai_platform-0.1.0.tar.gz, origin: source}]
requirements:
  description: The path of the C(requirements.yml) written.
  returned: always
  type: str
"""

import gzip
import hashlib
import io
import json
import os
import shutil
import sys
import tarfile
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.compat.version import LooseVersion

from ansible_collections.horizon.ai_platform.plugins.module_utils._staged_write import write_file

try:
    import yaml
except ImportError:  # pragma: no cover - ansible-core requires PyYAML
    yaml = None


class BundleError(Exception):
    pass


def locate(name, search_paths):
    """(path, metadata, origin) of the first installed or source copy of ``name``."""
    namespace, _sep, collection = name.partition(".")
    if not namespace or not collection or "." in collection:
        raise BundleError(f"{name!r} is not a collection name (namespace.name)")
    for root in search_paths:
        path = os.path.join(root, "ansible_collections", namespace, collection)
        if os.path.isfile(os.path.join(path, "MANIFEST.json")):
            with open(os.path.join(path, "MANIFEST.json"), encoding="utf-8") as f:
                info = json.load(f)["collection_info"]
            return os.path.realpath(path), {"version": info["version"], "dependencies": info.get("dependencies") or {}}, "installed"
        if os.path.isfile(os.path.join(path, "galaxy.yml")):
            with open(os.path.join(path, "galaxy.yml"), encoding="utf-8") as f:
                info = yaml.safe_load(f)
            return os.path.realpath(path), {"version": str(info["version"]), "dependencies": info.get("dependencies") or {}}, "source"
    return None


def satisfies(version, spec):
    """Whether ``version`` meets a dependency range of galaxy.yml (``*``, ``>=1.2.0``, ``>=1,<2``, ``1.2.3``)."""
    for each in str(spec).split(","):
        part = each.strip()
        if part in ("*", ""):
            continue
        for op in (">=", "<=", "!=", "==", ">", "<", "="):
            if part.startswith(op):
                bound = part[len(op) :].strip()
                break
        else:
            op, bound = "==", part
        have, want = LooseVersion(version), LooseVersion(bound)
        ok = {
            ">=": have >= want,
            "<=": have <= want,
            ">": have > want,
            "<": have < want,
            "!=": have != want,
            "==": have == want,
            "=": have == want,
        }[op]
        if not ok:
            return False
    return True


def resolve(names, search_paths, with_dependencies):
    """The collections to bundle, in order; problems (not found, version out of range) raise BundleError."""
    order, seen, problems = [], {}, []
    queue = [(name, None, None) for name in names]
    while queue:
        name, needed_by, spec = queue.pop(0)
        if name in seen:
            if spec and not satisfies(seen[name]["version"], spec):
                problems.append(f"{needed_by} needs {name} {spec}, and the one found is {seen[name]['version']}")
            continue
        found = locate(name, search_paths)
        if found is None:
            who = f" (needed by {needed_by})" if needed_by else ""
            problems.append(f"{name}{who} is in none of {', '.join(search_paths)}")
            continue
        path, meta, origin = found
        if spec and not satisfies(meta["version"], spec):
            problems.append(f"{needed_by} needs {name} {spec}, and the one found in {path} is {meta['version']}")
        entry = {"name": name, "version": meta["version"], "path": path, "origin": origin}
        seen[name] = entry
        order.append(entry)
        if with_dependencies:
            queue.extend((dep, name, dep_spec) for dep, dep_spec in sorted(meta["dependencies"].items()))
    if problems:
        raise BundleError("cannot bundle the collections: " + "; ".join(problems))
    return order


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def present_files(path):
    """FILES.json entries of what is in an installed collection's directory (bytecode left out)."""
    entries = [{"name": ".", "ftype": "dir", "chksum_type": None, "chksum_sha256": None, "format": 1}]
    for directory, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in dirs:
            rel = os.path.relpath(os.path.join(directory, name), path)
            entries.append({"name": rel, "ftype": "dir", "chksum_type": None, "chksum_sha256": None, "format": 1})
        for name in sorted(files):
            full = os.path.join(directory, name)
            rel = os.path.relpath(full, path)
            if rel in ("MANIFEST.json", "FILES.json") or name.endswith(".pyc"):
                continue
            entries.append({"name": rel, "ftype": "file", "chksum_type": "sha256", "chksum_sha256": sha256_file(full), "format": 1})
    return entries


def installed_metadata(path):
    """(MANIFEST.json, FILES.json, repacked) for an installed collection.

    A copy installed from Galaxy or Automation Hub holds exactly the files its FILES.json lists: both are kept as they
    are. The ``ansible`` package strips tests and CI files from the collections it carries, so their FILES.json lists
    files that are not there and ansible-galaxy would refuse the tarball: FILES.json is then written anew for the files
    present, and MANIFEST.json's checksum of it with it.
    """
    with open(os.path.join(path, "MANIFEST.json"), "rb") as f:
        manifest_bytes = f.read()
    with open(os.path.join(path, "FILES.json"), "rb") as f:
        files_bytes = f.read()
    listed = sorted((e["name"], e["ftype"], e.get("chksum_sha256")) for e in json.loads(files_bytes)["files"])
    present = present_files(path)
    if listed == sorted((e["name"], e["ftype"], e["chksum_sha256"]) for e in present):
        return manifest_bytes, files_bytes, False
    files_bytes = json.dumps({"files": present, "format": 1}, indent=4).encode()
    manifest = json.loads(manifest_bytes)
    manifest["file_manifest_file"]["chksum_sha256"] = hashlib.sha256(files_bytes).hexdigest()
    return json.dumps(manifest, indent=4).encode(), files_bytes, True


def pack_installed(path):
    """The tarball of an installed collection, the same bytes every time (sorted, owner 0, times of the files)."""
    manifest_bytes, files_bytes, repacked = installed_metadata(path)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in (("MANIFEST.json", manifest_bytes), ("FILES.json", files_bytes)):
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, int(os.stat(os.path.join(path, name)).st_mtime)
            tar.addfile(info, io.BytesIO(data))
        for entry in json.loads(files_bytes)["files"]:
            if entry["name"] == ".":
                continue
            full = os.path.join(path, entry["name"])
            info = tar.gettarinfo(full, arcname=entry["name"])
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            if info.isfile():
                with open(full, "rb") as f:
                    tar.addfile(info, f)
            else:
                tar.addfile(info)
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0) as gz:
        gz.write(buffer.getvalue())
    return out.getvalue(), repacked


def metadata(data):
    """MANIFEST.json and FILES.json of a tarball: what a build's content and metadata come to, without its times."""
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        return tar.extractfile("MANIFEST.json").read(), tar.extractfile("FILES.json").read()


def build_source(module, path):
    """The tarball ansible-galaxy builds from a source checkout."""
    # Beside the Python the module runs under (a virtual environment's ansible-galaxy), else on PATH.
    galaxy = module.get_bin_path("ansible-galaxy", required=True, opt_dirs=[os.path.dirname(sys.executable)])
    work = tempfile.mkdtemp(prefix="collection-bundle-")
    try:
        rc, out, err = module.run_command([galaxy, "collection", "build", "--force", "--output-path", work, path])
        if rc:
            raise BundleError(f"ansible-galaxy collection build {path} failed: {(err or out).strip()}")
        (name,) = os.listdir(work)
        with open(os.path.join(work, name), "rb") as f:
            return f.read()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            names=dict(type="list", elements="str", default=["horizon.ai_platform"]),
            dest=dict(type="path", required=True),
            search_paths=dict(type="list", elements="path", required=True),
            dependencies=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    dest = module.params["dest"]
    try:
        order = resolve(module.params["names"], module.params["search_paths"], module.params["dependencies"])
    except BundleError as exc:
        module.fail_json(msg=str(exc))
    before = sorted(f for f in os.listdir(dest) if f.endswith(".tar.gz")) if os.path.isdir(dest) else []
    changed = False
    collections = []
    try:
        for entry in order:
            namespace, collection = entry["name"].split(".")
            filename = f"{namespace}-{collection}-{entry['version']}.tar.gz"
            target = os.path.join(dest, filename)
            if entry["origin"] == "installed":
                data, repacked = pack_installed(entry["path"])
                if repacked:
                    entry["origin"] = "installed, repacked"
            else:
                data = build_source(module, entry["path"])
            try:
                with open(target, "rb") as f:
                    existing = f.read()
            except FileNotFoundError:
                existing = None
            same = existing == data or (existing is not None and entry["origin"] == "source" and metadata(existing) == metadata(data))
            if not same:
                changed = True
                if not module.check_mode:
                    os.makedirs(dest, exist_ok=True)
                    write_file(module, target, data, mode="0644")
            kept = existing if same else data
            collections.append(
                {"name": entry["name"], "version": entry["version"], "file": filename, "origin": entry["origin"], "sha256": hashlib.sha256(kept).hexdigest()}
            )
        requirements = os.path.join(dest, "requirements.yml")
        # Dependencies first, so that an install that goes in order never reaches out for one.
        text = "---\n# Written by horizon.ai_platform.collection_bundle: ansible-galaxy collection install -r requirements.yml\ncollections:\n"
        text += "".join(f"  - name: {c['file']}\n    type: file\n" for c in reversed(collections))
        try:
            with open(requirements, encoding="utf-8") as f:
                old = f.read()
        except FileNotFoundError:
            old = None
        if old != text:
            changed = True
            if not module.check_mode:
                os.makedirs(dest, exist_ok=True)
                write_file(module, requirements, text.encode("utf-8"), mode="0644")
    except (BundleError, OSError, KeyError, ValueError) as exc:
        module.fail_json(msg=f"cannot bundle the collections into {dest}: {exc}")
    result = {"changed": changed, "collections": collections, "requirements": requirements}
    if changed and module._diff:
        after = sorted(set(before) | {c["file"] for c in collections})
        result["diff"] = {"before_header": dest, "after_header": dest, "before": "".join(f + "\n" for f in before), "after": "".join(f + "\n" for f in after)}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
