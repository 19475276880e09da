"""The release path: the built collection tarball, its checks, the execution environment's build context and
the changelog a release would write.

Galaxy's own importer runs in `make release-check` (scripts/check-collection.sh), not here: it lints the
whole collection again (~40 s).
"""

import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import check_collection  # noqa: E402

BIN = Path(sys.executable).parent  # the tools of the Python the tests run under, activated or not


def run(args, cwd=ROOT, env=None, check=True):
    path = f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"
    proc = subprocess.run(args, check=False, cwd=cwd, env={**os.environ, "PATH": path, **(env or {})}, capture_output=True, text=True)
    if check and proc.returncode:
        pytest.fail(f"{args} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
    return proc


def build(src, dest):
    run(["ansible-galaxy", "collection", "build", "--force", "--output-path", str(dest), str(src)])
    (tarball,) = Path(dest).glob("horizon-ai_platform-*.tar.gz")
    return tarball


def tree_copy(tmp_path):
    """The tracked files of the working tree, as a clone would have them."""
    dest = tmp_path / "tree"
    names = run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"]).stdout.split("\0")
    for name in filter(None, names):
        if (ROOT / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, dest / name)
    return dest


def test_built_collection_passes_its_checks(tmp_path):
    # The tree as it is, with the working tree's own build output, caches and test output present.
    tarball = build(ROOT, tmp_path)
    problems, summary = check_collection.check(tarball)
    assert problems == []
    galaxy = yaml.safe_load((ROOT / "galaxy.yml").read_text())
    assert summary["version"] == galaxy["version"]
    with tarfile.open(tarball) as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile("MANIFEST.json"))
    assert "plugins/modules/model_sync.py" in names and "roles/inference_server/meta/argument_specs.yml" in names
    assert not [n for n in names if n.startswith(("tests/output", ".cache", ".venv", "build/", "ee/collections")) or "__pycache__" in n]
    assert manifest["collection_info"]["dependencies"] == galaxy["dependencies"]
    # Every collection a role or playbook calls is a declared dependency.
    # (A task's module or a module_defaults key at the start of a line, or a filter after "|".)
    fqcn = re.compile(r"(?:^\s*-?\s*|\|\s*)([a-z][a-z0-9_]*\.[a-z][a-z0-9_]*)\.[a-z0-9_]+(?=[:\s(]|$)", re.MULTILINE)
    used = set()
    for path in [*ROOT.glob("roles/*/tasks/*.yml"), *ROOT.glob("roles/*/handlers/*.yml"), *ROOT.glob("playbooks/*.yml")]:
        used.update(fqcn.findall(path.read_text()))
    # awx.awx is for automation_platform.yml alone, run from an operator's workstation, not on the fleet: not a
    # dependency every install of the collection should pull (docs/automation-platform.md says to install it).
    used -= {"ansible.builtin", "horizon.ai_platform", "awx.awx"}
    assert used and used <= set(galaxy["dependencies"]), used - set(galaxy["dependencies"])


def test_checker_names_what_does_not_belong_in_a_release(tmp_path):
    tree = tree_copy(tmp_path)
    galaxy = yaml.safe_load((tree / "galaxy.yml").read_text())
    galaxy["build_ignore"] = [p for p in galaxy["build_ignore"] if p not in (".ruff_cache", ".pytest_cache")]
    (tree / "galaxy.yml").write_text(yaml.safe_dump(galaxy))
    (tree / "tests/output/junit").mkdir(parents=True)
    (tree / "tests/output/junit/result.xml").write_text("<testsuite/>")
    (tree / ".ruff_cache/0.17.6").mkdir(parents=True)
    (tree / ".ruff_cache/0.17.6/1234").write_bytes(b"\0")
    (tree / ".pytest_cache/v/cache").mkdir(parents=True)
    (tree / ".pytest_cache/v/cache/lastfailed").write_text("{}")
    tarball = build(tree, tmp_path / "dist")

    problems, _summary = check_collection.check(tarball, tree / "galaxy.yml")
    text = "\n".join(problems)
    # tests/output, bytecode and tarballs are ignored by ansible-galaxy itself; these two would have been shipped.
    assert "tests/output" not in text
    assert ".ruff_cache/0.17.6/1234: matches '.ruff_cache/*'" in text and "build_ignore" in text
    assert ".pytest_cache/v/cache/lastfailed: matches '.pytest_cache/*'" in text
    assert len(problems) == 2, problems

    proc = run([sys.executable, str(ROOT / "scripts/check_collection.py"), str(tarball)], check=False)
    assert proc.returncode == 1 and proc.stdout.splitlines() == problems


def test_checker_finds_tampering_and_metadata_drift(tmp_path):
    tarball = build(ROOT, tmp_path / "dist")
    unpacked = tmp_path / "unpacked"
    with tarfile.open(tarball) as tar:
        tar.extractall(unpacked, filter="data")
    (unpacked / "plugins/modules/model_sync.py").write_text("# changed after the build\n")
    (unpacked / "meta/ee-requirements.txt").write_text("jsonschema==4.26.0\nboto3>=1.28,<2\n")
    (unpacked / "roles/extra.txt").write_text("not listed\n")
    tampered = tmp_path / "tampered.tar.gz"
    with tarfile.open(tampered, "w:gz") as tar:
        tar.add(unpacked, arcname=".")
    galaxy = yaml.safe_load((ROOT / "galaxy.yml").read_text())
    galaxy["version"] = "9.9.9"
    (tmp_path / "galaxy.yml").write_text(yaml.safe_dump(galaxy))

    problems, _summary = check_collection.check(tampered, tmp_path / "galaxy.yml")
    text = "\n".join(problems)
    assert "plugins/modules/model_sync.py: its checksum differs" in text
    assert "roles/extra.txt is in the tarball but not in FILES.json" in text
    assert f"MANIFEST.json version is '{galaxy_version()}', galaxy.yml says '9.9.9'" in text
    assert "'jsonschema==4.26.0' pins" in text and "'boto3>=1.28,<2' pins or caps" in text


def galaxy_version():
    return yaml.safe_load((ROOT / "galaxy.yml").read_text())["version"]


def test_execution_environment_context(tmp_path):
    context = tmp_path / "ee"
    run(["scripts/ee-context.sh", str(context)])
    containerfile = (context / "Containerfile").read_text()
    ee = yaml.safe_load((ROOT / "ee/execution-environment.yml").read_text())
    assert f'ARG EE_BASE_IMAGE="{ee["images"]["base_image"]["name"]}"' in containerfile
    assert "ansible-core>=2.17 ansible-runner>=2.3" in containerfile
    assert "ansible-galaxy collection install $ANSIBLE_GALAXY_CLI_COLLECTION_OPTS -r requirements.yml" in containerfile
    assert "introspect.py introspect --write-bindep=/tmp/src/bindep.txt --write-pip=/tmp/src/requirements.txt" in containerfile

    # The galaxy stage's requirements: this collection from the tarball the context carries, and the
    # collections galaxy.yml depends on, with the same lower bounds.
    requirements = yaml.safe_load((context / "_build/requirements.yml").read_text())["collections"]
    local = [r for r in requirements if r.get("type") == "file"]
    assert [r["name"] for r in local] == ["collections/horizon-ai_platform.tar.gz"]
    galaxy = yaml.safe_load((ROOT / "galaxy.yml").read_text())
    assert {r["name"]: r["version"] for r in requirements if r not in local} == galaxy["dependencies"]
    tarball = context / "_build" / local[0]["name"]
    with tarfile.open(tarball) as tar:
        assert json.load(tar.extractfile("MANIFEST.json"))["collection_info"]["version"] == galaxy["version"]

    # What the builder stage does with it, offline: install the collection as the galaxy stage would and
    # let ansible-builder's introspection find its Python requirements.
    collections = tmp_path / "collections"
    install = ["ansible-galaxy", "collection", "install", "--force", "--no-deps", "-p", str(collections), str(tarball)]
    run(install, env={"ANSIBLE_COLLECTIONS_PATH": str(collections)})
    pip, bindep = tmp_path / "requirements.txt", tmp_path / "bindep.txt"
    run(["ansible-builder", "introspect", str(collections), "--write-pip", str(pip), "--write-bindep", str(bindep)])
    for written, source, least in ((pip, "meta/ee-requirements.txt", 4), (bindep, "meta/ee-bindep.txt", 2)):
        found = [line.split("#")[0].strip() for line in written.read_text().splitlines() if line.endswith("# from collection horizon.ai_platform")]
        declared = [line.strip() for line in (ROOT / source).read_text().splitlines() if line.strip() and not line.startswith("#")]
        assert found == declared and len(found) >= least, (source, found)


def test_execution_environment_requirements_hold_what_the_tests_use():
    """The versions the tests run with satisfy the EE's lower bounds (they would not if a bound ran ahead)."""
    for line in (ROOT / "meta/ee-requirements.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            requirement = Requirement(line)
            installed = importlib.metadata.version(requirement.name)
            assert requirement.specifier.contains(installed), f"{requirement} does not admit the tested {installed}"


def test_changelog_release_builds_from_the_fragments(tmp_path):
    """What `antsibull-changelog release` does at a release, on a copy: every fragment lands in CHANGELOG.rst."""
    tree = tmp_path / "tree"
    shutil.copytree(ROOT / "changelogs", tree / "changelogs")
    shutil.copy(ROOT / "galaxy.yml", tree)
    shutil.copytree(ROOT / "plugins", tree / "plugins", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "meta", tree / "meta")
    fragments = {f.name: yaml.safe_load(f.read_text()) for f in sorted((tree / "changelogs/fragments").glob("*.yml"))}
    assert fragments
    run(["antsibull-changelog", "release", "--version", galaxy_version(), "--date", "2026-12-07"], cwd=tree)
    changelog = (tree / "CHANGELOG.rst").read_text()
    assert f"v{galaxy_version()}" in changelog
    for fragment, sections in fragments.items():
        for section, entries in sections.items():
            if section == "trivial":  # not rendered, by design
                continue
            for entry in entries:
                first_words = " ".join(entry.split()[:6])
                assert first_words in " ".join(changelog.split()), (fragment, section, first_words)
    # The new modules appear under their own heading, from the plugins' own docs.
    assert "horizon.ai_platform.model_sync" in changelog and "New Modules" in changelog
    assert not list((tree / "changelogs/fragments").glob("*.yml"))  # keep_fragments: false
