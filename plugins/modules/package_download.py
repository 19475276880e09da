#!/usr/bin/python
# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: package_download
short_description: Download packages with the dependencies a host lacks, and record where each came from
version_added: 0.1.0
description:
  - Asks apt what installing O(name) on this host would fetch - the packages themselves and every dependency the host
    does not have, from the repositories the host is configured with - and downloads exactly that into O(dest),
    without installing anything. apt checks each file against its repository's signed index.
  - Writes a record, C(<dest>/<label>.json), of every file with the URL it came from, its size, apt's hash of it and the
    O(repositories) given, so that a repository can be built from the files that tells the vendors' packages from the
    distribution's (M(horizon.ai_platform.package_repository)).
  - The download mode of the C(accelerator_drivers) and C(container_runtime) roles calls it on a staging container of
    a node's OS, for the C(horizon.ai_platform.airgap_bundle) playbook.
  - apt only. On a host without C(apt-get) it fails and says so.
author:
  - horizon.ai_platform maintainers (@horizon-ai-platform)
extends_documentation_fragment:
  - horizon.ai_platform.attributes
attributes:
  check_mode:
    support: full
    details:
      - Asks apt what it would fetch and reports the files missing from O(dest); downloads and writes nothing.
  diff_mode:
    support: full
    details:
      - The file names in the record, before and after.
  idempotent:
    support: full
    details:
      - Files already in O(dest) with their size and hash are not fetched again, and an unchanged record is not
        rewritten.
options:
  name:
    description:
      - The packages, as apt takes them (C(name), C(name=version)). Installed ones are fetched too.
    type: list
    elements: str
    required: true
  dest:
    description: The directory the files go to. It is created when missing.
    type: path
    required: true
  label:
    description: The record's name, C(<dest>/<label>.json) - one per caller, so that two callers share O(dest).
    type: str
    required: true
  repositories:
    description:
      - The repositories the packages come from, as C(name), C(uris) and C(components), written into the record.
    type: list
    elements: dict
    default: []
  install_recommends:
    description: Fetch the packages' recommended packages too.
    type: bool
    default: false
  update_cache:
    description:
      - Read the repositories' package lists first (C(apt-get update)), as after a repository was added. Not counted as
        a change. Runs in check mode too, like the C(apt) module's O(update_cache).
    type: bool
    default: false
seealso:
  - module: horizon.ai_platform.package_repository
"""

EXAMPLES = r"""
- name: Download the driver packages and what this host lacks of their dependencies
  horizon.ai_platform.package_download:
    name: [nvidia-smi, libcuda1]
    dest: /var/cache/horizon-bundle
    label: accelerator_drivers
    repositories:
      - name: debian-nonfree
        uris: [http://deb.debian.org/debian]
"""

RETURN = r"""
files:
  description: Every file the packages need on a host like this one, by name.
  returned: always
  type: list
  elements: str
  sample: [nvidia-smi_535.247.01-1~deb12u1_amd64.deb]
downloaded:
  description: The files that were missing from O(dest) (in check mode, the ones that would be fetched).
  returned: always
  type: list
  elements: str
record:
  description: The record's path.
  returned: always
  type: str
  sample: /var/cache/horizon-bundle/accelerator_drivers.json
"""

import json
import os
import re
import shutil
import tempfile
from urllib.parse import unquote, urlsplit

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.horizon.ai_platform.plugins.module_utils._package_files import matches
from ansible_collections.horizon.ai_platform.plugins.module_utils._staged_write import write_file

# apt-get --print-uris: 'URI' file-name size hash-type:hash - apt 2.6 prints the MD5Sum only, and no hash at all for
# some files (Debian's security archive).
_URI_LINE = re.compile(r"^'(?P<uri>[^']+)' (?P<filename>\S+) (?P<size>\d+)(?: (?P<hash>\S+))?$")
# apt's hash names, as hashlib's.
HASHES = {"md5sum": "md5", "sha1": "sha1", "sha256": "sha256", "sha512": "sha512"}


def parse_print_uris(text):
    """The files of ``apt-get install --print-uris`` output, as dicts with uri, filename, size and hash (apt's
    ``<type>:<hex>``, empty where apt gave none)."""
    files = []
    for line in text.splitlines():
        match = _URI_LINE.match(line.strip())
        if not match:
            continue
        field = match.group("hash") or ""
        kind, digest = field.split(":", 1) if ":" in field else ("", "")
        if match.group("filename") in ("", ".") or "/" in match.group("filename"):
            raise ValueError("apt named a file %r that is not a plain file name" % match.group("filename"))
        files.append(
            {
                "uri": match.group("uri"),
                "filename": match.group("filename"),
                "size": int(match.group("size")),
                "hash": "%s:%s" % (HASHES[kind.lower()], digest.lower()) if kind.lower() in HASHES and digest else "",
            }
        )
    return files


def present(dest, entry):
    """Whether ``dest`` holds the file already, with its size and (where apt gave one) its hash."""
    return matches(os.path.join(dest, entry["filename"]), entry["size"], entry["hash"])


def _apt(module, apt_get, archives, names, extra):
    argv = [apt_get, "install", "--yes", "--reinstall", "-o", "Dir::Cache::archives=%s" % archives]
    if not module.params["install_recommends"]:
        argv.append("--no-install-recommends")
    argv += extra + ["--"] + names
    rc, out, err = module.run_command(argv, environ_update={"LANG": "C", "LC_ALL": "C", "DEBIAN_FRONTEND": "noninteractive"})
    if rc != 0:
        module.fail_json(msg="apt-get could not %s %s: %s" % ("list" if "--print-uris" in extra else "download", ", ".join(names), (err or out).strip()), rc=rc)
    return out


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="list", elements="str", required=True),
            dest=dict(type="path", required=True),
            label=dict(type="str", required=True),
            repositories=dict(type="list", elements="dict", default=[]),
            install_recommends=dict(type="bool", default=False),
            update_cache=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    names = [name for name in module.params["name"] if name]
    dest = module.params["dest"]
    label = module.params["label"]
    if not names:
        module.fail_json(msg="name lists no package to download")
    if not re.match(r"^[A-Za-z0-9][A-Za-z0-9._-]*$", label):
        module.fail_json(msg="label %r must be letters, digits, '.', '_' or '-'" % label)
    apt_get = module.get_bin_path("apt-get")
    if not apt_get:
        module.fail_json(msg="package_download needs apt-get: this host has none (download mode supports apt-based systems only)")

    if module.params["update_cache"]:
        rc, out, err = module.run_command([apt_get, "update", "-q"], environ_update={"LANG": "C", "LC_ALL": "C"})
        if rc != 0:
            module.fail_json(msg="apt-get update failed: %s" % (err or out).strip(), rc=rc)

    # What apt would fetch into an empty cache is the whole set, whatever the host's own cache keeps.
    scratch = tempfile.mkdtemp(prefix="horizon-package-download-")
    try:
        os.mkdir(os.path.join(scratch, "partial"))
        try:
            files = parse_print_uris(_apt(module, apt_get, scratch, names, ["--print-uris", "-qq"]))
        except ValueError as exc:
            module.fail_json(msg=str(exc))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if not files:
        module.fail_json(msg="apt lists no file to fetch for %s: is the host's apt configured?" % ", ".join(names))

    missing = [entry for entry in files if not present(dest, entry)]
    record_path = os.path.join(dest, "%s.json" % label)
    record = {
        "label": label,
        "names": names,
        "repositories": [
            {"name": r.get("name", ""), "uris": list(r.get("uris") or []), "components": list(r.get("components") or [])} for r in module.params["repositories"]
        ],
        "files": sorted(files, key=lambda entry: entry["filename"]),
    }
    data = (json.dumps(record, indent=2, sort_keys=True) + "\n").encode()
    old = None
    if os.path.exists(record_path):
        with open(record_path, "rb") as handle:
            old = handle.read()
    try:
        old_files = json.loads(old)["files"] if old else []
    except (ValueError, KeyError, TypeError):
        old_files = []
    if not isinstance(old_files, list):
        # A record this module did not write whole: it is written anew.
        old_files = []
    changed = bool(missing) or old != data
    result = dict(
        changed=changed,
        files=[entry["filename"] for entry in files],
        downloaded=[entry["filename"] for entry in missing],
        record=record_path,
        diff=dict(
            before="".join("%s\n" % f.get("filename", "") for f in old_files if isinstance(f, dict)),
            after="".join("%s\n" % f["filename"] for f in record["files"]),
        ),
    )
    if module.check_mode or not changed:
        module.exit_json(**result)

    os.makedirs(os.path.join(dest, "partial"), exist_ok=True)
    if missing:
        _apt(module, apt_get, dest, names, ["--download-only", "-q"])
        # apt reads a file: source's packages where they are and copies none of them into its cache.
        for entry in missing:
            if entry["uri"].startswith("file:") and not present(dest, entry):
                source = unquote(urlsplit(entry["uri"]).path)
                if os.path.isfile(source):
                    # Beside it, then renamed: the file in place may be hard-linked into a built repository.
                    staged = os.path.join(dest, "partial", entry["filename"])
                    shutil.copyfile(source, staged)
                    os.replace(staged, os.path.join(dest, entry["filename"]))
    # apt's own leftovers in the cache directory.
    shutil.rmtree(os.path.join(dest, "partial"), ignore_errors=True)
    if os.path.exists(os.path.join(dest, "lock")):
        os.unlink(os.path.join(dest, "lock"))
    # The files that were in place already were checked above.
    still = [entry["filename"] for entry in missing if not present(dest, entry)]
    if still:
        module.fail_json(msg="apt did not download %s into %s" % (", ".join(still), dest), **result)
    if old != data:
        write_file(module, record_path, data)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
