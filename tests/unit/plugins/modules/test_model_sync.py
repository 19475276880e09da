# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""model_sync against real sources: a directory, an HTTP mirror with ranges, and an S3 server (moto)."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time

import pytest

from ansible_collections.horizon.ai_platform.plugins.modules import model_sync
from ansible_collections.horizon.ai_platform.tests.servers.http_mirror import serve
from ansible_collections.horizon.ai_platform.tests.servers.process import free_port
from ansible_collections.horizon.ai_platform.tests.servers.s3 import moto_s3
from ansible_collections.horizon.ai_platform.tests.unit.conftest import COLLECTIONS
from ansible_collections.horizon.ai_platform.tests.unit.plugins.model_samples import read_tree, sha256sums, write_model
from ansible_collections.horizon.ai_platform.tests.unit.plugins.modules.module_runner import run_module

BIG = "model-00001-of-00002.safetensors"


def sync(capsys, check_mode=False, diff=False, **args):
    return run_module(model_sync.main, args, capsys, check_mode=check_mode, diff=diff)


def published(store, name="m"):
    base = store / name
    current = base / "current"
    return base, os.readlink(current), read_tree(current)


def assert_published(store, files, name="m"):
    base, revision, tree = published(store, name)
    assert tree == files
    manifest = json.loads((base / f"{revision}.manifest.json").read_text())
    assert {e["path"]: e["sha256"] for e in manifest["files"]} == {p: hashlib.sha256(c).hexdigest() for p, c in files.items()}
    for path in files:
        mode = os.stat(base / revision / path).st_mode
        assert not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH), f"{path} is writable"
    return revision


def file_gets(server, path):
    return [r for r in server.requests if r[0] == "GET" and r[1].endswith("/" + path)]


# --------------------------------------------------------------------------- file://


def test_file_source_with_checksums_publishes_then_is_unchanged(capsys, source, store, files):
    result, failed = sync(capsys, src=f"file://{source}", name="m", dest=str(store))
    assert not failed, result
    assert result["changed"] and result["files"] == len(files)
    assert result["bytes"] == sum(len(c) for c in files.values()) == result["transferred_bytes"]
    revision = assert_published(store, files)
    assert result["revision"] == revision and result["path"] == str(store / "m" / revision)
    assert not (store / "m" / ".staging" / revision).exists()

    again, failed = sync(capsys, src=f"file://{source}", name="m", dest=str(store))
    assert not failed and not again["changed"] and again["transferred_bytes"] == 0
    assert again["revision"] == revision


def test_file_source_without_checksums_hashes_while_copying(capsys, tmp_path, store, files):
    src = write_model(tmp_path / "plain", files, checksums=None)
    result, failed = sync(capsys, src=f"file://{src}", name="m", dest=str(store))
    assert not failed, result
    assert_published(store, files)
    again, _failed = sync(capsys, src=f"file://{src}", name="m", dest=str(store))
    assert not again["changed"]
    (tmp_path / "plain" / "config.json").write_bytes(b'{"hidden_size": 128}\n')
    third, _failed = sync(capsys, src=f"file://{src}", name="m", dest=str(store))
    assert third["changed"] and third["revision"] != result["revision"]
    assert third["transferred_bytes"] == len(b'{"hidden_size": 128}\n')


def test_file_source_refuses_symlink_out_of_the_tree(capsys, tmp_path, store, files):
    src = write_model(tmp_path / "src2", files, checksums=None)
    (tmp_path / "secret").write_text("root:x:0:0")
    os.symlink(tmp_path / "secret", os.path.join(src, "leak.json"))
    result, failed = sync(capsys, src=f"file://{src}", name="m", dest=str(store))
    assert failed and "leak.json" in result["msg"] and "outside" in result["msg"]
    assert not store.exists()


# --------------------------------------------------------------------------- http(s)://


def test_http_check_mode_reports_and_writes_nothing(capsys, mirror, store, files):
    result, failed = sync(capsys, check_mode=True, diff=True, src=mirror.url, name="m", dest=str(store))
    assert not failed, result
    assert result["changed"] and result["transferred_bytes"] == sum(len(c) for c in files.values())
    assert result["diff"]["before"] == "" and result["diff"]["after"] == sha256sums(files)
    assert not store.exists()
    # The checksum list, and config.json for the preview: no weights.
    assert sorted(r[1].rsplit("/", 1)[1] for r in mirror.requests if r[0] == "GET") == ["SHA256SUMS", "config.json"]
    preview = result["preview"]
    assert preview["revision"] == result["revision"]
    assert preview["config"] == json.loads(files["config.json"])
    assert {f["path"]: f["size"] for f in preview["manifest"]["files"]} == {p: len(c) for p, c in files.items()}
    assert preview["manifest"]["source"] == result["source"]


def test_check_mode_preview_says_why_it_has_no_config(capsys, tmp_path, store, files):
    broken = dict(files, **{"config.json": b"{not json"})
    src = write_model(tmp_path / "broken", broken)
    result, failed = sync(capsys, check_mode=True, src=f"file://{src}", name="m", dest=str(store))
    assert not failed, result
    assert result["preview"]["config"] is None
    assert result["preview"]["config_error"].startswith("config.json could not be read from the source: Expecting property name")
    without = {p: c for p, c in files.items() if p != "config.json"}
    src = write_model(tmp_path / "noconfig", without)
    result, failed = sync(capsys, check_mode=True, src=f"file://{src}", name="m", dest=str(store))
    assert not failed, result
    assert result["preview"]["config"] is None and "lists no config.json" in result["preview"]["config_error"]
    assert not store.exists()


def test_a_published_revision_has_no_preview(capsys, source, store):
    sync(capsys, src=f"file://{source}", name="m", dest=str(store))
    again, failed = sync(capsys, check_mode=True, src=f"file://{source}", name="m", dest=str(store))
    assert not failed and not again["changed"] and "preview" not in again


def test_http_cold_then_warm_sync(capsys, mirror, store, files, hashing):
    result, failed = sync(capsys, diff=True, src=mirror.url, name="m", dest=str(store))
    assert not failed, result
    assert result["changed"] and result["previous_revision"] is None
    assert_published(store, files)
    progress = json.loads((store / "m" / ".staging" / "progress.json").read_text())
    assert progress["state"] == "done" and progress["bytes_done"] == progress["bytes_total"] == result["bytes"]

    mirror.requests.clear()
    again, _failed = sync(capsys, diff=True, src=mirror.url, name="m", dest=str(store))
    assert not again["changed"] and "diff" not in again
    # Only the checksum list was asked for: the verdict came from the manifest and file metadata.
    assert [r[1] for r in mirror.requests] == ["/SHA256SUMS"]


def test_http_new_revision_reuses_unchanged_files_and_prunes(capsys, mirror, source, store, files):
    first, _failed = sync(capsys, src=mirror.url, name="m", dest=str(store))
    changed = dict(files, **{"config.json": b'{"hidden_size": 65}\n'})
    write_model(source, changed)
    second, failed = sync(capsys, diff=True, src=mirror.url, name="m", dest=str(store), keep_revisions=1)
    assert not failed, second
    assert second["previous_revision"] == first["revision"] and second["revision"] != first["revision"]
    assert second["transferred_bytes"] == len(changed["config.json"])
    assert second["reused_bytes"] == sum(len(c) for p, c in files.items() if p != "config.json")
    assert second["pruned"] == [first["revision"]]
    assert not (store / "m" / first["revision"]).exists()
    assert "config.json" in second["diff"]["after"] and second["diff"]["before"] != second["diff"]["after"]
    assert_published(store, changed)


def test_http_resumes_after_connection_loss(capsys, mirror, store, files, hashing):
    size = len(files[BIG])
    mirror.drop_next(size // 2, "/" + BIG)
    result, failed = sync(capsys, src=mirror.url, name="m", dest=str(store), parallel=1)
    assert failed and BIG in result["msg"] and "resume" in result["msg"]
    partial = store / "m" / ".staging"
    partials = list(partial.glob("*/partial/" + BIG))
    assert partials and os.path.getsize(partials[0]) == size // 2
    # The failed file stops the run before its worker starts another (which would leave a partial file too).
    assert [p.name for p in partial.glob("*/partial/**/*") if p.is_file()] == [BIG]
    assert not (store / "m" / "current").exists()

    mirror.requests.clear()
    result, failed = sync(capsys, src=mirror.url, name="m", dest=str(store), parallel=1)
    assert not failed, result
    assert result["resumed_bytes"] == size // 2
    assert file_gets(mirror, BIG) == [("GET", "/" + BIG, f"bytes={size // 2}-")]
    assert result["transferred_bytes"] == result["bytes"] - size // 2
    assert_published(store, files)


def test_http_server_without_range_support_starts_over(capsys, source, store, files):
    size = len(files[BIG])
    with serve(source) as first:
        first.drop_next(size // 3, "/" + BIG)
        result, failed = sync(capsys, src=first.url, name="m", dest=str(store), parallel=1)
        assert failed
    with serve(source, ignore_range=True) as second:
        result, failed = sync(capsys, src=second.url, name="m", dest=str(store), parallel=1)
    assert not failed, result
    assert_published(store, files)


def test_http_corrupted_byte_fails_and_keeps_previous_revision(capsys, mirror, source, store, files, hashing):
    good, _failed = sync(capsys, src=mirror.url, name="m", dest=str(store))
    shard = "model-00003-of-00003.safetensors"
    changed = dict(files, **{shard: files[BIG][::-1]})
    write_model(source, changed)
    data = bytearray(changed[shard])
    data[len(data) // 2] ^= 0x01  # one flipped bit on the mirror, after its checksum list was written
    (source / shard).write_bytes(bytes(data))
    result, failed = sync(capsys, src=mirror.url, name="m", dest=str(store))
    assert failed
    expected = hashlib.sha256(changed[shard]).hexdigest()
    actual = hashlib.sha256(bytes(data)).hexdigest()
    assert shard in result["msg"] and expected in result["msg"] and actual in result["msg"]
    base, revision, tree = published(store)
    assert revision == good["revision"] and tree == files
    assert sorted(p.name for p in base.iterdir() if not p.name.startswith(".")) == sorted([good["revision"], good["revision"] + ".manifest.json", "current"])


def test_http_refuses_path_traversal_before_writing(capsys, tmp_path, store):
    root = tmp_path / "evil"
    root.mkdir()
    digest = hashlib.sha256(b"x").hexdigest()
    for name in ("../../etc/cron.d/evil", "/etc/passwd", "a/./b", "ok/../../x"):
        (root / "SHA256SUMS").write_text(f"{digest}  config.json\n{digest}  {name}\n")
        with serve(root) as server:
            result, failed = sync(capsys, src=server.url, name="m", dest=str(store))
        assert failed and name in result["msg"] and "refusing" in result["msg"]
        assert not store.exists()


def test_http_wrong_credentials_and_secrets_stay_out_of_output(capsys, source, store):
    with serve(source, auth="models:right-password") as server:
        result, failed = sync(capsys, src=server.url, name="m", dest=str(store), username="models", password="wrong-password")
        assert failed and "401" in result["msg"] and "password" in result["msg"]
        assert "wrong-password" not in json.dumps(result)
        ok, failed = sync(capsys, src=server.url, name="m", dest=str(store), username="models", password="right-password")
        assert not failed, ok
        assert "right-password" not in json.dumps(ok)
        assert "right-password" not in (store / "m" / f"{ok['revision']}.manifest.json").read_text()


def test_unreachable_endpoint_is_a_clear_error(capsys, store):
    port = free_port()
    result, failed = sync(capsys, src=f"http://127.0.0.1:{port}/models/", name="m", dest=str(store), timeout=5)
    assert failed and "cannot reach" in result["msg"] and str(port) in result["msg"]
    assert not store.exists()


def test_damaged_published_file_is_repaired(capsys, mirror, store, files):
    first, _failed = sync(capsys, src=mirror.url, name="m", dest=str(store))
    victim = store / "m" / first["revision"] / "config.json"
    os.chmod(victim, 0o644)
    victim.write_bytes(b"tampered")
    result, failed = sync(capsys, src=mirror.url, name="m", dest=str(store))
    assert not failed and result["changed"] and result["repaired"] == ["config.json"]
    assert result["transferred_bytes"] == len(files["config.json"])
    assert_published(store, files)


def test_full_verify_finds_same_size_damage(capsys, mirror, store, files):
    first, _failed = sync(capsys, src=mirror.url, name="m", dest=str(store))
    victim = store / "m" / first["revision"] / "generation_config.json"
    st = os.stat(victim)
    os.chmod(victim, 0o644)
    victim.write_bytes(files["generation_config.json"].upper())
    os.utime(victim, ns=(st.st_atime_ns, st.st_mtime_ns))
    quick, _failed = sync(capsys, src=mirror.url, name="m", dest=str(store))
    assert not quick["changed"]
    full, failed = sync(capsys, src=mirror.url, name="m", dest=str(store), verify="full")
    assert not failed and full["repaired"] == ["generation_config.json"]
    assert_published(store, files)


def test_named_revision_is_immutable(capsys, mirror, source, store, files):
    result, failed = sync(capsys, src=mirror.url, name="m", dest=str(store), revision="v1")
    assert not failed and result["revision"] == "v1"
    write_model(source, dict(files, **{"config.json": b"{}\n"}))
    result, failed = sync(capsys, src=mirror.url, name="m", dest=str(store), revision="v1")
    assert failed and "immutable" in result["msg"]
    assert published(store)[2] == files


def test_published_store_seeds_a_mirror(capsys, mirror, tmp_path, store, files):
    """write_checksums makes the published revision itself a plain mirror another node syncs from."""
    result, failed = sync(capsys, src=mirror.url, name="m", dest=str(store), write_checksums=True)
    assert not failed, result
    current = store / "m" / "current"
    assert (current / "SHA256SUMS").read_text() == sha256sums(files)
    with serve(current) as regional:
        downstream, failed = sync(capsys, src=regional.url, name="m", dest=str(tmp_path / "node"))
    assert not failed, downstream
    assert downstream["revision"] == result["revision"]
    assert read_tree(tmp_path / "node" / "m" / "current") == files
    again, _failed = sync(capsys, src=mirror.url, name="m", dest=str(store), write_checksums=True)
    assert not again["changed"]


def test_patterns_select_files(capsys, mirror, store, files):
    result, failed = sync(capsys, src=mirror.url, name="m", dest=str(store), ignore_patterns=["*.bin"], allow_patterns=["*.json", "*.safetensors"])
    assert not failed, result
    assert set(published(store)[2]) == {p for p in files if not p.endswith(".bin")}


def test_a_mirror_seeded_with_patterns_gives_its_nodes_its_revision(capsys, mirror, tmp_path, store, files):
    """The derived revision names what is published, so a mirror that skips files and its nodes agree on it."""
    seeded, failed = sync(capsys, diff=True, src=mirror.url, name="m", dest=str(store), write_checksums=True, ignore_patterns=["*.bin"])
    assert not failed, seeded
    kept = {p: c for p, c in files.items() if not p.endswith(".bin")}
    # The diff shows the checksum list the revision will hold, as its manifest will list it.
    manifest = json.loads((store / "m" / f"{seeded['revision']}.manifest.json").read_text())
    (listed,) = [e for e in manifest["files"] if e["path"] == "SHA256SUMS"]
    assert f"{listed['sha256']}  SHA256SUMS\n" in seeded["diff"]["after"]
    with serve(store / "m" / "current") as regional:
        node, failed = sync(capsys, src=regional.url, name="m", dest=str(tmp_path / "node"))
    assert not failed, node
    assert node["revision"] == seeded["revision"]
    assert read_tree(tmp_path / "node" / "m" / "current") == kept


def test_other_patterns_make_another_revision(capsys, mirror, store, files):
    """Changing what is selected never collides with the immutable revision of the earlier selection."""
    everything, failed = sync(capsys, src=mirror.url, name="m", dest=str(store))
    assert not failed, everything
    fewer, failed = sync(capsys, src=mirror.url, name="m", dest=str(store), ignore_patterns=["*.bin"])
    assert not failed, fewer
    assert fewer["changed"] and fewer["revision"] != everything["revision"]
    assert fewer["transferred_bytes"] == 0
    assert set(published(store)[2]) == {p for p in files if not p.endswith(".bin")}


def test_pruning_keeps_the_revision_to_roll_back_to(capsys, mirror, source, store, files):
    """keep_revisions counts the current revision and, first, the one it replaced; never an older one instead."""
    revisions = []
    for value in (1, 2, 3):
        write_model(source, dict(files, **{"config.json": b'{"n": %d}\n' % value}))
        result, failed = sync(capsys, src=mirror.url, name="m", dest=str(store))
        assert not failed, result
        revisions.append(result["revision"])
    # Back to the first revision, which is still published: then forward to the third again.
    write_model(source, dict(files, **{"config.json": b'{"n": 1}\n'}))
    back, failed = sync(capsys, src=mirror.url, name="m", dest=str(store))
    assert not failed and back["revision"] == revisions[0] and back["transferred_bytes"] == 0
    write_model(source, dict(files, **{"config.json": b'{"n": 3}\n'}))
    check, _failed = sync(capsys, check_mode=True, src=mirror.url, name="m", dest=str(store), keep_revisions=2)
    forward, failed = sync(capsys, src=mirror.url, name="m", dest=str(store), keep_revisions=2)
    assert not failed, forward
    # The third revision is current, the first (current until now) is kept, the second goes.
    assert forward["revision"] == revisions[2] and forward["previous_revision"] == revisions[0]
    assert forward["pruned"] == check["pruned"] == [revisions[1]]
    assert (store / "m" / revisions[0]).is_dir() and not (store / "m" / revisions[1]).exists()
    only, failed = sync(capsys, src=mirror.url, name="m", dest=str(store), keep_revisions=1)
    assert not failed and only["pruned"] == [revisions[0]]


def run_module_process(args, prefix=()):
    """Run model_sync as Ansible runs it on a node: a separate Python process reading its arguments."""
    env = dict(os.environ, PYTHONPATH=str(COLLECTIONS))
    argv = [*prefix, sys.executable, model_sync.__file__, json.dumps({"ANSIBLE_MODULE_ARGS": args})]
    return subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def can_mount_tmpfs():
    return os.geteuid() == 0 and shutil.which("unshare") and subprocess.run(["unshare", "--mount", "true"], check=False).returncode == 0


@pytest.mark.skipif(not can_mount_tmpfs(), reason="needs root and unshare to mount a private tmpfs")
def resident_fraction(path):
    """The share of ``path``'s pages that are in the page cache (mincore(2) over a shared mapping)."""
    import ctypes  # noqa: PLC0415 - this helper alone needs it
    import mmap  # noqa: PLC0415

    libc = ctypes.CDLL(None, use_errno=True)
    libc.mmap.restype = ctypes.c_void_p
    libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
    libc.mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p]
    libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
    size = os.path.getsize(path)
    pages = (size + mmap.PAGESIZE - 1) // mmap.PAGESIZE
    vec = (ctypes.c_ubyte * pages)()
    with open(path, "rb") as f:
        addr = libc.mmap(None, size, mmap.PROT_READ, mmap.MAP_SHARED, f.fileno(), 0)
        assert addr not in (None, ctypes.c_void_p(-1).value), os.strerror(ctypes.get_errno())
        try:
            assert libc.mincore(addr, size, vec) == 0, os.strerror(ctypes.get_errno())
        finally:
            libc.munmap(addr, size)
    return sum(v & 1 for v in vec) / pages


@pytest.mark.parametrize("page_cache", ["drop", "keep"])
def test_page_cache_option_decides_where_a_large_file_stays(capsys, tmp_path, store, page_cache):
    """A 40 MiB file passes through the write-behind windows; with drop it leaves the page cache."""
    probe = tmp_path / "probe"
    probe.write_bytes(b"x" * (1 << 20))
    with open(probe, "rb") as f:
        os.fsync(f.fileno())
        os.posix_fadvise(f.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
    if resident_fraction(probe) > 0.5:
        pytest.skip("this file system keeps clean pages cached whatever it is told (tmpfs)")
    files = {"weights.safetensors": os.urandom(40 << 20), "config.json": b'{"hidden_size": 64}\n'}
    src = write_model(tmp_path / "src", files)
    with serve(src) as server:
        result, failed = sync(capsys, src=server.url, name="m", dest=str(store), page_cache=page_cache)
    assert not failed, result
    current = store / "m" / "current"
    large = resident_fraction(current / "weights.safetensors")  # before anything reads the file back
    small = resident_fraction(current / "config.json")
    assert_published(store, files)
    if page_cache == "drop":
        assert large < 0.05, f"{large:.0%} of the large file is still cached"
    else:
        assert large > 0.9, f"only {large:.0%} of the large file is cached"
    assert small == 1.0  # small files always stay cached


def test_full_disk_fails_before_downloading(mirror, store, files):
    """A real, small file system (tmpfs in a private mount namespace) too small for the model."""
    store.mkdir()
    args = {"src": mirror.url, "name": "m", "dest": str(store)}
    script = f'mount -t tmpfs -o size=2m horizon-test "{store}" && exec "$@"'
    proc = run_module_process(args, prefix=("unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh"))
    out = proc.communicate(timeout=120)[0]
    result = json.loads(out.decode().strip().splitlines()[-1])
    assert result.get("failed"), result
    assert "not enough free space" in result["msg"] and "nothing was downloaded" in result["msg"]
    assert not file_gets(mirror, BIG)
    assert not os.listdir(store)  # the tmpfs went away with its namespace; nothing reached the real directory


def test_kill_9_mid_transfer_then_resume(capsys, source, store, files):
    size = len(files[BIG])
    with serve(source, rate=size // 4) as slow:
        proc = run_module_process({"src": slow.url, "name": "m", "dest": str(store), "parallel": 1})
        partials = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            partials = list(store.glob("m/.staging/*/partial/" + BIG))
            if partials and os.path.getsize(partials[0]) > size // 4:
                break
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
        assert partials, "the transfer never started"
        kept = os.path.getsize(partials[0])
        assert 0 < kept < size
        assert not (store / "m" / "current").exists()
    with serve(source) as fast:
        result, failed = sync(capsys, src=fast.url, name="m", dest=str(store), parallel=1)
        assert not failed, result
        assert file_gets(fast, BIG) == [("GET", "/" + BIG, f"bytes={kept}-")]
    assert result["resumed_bytes"] == kept and result["transferred_bytes"] == result["bytes"] - kept
    assert_published(store, files)


@pytest.mark.parametrize("bad", ["", "../x", "current", "a/b", ".staging"])
def test_bad_model_names_are_refused(capsys, mirror, store, bad):
    result, failed = sync(capsys, src=mirror.url, name=bad, dest=str(store))
    assert failed and "invalid model name" in result["msg"]


# --------------------------------------------------------------------------- s3://


@pytest.fixture(scope="module")
def s3server(tmp_path_factory):
    with moto_s3(log=str(tmp_path_factory.mktemp("moto") / "moto.log")) as server:
        yield server


@pytest.fixture(scope="module")
def s3open(tmp_path_factory):
    """A server without signature checks, for nested prefixes (see tests/servers/s3.py)."""
    with moto_s3(log=str(tmp_path_factory.mktemp("moto") / "moto.log"), auth=False) as server:
        yield server


def upload(server, bucket, prefix, files, sums=True, checksum=False):
    client = server.client()
    client.create_bucket(Bucket=bucket)
    lead = f"{prefix}/" if prefix else ""
    for path, content in files.items():
        extra = {"ChecksumAlgorithm": "SHA256"} if checksum else {}
        client.put_object(Bucket=bucket, Key=f"{lead}{path}", Body=content, **extra)
    if sums:
        client.put_object(Bucket=bucket, Key=f"{lead}SHA256SUMS", Body=sha256sums(files).encode())


def s3args(server, bucket, prefix, store, **extra):
    return dict(
        src=f"s3://{bucket}/{prefix}",
        name="m",
        dest=str(store),
        endpoint_url=server.url,
        region=server.region,
        access_key=server.access_key,
        secret_key=server.secret_key,
        **extra,
    )


def test_s3_with_checksum_list(capsys, s3server, store, files):
    upload(s3server, "models-sums", "", files)
    result, failed = sync(capsys, **s3args(s3server, "models-sums", "", store))
    assert not failed, result
    assert_published(store, files)
    assert s3server.secret_key not in json.dumps(result)
    again, _failed = sync(capsys, **s3args(s3server, "models-sums", "", store))
    assert not again["changed"]


def test_s3_nested_prefix_ignores_sibling_prefixes(capsys, s3open, store, files):
    upload(s3open, "models-nested", "llama/v1", files)
    upload(s3open, "models-nested", "llama/v10", {"config.json": b"{}"})
    result, failed = sync(capsys, **s3args(s3open, "models-nested", "llama/v1", store))
    assert not failed, result
    assert result["source"] == "s3://models-nested/llama/v1"
    assert_published(store, files)


def test_s3_with_object_checksums(capsys, s3server, store, files):
    upload(s3server, "models-objsums", "", files, sums=False, checksum=True)
    result, failed = sync(capsys, **s3args(s3server, "models-objsums", "", store))
    assert not failed, result
    assert_published(store, files)


def test_s3_without_any_checksum_is_refused(capsys, s3server, store, files):
    upload(s3server, "models-nosums", "", files, sums=False)
    result, failed = sync(capsys, **s3args(s3server, "models-nosums", "", store))
    assert failed and "no full-object SHA-256 checksum" in result["msg"]
    assert not store.exists()


def test_s3_wrong_secret_is_refused(capsys, s3server, store, files):
    upload(s3server, "models-auth", "", files)
    args = s3args(s3server, "models-auth", "", store)
    args["secret_key"] = "not-the-secret"
    result, failed = sync(capsys, **args)
    assert failed and "SignatureDoesNotMatch" in result["msg"] and "secret_key" in result["msg"]
    assert "not-the-secret" not in json.dumps(result)
    args["access_key"] = "AKIAUNKNOWN"
    result, failed = sync(capsys, **args)
    assert failed and "InvalidAccessKeyId" in result["msg"]


def test_s3_resumes_partial_file_with_ranged_get(capsys, s3server, store, files):
    upload(s3server, "models-resume", "", files)
    args = s3args(s3server, "models-resume", "", store)
    planned, _failed = sync(capsys, check_mode=True, **args)
    # What an interrupted run leaves: the first part of the big file in its staging area.
    partial = store / "m" / ".staging" / planned["revision"] / "partial" / BIG
    partial.parent.mkdir(parents=True)
    half = len(files[BIG]) // 2
    partial.write_bytes(files[BIG][:half])
    result, failed = sync(capsys, **args)
    assert not failed, result
    assert result["resumed_bytes"] == half and result["transferred_bytes"] == result["bytes"] - half
    assert_published(store, files)


def test_s3_unreachable_endpoint(capsys, store):
    endpoint = f"http://127.0.0.1:{free_port()}"
    args = dict(src="s3://models/m", name="m", dest=str(store), endpoint_url=endpoint, access_key="AKIAEXAMPLE", secret_key="example-secret", timeout=2)
    result, failed = sync(capsys, **args)
    assert failed and "cannot reach" in result["msg"]


def test_custom_checksum_file_name(capsys, tmp_path, store, files):
    src = write_model(tmp_path / "custom", files, checksums="CHECKSUMS.sha256")
    with serve(src) as server:
        result, failed = sync(capsys, src=server.url, name="m", dest=str(store), checksum_file="CHECKSUMS.sha256")
        assert not failed, result
        missing, failed = sync(capsys, src=server.url, name="other", dest=str(store))
    assert failed and "SHA256SUMS" in missing["msg"] and "404" in missing["msg"]
    assert_published(store, files)


def test_lock_held_by_another_sync_times_out(capsys, mirror, store):
    (store / "m").mkdir(parents=True)
    with open(store / "m" / ".lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        result, failed = sync(capsys, src=mirror.url, name="m", dest=str(store), lock_timeout=1)
    assert failed and "another sync" in result["msg"] and "waited 1 s" in result["msg"]
    assert not (store / "m" / "current").exists()


@pytest.mark.parametrize(("option", "value"), [("parallel", 0), ("timeout", 0), ("lock_timeout", 0), ("keep_revisions", -1)])
def test_out_of_range_numbers_are_refused(capsys, mirror, store, option, value):
    result, failed = sync(capsys, src=mirror.url, name="m", dest=str(store), **{option: value})
    assert failed and option in result["msg"] and str(value) in result["msg"]
    assert not store.exists()


@pytest.mark.parametrize(
    ("src", "message"),
    [
        ("ftp://mirror/m/", "unsupported source"),
        ("http://[1.2.3.4]/m/", "source <an invalid URI> is not a valid URI (An IPv4 address cannot be in brackets)"),
        ("oci://registry/Models/M:1", "not a valid repository name"),
        ("oci://registry/m@sha1:abc", "not a sha256 digest"),
        ("oci://registry/m:bad/tag", "not a valid"),
        ("oci://registry", "oci:// sources are"),
    ],
)
def test_unsupported_sources_are_refused(capsys, store, src, message):
    result, failed = sync(capsys, src=src, name="m", dest=str(store))
    assert failed and message in result["msg"]
    assert not store.exists()
