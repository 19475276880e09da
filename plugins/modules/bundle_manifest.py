#!/usr/bin/python
# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: bundle_manifest
short_description: Write or verify the manifest of an air-gapped bundle
version_added: 0.1.0
description:
  - An air-gapped bundle is a directory carried from a connected staging machine to a disconnected site. Its
    C(manifest.json) lists every file in it with its size and SHA-256, every symbolic link with its target, and what
    the bundle holds (O(content)), so the site can check that nothing was lost or changed on the way before it loads
    anything.
  - With O(state=present), writes C(manifest.json) for the files in O(path) - staged beside it and renamed into place,
    so a reader never sees half a manifest.
  - With O(state=verified), checks the files in O(path) against C(manifest.json) and fails naming each missing,
    changed or unlisted file. Nothing is written.
  - The C(horizon.ai_platform.airgap_bundle) and C(horizon.ai_platform.airgap_load) playbooks use it.
author:
  - horizon.ai_platform maintainers (@horizon-ai-platform)
extends_documentation_fragment:
  - horizon.ai_platform.attributes
attributes:
  check_mode:
    support: full
    details:
      - With O(state=present), compares the manifest it would write with the one there and writes nothing.
  diff_mode:
    support: full
    details:
      - The manifest's file list, one C(<sha256>  <path>) line per file, before and after.
  idempotent:
    support: full
    details:
      - The manifest holds no time stamp; an unchanged bundle leaves it as it is.
options:
  path:
    description: The bundle's directory.
    type: path
    required: true
  state:
    description:
      - V(present) writes the manifest; V(verified) checks the bundle against it.
    type: str
    choices: [present, verified]
    default: present
  content:
    description:
      - What the bundle holds and what for - the fleet it was made for, its collections, images, models - written
        into the manifest as it is. Only with O(state=present).
    type: dict
    default: {}
seealso:
  - module: horizon.ai_platform.model_sync
"""

EXAMPLES = r"""
- name: Record every file of the bundle
  horizon.ai_platform.bundle_manifest:
    path: /srv/bundles/site-fra
    content:
      fleet: "{{ horizon_bundle_fleet }}"

- name: Check the bundle after it crossed the air gap
  horizon.ai_platform.bundle_manifest:
    path: /media/transfer/site-fra
    state: verified
"""

RETURN = r"""
manifest:
  description: The manifest's path.
  returned: always
  type: str
  sample: /srv/bundles/site-fra/manifest.json
files:
  description: How many files the manifest lists.
  returned: always
  type: int
  sample: 214
bytes:
  description: Their total size.
  returned: always
  type: int
  sample: 16172871680
content:
  description: The manifest's O(content) (with O(state=verified), as the manifest has it).
  returned: always
  type: dict
"""

import hashlib
import json
import os
import stat

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.horizon.ai_platform.plugins.module_utils._staged_write import write_file

NAME = "manifest.json"
FORMAT = 1
CHUNK = 1024 * 1024


class BundleError(Exception):
    pass


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def scan(root, digests=True):
    """{relative path: entry} of every file and link under root, the manifest itself left out."""
    entries = {}
    for directory, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files) + [d for d in dirs if os.path.islink(os.path.join(directory, d))]:
            full = os.path.join(directory, name)
            rel = os.path.relpath(full, root).replace(os.sep, "/")
            if rel == NAME or rel.startswith(f".{NAME}."):  # the manifest, and its staged copy while it is written
                continue
            st = os.lstat(full)
            if stat.S_ISLNK(st.st_mode):
                target = os.readlink(full)
                resolved = os.path.realpath(full)
                if not (resolved == os.path.realpath(root) or resolved.startswith(os.path.realpath(root) + os.sep)):
                    raise BundleError(f"{rel} links to {target}, outside the bundle: a bundle carries what it refers to")
                entries[rel] = {"path": rel, "link": target}
            elif stat.S_ISREG(st.st_mode):
                entries[rel] = {"path": rel, "size": st.st_size, "sha256": sha256_of(full) if digests else None}
            else:
                raise BundleError(f"{rel} is neither a file nor a link (a socket, a device or a pipe): a bundle holds files")
    return entries


def lines(entries):
    return "".join(f"{e.get('sha256') or '-> ' + e['link']}  {e['path']}\n" for e in entries)


def write_manifest(module, root):
    path = os.path.join(root, NAME)
    if not os.path.isdir(root):
        if module.check_mode and not os.path.exists(root):
            # Check mode of a play that would have made the folder: the manifest would be written.
            return {"changed": True, "manifest": path, "files": 0, "bytes": 0, "content": module.params["content"]}
        raise BundleError(f"{root} is not a directory")
    files = sorted(scan(root).values(), key=lambda e: e["path"])
    manifest = {
        "format": FORMAT,
        "content": module.params["content"],
        "files": files,
        "bytes": sum(e.get("size", 0) for e in files),
    }
    text = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
    try:
        with open(path, encoding="utf-8") as f:
            before_text = f.read()
    except FileNotFoundError:
        before_text = None
    changed = before_text != text
    result = {"changed": changed, "manifest": path, "files": len(files), "bytes": manifest["bytes"], "content": manifest["content"]}
    if changed and module._diff:
        try:
            before = json.loads(before_text).get("files", []) if before_text else []
        except ValueError:
            before = []
        result["diff"] = {"before_header": path, "after_header": path, "before": lines(before), "after": lines(files)}
    if changed and not module.check_mode:
        write_file(module, path, text.encode("utf-8"), mode="0644")
    return result


def verify(root):
    path = os.path.join(root, NAME)
    try:
        with open(path, encoding="utf-8") as f:
            manifest = json.load(f)
    except FileNotFoundError:
        raise BundleError(f"{path} does not exist: is {root} a bundle made by horizon.ai_platform.airgap_bundle?") from None
    except ValueError as exc:
        raise BundleError(f"{path} is not valid JSON ({exc}): the manifest was damaged on the way") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or not isinstance(manifest.get("files"), list):
        raise BundleError(f"{path} is not a bundle manifest of format {FORMAT}")
    listed = {e["path"]: e for e in manifest["files"]}
    found = scan(root, digests=False)
    problems = []
    for rel, entry in listed.items():
        have = found.get(rel)
        if have is None:
            problems.append(f"{rel} is missing")
        elif "link" in entry:
            if have.get("link") != entry["link"]:
                problems.append(f"{rel} should link to {entry['link']}")
        elif "link" in have or have["size"] != entry["size"]:
            problems.append(f"{rel} has {have.get('size', 'no')} bytes, the manifest says {entry['size']}")
        else:
            actual = sha256_of(os.path.join(root, rel))
            if actual != entry["sha256"]:
                problems.append(f"{rel} has SHA-256 {actual}, the manifest says {entry['sha256']}")
    problems += [f"{rel} is not in the manifest" for rel in sorted(set(found) - set(listed))]
    if problems:
        shown = problems[:20] + ([f"and {len(problems) - 20} more"] if len(problems) > 20 else [])
        raise BundleError(f"the bundle in {root} does not match its manifest: " + "; ".join(shown))
    return {"changed": False, "manifest": path, "files": len(listed), "bytes": manifest.get("bytes", 0), "content": manifest.get("content", {})}


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            state=dict(type="str", choices=["present", "verified"], default="present"),
            content=dict(type="dict", default={}),
        ),
        supports_check_mode=True,
    )
    root = os.path.abspath(module.params["path"])
    try:
        result = verify(root) if module.params["state"] == "verified" else write_manifest(module, root)
    except BundleError as exc:
        module.fail_json(msg=str(exc))
    except OSError as exc:
        module.fail_json(msg=f"cannot read or write the bundle in {root}: {exc}")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
