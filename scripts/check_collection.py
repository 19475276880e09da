# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check a built collection tarball before it is published.

    python scripts/check_collection.py build/dist/horizon-ai_platform-<version>.tar.gz

What Galaxy and Automation Hub take for granted, checked offline:
- MANIFEST.json agrees with galaxy.yml (name, version, dependencies, license, readme);
- FILES.json lists every file of the tarball, with its checksum, and nothing else;
- nothing of a working tree got in: test output, caches, virtual environments, build output, bytecode,
  nested tarballs (an EE build's copy of the collection), editor and VCS files;
- what users and tools read is there: README, licence, changelog, meta/runtime.yml with requires_ansible,
  meta/execution-environment.yml and the requirement files it names;
- the tarball stays under Galaxy's upload limit.

Prints one line per problem and exits 1 if there is any; prints a summary and exits 0 otherwise.
Galaxy's own importer (galaxy-importer) runs after this, in scripts/check-collection.sh.
"""

import fnmatch
import hashlib
import json
import sys
import tarfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
# Galaxy refuses uploads over 20 MB; stay well below it.
MAX_BYTES = 20 * 1000 * 1000
FORBIDDEN = (
    "tests/output/*",
    ".cache/*",
    ".venv/*",
    ".git/*",
    ".ansible/*",
    ".pytest_cache/*",
    ".ruff_cache/*",
    "build/*",
    "demo/output/*",
    "*/__pycache__/*",
    "*.pyc",
    "*.tar.gz",
    "*.whl",
    "*.swp",
    "*~",
    ".DS_Store",
    "*/.DS_Store",
)
REQUIRED = (
    "README.md",
    "COPYING",
    "meta/runtime.yml",
    "meta/execution-environment.yml",
    "changelogs/changelog.yaml",
    "changelogs/config.yaml",
)


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def check(tarball, galaxy_yml=ROOT / "galaxy.yml"):
    problems = []
    galaxy = yaml.safe_load(Path(galaxy_yml).read_text())
    with tarfile.open(tarball, "r:gz") as tar:
        members = {m.name.removeprefix("./"): m for m in tar.getmembers()}
        files = {name: m for name, m in members.items() if m.isfile()}
        for name, m in members.items():
            if not (m.isfile() or m.isdir()):
                problems.append(f"{name}: a {'link' if m.issym() or m.islnk() else 'special file'}; a collection holds files and folders only")
            if name.startswith("/") or ".." in name.split("/"):
                problems.append(f"{name}: a path outside the collection")

        def read(name):
            return tar.extractfile(files[name]).read()

        for name in ("MANIFEST.json", "FILES.json"):
            if name not in files:
                problems.append(f"{name} is missing: not a collection built by ansible-galaxy")
        if problems:
            return problems, {}
        manifest = json.loads(read("MANIFEST.json"))
        info = manifest["collection_info"]
        for key in ("namespace", "name", "version", "license", "readme", "repository", "documentation", "issues"):
            if info.get(key) != galaxy.get(key):
                problems.append(f"MANIFEST.json {key} is {info.get(key)!r}, galaxy.yml says {galaxy.get(key)!r}")
        if info.get("dependencies") != (galaxy.get("dependencies") or {}):
            problems.append(f"MANIFEST.json dependencies {info.get('dependencies')} differ from galaxy.yml's {galaxy.get('dependencies')}")
        listed_manifest = manifest.get("file_manifest_file", {})
        if listed_manifest.get("chksum_sha256") != sha256(read("FILES.json")):
            problems.append("MANIFEST.json's checksum of FILES.json does not match FILES.json")

        listed = {}
        for entry in json.loads(read("FILES.json"))["files"]:
            if entry["name"] != ".":
                listed[entry["name"]] = entry
        for name, entry in listed.items():
            if entry["ftype"] == "file":
                if name not in files:
                    problems.append(f"FILES.json lists {name}, the tarball lacks it")
                elif entry["chksum_sha256"] != sha256(read(name)):
                    problems.append(f"{name}: its checksum differs from the one FILES.json lists")
            elif name not in members:
                problems.append(f"FILES.json lists the folder {name}, the tarball lacks it")
        for name in files:
            if name not in listed and name not in ("MANIFEST.json", "FILES.json"):
                problems.append(f"{name} is in the tarball but not in FILES.json")

        for name in files:
            for pattern in FORBIDDEN:
                if fnmatch.fnmatch(name, pattern):
                    problems.append(f"{name}: matches {pattern!r}, which has no place in a release (add it to galaxy.yml's build_ignore)")
                    break
        for name in REQUIRED:
            if name not in files:
                problems.append(f"{name} is missing")

        if "meta/runtime.yml" in files:
            runtime = yaml.safe_load(read("meta/runtime.yml")) or {}
            if not runtime.get("requires_ansible"):
                problems.append("meta/runtime.yml has no requires_ansible")
        if "meta/execution-environment.yml" in files:
            ee = yaml.safe_load(read("meta/execution-environment.yml")) or {}
            for kind, path in (ee.get("dependencies") or {}).items():
                if path not in files:
                    problems.append(f"meta/execution-environment.yml names {path} for its {kind} requirements; the tarball lacks it")
                elif kind == "python":
                    problems.extend(pinned(path, read(path).decode()))

    size = Path(tarball).stat().st_size
    if size > MAX_BYTES:
        problems.append(f"the tarball is {size} bytes; Galaxy takes at most {MAX_BYTES}")
    summary = {"tarball": str(tarball), "version": info["version"], "files": len(files), "bytes": size}
    return problems, summary


def pinned(path, text):
    """The EE requirements give lower bounds only: the EE build resolves them with the rest of the image."""
    problems = []
    for line in text.splitlines():
        requirement = line.split("#", 1)[0].strip()
        if requirement and ("==" in requirement or "<" in requirement or "~=" in requirement or "!=" in requirement):
            problems.append(f"{path}: {requirement!r} pins or caps a version; an EE requirement gives a lower bound (>=) at most")
    return problems


def main(argv):
    if len(argv) != 2 or not Path(argv[1]).is_file():
        print("usage: check_collection.py <built collection tarball>", file=sys.stderr)
        return 2
    problems, summary = check(argv[1])
    for problem in problems:
        print(problem)
    if problems:
        return 1
    print(f"{summary['tarball']}: version {summary['version']}, {summary['files']} files, {summary['bytes']} bytes; no problem found")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
