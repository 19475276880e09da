# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The driver and runtime packages of the air-gapped bundle, end to end, on the systemd test-host images.

airgap_bundle.yml stages a Debian 12 node of NVIDIA Ampere silicon and a CPU-only one in containers of the test-host
image, where accelerator_drivers (Debian's own non-free NVIDIA 535 user space, from deb.debian.org) and
container_runtime (podman from Debian) run in download mode. The bundle's signed apt repository is checked, loaded into
a site folder by airgap_load.yml, and installed from on a node with no network at all: only the site folder, mounted,
as the repository settings the load wrote say. What the node installs must be the bundle's packages, and both roles
must come out of it idempotent.

The end-to-end test needs the test-host images and deb.debian.org, as Molecule does: `make testhost-tests` runs it.
"""

from __future__ import annotations

import json
import subprocess
import textwrap
import time

import pytest

from ansible_collections.horizon.ai_platform.tests.unit.playbook_runner import ansible_playbook, recap

IMAGE = "localhost/horizon-testhost:debian12"
NODE = "horizon-airgap-node"

FLEET = {
    "platforms": [
        {"silicon_class": "nvidia-ampere", "architecture": "x86_64", "os": "debian12"},
        {"silicon_class": "cpu", "architecture": "x86_64", "os": "debian12"},
    ],
    # Debian's own NVIDIA packages: NVIDIA's repositories are out of reach here. The kernel side (the open modules'
    # DKMS package, DKMS, the headers of Debian's current kernel) is bundled, as the bundle does by default; the node, a
    # container, installs the user space only.
    "drivers": {"accelerator_drivers_sources": {"nvidia": "distribution"}},
    # NVIDIA's container toolkit comes from NVIDIA's repository, out of reach here too.
    "runtime": {"container_runtime_accelerators": "none"},
}

NODE_PLAYBOOK = textwrap.dedent(
    """\
    - name: A node of the air-gapped site, with the bundle's repository only
      hosts: {node}
      gather_facts: true
      vars_files:
        - {site}/debian12.repositories.yml
      vars:
        accelerator_drivers_sources: {{nvidia: distribution}}
        accelerator_drivers_sysfs_root: /var/lib/node-sys
        # Debian's nvidia-smi cannot reach a driver in a container.
        accelerator_drivers_verify: false
        container_runtime_accelerators: none
        container_runtime_sysfs_root: /var/lib/node-sys
        container_runtime_verify: false
      pre_tasks:
        - name: Give the node the PCI tree of an A10 (nvidia-ampere)
          ansible.builtin.copy:
            content: "0x{{{{ item.value }}}}\\n"
            dest: /var/lib/node-sys/bus/pci/devices/0000:01:00.0/{{{{ item.key }}}}
            mode: "0644"
          loop: "{{{{ {{'vendor': '10de', 'device': '2236', 'class': '120000'}} | dict2items }}}}"
      roles:
        - horizon.ai_platform.accelerator_drivers
        - horizon.ai_platform.container_runtime
    """
)


def podman(*args, check=True, timeout=120):
    return subprocess.run(["podman", *args], capture_output=True, text=True, check=check, timeout=timeout)


@pytest.fixture(scope="module")
def image():
    if podman("image", "exists", IMAGE, check=False).returncode != 0:
        pytest.fail(f"{IMAGE} is missing: build the test-host images first (make images)")
    return IMAGE


def run_bundle(tmp_path, image):
    extra = {
        "horizon_bundle_dir": str(tmp_path / "bundle"),
        "horizon_bundle_fleet": FLEET,
        "horizon_bundle_staging_images": {"debian12": image},
        "horizon_bundle_python": False,
        "horizon_bundle_images": False,
    }
    return ansible_playbook(tmp_path, "horizon.ai_platform.airgap_bundle", "-e", json.dumps(extra), timeout=900)


def failure(output):
    """The failed tasks of a run's output (each with the lines that follow it), then its last lines."""
    lines = output.splitlines()
    marks = [i for i, line in enumerate(lines) if line.startswith(("fatal:", "failed:", "[ERROR]"))]
    return "\n".join(["\n".join(lines[i : i + 30]) for i in marks] + lines[-40:])


def packages_of(index):
    return {
        stanza.split("Package: ", 1)[1].split("\n", 1)[0]: stanza
        for stanza in index.read_text(encoding="utf-8").split("\n\n")
        if stanza.startswith("Package: ")
    }


@pytest.fixture
def node(tmp_path, image):
    """A systemd test host without any network, the site's package folder mounted read-only at the same path."""
    site = tmp_path / "site"
    site.mkdir()
    podman("rm", "--force", NODE, check=False)
    podman(
        "run", "--detach", "--name", NODE, "--network", "none", "--systemd", "always",
        "--volume", f"{site}:{site}:ro", image, "/sbin/init",
    )  # fmt: skip
    try:
        for _attempt in range(60):
            state = podman("exec", NODE, "systemctl", "is-system-running", check=False).stdout.strip()
            if state in ("running", "degraded"):
                break
            time.sleep(1)
        # The node's own sources (deb.debian.org) are of no use without a network: the bundle's are all it has.
        podman("exec", NODE, "sh", "-c", "rm -f /etc/apt/sources.list /etc/apt/sources.list.d/* && rm -rf /var/lib/apt/lists/*")
        yield site
    finally:
        podman("rm", "--force", NODE, check=False)


@pytest.mark.testhosts
def test_bundle_packages_install_on_a_node_without_network(tmp_path, image, node):
    rc, out = run_bundle(tmp_path, image)
    assert rc == 0, failure(out)
    assert podman("ps", "--all", "--filter", "name=horizon-bundle-", "--format", "{{.Names}}").stdout.strip() == "", "staging containers left behind"

    bundle = tmp_path / "bundle"
    manifest = json.loads((bundle / "manifest.json").read_text(encoding="utf-8"))
    (entry,) = manifest["content"]["packages"]
    assert entry["os"] == "debian12"
    assert len(entry["distributions"]) == 1 and entry["distributions"][0].startswith("Debian 12."), entry
    repo = bundle / entry["path"]
    assert entry["suites"]["debian-nonfree"]["labels"] == ["accelerator_drivers"]
    assert "container_runtime" in entry["suites"]["distribution"]["labels"]

    nonfree = packages_of(repo / "dists/debian-nonfree/main/binary-amd64/Packages")
    distribution = packages_of(repo / "dists/distribution/main/binary-amd64/Packages")
    # What the NVIDIA pair's plan installs comes from Debian's non-free, the runtime and the dependencies from main.
    assert {"nvidia-smi", "libcuda1", "libnvidia-ml1"} <= set(nonfree)
    # The kernel side of an Ampere node: the open modules with their GSP firmware, DKMS and the current kernel's headers.
    assert {"nvidia-open-kernel-dkms", "firmware-nvidia-gsp"} <= set(nonfree)
    assert {"dkms", "linux-headers-amd64"} <= set(distribution)
    assert any(name.startswith("linux-headers-") and name.endswith("-amd64") and name != "linux-headers-amd64" for name in distribution)
    assert {"podman", "conmon", "crun"} <= set(distribution) or {"podman", "conmon", "runc"} <= set(distribution)
    assert not set(nonfree) & set(distribution)
    assert entry["suites"]["debian-nonfree"]["packages"] == len(list((repo / "pool/debian-nonfree").iterdir())) == len(nonfree)

    # The Release files are signed by the key beside them, with the fingerprint the manifest gives.
    keyring = tmp_path / "bundle.gpg"
    subprocess.run(["gpg", "--batch", "--yes", "--dearmor", "-o", str(keyring), str(repo / "horizon-bundle.asc")], check=True)
    shown = subprocess.run(["gpg", "--batch", "--with-colons", "--show-keys", str(repo / "horizon-bundle.asc")], capture_output=True, text=True, check=True)
    assert entry["fingerprint"] in shown.stdout
    for suite in ("debian-nonfree", "distribution"):
        subprocess.run(["gpgv", "--keyring", str(keyring), str(repo / "dists" / suite / "InRelease")], capture_output=True, check=True)
    # Outside the bundle: the private key never travels with it.
    assert (tmp_path / "bundle.gnupg").is_dir()
    assert not any("private-keys" in str(path) for path in bundle.rglob("*"))

    # A second run finds everything in place.
    rc, again = run_bundle(tmp_path, image)
    assert rc == 0, failure(again)
    assert recap(again)["changed"] == 0, failure(again)

    # The site loads it, then its node installs from nothing else.
    site = node
    rc, out = ansible_playbook(tmp_path, "horizon.ai_platform.airgap_load", "-e", f"horizon_load_bundle={bundle}", "-e", f"horizon_load_packages_dir={site}")
    assert rc == 0, failure(out)
    assert recap(out)["changed"] >= 1
    assert (site / "debian12" / "dists" / "debian-nonfree" / "InRelease").is_file()
    settings = (site / "debian12.repositories.yml").read_text(encoding="utf-8")
    assert f"file://{site}/debian12/horizon-bundle.asc" in settings and entry["fingerprint"] in settings
    rc, out = ansible_playbook(tmp_path, "horizon.ai_platform.airgap_load", "-e", f"horizon_load_bundle={bundle}", "-e", f"horizon_load_packages_dir={site}")
    assert rc == 0 and recap(out)["changed"] == 0, failure(out)

    podman("cp", str(site / "debian12.distribution.sources"), f"{NODE}:/etc/apt/sources.list.d/horizon-distribution.sources")
    inventory = tmp_path / "node.ini"
    inventory.write_text(f"{NODE} ansible_connection=containers.podman.podman ansible_python_interpreter=/usr/bin/python3\n", encoding="utf-8")
    playbook = tmp_path / "node.yml"
    playbook.write_text(NODE_PLAYBOOK.format(node=NODE, site=site), encoding="utf-8")
    podman("exec", NODE, "mkdir", "-p", "/var/lib/node-sys/bus/pci/devices/0000:01:00.0")
    rc, out = ansible_playbook(tmp_path, "-i", inventory, playbook, timeout=900)
    assert rc == 0, failure(out)
    installed = dict(
        line.split(" ", 1)
        for line in podman("exec", NODE, "dpkg-query", "-W", "-f", "${Package} ${Version}\\n", "nvidia-smi", "libcuda1", "podman").stdout.splitlines()
    )
    assert installed["nvidia-smi"] == nonfree["nvidia-smi"].split("Version: ", 1)[1].split("\n", 1)[0]
    assert installed["podman"] == distribution["podman"].split("Version: ", 1)[1].split("\n", 1)[0]
    # apt took them from the site's folder: the pin the role wrote for the repository holds.
    policy = podman("exec", NODE, "apt-cache", "policy", "nvidia-smi").stdout
    assert f"file:{site}/debian12 debian-nonfree/main" in policy, policy

    rc, out = ansible_playbook(tmp_path, "-i", inventory, playbook, timeout=900)
    assert rc == 0 and recap(out, NODE)["changed"] == 0, failure(out)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"fleet_os": "ubuntu2404"}, "Each os of the platforms (ubuntu2404) needs its staging image in horizon_bundle_staging_images (given for: debian12)"),
        # The secret key never goes into the bundle, however the path is written.
        ({"horizon_bundle_gnupg_home": "{bundle}//keys"}, "must lie outside the bundle, which carries no secret key"),
        ({"horizon_bundle_staging_dir": "{bundle}/./staging"}, "must lie outside the bundle"),
        ({"horizon_bundle_kernels": {"debian12": "6.1.0-28-amd64"}}, "horizon_bundle_kernels is a mapping of os to lists of kernel releases"),
        ({"runtime": {"container_runtime_sysfs_root": "/sys"}}, "not the download directories or the sysfs roots, which the bundle sets"),
        ({"drivers": {"verify": False}}, "drivers and runtime may only set accelerator_drivers_* and container_runtime_* variables"),
    ],
    ids=["os-without-image", "gnupg-home-inside", "staging-inside", "kernels-not-a-list", "sysfs-root", "foreign-variable"],
)
def test_bundle_refuses_bad_package_settings(tmp_path, settings, message):
    bundle = str(tmp_path / "bundle")
    settings = {key: value.format(bundle=bundle) if isinstance(value, str) else value for key, value in settings.items()}
    fleet = {"platforms": [{"silicon_class": "cpu", "os": settings.pop("fleet_os", "debian12")}]}
    for key in ("drivers", "runtime"):
        if key in settings:
            fleet[key] = settings.pop(key)
    extra = {
        "horizon_bundle_dir": bundle,
        "horizon_bundle_fleet": fleet,
        "horizon_bundle_staging_images": {"debian12": IMAGE},
        "horizon_bundle_python": False,
        "horizon_bundle_images": False,
        **settings,
    }
    rc, out = ansible_playbook(tmp_path, "horizon.ai_platform.airgap_bundle", "-e", json.dumps(extra))
    assert rc != 0
    assert message in " ".join(out.split()), failure(out)
    assert not (tmp_path / "bundle").exists()
