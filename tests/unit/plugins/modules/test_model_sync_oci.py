# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""model_sync against a real OCI registry on loopback (Debian's docker-registry).

Artifacts are pushed with oras-py, modelcar images are built and pushed with podman, and layer
stacks with whiteouts are assembled by hand because podman cannot delete without a shell in the
image. Anonymous, htpasswd and bearer-token registries are all real.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import platform

import pytest

from ansible_collections.horizon.ai_platform.plugins.module_utils._model_source_oci import ZSTD_MAGIC, OciSource
from ansible_collections.horizon.ai_platform.plugins.modules import model_sync
from ansible_collections.horizon.ai_platform.tests.servers.oci_registry import (
    OCI_MANIFEST,
    push_artifact,
    push_blob,
    push_image_layers,
    push_modelcar,
    put_manifest,
    registry,
)
from ansible_collections.horizon.ai_platform.tests.servers.process import free_port
from ansible_collections.horizon.ai_platform.tests.unit.plugins.model_samples import read_tree, write_model
from ansible_collections.horizon.ai_platform.tests.unit.plugins.modules.module_runner import run_module

BIG = "model-00001-of-00002.safetensors"
ARCH = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())


def sync(capsys, check_mode=False, diff=False, **args):
    return run_module(model_sync.main, args, capsys, check_mode=check_mode, diff=diff)


def oci_args(reg, reference, store, **extra):
    args = {"src": f"oci://{reg.host}/{reference}", "name": "m", "dest": str(store), "plain_http": True}
    if reg.auth:
        args.update(username=reg.user, password=reg.password)
    args.update(extra)
    return args


def published(store, name="m"):
    current = store / name / "current"
    return os.readlink(current), read_tree(current)


def manifest_of(store, revision, name="m"):
    return json.loads((store / name / f"{revision}.manifest.json").read_text())


def blob_file(workdir, digest):
    hexdigest = digest.split(":", 1)[1]
    return workdir / "storage" / "docker" / "registry" / "v2" / "blobs" / "sha256" / hexdigest[:2] / hexdigest / "data"


@pytest.fixture
def model_dir(tmp_path, files):
    return write_model(tmp_path / "model", files, checksums=None)


@pytest.fixture
def anonymous(tmp_path):
    with registry(str(tmp_path / "registry")) as reg:
        yield reg


# --------------------------------------------------------------------------- ORAS artifacts


@pytest.mark.parametrize("auth", [None, "basic", "token"])
def test_oras_artifact_publishes_verified_files_then_is_unchanged(capsys, tmp_path, model_dir, files, store, auth):
    with registry(str(tmp_path / "registry"), auth=auth) as reg:
        digest = push_artifact(reg, "models/tiny", "v1", model_dir, sorted(files))
        args = oci_args(reg, "models/tiny:v1", store)
        planned, failed = sync(capsys, check_mode=True, **args)
        assert not failed and planned["changed"] and planned["transferred_bytes"] == sum(map(len, files.values()))
        assert not store.exists()

        result, failed = sync(capsys, **args)
        assert not failed, result
        revision = "sha256-" + digest.split(":", 1)[1]
        assert result["revision"] == revision and result["changed"]
        assert result["files"] == len(files) and result["transferred_bytes"] == sum(map(len, files.values()))
        current, tree = published(store)
        assert current == revision and tree == files
        manifest = manifest_of(store, revision)
        assert manifest["source_info"]["kind"] == "artifact" and manifest["source_info"]["digest"] == digest
        # Each file was verified against its layer digest, which is the file's own SHA-256.
        assert {e["path"]: e["digest"] for e in manifest["files"]} == {p: hashlib.sha256(c).hexdigest() for p, c in files.items()}
        if auth == "token":
            assert reg.token_requests >= 1 and any("models/tiny:pull" in s for s in reg.token_scopes)
        if auth:
            assert reg.password not in json.dumps(result)

        again, failed = sync(capsys, **args)
        assert not failed and not again["changed"] and again["transferred_bytes"] == 0


@pytest.mark.parametrize("auth", ["basic", "token"])
def test_registry_credentials_wrong_or_missing_fail_clearly(capsys, tmp_path, model_dir, files, store, auth):
    with registry(str(tmp_path / "registry"), auth=auth) as reg:
        push_artifact(reg, "models/tiny", "v1", model_dir, ["config.json"])
        args = oci_args(reg, "models/tiny:v1", store, password="not-the-password")
        result, failed = sync(capsys, **args)
        assert failed and "refused the credentials" in result["msg"] and "models/tiny" in result["msg"]
        assert "not-the-password" not in json.dumps(result)
        del args["username"], args["password"]
        result, failed = sync(capsys, **args)
        assert failed and ("requires a username and password" in result["msg"] or "refused" in result["msg"])
        assert not (store / "m" / "current").exists()


def test_pinned_digest_and_new_tag_reuse_unchanged_files(capsys, tmp_path, model_dir, files, store, anonymous):
    first = push_artifact(anonymous, "models/tiny", "v1", model_dir, sorted(files))
    result, failed = sync(capsys, **oci_args(anonymous, f"models/tiny@{first}", store))
    assert not failed and result["revision"] == "sha256-" + first.split(":", 1)[1]

    (model_dir / "config.json").write_bytes(b'{"hidden_size": 128}\n')
    changed = dict(files, **{"config.json": b'{"hidden_size": 128}\n'})
    second = push_artifact(anonymous, "models/tiny", "v2", model_dir, sorted(files))
    result, failed = sync(capsys, **oci_args(anonymous, "models/tiny:v2", store, keep_revisions=1))
    assert not failed, result
    assert result["revision"] == "sha256-" + second.split(":", 1)[1] and result["previous_revision"] == "sha256-" + first.split(":", 1)[1]
    assert result["transferred_bytes"] == len(changed["config.json"])
    assert result["reused_bytes"] == sum(len(c) for p, c in files.items() if p != "config.json")
    assert published(store)[1] == changed
    assert result["pruned"] == ["sha256-" + first.split(":", 1)[1]]

    missing = "sha256:" + "0" * 64
    result, failed = sync(capsys, **oci_args(anonymous, f"models/tiny@{missing}", store))
    assert failed and "no manifest" in result["msg"]


def test_corrupted_blob_fails_naming_file_and_digests(capsys, tmp_path, model_dir, files, store, anonymous):
    push_artifact(anonymous, "models/tiny", "v1", model_dir, sorted(files))
    good, _failed = sync(capsys, **oci_args(anonymous, "models/tiny:v1", store))
    (model_dir / BIG).write_bytes(files[BIG][::-1])
    digest = push_artifact(anonymous, "models/tiny", "v2", model_dir, sorted(files))
    manifest = json.loads(blob_file(tmp_path / "registry", digest).read_bytes())
    layer = next(x for x in manifest["layers"] if x["annotations"]["org.opencontainers.image.title"] == BIG)
    data = blob_file(tmp_path / "registry", layer["digest"])
    raw = bytearray(data.read_bytes())
    raw[12345] ^= 0x01
    data.write_bytes(bytes(raw))

    result, failed = sync(capsys, **oci_args(anonymous, "models/tiny:v2", store))
    assert failed and BIG in result["msg"] and layer["digest"].split(":", 1)[1] in result["msg"]
    assert hashlib.sha256(bytes(raw)).hexdigest() in result["msg"]
    assert published(store) == (good["revision"], files)


def test_interrupted_blob_resumes_with_a_range_request(capsys, tmp_path, model_dir, files, store, anonymous):
    digest = push_artifact(anonymous, "models/tiny", "v1", model_dir, sorted(files))
    revision = "sha256-" + digest.split(":", 1)[1]
    partial = store / "m" / ".staging" / revision / "partial" / BIG
    partial.parent.mkdir(parents=True)
    partial.write_bytes(files[BIG][:1000000])
    result, failed = sync(capsys, **oci_args(anonymous, "models/tiny:v1", store))
    assert not failed, result
    assert result["resumed_bytes"] == 1000000
    assert result["transferred_bytes"] == sum(map(len, files.values())) - 1000000
    assert published(store)[1] == files


def test_index_resolves_to_the_nodes_architecture(capsys, tmp_path, model_dir, files, store, anonymous):
    digest = push_artifact(anonymous, "models/tiny", "v1", model_dir, ["config.json"])
    other = push_artifact(anonymous, "models/tiny", "other", model_dir, ["generation_config.json"])

    def entry(manifest_digest, arch):
        size = len(blob_file(tmp_path / "registry", manifest_digest).read_bytes())
        return {"mediaType": OCI_MANIFEST, "digest": manifest_digest, "size": size, "platform": {"os": "linux", "architecture": arch}}

    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [entry(other, "riscv64"), entry(digest, ARCH)]}
    put_manifest(anonymous, "models/tiny", "multi", index)
    result, failed = sync(capsys, **oci_args(anonymous, "models/tiny:multi", store))
    assert not failed, result
    assert result["revision"] == "sha256-" + digest.split(":", 1)[1]
    assert published(store)[1] == {"config.json": files["config.json"]}

    index["manifests"] = [entry(other, "riscv64"), entry(digest, "s390x" if ARCH != "s390x" else "ppc64le")]
    put_manifest(anonymous, "models/tiny", "foreign", index)
    result, failed = sync(capsys, **oci_args(anonymous, "models/tiny:foreign", store))
    assert failed and f"linux/{ARCH}" in result["msg"] and "riscv64" in result["msg"]


def test_unsafe_titles_are_refused_before_anything_is_written(capsys, store, anonymous):
    blob = push_blob(anonymous, "models/evil", b"owned\n")
    config = push_blob(anonymous, "models/evil", b"{}")
    for title in ("../../etc/cron.d/evil", "/etc/passwd", ".oci-layers/x"):
        manifest = {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": "application/vnd.unknown.config.v1+json", "digest": config, "size": 2},
            "layers": [
                {"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": blob, "size": 6, "annotations": {"org.opencontainers.image.title": title}}
            ],
        }
        put_manifest(anonymous, "models/evil", "v1", manifest)
        result, failed = sync(capsys, **oci_args(anonymous, "models/evil:v1", store))
        assert failed and "refusing" in result["msg"], result
        assert not (store / "m").exists() or not any((store / "m").iterdir())


def test_unreachable_registry_fails_clearly(capsys, store):
    result, failed = sync(capsys, src=f"oci://127.0.0.1:{free_port()}/models/tiny:v1", name="m", dest=str(store), plain_http=True, timeout=5)
    assert failed and "cannot reach" in result["msg"]


# --------------------------------------------------------------------------- modelcar images


def test_podman_built_modelcar_is_unpacked_from_models(capsys, tmp_path, files, store, anonymous):
    context = tmp_path / "context"
    write_model(context / "models", files, checksums=None)
    (context / "other").mkdir()
    (context / "other" / "not-model.txt").write_text("outside /models\n")
    containerfile = "FROM scratch\nCOPY models/ /models/\nCOPY other/ /other/\n"
    digest = push_modelcar(anonymous, "modelcar/tiny", "v1", str(context), str(tmp_path / "build"), containerfile=containerfile)
    args = oci_args(anonymous, "modelcar/tiny:v1", store, ignore_patterns=["*.bin"])
    result, failed = sync(capsys, **args)
    assert not failed, result
    expected = {p: c for p, c in files.items() if not p.endswith(".bin")}
    assert result["revision"] == "sha256-" + digest.split(":", 1)[1] and result["files"] == len(expected)
    current, tree = published(store)
    assert tree == expected
    manifest = manifest_of(store, current)
    assert manifest["source_info"]["kind"] == "image"
    assert {e["path"]: e["sha256"] for e in manifest["files"]} == {p: hashlib.sha256(c).hexdigest() for p, c in expected.items()}
    assert not (store / "m" / ".staging" / current).exists()

    again, failed = sync(capsys, **args)
    assert not failed and not again["changed"]


def test_docker_format_modelcar(capsys, tmp_path, files, store, anonymous):
    context = tmp_path / "context"
    write_model(context / "models", {"config.json": files["config.json"]}, checksums=None)
    push_modelcar(anonymous, "modelcar/docker", "v1", str(context), str(tmp_path / "build"), media="docker")
    result, failed = sync(capsys, **oci_args(anonymous, "modelcar/docker:v1", store))
    assert not failed, result
    assert published(store)[1] == {"config.json": files["config.json"]}


def test_layers_are_applied_in_order_with_whiteouts(capsys, store, anonymous):
    layers = [
        [
            ("models", None),
            ("models/config.json", b"old config\n"),
            ("models/old.bin", b"stale weights\n"),
            ("models/tokenizer/vocab.txt", b"old vocab\n"),
            ("models/tokenizer/merges.txt", b"old merges\n"),
            ("models/drop/a.txt", b"a\n"),
            ("etc/hostname", b"outside the model\n"),
        ],
        [
            ("models/config.json", b"new config\n"),
            ("models/.wh.old.bin", b""),
            ("models/tokenizer/vocab.txt", b"new vocab\n"),
            # An opaque whiteout empties what lower layers put here, not what this layer adds.
            ("models/tokenizer/.wh..wh..opq", b""),
            ("models/.wh.drop", b""),
        ],
        [("models/weights.safetensors", b"w" * 70000)],
    ]
    push_image_layers(anonymous, "modelcar/layers", "v1", layers)
    result, failed = sync(capsys, **oci_args(anonymous, "modelcar/layers:v1", store))
    assert not failed, result
    current, tree = published(store)
    assert tree == {"config.json": b"new config\n", "tokenizer/vocab.txt": b"new vocab\n", "weights.safetensors": b"w" * 70000}
    assert not (store / "m" / current / "drop").exists()


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([("models/link.json", "/etc/passwd")], "symbolic link"),
        ([("models/../../etc/evil", b"x")], "'..' component"),
    ],
)
def test_unsafe_layer_entries_are_refused(capsys, store, anonymous, entries, message):
    push_image_layers(anonymous, "modelcar/evil", "v1", [[("models/config.json", b"{}"), *entries]], compress=False)
    result, failed = sync(capsys, **oci_args(anonymous, "modelcar/evil:v1", store))
    assert failed and message in result["msg"], result
    assert not (store / "m" / "current").exists()


def test_zstd_layers_and_empty_images_fail_clearly(capsys, store, anonymous):
    config = push_blob(anonymous, "modelcar/zstd", b"{}")
    blob = ZSTD_MAGIC + b"\x00" * 64
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config, "size": 2},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+zstd", "digest": push_blob(anonymous, "modelcar/zstd", blob), "size": len(blob)}],
    }
    put_manifest(anonymous, "modelcar/zstd", "v1", manifest)
    result, failed = sync(capsys, **oci_args(anonymous, "modelcar/zstd:v1", store))
    assert failed and "zstd" in result["msg"]

    push_image_layers(anonymous, "modelcar/empty", "v1", [[("app/main.py", b"print()\n")]])
    result, failed = sync(capsys, **oci_args(anonymous, "modelcar/empty:v1", store))
    assert failed and "no files under /models" in result["msg"]
    assert not (store / "m" / "current").exists()


def test_resumed_layer_that_is_garbage_is_fetched_again(capsys, tmp_path, store, anonymous):
    layer = [("models/weights.safetensors", os.urandom(300000))]
    digest = push_image_layers(anonymous, "modelcar/resume", "v1", [layer], compress=True)
    revision = "sha256-" + digest.split(":", 1)[1]
    manifest = json.loads(blob_file(tmp_path / "registry", digest).read_bytes())
    blob = blob_file(tmp_path / "registry", manifest["layers"][0]["digest"]).read_bytes()
    assert gzip.decompress(blob)  # a real gzip layer
    partial = store / "m" / ".staging" / revision / "partial" / ".oci-layers" / manifest["layers"][0]["digest"].split(":", 1)[1]
    partial.parent.mkdir(parents=True)
    partial.write_bytes(b"\xff" * 1000)
    result, failed = sync(capsys, **oci_args(anonymous, "modelcar/resume:v1", store))
    assert not failed, result
    # Resumed from the garbage, the layer could not verify: success means it was fetched again from the start,
    # so the garbage counts as nothing resumed and the whole layer as transferred.
    assert result["resumed_bytes"] == 0 and result["transferred_bytes"] == len(blob)
    assert published(store)[1] == {"weights.safetensors": layer[0][1]}


def test_expired_token_is_renewed_mid_transfer(tmp_path, model_dir, files):
    with registry(str(tmp_path / "registry"), auth="token") as reg:
        push_artifact(reg, "models/tiny", "v1", model_dir, [BIG])
        params = {"src": f"oci://{reg.host}/models/tiny:v1", "plain_http": True, "username": reg.user, "password": reg.password, "timeout": 10}
        source = OciSource(params)
        (rf,) = source.listing().files
        before = reg.token_requests
        # The token from the listing runs out before the download starts.
        expired = reg.issuer.token(reg.user, ["repository:models/tiny:pull"], lifetime=-60)
        source.auth_headers["Authorization"] = "Bearer " + expired
        with source.fetch(rf, 0) as (start, chunks):
            data = b"".join(chunks)
        assert start == 0 and data == files[BIG]
        assert reg.token_requests == before + 1


def test_registry_access_token_and_username_without_password(capsys, tmp_path, model_dir, files, store):
    with registry(str(tmp_path / "registry"), auth="token") as reg:
        push_artifact(reg, "models/tiny", "v1", model_dir, ["config.json"])
        token = reg.issuer.token(reg.user, ["repository:models/tiny:pull"])
        before = reg.token_requests
        args = {"src": f"oci://{reg.host}/models/tiny:v1", "name": "m", "dest": str(store), "plain_http": True, "token": token}
        result, failed = sync(capsys, **args)
        assert not failed, result
        assert published(store)[1] == {"config.json": files["config.json"]}
        assert reg.token_requests == before  # the given token was used as it is
        assert token not in json.dumps(result)

        del args["token"]
        result, failed = sync(capsys, username=reg.user, **args)
        assert failed and "no password" in result["msg"]
