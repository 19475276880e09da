# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/airgap_bundle.yml and airgap_load.yml through a real ansible-playbook, with the local mirrors the other
tests run: a model on an HTTP mirror with its SHA256SUMS, the CPU serving image on Debian's docker-registry (found
under its real name, docker.io/vllm/..., through a registries.conf mirror entry, as a staging machine behind a proxy
registry would), the collections from this machine's own installs, and wheels from PyPI.

Then the bundle is loaded into a second registry, a model store and a collections folder, as a disconnected site
would; and a bundle changed after it was made is refused before anything is loaded.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
import urllib.request
from pathlib import Path

import pytest

from ansible_collections.horizon.ai_platform.tests.servers.http_mirror import serve
from ansible_collections.horizon.ai_platform.tests.servers.oci_registry import push_image_layers, registry
from ansible_collections.horizon.ai_platform.tests.unit.playbook_runner import ansible_playbook, recap
from ansible_collections.horizon.ai_platform.tests.unit.plugins.model_samples import write_model

REPO = Path(__file__).resolve().parents[3]
IMAGE = "docker.io/vllm/vllm-openai-cpu:v0.31.0-x86_64"  # the catalog's CPU image: the fleet below needs it
MODEL = {"config.json": b'{"num_attention_heads": 4}', "model.safetensors": bytes(range(256)) * 4096, "tokenizer.json": b"{}"}

pytestmark = pytest.mark.skipif(not shutil.which("skopeo"), reason="skopeo is one of the system packages (make setup)")


def manifest_of(reg_url, repository, tag):
    request = urllib.request.Request(
        f"{reg_url}/v2/{repository}/manifests/{tag}", headers={"Accept": "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        body = response.read()
    return "sha256:" + hashlib.sha256(body).hexdigest()


@pytest.fixture
def staging(tmp_path):
    """The upstreams a connected staging machine reaches: a model mirror and a registry holding the serving image."""
    write_model(tmp_path / "upstream" / "tiny", MODEL)
    with registry(str(tmp_path / "source-registry")) as source, serve(tmp_path / "upstream") as mirror:
        digest = push_image_layers(source, "vllm/vllm-openai-cpu", "v0.31.0-x86_64", [[("etc/", None), ("etc/os-release", b"ID=test\n")]])
        conf = tmp_path / "registries.conf"
        conf.write_text(f'[[registry]]\nprefix = "docker.io/vllm"\nlocation = "{source.host}/vllm"\ninsecure = true\n', encoding="utf-8")
        requirements = tmp_path / "ee-requirements.txt"
        requirements.write_text("attrs>=22.2.0\n", encoding="utf-8")
        fleet = {
            "platforms": [{"silicon_class": "cpu", "architecture": "x86_64"}],
            "models": [{"name": "tiny", "upstream": f"{mirror.url}tiny/", "upstream_options": {"validate_certs": False}}],
        }
        (tmp_path / "fleet.json").write_text(json.dumps(fleet), encoding="utf-8")
        yield {"fleet": tmp_path / "fleet.json", "registries_conf": conf, "requirements": requirements, "image_digest": digest}


def bundle(tmp_path, staging, *extra):
    return ansible_playbook(
        tmp_path,
        "horizon.ai_platform.airgap_bundle",
        "-e",
        f"horizon_bundle_dir={tmp_path / 'bundle'}",
        "-e",
        f"horizon_bundle_fleet={staging['fleet']}",
        "-e",
        f"horizon_bundle_python_requirements={staging['requirements']}",
        "-e",
        f"ansible_python_interpreter={sys.executable}",
        "-e",
        f"horizon_bundle_registries_conf={staging['registries_conf']}",
        *extra,
        timeout=600,
    )


def load(tmp_path, site_registry, *extra):
    return ansible_playbook(
        tmp_path,
        "horizon.ai_platform.airgap_load",
        "-e",
        f"horizon_load_bundle={tmp_path / 'bundle'}",
        "-e",
        f"horizon_load_registry={site_registry.host}",
        "-e",
        "horizon_load_registry_tls_verify=false",
        "-e",
        f"horizon_load_models_dir={tmp_path / 'site' / 'models'}",
        "-e",
        f"horizon_load_collections_dir={tmp_path / 'site' / 'collections'}",
        "-e",
        f"horizon_load_collections_install_path={tmp_path / 'site' / 'installed'}",
        "-e",
        f"horizon_load_python_dir={tmp_path / 'site' / 'pypi'}",
        "-e",
        f"ansible_python_interpreter={sys.executable}",
        *extra,
        timeout=600,
    )


def test_bundle_holds_what_the_fleet_needs_then_loads_into_the_site(tmp_path, staging):
    # Check mode first: it says what it would do and writes nothing.
    rc, out = bundle(tmp_path, staging, "--check")
    assert rc == 0, out
    assert recap(out)["changed"] > 0 and not (tmp_path / "bundle").exists()

    rc, out = bundle(tmp_path, staging)
    assert rc == 0, out
    root = tmp_path / "bundle"
    manifest = json.loads((root / "manifest.json").read_text())
    content = manifest["content"]

    # Every file is listed with its size and checksum, and nothing else is in the bundle.
    listed = {e["path"]: e for e in manifest["files"]}
    on_disk = {str(p.relative_to(root)) for p in root.rglob("*") if (p.is_file() or p.is_symlink()) and p.name != "manifest.json"}
    assert set(listed) == on_disk
    for rel, entry in listed.items():
        if "sha256" in entry:
            assert hashlib.sha256((root / rel).read_bytes()).hexdigest() == entry["sha256"], rel
    assert manifest["bytes"] == sum(e.get("size", 0) for e in listed.values())

    # The collection and its dependencies, which install offline.
    names = [c["name"] for c in content["collections"]]
    assert names[0] == "horizon.ai_platform" and set(names[1:]) == {"community.general", "containers.podman", "kubernetes.core"}
    assert all((root / "collections" / c["file"]).is_file() for c in content["collections"])
    # The EE's requirements and their wheels.
    assert (root / "ee" / "ee-requirements.txt").read_text() == (REPO / "meta" / "ee-requirements.txt").read_text()
    assert [p.name.split("-")[0] for p in (root / "python").glob("*.whl")] == ["attrs"]
    # The image the fleet's CPU nodes run, under the catalog's name, byte for byte the registry's.
    assert content["images"] == [{"image": IMAGE, "layout": "images/docker.io_vllm_vllm-openai-cpu_v0.31.0-x86_64", "reference": "bundle"}]
    assert sorted(p.name for p in (root / "images").iterdir()) == ["docker.io_vllm_vllm-openai-cpu_v0.31.0-x86_64"]  # no .partial left
    index = json.loads((root / content["images"][0]["layout"] / "index.json").read_text())
    assert [m["digest"] for m in index["manifests"]] == [staging["image_digest"]]
    # The model, verified against the mirror's checksums, no credential of its source in the manifest.
    (model,) = content["models"]
    assert model["name"] == "tiny" and model["revision"]
    for name, data in MODEL.items():
        assert (root / "models" / "tiny" / model["revision"] / name).read_bytes() == data
    assert "upstream_options" not in json.dumps(content)

    # A second run finds everything in place.
    rc, out = bundle(tmp_path, staging)
    assert rc == 0, out
    assert recap(out)["changed"] == 0, out

    with registry(str(tmp_path / "site-registry")) as site:
        rc, out = load(tmp_path, site)
        assert rc == 0, out
        assert manifest_of(site.url, "docker.io/vllm/vllm-openai-cpu", "v0.31.0-x86_64") == staging["image_digest"]
        store = tmp_path / "site" / "models" / "tiny"
        assert (store / "current").resolve().name == model["revision"]
        assert {n: (store / "current" / n).read_bytes() for n in MODEL} == MODEL
        installed = tmp_path / "site" / "installed" / "ansible_collections"
        assert sorted(f"{p.parent.name}.{p.name}" for p in installed.glob("*/*")) == sorted(names)
        assert sorted(p.name for p in (tmp_path / "site" / "pypi").iterdir()) == sorted(p.name for p in (root / "python").iterdir())

        # Loaded already: nothing to do.
        rc, out = load(tmp_path, site)
        assert rc == 0, out
        assert recap(out)["changed"] == 0, out


def test_a_changed_bundle_is_refused_before_anything_is_loaded(tmp_path, staging):
    rc, out = bundle(tmp_path, staging, "-e", "horizon_bundle_python=false")
    assert rc == 0, out
    root = tmp_path / "bundle"
    model = json.loads((root / "manifest.json").read_text())["content"]["models"][0]
    weights = root / "models" / "tiny" / model["revision"] / "model.safetensors"
    weights.chmod(0o644)
    data = bytearray(weights.read_bytes())
    data[1000] ^= 0xFF
    weights.write_bytes(bytes(data))
    (root / "collections" / "stray.tar.gz").write_bytes(b"not listed")

    with registry(str(tmp_path / "site-registry")) as site:
        rc, out = load(tmp_path, site)
    assert rc == 2, out
    assert f"models/tiny/{model['revision']}/model.safetensors has SHA-256" in out
    assert "collections/stray.tar.gz is not in the manifest" in out
    assert not (tmp_path / "site").exists()


def test_fleet_description_errors_are_named(tmp_path):
    (tmp_path / "fleet.json").write_text(json.dumps({"platforms": [{"silicon_class": "amd-cdna"}]}), encoding="utf-8")
    rc, out = ansible_playbook(
        tmp_path,
        "horizon.ai_platform.airgap_bundle",
        "-e",
        f"horizon_bundle_dir={tmp_path / 'bundle'}",
        "-e",
        f"horizon_bundle_fleet={tmp_path / 'fleet.json'}",
        "-e",
        f"ansible_python_interpreter={sys.executable}",
        timeout=120,
    )
    assert rc == 2, out
    assert "the MI200 series (gfx90a); the MI100 (gfx908) is not in them" in out
    assert not (tmp_path / "bundle").exists()

    (tmp_path / "fleet.json").write_text(json.dumps({"platforms": [], "models": [{"name": "x"}]}), encoding="utf-8")
    args = ["-e", f"horizon_bundle_dir={tmp_path / 'bundle'}", "-e", f"horizon_bundle_fleet={tmp_path / 'fleet.json'}"]
    rc, out = ansible_playbook(tmp_path, "horizon.ai_platform.airgap_bundle", *args)
    assert rc == 2 and "The fleet description needs platforms" in out, out
