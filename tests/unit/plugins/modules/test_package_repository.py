# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""package_repository: real .deb files (dpkg-deb) and download records as package_download writes them, made into a
signed repository with the real apt-ftparchive and gpg, then read back by apt itself (apt-get update and apt-cache
in a scratch root), as a node would."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess

import pytest

from ansible_collections.horizon.ai_platform.plugins.modules import package_repository
from ansible_collections.horizon.ai_platform.tests.unit.plugins.modules.module_runner import run_module

pytestmark = pytest.mark.skipif(
    not (shutil.which("apt-ftparchive") and shutil.which("gpg") and shutil.which("dpkg-deb")),
    reason="apt-utils and gnupg are system packages (make setup)",
)

CUDA = {"name": "cuda", "uris": ["https://developer.download.nvidia.com/compute/cuda/repos/debian12/x86_64/"], "components": []}
NONFREE = {"name": "debian-nonfree", "uris": ["http://deb.debian.org/debian"], "components": ["contrib", "non-free"]}


def make_deb(directory, name, version="1.0-1", arch="amd64"):
    """A real, minimal binary package; returns its file name, as apt saves it (epoch as %3a)."""
    root = directory / f".build-{name}-{arch}"
    (root / "DEBIAN").mkdir(parents=True)
    (root / "usr" / "share" / "doc" / name).mkdir(parents=True)
    (root / "usr" / "share" / "doc" / name / "README").write_text(f"{name} {version}\n", encoding="utf-8")
    (root / "DEBIAN" / "control").write_text(
        f"Package: {name}\nVersion: {version}\nArchitecture: {arch}\nMaintainer: Test <t@example.invalid>\nDescription: {name}\n",
        encoding="utf-8",
    )
    filename = f"{name}_{version.replace(':', '%3a')}_{arch}.deb"
    subprocess.run(["dpkg-deb", "--root-owner-group", "-Zxz", "--build", str(root), str(directory / filename)], check=True, capture_output=True)
    shutil.rmtree(root)
    return filename


def record(directory, label, files, repositories, digest="sha256"):
    """A download record as package_download writes it: each file with its URL, size and apt's hash."""
    entries = []
    for filename, uri in files:
        body = (directory / filename).read_bytes()
        entries.append({"filename": filename, "uri": uri, "size": len(body), "hash": f"{digest}:{hashlib.new(digest, body).hexdigest()}"})
    (directory / f"{label}.json").write_text(json.dumps({"label": label, "names": [], "repositories": repositories, "files": entries}), encoding="utf-8")


@pytest.fixture
def sources(tmp_path):
    """Two staging folders of one OS: an NVIDIA node's (CUDA's and Debian's non-free packages, a dependency from main)
    and a CPU node's (the runtime from main), sharing one file."""
    gpu, cpu = tmp_path / "staging" / "gpu", tmp_path / "staging" / "cpu"
    gpu.mkdir(parents=True)
    cpu.mkdir(parents=True)
    driver = make_deb(gpu, "nvidia-driver-cuda", "580.95.05-1")
    smi = make_deb(gpu, "nvidia-smi", "535.261.03-1")
    shared = make_deb(gpu, "libfoo1", "2:1.2-3", arch="all")
    shutil.copy(gpu / shared, cpu / shared)
    runtime = make_deb(cpu, "podman", "4.3.1+ds1-8")
    record(
        gpu,
        "accelerator_drivers",
        [
            (driver, CUDA["uris"][0] + driver),
            (smi, "http://deb.debian.org/debian/pool/non-free/n/nvidia-graphics-drivers/" + smi),
            # Debian's main on the non-free repository's host: the distribution's, not the repository's.
            (shared, "http://deb.debian.org/debian/pool/main/libf/libfoo/libfoo1_1.2-3_all.deb"),
        ],
        [CUDA, NONFREE],
    )
    main = "http://deb.debian.org/debian/pool/main/"
    record(cpu, "container_runtime", [(runtime, main + "libp/libpod/" + runtime), (shared, main + "x")], [], digest="md5")
    return [str(gpu), str(cpu)]


def run(capsys, **args):
    check_mode = args.pop("check_mode", False)
    return run_module(package_repository.main, args, capsys, check_mode=check_mode, diff=True)


def packages_in(repo, suite, arch="amd64"):
    text = (repo / "dists" / suite / "main" / f"binary-{arch}" / "Packages").read_text(encoding="utf-8")
    return sorted(line.split(": ", 1)[1] for line in text.splitlines() if line.startswith("Package: "))


def apt_reads(tmp_path, repo, suites):
    """apt itself, in a scratch root: update against the repository (signature checked), then the candidates."""
    root = tmp_path / "apt-root"
    for sub in ("etc/apt/sources.list.d", "etc/apt/preferences.d", "var/lib/apt/lists/partial", "var/cache/apt/archives/partial", "var/lib/dpkg"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    (root / "var/lib/dpkg/status").write_text("", encoding="utf-8")
    key = (repo / "horizon-bundle.asc").read_text(encoding="utf-8")
    inline = "\n".join(" " + (line if line.strip() else ".") for line in key.strip().splitlines())
    (root / "etc/apt/sources.list.d/bundle.sources").write_text(
        f"Types: deb\nURIs: file://{repo}\nSuites: {' '.join(suites)}\nComponents: main\nSigned-By:\n{inline}\n", encoding="utf-8"
    )
    # The scratch root is private to this test: apt reads it as root, not as its _apt sandbox user.
    options = ["-o", f"Dir={root}", "-o", "Dir::State::status=" + str(root / "var/lib/dpkg/status")]
    options += ["-o", "APT::Architecture=amd64", "-o", "APT::Sandbox::User=root"]
    update = subprocess.run(["apt-get", *options, "update"], capture_output=True, text=True, check=False)
    assert update.returncode == 0 and "W:" not in update.stdout + update.stderr and "E:" not in update.stderr, update.stdout + update.stderr
    policy = subprocess.run(["apt-cache", *options, "policy", "nvidia-driver-cuda", "libfoo1", "podman"], capture_output=True, text=True, check=True)
    return policy.stdout


def test_a_suite_per_repository_signed_and_read_by_apt(tmp_path, capsys, sources):
    repo, home = tmp_path / "bundle" / "packages" / "debian12", tmp_path / "bundle.gnupg"
    repo.parent.mkdir(parents=True)
    result, failed = run(capsys, path=str(repo), sources=sources, gnupg_home=str(home), architectures=["amd64", "arm64"])
    assert not failed, result
    assert result["changed"] and result["packages"] == 4
    assert result["suites"] == {
        "cuda": {"repository": "cuda", "labels": ["accelerator_drivers"], "packages": 1},
        "debian-nonfree": {"repository": "debian-nonfree", "labels": ["accelerator_drivers"], "packages": 1},
        "distribution": {"repository": "", "labels": ["accelerator_drivers", "container_runtime"], "packages": 2},
    }
    assert packages_in(repo, "cuda") == ["nvidia-driver-cuda"]
    assert packages_in(repo, "debian-nonfree") == ["nvidia-smi"]
    assert packages_in(repo, "distribution") == ["libfoo1", "podman"]
    # Architecture all is in every architecture's index; amd64 only in amd64's.
    assert packages_in(repo, "distribution", "arm64") == ["libfoo1"]
    assert "2:1.2-3" in (repo / "dists/distribution/main/binary-amd64/Packages").read_text(encoding="utf-8")

    summary = json.loads((repo / "repositories.json").read_text(encoding="utf-8"))
    assert summary["fingerprint"] == result["fingerprint"] and len(result["fingerprint"]) == 40
    shown = subprocess.run(["gpg", "--batch", "--with-colons", "--show-keys", str(repo / "horizon-bundle.asc")], capture_output=True, text=True, check=True)
    assert f"fpr:::::::::{result['fingerprint']}:" in shown.stdout and "sec:" not in shown.stdout
    # The secret key stays in gnupg_home, outside the repository; nothing is left beside the repository.
    assert (home / "private-keys-v1.d").is_dir() and os.stat(home).st_mode & 0o777 == 0o700
    assert sorted(os.listdir(repo.parent)) == ["debian12"]

    policy = apt_reads(tmp_path, repo, ["cuda", "debian-nonfree", "distribution"])
    assert f"580.95.05-1 500\n        500 file:{repo} cuda/main amd64 Packages" in policy, policy
    assert f"4.3.1+ds1-8 500\n        500 file:{repo} distribution/main amd64 Packages" in policy, policy

    # The module stops the agent gpg started for it.
    agent = subprocess.run(["gpg-connect-agent", "--homedir", str(home), "--no-autostart", "GETINFO pid", "/bye"], capture_output=True, text=True, check=True)
    assert not agent.stdout.startswith("D "), agent.stdout

    # Idempotent: nothing rebuilt or signed again.
    release = (repo / "dists/cuda/InRelease").read_bytes()
    result, failed = run(capsys, path=str(repo), sources=sources, gnupg_home=str(home), architectures=["arm64", "amd64"])
    assert not failed and not result["changed"] and result["diff"]["before"] == result["diff"]["after"]
    assert (repo / "dists/cuda/InRelease").read_bytes() == release
    agent = subprocess.run(["gpg-connect-agent", "--homedir", str(home), "--no-autostart", "GETINFO pid", "/bye"], capture_output=True, text=True, check=True)
    assert not agent.stdout.startswith("D "), agent.stdout


@pytest.mark.parametrize("where", ["debian12", "bundle/packages/debian12"], ids=["parent-exists", "parent-missing"])
def test_check_mode_builds_nothing_and_makes_no_key(tmp_path, capsys, sources, where):
    repo, home = tmp_path / where, tmp_path / "gnupg"
    result, failed = run(capsys, path=str(repo), sources=sources, gnupg_home=str(home), check_mode=True)
    assert not failed and result["changed"] and result["fingerprint"] == ""
    assert "cuda/" + "nvidia-driver-cuda_580.95.05-1_amd64.deb\n" in result["diff"]["after"] and result["diff"]["before"] == ""
    assert not repo.exists() and not home.exists()
    assert os.listdir(tmp_path) == ["staging"]


def test_a_new_package_replaces_the_repository_whole(tmp_path, capsys, sources):
    repo, home = tmp_path / "debian12", tmp_path / "gnupg"
    assert not run(capsys, path=str(repo), sources=sources, gnupg_home=str(home))[1]
    first = json.loads((repo / "repositories.json").read_text(encoding="utf-8"))["fingerprint"]
    cpu = tmp_path / "staging" / "cpu"
    extra = make_deb(cpu, "crun", "1.8.1-1")
    data = json.loads((cpu / "container_runtime.json").read_text(encoding="utf-8"))
    body = (cpu / extra).read_bytes()
    data["files"].append({"filename": extra, "uri": "http://deb.debian.org/debian/pool/main/c/crun/" + extra, "size": len(body), "hash": ""})
    (cpu / "container_runtime.json").write_text(json.dumps(data), encoding="utf-8")
    result, failed = run(capsys, path=str(repo), sources=sources, gnupg_home=str(home))
    assert not failed and result["changed"] and "distribution/crun_1.8.1-1_amd64.deb" in result["diff"]["after"]
    assert packages_in(repo, "distribution") == ["crun", "libfoo1", "podman"]
    # The same key signs again; no scratch or retired copy is left.
    assert result["fingerprint"] == first
    assert sorted(os.listdir(tmp_path)) == ["debian12", "gnupg", "staging"]


def test_a_damaged_download_is_refused_and_the_repository_kept(tmp_path, capsys, sources):
    repo, home = tmp_path / "debian12", tmp_path / "gnupg"
    assert not run(capsys, path=str(repo), sources=sources, gnupg_home=str(home))[1]
    before = (repo / "dists/distribution/InRelease").read_bytes()
    gpu = tmp_path / "staging" / "gpu"
    damaged = gpu / "nvidia-smi_535.261.03-1_amd64.deb"
    damaged.write_bytes(damaged.read_bytes()[:-1] + b"\x00")
    result, failed = run(capsys, path=str(repo), sources=sources, gnupg_home=str(home))
    assert failed and "nvidia-smi_535.261.03-1_amd64.deb does not match the size and hash apt recorded for it" in result["msg"]
    assert (repo / "dists/distribution/InRelease").read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["debian12", "gnupg", "staging"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda gpu: (gpu / "accelerator_drivers.json").write_text("{", encoding="utf-8"), "accelerator_drivers.json is not a package_download record"),
        (lambda gpu: [p.unlink() for p in gpu.glob("*.json")], "holds no download record (*.json from package_download)"),
        (lambda gpu: (gpu / "nvidia-smi_535.261.03-1_amd64.deb").unlink(), "lists nvidia-smi_535.261.03-1_amd64.deb, which"),
        (
            lambda gpu: (gpu / "libfoo1_2%3a1.2-3_all.deb").write_bytes(b"another file of the same name"),
            "two different files are named libfoo1_2%3a1.2-3_all.deb",
        ),
    ],
)
def test_bad_sources_are_named(tmp_path, capsys, sources, change, message):
    gpu = tmp_path / "staging" / "gpu"
    change(gpu)
    if "two different" in message:
        record(gpu, "accelerator_drivers", [("libfoo1_2%3a1.2-3_all.deb", "http://deb.debian.org/debian/pool/main/x")], [])
    result, failed = run(capsys, path=str(tmp_path / "debian12"), sources=sources, gnupg_home=str(tmp_path / "gnupg"))
    assert failed and message in result["msg"], result["msg"]
    assert not (tmp_path / "debian12").exists()


def test_bad_settings_are_named(tmp_path, capsys, sources):
    common = dict(path=str(tmp_path / "r"), sources=sources, gnupg_home=str(tmp_path / "gnupg"))
    result, failed = run(capsys, signing_key="ABCD", **common)
    assert failed and "signing_key must be a full 40-hex-digit OpenPGP fingerprint, got 'ABCD'" in result["msg"]
    result, failed = run(capsys, signing_key="0" * 40, **common)
    assert failed and f"holds no usable secret key {'0' * 40} to sign with" in result["msg"]
    result, failed = run(capsys, architectures=["x86_64"], **common)
    assert failed and "architectures must be Debian architecture names" in result["msg"]
    result, failed = run(capsys, distribution_suite="Main Archive", **common)
    assert failed and "distribution_suite 'Main Archive'" in result["msg"]
    result, failed = run(capsys, path=common["path"], gnupg_home=common["gnupg_home"], sources=[str(tmp_path / "missing")])
    assert failed and "missing is not a directory" in result["msg"]
    assert sorted(os.listdir(tmp_path)) == ["staging"]


def test_an_operators_key_signs(tmp_path, capsys, sources):
    home = tmp_path / "site-keys"
    home.mkdir(mode=0o700)
    subprocess.run(
        ["gpg", "--homedir", str(home), "--batch", "--passphrase", "", "--quick-gen-key", "site mirror <mirror@site.invalid>", "ed25519", "sign", "1y"],
        check=True,
        capture_output=True,
    )
    listing = subprocess.run(["gpg", "--homedir", str(home), "--with-colons", "--list-secret-keys"], capture_output=True, text=True, check=True).stdout
    fingerprint = next(line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:"))
    # The operator's agent, running before the module, is left running after it.
    subprocess.run(["gpg-connect-agent", "--homedir", str(home), "/bye"], check=True, capture_output=True)
    result, failed = run(capsys, path=str(tmp_path / "r"), sources=sources, gnupg_home=str(home), signing_key=fingerprint.lower())
    assert not failed and result["fingerprint"] == fingerprint
    alive = subprocess.run(["gpg-connect-agent", "--homedir", str(home), "--no-autostart", "GETINFO pid", "/bye"], capture_output=True, text=True, check=True)
    assert alive.stdout.startswith("D "), alive.stdout + alive.stderr
    # No key of the bundle's own was made beside the operator's.
    listing = subprocess.run(["gpg", "--homedir", str(home), "--with-colons", "--list-secret-keys"], capture_output=True, text=True, check=True).stdout
    subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "gpg-agent"], check=True)
    assert listing.count("\nsec:") + listing.startswith("sec:") == 1


def test_an_expired_bundle_key_is_replaced_and_an_expired_operators_key_refused(tmp_path, capsys, sources):
    home = tmp_path / "gnupg"
    home.mkdir(mode=0o700)
    # The bundle's own key, made to have expired yesterday.
    subprocess.run(
        ["gpg", "--homedir", str(home), "--batch", "--passphrase", "", "--faked-system-time", "20200101T000000",
         "--quick-gen-key", package_repository.BUNDLE_UID, "ed25519", "sign", "1d"],
        check=True, capture_output=True,
    )  # fmt: skip
    listing = subprocess.run(["gpg", "--homedir", str(home), "--with-colons", "--list-secret-keys"], capture_output=True, text=True, check=True).stdout
    expired = next(line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:"))
    assert "\nsec:e:" in "\n" + listing

    result, failed = run(capsys, path=str(tmp_path / "r"), sources=sources, gnupg_home=str(home), signing_key=expired)
    assert failed and f"holds no usable secret key {expired} to sign with: {expired} is expired" in result["msg"]
    result, failed = run(capsys, path=str(tmp_path / "r"), sources=sources, gnupg_home=str(home))
    assert not failed and result["fingerprint"] not in ("", expired), result
    subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "gpg-agent"], check=True)


def test_a_folder_that_is_no_repository_is_not_replaced(tmp_path, capsys, sources):
    target = tmp_path / "srv"
    target.mkdir()
    (target / "index.html").write_text("the site's own page", encoding="utf-8")
    result, failed = run(capsys, path=str(target), sources=sources, gnupg_home=str(tmp_path / "gnupg"))
    assert failed and "holds something else than a repository this module built" in result["msg"]
    assert (target / "index.html").read_text(encoding="utf-8") == "the site's own page"


def test_owns_matches_debian_components_and_flat_vendor_repositories():
    assert package_repository.owns(NONFREE, "http://deb.debian.org/debian/pool/non-free/n/x.deb")
    assert not package_repository.owns(NONFREE, "http://deb.debian.org/debian/pool/main/n/x.deb")
    assert not package_repository.owns(NONFREE, "http://deb.debian.org/debian-security/pool/updates/non-free/x.deb")
    assert package_repository.owns(CUDA, CUDA["uris"][0] + "x.deb")
    docker = {"name": "docker", "uris": ["https://download.docker.com/linux/debian"], "components": ["stable"]}
    # Docker's pool sits under dists/<suite>/: no pool/<component>/ to tell, so the URI decides.
    assert package_repository.owns(docker, "https://download.docker.com/linux/debian/dists/bookworm/pool/stable/amd64/containerd.io.deb")
