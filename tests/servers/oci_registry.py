# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A real OCI registry on loopback for tests: Debian's ``docker-registry`` (distribution 2.8), in its own process.

``registry()`` serves plain HTTP (or, with ``tls``, HTTPS with a certificate from the test's private
CA, ``http.tls`` in the registry's config) on a free 127.0.0.1 port, anonymously, with htpasswd basic auth
(bcrypt hashes), or with bearer tokens: a token server in a thread of the test process answers the
Docker token protocol (``GET /token?service=..&scope=repository:NAME:pull,push`` with basic
credentials) with RS256 JWTs whose ``x5c`` header carries a self-signed certificate, the
registry's ``rootcertbundle``. A token grants exactly the requested scope, as real token servers do.
Over TLS the token server speaks HTTPS too, with the same certificate.

Content goes in three ways, each returning the manifest digest the registry reports:
``push_artifact`` (an ORAS artifact through oras-py, one layer per file titled with its relative
path), ``push_modelcar`` (a KServe modelcar image built and pushed with podman, whose storage stays
under the test's directory) and ``push_image_layers`` (an image assembled here from tar entries,
for layer stacks with whiteouts that podman cannot build without a shell in the image).
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import gzip
import hashlib
import http.server
import io
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
import threading
import time
import urllib.parse
import uuid

import bcrypt
import oras.provider
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from ansible_collections.horizon.ai_platform.tests.servers.process import free_port, server_process
from ansible_collections.horizon.ai_platform.tests.servers.tls import TLSServerMixin, probe_context, server_context

REGISTRY = "/usr/bin/docker-registry"
PODMAN_CONF = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "podman", "containers.conf")
SERVICE = "horizon-test-registry"
ISSUER = "horizon-test-token-issuer"
TITLE = "org.opencontainers.image.title"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
MANIFEST_ACCEPT = ", ".join(
    [OCI_MANIFEST, DOCKER_MANIFEST, "application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json"]
)
MODELCAR = "FROM scratch\nCOPY models/ /models/\n"
IMAGE_TYPES = {  # manifest, config, gzip layer, plain tar layer
    "oci": (OCI_MANIFEST, "application/vnd.oci.image.config.v1+json", "application/vnd.oci.image.layer.v1.tar+gzip", "application/vnd.oci.image.layer.v1.tar"),
    "docker": (DOCKER_MANIFEST, "application/vnd.docker.container.image.v1+json", "application/vnd.docker.image.rootfs.diff.tar.gzip", None),
}


def _b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


class OrasClient(oras.provider.Registry):
    """oras-py's client without its retry decorator, which hides every error behind about 131 s of sleeps."""

    do_request = oras.provider.Registry.do_request.__wrapped__


class TokenIssuer:
    """Signs registry bearer tokens: RS256 JWTs with the self-signed signing certificate in ``x5c``."""

    def __init__(self, bundle_path):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ISSUER)])
        now = datetime.datetime.now(datetime.timezone.utc)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(self.key, hashes.SHA256())
        )
        self.x5c = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()
        self.bundle = bundle_path
        with open(bundle_path, "wb") as f:
            f.write(cert.public_bytes(serialization.Encoding.PEM))

    def token(self, subject, scopes, service=SERVICE, lifetime=300):
        """A JWT granting each ``type:name:actions`` scope in ``scopes``."""
        access = []
        for scope in scopes:
            kind, _sep, rest = scope.partition(":")
            name, _sep, actions = rest.rpartition(":")
            if kind and name:
                access.append({"type": kind, "name": name, "actions": [a for a in actions.split(",") if a]})
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "x5c": [self.x5c]}
        claims = {"iss": ISSUER, "sub": subject, "aud": service, "exp": now + lifetime, "nbf": now - 10, "iat": now, "jti": uuid.uuid4().hex, "access": access}
        signing_input = _b64url(json.dumps(header).encode()) + "." + _b64url(json.dumps(claims).encode())
        signature = self.key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return signing_input + "." + _b64url(signature)


class _TokenHandler(http.server.BaseHTTPRequestHandler):
    """``GET /token`` of the Docker registry token protocol; the server carries ``registry`` and ``issuer``."""

    def do_GET(self):
        reg = self.server.registry
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        with reg.lock:
            reg.token_requests += 1
        if url.path != "/token":
            self._answer(404, {"errors": [{"code": "NOT_FOUND", "message": "no such endpoint"}]})
        elif self.headers.get("Authorization") != _basic(reg.user, reg.password):
            self._answer(401, {"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]}, {"WWW-Authenticate": 'Basic realm="token"'})
        else:
            scopes = query.get("scope", [])
            token = self.server.issuer.token(reg.user, scopes, service=query.get("service", [SERVICE])[0])
            with reg.lock:
                reg.token_scopes.append(" ".join(scopes))
            self._answer(200, {"token": token, "access_token": token, "expires_in": 300, "issued_at": datetime.datetime.now(datetime.timezone.utc).isoformat()})

    def _answer(self, status, body, headers=None):
        data = json.dumps(body).encode()
        self.send_response(status)
        for key, value in {"Content-Type": "application/json", "Content-Length": str(len(data)), **(headers or {})}.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        """Keep the test output clean."""


class _TokenServer(TLSServerMixin, http.server.ThreadingHTTPServer):
    daemon_threads = True


class Registry:
    """A running registry: where it is, how to authenticate, and what its token server has served.

    ``verify`` is what the fixture's own clients (requests, oras-py) verify TLS with: the CA file, or
    True for a plain HTTP registry.
    """

    def __init__(self, port, auth, user, password, ca_path=None):
        self.host = f"127.0.0.1:{port}"
        self.url = f"{'https' if ca_path else 'http'}://{self.host}"
        self.verify = ca_path or True
        self.auth = auth
        self.user = user
        self.password = password
        self.issuer = None
        self.realm = None
        self.lock = threading.Lock()
        self.token_requests = 0  # every request the token server answered, refused ones included
        self.token_scopes = []  # the scope(s) of each token it issued, in order

    def authorization(self, repository, actions="pull,push"):
        """Headers that authorize ``actions`` on ``repository``; tokens are minted here, not counted as requests."""
        if self.auth == "basic":
            return {"Authorization": _basic(self.user, self.password)}
        if self.auth == "token":
            return {"Authorization": "Bearer " + self.issuer.token(self.user, [f"repository:{repository}:{actions}"])}
        return {}

    def oras_client(self, user=None, password=None):
        """An oras-py client (no retries) for this registry, with credentials when it needs any."""
        tls = self.verify is not True
        client = OrasClient(hostname=self.host, insecure=not tls, tls_verify=self.verify, auth_backend="basic" if self.auth == "basic" else "token")
        if self.auth:
            client.auth.set_basic_auth(user or self.user, password or self.password)
        if self.auth == "basic":
            client.session.auth = (user or self.user, password or self.password)  # up front, not after a 401
        return client


@contextlib.contextmanager
def registry(workdir, auth=None, user="tester", password="not-a-real-secret-123", log=None, tls=None, token_tls=None):
    """Run docker-registry on a free loopback port with its config and storage in ``workdir``; yield a ``Registry``.

    ``auth`` is None (anonymous), ``"basic"`` (htpasswd) or ``"token"`` (bearer tokens from a token
    server in a thread of this process). ``tls`` is ``(certificate, key, ca)``: serve HTTPS with that
    certificate, and trust ``ca`` in the fixture's own clients. The token server uses the same
    certificate, or ``token_tls=(certificate, key)``.
    """
    if auth not in (None, "basic", "token"):
        raise ValueError(f"unknown auth {auth!r}")
    os.makedirs(workdir, exist_ok=True)
    reg = Registry(free_port(), auth, user, password, ca_path=tls[2] if tls else None)
    listen = f"addr: {reg.host}, secret: test-only-not-a-secret"
    if tls:
        listen += f", tls: {{certificate: {tls[0]}, key: {tls[1]}}}"
    config = [
        "version: 0.1",
        "log: {level: info}",
        f"storage: {{filesystem: {{rootdirectory: {os.path.join(workdir, 'storage')}}}, delete: {{enabled: true}}}}",
        f"http: {{{listen}}}",
    ]
    with contextlib.ExitStack() as stack:
        if auth == "basic":
            htpasswd = os.path.join(workdir, "htpasswd")
            with open(htpasswd, "w", encoding="utf-8") as f:
                f.write(f"{user}:{bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4)).decode()}\n")
            config.append(f"auth: {{htpasswd: {{realm: horizon-test, path: {htpasswd}}}}}")
        elif auth == "token":
            reg.issuer = TokenIssuer(os.path.join(workdir, "token-ca.pem"))
            server = _TokenServer(("127.0.0.1", 0), _TokenHandler)
            server.tls_context = server_context(*(token_tls or tls[:2])) if tls else None
            server.registry, server.issuer = reg, reg.issuer
            stack.callback(server.server_close)
            threading.Thread(target=server.serve_forever, args=(0.05,), name="oci-token-server", daemon=True).start()
            stack.callback(server.shutdown)
            reg.realm = f"{'https' if tls else 'http'}://127.0.0.1:{server.server_address[1]}/token"
            config.append(f"auth: {{token: {{realm: '{reg.realm}', service: {SERVICE}, issuer: {ISSUER}, rootcertbundle: {reg.issuer.bundle}}}}}")
        path = os.path.join(workdir, "config.yml")
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(config) + "\n")
        context = probe_context(tls[2]) if tls else None
        stack.enter_context(server_process([REGISTRY, "serve", path], reg.url + "/v2/", log=log, context=context))
        yield reg


def manifest_digest(reg, repository, reference):
    """The digest the registry reports for a manifest (HEAD with an Accept header: OCI manifests need one)."""
    r = requests.head(
        f"{reg.url}/v2/{repository}/manifests/{reference}",
        headers={"Accept": MANIFEST_ACCEPT, **reg.authorization(repository, "pull")},
        timeout=30,
        verify=reg.verify,
    )
    r.raise_for_status()
    return r.headers["Docker-Content-Digest"]


def push_blob(reg, repository, data):
    """Upload ``data`` as a blob (POST, then one monolithic PUT); return its digest."""
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    headers = reg.authorization(repository)
    r = requests.post(f"{reg.url}/v2/{repository}/blobs/uploads/", headers=headers, timeout=30, verify=reg.verify)
    r.raise_for_status()
    location = urllib.parse.urljoin(reg.url, r.headers["Location"])
    r = requests.put(
        location, params={"digest": digest}, data=data, headers={**headers, "Content-Type": "application/octet-stream"}, timeout=120, verify=reg.verify
    )
    r.raise_for_status()
    return digest


def put_manifest(reg, repository, reference, manifest):
    """PUT a manifest or index (a dict with ``mediaType``); return its digest as the registry reports it."""
    body = json.dumps(manifest).encode()
    headers = {**reg.authorization(repository), "Content-Type": manifest["mediaType"]}
    r = requests.put(f"{reg.url}/v2/{repository}/manifests/{reference}", data=body, headers=headers, timeout=30, verify=reg.verify)
    r.raise_for_status()
    return manifest_digest(reg, repository, reference)


def push_artifact(reg, repository, tag, files_dir, paths, annotations=None):
    """Push ``paths`` (relative to ``files_dir``) as an ORAS artifact, one layer per file titled with its relative path."""
    files = [os.path.join(os.path.abspath(files_dir), p) for p in paths]
    with tempfile.TemporaryDirectory() as tmp:
        annotation_file = os.path.join(tmp, "annotations.json")
        with open(annotation_file, "w", encoding="utf-8") as f:
            json.dump({full: {TITLE: rel} for full, rel in zip(files, paths)}, f)
        client = reg.oras_client()
        if reg.auth == "token":
            # oras-py keeps the first token it gets, for the first request's scope (pull, from a blob HEAD),
            # and never asks again on a 401, so the push would fail: start with a pull+push token.
            client.auth.set_token_auth(reg.authorization(repository)["Authorization"].split(" ", 1)[1])
        client.push(
            target=f"{reg.host}/{repository}:{tag}",
            files=files,
            annotation_file=annotation_file,
            manifest_annotations=annotations,
            disable_path_validation=True,
            quiet=True,
        )
    return manifest_digest(reg, repository, tag)


def _layer(entries):
    """An uncompressed layer tar of ``(name, value)``: bytes make a file, None a directory, a str a symlink to it."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, value in entries:
            info = tarfile.TarInfo(name)
            if value is None:
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
            elif isinstance(value, str):
                info.type, info.linkname, info.mode = tarfile.SYMTYPE, value, 0o777
                tar.addfile(info)
            else:
                info.size, info.mode = len(value), 0o644
                tar.addfile(info, io.BytesIO(value))
    return buf.getvalue()


def push_image_layers(reg, repository, tag, layers, media="oci", compress=True):
    """Assemble an image from ``layers`` (lists of tar entries, see ``_layer``) and push it; return its digest.

    Whiteouts are plain entries: ``("models/.wh.old.json", b"")`` deletes a lower layer's file and
    ``("models/dir/.wh..wh..opq", b"")`` empties a lower layer's directory. ``media`` is ``"oci"`` or
    ``"docker"`` (v2 schema 2, always gzip); ``compress=False`` gives OCI ``tar`` layers.
    """
    manifest_type, config_type, gzip_type, tar_type = IMAGE_TYPES[media]
    descriptors, diff_ids = [], []
    for entries in layers:
        raw = _layer(entries)
        diff_ids.append("sha256:" + hashlib.sha256(raw).hexdigest())
        gzipped = compress or not tar_type
        blob = gzip.compress(raw, compresslevel=1, mtime=0) if gzipped else raw
        descriptors.append({"mediaType": gzip_type if gzipped else tar_type, "digest": push_blob(reg, repository, blob), "size": len(blob)})
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {}, "rootfs": {"type": "layers", "diff_ids": diff_ids}}).encode()
    manifest = {
        "schemaVersion": 2,
        "mediaType": manifest_type,
        "config": {"mediaType": config_type, "digest": push_blob(reg, repository, config), "size": len(config)},
        "layers": descriptors,
    }
    return put_manifest(reg, repository, tag, manifest)


def _run(argv, env):
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    if proc.returncode:
        raise RuntimeError(f"{' '.join(argv)} failed with {proc.returncode}: {proc.stderr.strip()}")


def push_modelcar(reg, repository, tag, context_dir, workdir, containerfile=MODELCAR, media="oci"):
    """Build a modelcar image with podman from ``context_dir`` (which holds ``models/``) and push it; return its digest.

    podman's storage, run and temporary directories all live under ``workdir/podman``, so the
    machine's podman storage is never touched. ``containerfile`` is the build's text (several
    ``COPY`` lines give several layers); ``media`` is ``"oci"`` or ``"docker"`` (v2 schema 2).
    """
    base = os.path.join(os.path.abspath(workdir), "podman")
    os.makedirs(os.path.join(base, "tmp"), exist_ok=True)
    env = dict(os.environ, CONTAINERS_CONF=PODMAN_CONF, TMPDIR=os.path.join(base, "tmp"))
    # podman refuses a run root longer than 50 characters: that one goes in a short-lived directory of its own.
    runroot = tempfile.mkdtemp(prefix="hz-podman-", dir="/tmp")
    podman = ["podman", f"--root={base}/root", f"--runroot={runroot}", f"--tmpdir={base}/libpod", "--storage-driver=vfs"]
    path = os.path.join(base, f"Containerfile.{uuid.uuid4().hex}")
    with open(path, "w", encoding="utf-8") as f:
        f.write(containerfile)
    ref = f"{reg.host}/{repository}:{tag}"
    push = [*podman, "push", "--quiet", "--tls-verify=false", "--format", "oci" if media == "oci" else "v2s2"]
    if reg.auth:
        push += ["--creds", f"{reg.user}:{reg.password}"]
    try:
        _run([*podman, "build", "--quiet", "--format", media, "-t", ref, "-f", path, context_dir], env)
        _run([*push, ref], env)
    finally:
        shutil.rmtree(runroot, ignore_errors=True)
    return manifest_digest(reg, repository, tag)
