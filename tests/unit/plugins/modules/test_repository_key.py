# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""repository_key with real keys made by gpg here, fetched from a real HTTP server on loopback."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from ansible_collections.horizon.ai_platform.plugins.modules import repository_key
from ansible_collections.horizon.ai_platform.tests.servers.http_mirror import serve
from ansible_collections.horizon.ai_platform.tests.unit.plugins.modules.module_runner import run_module

pytestmark = pytest.mark.skipif(shutil.which("gpg") is None, reason="gpg is not installed")


# The gpg homes the tests made keys in: each starts a gpg-agent, stopped after the module's tests.
_HOMES = set()


@pytest.fixture(autouse=True, scope="module")
def _stop_agents():
    yield
    for home in _HOMES:
        if home.is_dir():
            subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "gpg-agent"], check=False, capture_output=True)
    _HOMES.clear()


def gpg(home, *args):
    _HOMES.add(home)
    return subprocess.run(["gpg", "--batch", "--no-tty", "--quiet", "--homedir", str(home), *args], check=True, capture_output=True).stdout


def make_key(tmp_path, name, expire="1y"):
    """A fresh signing key; returns (armored public key, fingerprint)."""
    home = tmp_path / ("gnupg-" + name)
    home.mkdir(mode=0o700)
    gpg(home, "--passphrase", "", "--quick-gen-key", "%s <%s@horizon.invalid>" % (name, name), "ed25519", "sign", expire)
    listing = gpg(home, "--with-colons", "--list-keys").decode()
    fingerprint = next(line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:"))
    return gpg(home, "--armor", "--export", fingerprint), fingerprint


def keyring_fingerprints(path, tmp_path):
    listing = subprocess.run(
        ["gpg", "--batch", "--with-colons", "--show-keys", str(path)], check=True, capture_output=True, env=dict(os.environ, GNUPGHOME=str(tmp_path))
    ).stdout
    return [line.split(":")[9] for line in listing.decode().splitlines() if line.startswith("fpr:")]


@pytest.fixture(name="keys", scope="module")
def keys_fixture(tmp_path_factory):
    root = tmp_path_factory.mktemp("keys")
    first, first_fp = make_key(root, "first")
    second, second_fp = make_key(root, "second")
    return {"first": (first, first_fp), "second": (second, second_fp), "both": (first + second, None)}


def test_installs_a_checked_key_as_a_binary_keyring_then_changes_nothing(tmp_path, capsys, keys):
    served = tmp_path / "www"
    served.mkdir()
    (served / "key.asc").write_bytes(keys["first"][0])
    dest = tmp_path / "horizon-cuda.gpg"
    with serve(str(served)) as server:
        args = {"url": server.url + "key.asc", "fingerprints": [keys["first"][1].lower()], "dest": str(dest)}
        result, failed = run_module(repository_key.main, args, capsys, diff=True)
        assert not failed and result["changed"]
        assert result["fingerprints"] == [keys["first"][1]]
        assert result["diff"]["before"] == "" and result["diff"]["after"] == keys["first"][1] + "\n"
        data = dest.read_bytes()
        assert not data.startswith(b"-----BEGIN")  # binary, for Signed-By
        assert keyring_fingerprints(dest, tmp_path) == [keys["first"][1]]
        assert oct(dest.stat().st_mode & 0o777) == "0o644"
        again, failed = run_module(repository_key.main, args, capsys)
        assert not failed and not again["changed"]
        assert dest.read_bytes() == data


def test_check_mode_fetches_and_checks_but_writes_nothing(tmp_path, capsys, keys):
    dest = tmp_path / "key.gpg"
    args = {"content": keys["first"][0].decode(), "fingerprints": [keys["first"][1]], "dest": str(dest)}
    result, failed = run_module(repository_key.main, args, capsys, check_mode=True)
    assert not failed and result["changed"] and not dest.exists()


def test_armored_output_for_rpm(tmp_path, capsys, keys):
    dest = tmp_path / "RPM-GPG-KEY-horizon-rocm"
    args = {"content": keys["second"][0].decode(), "fingerprints": [keys["second"][1]], "dest": str(dest), "format": "armor"}
    result, failed = run_module(repository_key.main, args, capsys)
    assert not failed and result["changed"]
    assert dest.read_bytes().startswith(b"-----BEGIN PGP PUBLIC KEY BLOCK-----")


def test_a_key_with_another_fingerprint_is_refused_and_dest_kept(tmp_path, capsys, keys):
    dest = tmp_path / "key.gpg"
    dest.write_bytes(b"the keyring the node already trusts")
    args = {"content": keys["second"][0].decode(), "fingerprints": [keys["first"][1]], "dest": str(dest)}
    result, failed = run_module(repository_key.main, args, capsys)
    assert failed
    assert "holds keys with fingerprints %s; expected only %s" % (keys["second"][1], keys["first"][1]) in result["msg"]
    assert dest.read_bytes() == b"the keyring the node already trusts"


def test_an_extra_key_in_the_file_is_refused(tmp_path, capsys, keys):
    args = {"content": keys["both"][0].decode(), "fingerprints": [keys["first"][1]], "dest": str(tmp_path / "k.gpg")}
    result, failed = run_module(repository_key.main, args, capsys)
    assert failed and keys["second"][1] in result["msg"]
    both, failed = run_module(repository_key.main, dict(args, fingerprints=[keys["first"][1], keys["second"][1]]), capsys)
    assert not failed and both["fingerprints"] == sorted([keys["first"][1], keys["second"][1]])


def test_an_expired_key_is_refused(tmp_path, capsys):
    home = tmp_path / "gnupg-old"
    home.mkdir(mode=0o700)
    gpg(home, "--passphrase", "", "--faked-system-time", "20200101T000000", "--quick-gen-key", "old <old@horizon.invalid>", "ed25519", "sign", "1d")
    listing = gpg(home, "--with-colons", "--list-keys").decode()
    fingerprint = next(line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:"))
    armored = gpg(home, "--armor", "--export", fingerprint).decode()
    result, failed = run_module(repository_key.main, {"content": armored, "fingerprints": [fingerprint], "dest": str(tmp_path / "k.gpg")}, capsys)
    assert failed and "expired on 2020-01-02" in result["msg"] and "re-issued key" in result["msg"]


def test_a_revoked_key_is_refused(tmp_path, capsys):
    home = tmp_path / "gnupg-revoked"
    home.mkdir(mode=0o700)
    gpg(home, "--passphrase", "", "--quick-gen-key", "gone <gone@horizon.invalid>", "ed25519", "sign", "1y")
    listing = gpg(home, "--with-colons", "--list-keys").decode()
    fingerprint = next(line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:"))
    # gpg keeps a revocation certificate for every key it makes; importing it revokes the key.
    certificate = (home / "openpgp-revocs.d" / ("%s.rev" % fingerprint)).read_text().replace(":-----BEGIN", "-----BEGIN")
    subprocess.run(["gpg", "--batch", "--quiet", "--homedir", str(home), "--import"], input=certificate.encode(), check=True, capture_output=True)
    armored = gpg(home, "--armor", "--export", fingerprint).decode()
    result, failed = run_module(repository_key.main, {"content": armored, "fingerprints": [fingerprint], "dest": str(tmp_path / "k.gpg")}, capsys)
    assert failed and "is revoked by its owner" in result["msg"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"content": "not a key", "fingerprints": ["A" * 40]}, "is not an OpenPGP public key"),
        ({"content": "x", "fingerprints": ["3BF863CC"]}, "is not a full fingerprint"),
        ({"content": "x", "fingerprints": []}, "fingerprints is empty"),
    ],
)
def test_bad_input_fails_with_a_message(tmp_path, capsys, args, message):
    result, failed = run_module(repository_key.main, dict(args, dest=str(tmp_path / "k.gpg")), capsys)
    assert failed and message in result["msg"]


def test_a_key_that_cannot_be_fetched(tmp_path, capsys):
    served = tmp_path / "www"
    served.mkdir()
    with serve(str(served)) as server:
        result, failed = run_module(
            repository_key.main, {"url": server.url + "missing.asc", "fingerprints": ["A" * 40], "dest": str(tmp_path / "k.gpg")}, capsys
        )
    assert failed and "cannot fetch the key from %smissing.asc" % server.url in result["msg"]


def test_a_mirror_with_a_password(tmp_path, capsys, keys):
    served = tmp_path / "www"
    served.mkdir()
    (served / "key.asc").write_bytes(keys["first"][0])
    secret = "mirr0r-Passw0rd"
    base = {"fingerprints": [keys["first"][1]], "dest": str(tmp_path / "k.gpg")}
    with serve(str(served), auth="site:%s" % secret) as server:
        refused, failed = run_module(repository_key.main, dict(base, url=server.url + "key.asc"), capsys)
        assert failed and "HTTP Error 401" in refused["msg"]
        result, failed = run_module(repository_key.main, dict(base, url=server.url + "key.asc", url_username="site", url_password=secret), capsys)
    assert not failed and result["changed"]
    assert secret not in str(result)
