# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Private: ``oci://registry/repository:tag`` or ``@sha256:...`` - models in an OCI registry.

Not a public API. Two kinds of content are understood:

* **ORAS artifacts**: every layer carries an ``org.opencontainers.image.title`` annotation and is
  one file of the model (or, with ``io.deis.oras.content.unpack``, a tar+gzip of one directory);
  the layer digest is the file's SHA-256, so files are verified and reused like any other source's.
* **Modelcar images** (KServe): ordinary image layers (tar, tar+gzip); the model is what the
  image holds under ``/models``. Layers are downloaded and verified against their digests, then
  applied in order, whiteouts included, into the staging area; the files' SHA-256 are computed
  while they are written.

The registry is read through the OCI distribution API with model_sync's own range-capable
transfer, not through oras-py: oras-py 0.2 sets no request timeouts, retries for minutes, does
not verify what it downloads and cannot resume a blob. The revision is the manifest's digest.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import posixpath
import re
import shutil
import tarfile
import threading
from urllib.parse import urlencode, urlsplit

from ansible_collections.horizon.ai_platform.plugins.module_utils._model_sources import (
    HttpStatusError,
    HttpTransport,
    Listing,
    Source,
    SourceError,
    certificate_error,
    match_patterns,
    tls_message,
)
from ansible_collections.horizon.ai_platform.plugins.module_utils._model_store import (
    CHUNK,
    RemoteFile,
    StoreError,
    check_tree,
    inside,
    make_writable,
    safe_relpath,
)

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
ACCEPT = ", ".join((OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_LIST))
TITLE = "org.opencontainers.image.title"
ORAS_UNPACK = "io.deis.oras.content.unpack"
MODELCAR_ROOT = "models"
# Where layer blobs wait in staging until they are unpacked; a name no model file can take.
LAYER_DIR = ".oci-layers"
MAX_MANIFEST = 4 * 1024 * 1024
WHITEOUT = ".wh."
OPAQUE = ".wh..wh..opq"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"

_REPOSITORY_RE = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$")
_TAG_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_DIGEST_RE = re.compile(r"^sha256:([a-f0-9]{64})$")
_CHALLENGE_RE = re.compile(r'(\w+)="([^"]*)"')
_ARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64", "ppc64le": "ppc64le", "s390x": "s390x"}


def parse_reference(uri):
    """``oci://host[:port]/repository[:tag][@sha256:hex]`` -> (registry, repository, tag, digest hex)."""
    parts = urlsplit(uri)
    registry = parts.netloc.rpartition("@")[2]
    path = parts.path.lstrip("/")
    digest = None
    if "@" in path:
        path, _sep, ref = path.partition("@")
        match = _DIGEST_RE.match(ref)
        if not match:
            raise SourceError(f"oci:// source {uri!r}: {ref!r} is not a sha256 digest (sha256:<64 hex digits>)")
        digest = match.group(1)
    repository, tag = path, None
    last = path.rsplit("/", 1)[-1]
    if ":" in last:
        repository, _sep, tag = path.rpartition(":")
        if not _TAG_RE.match(tag):
            raise SourceError(f"oci:// source {uri!r}: {tag!r} is not a valid tag")
    if not registry or not repository:
        raise SourceError(f"oci:// sources are oci://<registry>/<repository>:<tag> or @sha256:<digest>, not {uri!r}")
    if not _REPOSITORY_RE.match(repository):
        raise SourceError(f"oci:// source {uri!r}: {repository!r} is not a valid repository name (lower-case letters, digits, '.', '_', '-', '/')")
    if not tag and not digest:
        tag = "latest"
    return registry, repository, tag, digest


def parse_challenge(header):
    """``WWW-Authenticate`` -> (scheme in lower case, {param: value})."""
    scheme, _sep, rest = (header or "").strip().partition(" ")
    return scheme.lower(), dict(_CHALLENGE_RE.findall(rest))


class OciSource(HttpTransport, Source):
    scheme = "oci"

    def __init__(self, params):
        super().__init__(params)
        self.registry, self.repository, self.tag, self.digest = parse_reference(self.uri)
        parts = urlsplit(self.uri)
        self.base = ("http" if params.get("plain_http") else "https") + "://" + self.registry
        user = params.get("username") or parts.username
        password = params.get("password") or parts.password
        self.credentials = (user, password) if user else None
        if user and not password:
            raise SourceError(f"username {user!r} is given for {self.describe()} but no password")
        headers = {"Authorization": "Bearer " + params["token"]} if params.get("token") else {}
        self.init_transport(params, headers=headers)
        if self.credentials and not params.get("token"):
            # Sent from the first request on; a registry that wants tokens answers with a challenge.
            self.username, self.password = self.credentials
        self.auth_lock = threading.Lock()

    def describe(self):
        ref = f"@sha256:{self.digest}" if self.digest else f":{self.tag}"
        return f"oci://{self.registry}/{self.repository}{ref}"

    def boundary_facts(self):
        return {"scheme": "oci", "host": urlsplit(self.base).hostname, "region": self.params.get("region"), "repository": self.repository}

    # ------------------------------------------------------------------ authentication

    def _open(self, method, url, headers=None):
        try:
            return super()._open(method, url, headers)
        except HttpStatusError as exc:
            if exc.status != 401 or not urlsplit(url).netloc == self.registry:
                raise
            self._authenticate(exc)
        try:
            return super()._open(method, url, headers)
        except HttpStatusError as exc:
            if exc.status == 401:
                raise self._refused() from None
            raise

    def _refused(self):
        return SourceError(f"{self.registry} refused the credentials for {self.repository} (check username and password)")

    def _authenticate(self, exc):
        scheme, challenge = parse_challenge(exc.headers.get("WWW-Authenticate") if exc.headers else "")
        if scheme == "basic":
            if not self.credentials:
                raise SourceError(f"{self.registry} requires a username and password for {self.repository}") from None
            if self.username:
                raise self._refused() from None
            self.username, self.password = self.credentials
            return
        if scheme != "bearer" or not challenge.get("realm"):
            raise SourceError(f"{self.registry} answered 401 with an authentication scheme model_sync does not speak: {scheme or 'none'}") from None
        with self.auth_lock:
            self._fetch_token(challenge)

    def _fetch_token(self, challenge):
        realm = challenge["realm"]
        query = {"scope": challenge.get("scope") or f"repository:{self.repository}:pull"}
        if challenge.get("service"):
            query["service"] = challenge["service"]
        url = realm + ("&" if "?" in realm else "?") + urlencode(query)
        user, password = self.credentials or (None, None)
        try:
            resp = self.request.open("GET", url, headers={"Accept": "application/json"}, url_username=user, url_password=password, force_basic_auth=bool(user))
            body = resp.read(MAX_MANIFEST)
        except Exception as exc:  # urllib raises HTTPError, URLError, OSError, ValueError
            status = getattr(exc, "code", None)
            if status in (401, 403):
                raise SourceError(f"the token service of {self.registry} refused the credentials for {self.repository} (check username and password)") from None
            cert = certificate_error(exc)
            if cert is not None:
                raise SourceError(f"cannot get a token for {self.repository}: {tls_message(urlsplit(realm).netloc, cert, self.ca_path)}") from None
            raise SourceError(f"cannot get a token for {self.repository} from {urlsplit(realm).netloc}: {exc}") from None
        try:
            data = json.loads(body)
            token = data.get("token") or data.get("access_token")
        except (ValueError, AttributeError):
            token = None
        if not token:
            raise SourceError(f"the token service of {self.registry} ({urlsplit(realm).netloc}) answered without a token")
        self.username = self.password = None
        self.auth_headers["Authorization"] = "Bearer " + token

    # ------------------------------------------------------------------ manifests

    def _get_manifest(self, reference, expect_digest=None):
        url = f"{self.base}/v2/{self.repository}/manifests/{reference}"
        try:
            resp = self._open("GET", url, {"Accept": ACCEPT})
        except HttpStatusError as exc:
            if exc.status == 404:
                raise SourceError(f"{self.describe()}: no manifest {reference!r} in {self.repository} on {self.registry}") from None
            raise
        try:
            body = resp.read(MAX_MANIFEST + 1)
            content_type = (resp.headers.get("Content-Type") or "").split(";")[0].strip()
            header_digest = resp.headers.get("Docker-Content-Digest")
        finally:
            resp.close()
        if len(body) > MAX_MANIFEST:
            raise SourceError(f"{self.describe()}: the manifest is larger than {MAX_MANIFEST} bytes")
        digest = hashlib.sha256(body).hexdigest()
        if expect_digest and digest != expect_digest:
            raise SourceError(f"{self.describe()}: the registry sent a manifest with digest sha256:{digest}, not the requested sha256:{expect_digest}")
        if header_digest and header_digest.startswith("sha256:") and header_digest != "sha256:" + digest:
            raise SourceError(f"{self.describe()}: the registry says the manifest is {header_digest}, its bytes hash to sha256:{digest}")
        try:
            manifest = json.loads(body)
        except ValueError:
            raise SourceError(f"{self.describe()}: the manifest is not JSON") from None
        if not isinstance(manifest, dict):
            raise SourceError(f"{self.describe()}: the manifest is not a JSON object")
        media_type = manifest.get("mediaType") or content_type
        return manifest, media_type, digest

    def _pick_platform(self, index):
        manifests = [m for m in index.get("manifests") or [] if isinstance(m, dict)]
        usable = [m for m in manifests if (m.get("platform") or {}).get("os") != "unknown"]
        arch = _ARCH.get(platform.machine().lower(), platform.machine().lower())
        for m in usable:
            plat = m.get("platform") or {}
            if plat.get("os", "linux") == "linux" and plat.get("architecture") == arch:
                return m
        if len(usable) == 1:
            return usable[0]
        found = ", ".join(f"{(m.get('platform') or {}).get('os')}/{(m.get('platform') or {}).get('architecture')}" for m in usable) or "none"
        raise SourceError(f"{self.describe()} is an index without a manifest for linux/{arch} (it has: {found})")

    def _blob_digest(self, layer, what):
        match = _DIGEST_RE.match(str(layer.get("digest", "")))
        if not match:
            raise SourceError(f"{self.describe()}: {what} has digest {layer.get('digest')!r}; model_sync verifies sha256 digests only")
        size = layer.get("size")
        if not isinstance(size, int) or size < 0:
            raise SourceError(f"{self.describe()}: {what} has no valid size")
        return match.group(1), size

    def listing(self):
        reference = "sha256:" + self.digest if self.digest else self.tag
        manifest, media_type, digest = self._get_manifest(reference, self.digest)
        if media_type in (OCI_INDEX, DOCKER_LIST) or "manifests" in manifest:
            chosen = self._pick_platform(manifest)
            match = _DIGEST_RE.match(str(chosen.get("digest", "")))
            if not match:
                raise SourceError(f"{self.describe()}: the index names a manifest by {chosen.get('digest')!r}, not a sha256 digest")
            manifest, media_type, digest = self._get_manifest(match.group(0), match.group(1))
        layers = manifest.get("layers")
        if not isinstance(layers, list) or not layers:
            raise SourceError(f"{self.describe()}: the manifest ({media_type or 'no media type'}) lists no layers")
        titled = [bool((layer.get("annotations") or {}).get(TITLE)) for layer in layers]
        files, self.archives = [], {}
        if all(titled):
            kind = "artifact"
            for layer in layers:
                title = layer["annotations"][TITLE]
                hexdigest, size = self._blob_digest(layer, f"layer {title!r}")
                if str(layer["annotations"].get(ORAS_UNPACK, "")).lower() == "true":
                    rf = RemoteFile(f"{LAYER_DIR}/{hexdigest}", size, "sha256", hexdigest)
                    self.archives[rf.path] = (safe_relpath(title), layer.get("mediaType"))
                else:
                    rf = RemoteFile(title, size, "sha256", hexdigest)
                    if rf.path.split("/")[0] == LAYER_DIR:
                        raise SourceError(f"{self.describe()}: refusing file name {title!r}: {LAYER_DIR} is reserved")
                files.append(rf)
        elif not any(titled):
            kind = "image"
            for number, layer in enumerate(layers, 1):
                hexdigest, size = self._blob_digest(layer, f"layer {number}")
                rf = RemoteFile(f"{LAYER_DIR}/{hexdigest}", size, "sha256", hexdigest)
                if rf.path in self.archives:
                    continue  # the same layer twice: applying it again changes nothing
                self.archives[rf.path] = (None, layer.get("mediaType"))
                files.append(rf)
        else:
            raise SourceError(f"{self.describe()}: some layers have a file title and some do not; it is neither an ORAS artifact nor an image")
        info = {"registry": self.registry, "repository": self.repository, "reference": reference, "digest": "sha256:" + digest}
        info.update(media_type=media_type, kind=kind)
        return Listing(files, "sha256-" + digest, info)

    def file_url(self, rf):
        return f"{self.base}/v2/{self.repository}/blobs/sha256:{rf.digest}"

    # ------------------------------------------------------------------ unpacking

    def unpack(self, stage, entries, allow=None, ignore=None):
        """Turn verified blobs in ``stage/data`` into the model's files; return their manifest entries.

        Plain files move as they are; archives (image layers, ORAS directories) are applied in
        manifest order into a fresh directory that then replaces ``stage/data``.
        """
        data = os.path.join(stage, "data")
        out = os.path.join(stage, "unpacked")
        if os.path.lexists(out):
            make_writable(out)
            shutil.rmtree(out)
        os.makedirs(out)
        tree = {}
        for entry in entries:
            if entry["path"] in self.archives:
                continue
            target = inside(out, entry["path"])
            os.makedirs(os.path.dirname(target), exist_ok=True)
            os.rename(os.path.join(data, *entry["path"].split("/")), target)
            tree[entry["path"]] = entry
        for path, (title, media_type) in self.archives.items():
            blob = os.path.join(data, *path.split("/"))
            layer = LayerApplier(out, tree, title, allow, ignore, f"layer sha256:{path.rsplit('/', 1)[1]}")
            layer.apply(blob, media_type)
        if not tree:
            where = f"under /{MODELCAR_ROOT}" if any(t is None for t, _m in self.archives.values()) else "in its layers"
            raise SourceError(f"{self.describe()} holds no files {where}" + (" that match allow_patterns/ignore_patterns" if allow or ignore else ""))
        check_tree(list(tree))
        shutil.rmtree(data)
        os.rename(out, data)
        return list(tree.values())


class LayerApplier:
    """Applies one tar layer onto ``out``, keeping ``tree`` (path -> manifest entry) in step with the disk.

    ``title`` is None for image layers (only ``models/`` is taken) or the directory an ORAS
    archive unpacks to. Whiteouts (``.wh.<name>``, ``.wh..wh..opq``) hide what lower layers
    left; entries of the same layer are never hidden by it.
    """

    def __init__(self, out, tree, title, allow, ignore, what):
        self.out = out
        self.tree = tree
        self.title = title
        self.allow = allow
        self.ignore = ignore
        self.what = what
        self.added = set()

    def relative(self, name):
        """Where archive member ``name`` goes in the model, or None when it is outside what is taken."""
        if ".." in name.split("/"):
            raise SourceError(f"refusing {name!r} in {self.what}: it contains a '..' component")
        name = posixpath.normpath("/" + name).lstrip("/")
        roots = (MODELCAR_ROOT,) if self.title is None else (self.title, posixpath.basename(self.title))
        for root in roots:
            if name == root:
                return ""
            if name.startswith(root + "/"):
                rel = name[len(root) + 1 :]
                return rel if self.title is None else f"{self.title}/{rel}"
        return None

    def remove(self, rel, keep_added, keep_dir=False):
        """Remove ``rel`` (file or directory) left by lower layers.

        With ``keep_added``, this layer's own entries are spared (whiteouts never hide them); with
        ``keep_dir``, the directory itself stays (an opaque whiteout empties it).
        """
        prefix = rel + "/" if rel else ""
        for path in [p for p in self.tree if p == rel or p.startswith(prefix)]:
            if keep_added and path in self.added:
                continue
            del self.tree[path]
            os.unlink(os.path.join(self.out, *path.split("/")))
        target = os.path.join(self.out, *rel.split("/")) if rel else self.out
        if keep_dir or not os.path.isdir(target) or os.path.islink(target):
            return
        if not (keep_added and any(p.startswith(prefix) for p in self.added)):
            shutil.rmtree(target)

    def apply(self, blob, media_type):
        with open(blob, "rb") as f:
            if f.read(4) == ZSTD_MAGIC:
                raise SourceError(f"{self.what} ({media_type}) is zstd-compressed; model_sync reads uncompressed and gzip layers")
        try:
            with tarfile.open(blob, mode="r|*") as tar:
                for member in tar:
                    self.member(tar, member)
        except tarfile.TarError as exc:
            raise SourceError(f"{self.what} ({media_type}) is not a readable tar archive: {exc}") from None

    def member(self, tar, member):
        rel = self.relative(member.name)
        if rel is None:
            return
        parent, base = posixpath.split(rel)
        if base == OPAQUE:
            self.remove(parent, keep_added=True, keep_dir=True)
            return
        if base.startswith(WHITEOUT):
            self.remove(posixpath.join(parent, base[len(WHITEOUT) :]), keep_added=True)
            return
        if not rel:
            return  # the root directory itself
        rel = safe_relpath(rel)
        if member.isdir():
            if rel in self.tree:
                self.remove(rel, keep_added=False)
            os.makedirs(inside(self.out, rel), exist_ok=True)
            return
        if member.issym():
            raise SourceError(f"refusing {rel!r} in {self.what}: it is a symbolic link (to {member.linkname!r}); model images must hold plain files")
        if not (member.isfile() or member.islnk()):
            raise SourceError(f"refusing {rel!r} in {self.what}: it is not a regular file")
        if not match_patterns(rel, self.allow, self.ignore):
            return
        self.remove(rel, keep_added=False)
        target = inside(self.out, rel)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if member.islnk():
            source = self.relative(member.linkname)
            if not source or source not in self.tree:
                raise SourceError(f"refusing {rel!r} in {self.what}: it is a hard link to {member.linkname!r}, which is not a file of the model")
            os.link(os.path.join(self.out, *source.split("/")), target)
            entry = dict(self.tree[source], path=rel)
        else:
            entry = self.write(tar, member, rel, target)
        self.tree[rel] = entry
        self.added.add(rel)

    def write(self, tar, member, rel, target):
        sha = hashlib.sha256()
        size = 0
        src = tar.extractfile(member)
        with open(target, "wb") as out:
            while True:
                block = src.read(CHUNK)
                if not block:
                    break
                out.write(block)
                sha.update(block)
                size += len(block)
        if size != member.size:
            raise StoreError(f"{self.what}: {rel!r} ends after {size} of {member.size} bytes")
        digest = sha.hexdigest()
        return {"path": rel, "size": size, "sha256": digest, "algorithm": "sha256", "digest": digest}
