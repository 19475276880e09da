# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""model_sync over TLS with a private CA, and the credentials each source sends.

Every server here is real and on loopback, its certificate issued by a CA created for the test
(``tests/servers/tls.py``), which the machine does not trust: the HTTP mirror, moto's S3 server
(``--ssl-cert``), Debian's docker-registry (``http.tls``) with its token server, and olah (uvicorn
with ``ssl-cert``). Each source must trust the CA in ``ca_path`` only, refuse the server without it
with a message naming the host, skip the check with ``validate_certs: false``, and refuse a
certificate issued for another name.
"""

from __future__ import annotations

import base64
import json
import os

import pytest

from ansible_collections.horizon.ai_platform.plugins.modules import model_sync
from ansible_collections.horizon.ai_platform.tests.servers.http_mirror import serve
from ansible_collections.horizon.ai_platform.tests.servers.hub import LocalRepo, olah_hub
from ansible_collections.horizon.ai_platform.tests.servers.oci_registry import push_artifact, registry
from ansible_collections.horizon.ai_platform.tests.servers.s3 import moto_s3
from ansible_collections.horizon.ai_platform.tests.servers.tls import PrivateCA
from ansible_collections.horizon.ai_platform.tests.unit.plugins.model_samples import read_tree, sample_files, sha256sums, write_model
from ansible_collections.horizon.ai_platform.tests.unit.plugins.modules.module_runner import run_module

BIG = "model-00001-of-00002.safetensors"


def sync(capsys, check_mode=False, **args):
    return run_module(model_sync.main, args, capsys, check_mode=check_mode)


class Certificates:
    """The test's CA, a certificate for 127.0.0.1, one for another name, and a second CA that signed neither."""

    def __init__(self, directory):
        self.ca = PrivateCA(os.path.join(directory, "ca"))
        self.good = self.ca.issue(["127.0.0.1", "localhost"], "loopback")
        self.wrong_name = self.ca.issue(["models.wrong.example"], "wrong-name")
        self.other_ca = PrivateCA(os.path.join(directory, "other-ca"), name="another CA")

    @property
    def ca_path(self):
        return self.ca.path

    def tls(self, cert=None):
        """``(certificate, key, ca)`` for the server fixtures."""
        return (*(cert or self.good), self.ca.path)


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return Certificates(str(tmp_path_factory.mktemp("tls")))


def assert_refused(result, failed, *words):
    """A failed task whose message says each of ``words``, with no traceback, and nothing published."""
    assert failed, result
    for word in words:
        assert word in result["msg"], result["msg"]
    assert "Traceback" not in result["msg"] and "exception" not in result, result


def assert_untrusted(result, failed, host):
    assert_refused(result, failed, f"TLS certificate of {host}", "not trusted", "ca_path")


# --------------------------------------------------------------------------- https:// mirrors


def test_https_mirror_with_the_private_ca_in_ca_path(capsys, certs, source, store, files):
    with serve(source, tls=certs.good) as mirror:
        assert mirror.url.startswith("https://")
        result, failed = sync(capsys, src=mirror.url, name="m", dest=str(store), ca_path=certs.ca_path)
        assert not failed, result
        assert read_tree(store / "m" / "current") == files
        again, failed = sync(capsys, src=mirror.url, name="m", dest=str(store), ca_path=certs.ca_path)
    assert not failed and not again["changed"]


def test_https_mirror_without_ca_path_is_not_trusted(capsys, certs, source, store):
    with serve(source, tls=certs.good) as mirror:
        result, failed = sync(capsys, src=mirror.url, name="m", dest=str(store), timeout=5)
        host = f"127.0.0.1:{mirror.server_address[1]}"
        assert not mirror.requests  # refused in the handshake: not one request was sent
    assert_untrusted(result, failed, host)
    assert "set ca_path" in result["msg"]
    assert not (store / "m" / "current").exists()


def test_https_mirror_with_a_ca_path_of_another_ca_names_that_file(capsys, certs, source, store):
    with serve(source, tls=certs.good) as mirror:
        result, failed = sync(capsys, src=mirror.url, name="m", dest=str(store), ca_path=certs.other_ca.path, timeout=5)
        host = f"127.0.0.1:{mirror.server_address[1]}"
    assert_untrusted(result, failed, host)
    assert certs.other_ca.path in result["msg"]


def test_https_mirror_with_validate_certs_false(capsys, certs, source, store, files):
    with serve(source, tls=certs.good) as mirror:
        result, failed = sync(capsys, src=mirror.url, name="m", dest=str(store), validate_certs=False)
    assert not failed, result
    assert read_tree(store / "m" / "current") == files


def test_https_mirror_certificate_for_another_name_is_refused(capsys, certs, source, store):
    with serve(source, tls=certs.wrong_name) as mirror:
        result, failed = sync(capsys, src=mirror.url, name="m", dest=str(store), ca_path=certs.ca_path, timeout=5)
        host = f"127.0.0.1:{mirror.server_address[1]}"
    assert_refused(result, failed, f"TLS certificate of {host}", "not valid for", "127.0.0.1")
    assert not (store / "m" / "current").exists()


def test_https_mirror_resumes_over_tls(capsys, certs, source, store, files):
    """The kept-alive HTTPS connection and ranged GETs, through the mirror's TLS path (no sendfile)."""
    size = len(files[BIG])
    with serve(source, tls=certs.good) as mirror:
        mirror.drop_next(size // 2, "/" + BIG)
        args = dict(src=mirror.url, name="m", dest=str(store), ca_path=certs.ca_path, parallel=1)
        first, failed = sync(capsys, **args)
        assert failed and BIG in first["msg"] and "resume" in first["msg"]
        mirror.requests.clear()
        result, failed = sync(capsys, **args)
        assert not failed, result
        assert [r for r in mirror.requests if r[1] == "/" + BIG and r[0] == "GET"] == [("GET", "/" + BIG, f"bytes={size // 2}-")]
    assert result["resumed_bytes"] == size // 2 and result["transferred_bytes"] == result["bytes"] - size // 2
    assert read_tree(store / "m" / "current") == files


@pytest.mark.parametrize("kind", ["missing", "directory", "not a certificate"])
def test_bad_ca_path_is_refused_before_any_request(capsys, tmp_path, certs, source, store, kind):
    ca_path = {"missing": tmp_path / "nope.pem", "directory": tmp_path, "not a certificate": source / "config.json"}[kind]
    with serve(source, tls=certs.good) as mirror:
        result, failed = sync(capsys, src=mirror.url, name="m", dest=str(store), ca_path=str(ca_path))
        assert not mirror.requests
    assert_refused(result, failed, f"ca_path {ca_path}")
    assert not store.exists()


# --------------------------------------------------------------------------- credentials on HTTP mirrors


def test_http_bearer_token_is_sent_and_checked(capsys, source, store, files):
    with serve(source, token="mirror-token-1234") as mirror:
        result, failed = sync(capsys, src=mirror.url, name="m", dest=str(store), token="mirror-token-1234")
        assert not failed, result
        # Every request carried the token: the listing, the size queries and the downloads.
        assert {method for method, _path, _range in mirror.requests} == {"GET", "HEAD"}
        assert {auth for _path, auth in mirror.authorizations} == {"Bearer mirror-token-1234"}
        assert "mirror-token-1234" not in json.dumps(result)
        assert "mirror-token-1234" not in (store / "m" / f"{result['revision']}.manifest.json").read_text()

        wrong, failed = sync(capsys, src=mirror.url, name="other", dest=str(store), token="not-the-token")
        assert_refused(wrong, failed, "401", "token")
        assert "not-the-token" not in json.dumps(wrong)
        missing, failed = sync(capsys, src=mirror.url, name="other", dest=str(store))
        assert_refused(missing, failed, "401")
    assert read_tree(store / "m" / "current") == files
    assert not (store / "other" / "current").exists()


@pytest.mark.parametrize("credentials", ["token", "basic"])
def test_http_credentials_do_not_follow_a_redirect_to_another_host(capsys, source, store, files, credentials):
    """A mirror that hands downloads to a CDN: the CDN gets the request, never the mirror's credentials."""
    if credentials == "token":
        server_auth, module_auth, expected = {"token": "mirror-token-1234"}, {"token": "mirror-token-1234"}, "Bearer mirror-token-1234"
    else:
        server_auth, module_auth = {"auth": "models:mirror-password"}, {"username": "models", "password": "mirror-password"}
        expected = "Basic " + base64.b64encode(b"models:mirror-password").decode()
    with serve(source) as cdn, serve(source, redirect=cdn.url, **server_auth) as mirror:
        result, failed = sync(capsys, src=mirror.url, name="m", dest=str(store), **module_auth)
        assert not failed, result
        assert {auth for _path, auth in mirror.authorizations} == {expected}
        assert cdn.requests and {auth for _path, auth in cdn.authorizations} == {None}
    assert read_tree(store / "m" / "current") == files


# --------------------------------------------------------------------------- s3:// over https


@pytest.fixture(scope="module")
def s3tls(tmp_path_factory, certs):
    with moto_s3(log=str(tmp_path_factory.mktemp("moto-tls") / "moto.log"), tls=certs.tls()) as server:
        assert server.url.startswith("https://")
        yield server


def s3_upload(server, bucket, files):
    client = server.client()
    client.create_bucket(Bucket=bucket)
    for path, content in files.items():
        client.put_object(Bucket=bucket, Key=path, Body=content)
    client.put_object(Bucket=bucket, Key="SHA256SUMS", Body=sha256sums(files).encode())


def s3_args(server, bucket, store, **extra):
    args = dict(src=f"s3://{bucket}", name="m", dest=str(store), endpoint_url=server.url, region=server.region, timeout=5)
    args.update(access_key=server.access_key, secret_key=server.secret_key)
    args.update(extra)
    return args


def test_s3_over_https_with_ca_path(capsys, s3tls, certs, store, files):
    s3_upload(s3tls, "tls-ca", files)
    result, failed = sync(capsys, **s3_args(s3tls, "tls-ca", store, ca_path=certs.ca_path))
    assert not failed, result
    assert read_tree(store / "m" / "current") == files


def test_s3_over_https_without_ca_path_is_not_trusted(capsys, s3tls, store, files):
    s3_upload(s3tls, "tls-noca", files)
    result, failed = sync(capsys, **s3_args(s3tls, "tls-noca", store))
    assert_untrusted(result, failed, s3tls.url.split("://", 1)[1])
    assert "s3://tls-noca" in result["msg"]


@pytest.mark.filterwarnings("ignore:Unverified HTTPS request")
def test_s3_over_https_with_validate_certs_false(capsys, s3tls, store, files):
    s3_upload(s3tls, "tls-noverify", files)
    result, failed = sync(capsys, **s3_args(s3tls, "tls-noverify", store, validate_certs=False))
    assert not failed, result
    assert read_tree(store / "m" / "current") == files


def test_s3_bad_ca_path_is_refused(capsys, tmp_path, s3tls, store):
    result, failed = sync(capsys, **s3_args(s3tls, "tls-ca", store, ca_path=str(tmp_path / "nope.pem")))
    assert_refused(result, failed, f"ca_path {tmp_path / 'nope.pem'}")


def test_s3_temporary_credentials_need_their_session_token(capsys, s3tls, certs, store, files):
    """moto checks the session token of an assumed role's key: right, wrong and missing."""
    s3_upload(s3tls, "tls-session", files)
    access_key, secret_key, session_token = s3tls.session
    base = s3_args(s3tls, "tls-session", store, ca_path=certs.ca_path, access_key=access_key, secret_key=secret_key)
    result, failed = sync(capsys, session_token=session_token, **base)
    assert not failed, result
    assert read_tree(store / "m" / "current") == files
    assert session_token not in json.dumps(result) and secret_key not in json.dumps(result)

    wrong = session_token[:-8] + "AAAAAAAA"
    other = s3_args(s3tls, "tls-session", store, ca_path=certs.ca_path, access_key=access_key, secret_key=secret_key)
    other["name"] = "other"
    result, failed = sync(capsys, session_token=wrong, **other)
    assert_refused(result, failed, "InvalidToken", "session_token")
    assert wrong not in json.dumps(result)
    result, failed = sync(capsys, **other)
    assert_refused(result, failed, "InvalidAccessKeyId", "session_token")


# --------------------------------------------------------------------------- oci:// over https


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    files = sample_files()
    return write_model(tmp_path_factory.mktemp("oci-model"), files, checksums=None), files


@pytest.fixture(scope="module")
def oci_tls(tmp_path_factory, certs, model_dir):
    directory, files = model_dir
    workdir = tmp_path_factory.mktemp("registry-tls")
    with registry(str(workdir / "registry"), tls=certs.tls(), log=str(workdir / "registry.log")) as reg:
        assert reg.url.startswith("https://")
        push_artifact(reg, "models/tiny", "v1", directory, sorted(files))
        yield reg


def oci_args(reg, store, **extra):
    return dict(src=f"oci://{reg.host}/models/tiny:v1", name="m", dest=str(store), timeout=5, **extra)


def test_registry_over_https_with_ca_path(capsys, oci_tls, certs, store, model_dir):
    result, failed = sync(capsys, **oci_args(oci_tls, store, ca_path=certs.ca_path))
    assert not failed, result
    assert read_tree(store / "m" / "current") == model_dir[1]


def test_registry_over_https_without_ca_path_is_not_trusted(capsys, oci_tls, store):
    result, failed = sync(capsys, **oci_args(oci_tls, store))
    assert_untrusted(result, failed, oci_tls.host)
    assert not store.joinpath("m", "current").exists()


def test_registry_over_https_with_validate_certs_false(capsys, oci_tls, store, model_dir):
    result, failed = sync(capsys, **oci_args(oci_tls, store, validate_certs=False))
    assert not failed, result
    assert read_tree(store / "m" / "current") == model_dir[1]


def test_registry_certificate_for_another_name_is_refused(capsys, tmp_path, certs, store, model_dir):
    with registry(str(tmp_path / "registry"), tls=certs.tls(certs.wrong_name)) as reg:
        result, failed = sync(capsys, **oci_args(reg, store, ca_path=certs.ca_path))
    assert_refused(result, failed, f"TLS certificate of {reg.host}", "not valid for")


def test_registry_token_service_over_https_uses_ca_path(capsys, tmp_path, certs, store, model_dir):
    """The token is fetched through another client (ansible-core's Request): it must trust ca_path too."""
    directory, files = model_dir
    with registry(str(tmp_path / "registry"), auth="token", tls=certs.tls()) as reg:
        assert reg.realm.startswith("https://")
        push_artifact(reg, "models/tiny", "v1", directory, ["config.json"])
        before = reg.token_requests
        result, failed = sync(capsys, **oci_args(reg, store, ca_path=certs.ca_path, username=reg.user, password=reg.password))
        assert not failed, result
        assert reg.token_requests > before
    assert read_tree(store / "m" / "current") == {"config.json": files["config.json"]}


@pytest.mark.filterwarnings("ignore:Unverified HTTPS request")
def test_registry_token_service_with_a_certificate_for_another_name(capsys, tmp_path, certs, store, model_dir):
    directory, _files = model_dir
    with registry(str(tmp_path / "registry"), auth="token", tls=certs.tls(), token_tls=certs.wrong_name) as reg:
        reg.verify = False  # the fixture's own pushes do not mind the token server's name
        push_artifact(reg, "models/tiny", "v1", directory, ["config.json"])
        result, failed = sync(capsys, **oci_args(reg, store, ca_path=certs.ca_path, username=reg.user, password=reg.password))
        token_host = reg.realm.split("/")[2]
    assert_refused(result, failed, "cannot get a token for models/tiny", f"TLS certificate of {token_host}", "not valid for")


# --------------------------------------------------------------------------- hf:// over https


@pytest.fixture(scope="module")
def hub_tls(tmp_path_factory, certs):
    workdir = tmp_path_factory.mktemp("hub-tls")
    with olah_hub(str(workdir), log=str(workdir / "olah.out"), tls=certs.tls()) as (endpoint, mirrors):
        assert endpoint.startswith("https://")
        files = sample_files()
        LocalRepo(mirrors, "acme/tls").commit(files, "first")
        yield endpoint, files


@pytest.fixture(autouse=True)
def hf_home(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)


def hub_args(endpoint, store, **extra):
    return dict(src="hf://acme/tls", name="m", dest=str(store), endpoint_url=endpoint, timeout=10, ignore_patterns=[".gitattributes"], **extra)


def test_hub_over_https_with_ca_path(capsys, hub_tls, certs, store):
    """huggingface_hub's listing and model_sync's downloads both trust ca_path."""
    endpoint, files = hub_tls
    result, failed = sync(capsys, **hub_args(endpoint, store, ca_path=certs.ca_path))
    assert not failed, result
    assert read_tree(store / "m" / "current") == files


def test_hub_over_https_without_ca_path_is_not_trusted(capsys, hub_tls, store):
    endpoint, _files = hub_tls
    result, failed = sync(capsys, **hub_args(endpoint, store))
    assert_untrusted(result, failed, endpoint.split("://", 1)[1])
    assert "acme/tls" in result["msg"]


def test_hub_over_https_with_validate_certs_false(capsys, hub_tls, store):
    endpoint, files = hub_tls
    result, failed = sync(capsys, **hub_args(endpoint, store, validate_certs=False))
    assert not failed, result
    assert read_tree(store / "m" / "current") == files
