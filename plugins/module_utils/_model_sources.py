# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Private: where model_sync reads models from - local paths, HTTP mirrors and S3.

Not a public API. Every source answers two questions:

* ``listing()``: which files make up the model, their sizes and the digests the source
  publishes for them, and a revision derived from that listing;
* ``fetch(remote_file, offset)``: a context manager yielding ``(start, chunks)``, the bytes of one
  file from ``offset`` on (``start`` is where the source really began: a server that ignores
  ``Range`` starts at 0).

Sources for the Hugging Face Hub and OCI registries live in their own files; this one needs
nothing beyond the standard library and ansible-core, except boto3 for S3, imported on use.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import fnmatch
import http.client
import os
import ssl
import stat
import threading
from concurrent.futures import ThreadPoolExecutor
from urllib.error import HTTPError, URLError
from urllib.parse import quote, unquote, urljoin, urlsplit, urlunsplit
from urllib.request import getproxies, proxy_bypass

from ansible_collections.horizon.ai_platform.plugins.module_utils._model_store import (
    CHUNK,
    RemoteFile,
    StoreError,
    parse_sha256sums,
    safe_relpath,
)
from ansible_collections.horizon.ai_platform.plugins.module_utils._uri import redact

SCHEMES = ("file", "http", "https", "s3", "hf", "oci")


class SourceError(StoreError):
    """The source could not be read: unreachable, refused, or not what it should be."""


class HttpStatusError(SourceError):
    """An HTTP source answered with an error status; ``status`` and ``headers`` say which and why."""

    def __init__(self, msg, status, headers=None):
        super().__init__(msg)
        self.status = status
        self.headers = headers


class Listing:
    """What a source offers: files, the revision they make up, and facts about the source.

    ``revision`` is the source's own name for this content (a hub commit, a manifest digest), or
    None where the source has none: the sync then derives it from the files it selects, so that the
    same selection of the same content always gets the same name.
    """

    def __init__(self, files, revision=None, info=None, skipped=None):
        self.files = files
        self.revision = revision
        self.info = info or {}
        self.skipped = skipped or []


def scheme_of(uri):
    try:
        scheme = urlsplit(uri).scheme.lower()
    except ValueError as exc:  # e.g. an IPv4 address in brackets
        raise SourceError(f"source {redact(uri)} is not a valid URI ({exc})") from None
    if scheme not in SCHEMES:
        raise SourceError(f"unsupported source {redact(uri)!r}: src must start with one of {', '.join(s + '://' for s in SCHEMES)}")
    return scheme


def match_patterns(path, allow, ignore):
    """Hugging Face-style filtering: keep when any allow pattern matches and no ignore pattern does."""
    if allow and not any(fnmatch.fnmatchcase(path, p) or fnmatch.fnmatchcase(path, p.rstrip("/") + "/*") for p in allow):
        return False
    return not (ignore and any(fnmatch.fnmatchcase(path, p) or fnmatch.fnmatchcase(path, p.rstrip("/") + "/*") for p in ignore))


def check_ca_path(path):
    """Refuse a ``ca_path`` that is not a readable PEM file of certificates, naming it, before any request."""
    if not os.path.isfile(path):
        raise SourceError(f"ca_path {path} does not exist or is not a file; give the PEM file of the certificate authorities to trust")
    try:
        ssl.create_default_context(cafile=path)
    except (ssl.SSLError, OSError, ValueError) as exc:
        raise SourceError(f"ca_path {path} is not a PEM file of certificates: {exc}") from None


def certificate_error(exc):
    """The ``ssl.SSLCertVerificationError`` behind ``exc`` (raised by it or wrapped by a library), or None."""
    seen = set()
    todo = [exc]
    while todo:
        e = todo.pop()
        if id(e) in seen or not isinstance(e, BaseException):
            continue
        seen.add(id(e))
        if isinstance(e, ssl.SSLCertVerificationError):
            return e
        todo.extend((e.__cause__, e.__context__, getattr(e, "reason", None), *e.args))
        todo.extend(v for v in (getattr(e, "kwargs", None) or {}).values() if isinstance(v, BaseException))
    return None


def tls_message(host, cert_error, ca_path):
    """What to tell about a server certificate that was refused: whose, why, and what to set."""
    reason = (cert_error.verify_message or str(cert_error)).rstrip(".")
    if cert_error.verify_code in (62, 64):  # X509_V_ERR_HOSTNAME_MISMATCH, X509_V_ERR_IP_ADDRESS_MISMATCH
        return f"the TLS certificate of {host} is not valid for that name ({reason}); connect by a name the certificate lists"
    if cert_error.verify_code in (2, 18, 19, 20, 21):  # no issuer, self-signed, unknown CA
        if ca_path:
            return f"the TLS certificate of {host} is not trusted: no CA in ca_path {ca_path} signed it ({reason})"
        return f"the TLS certificate of {host} is not trusted: no CA the system trusts signed it ({reason}); set ca_path to the PEM file of the CA that did"
    return f"the TLS certificate of {host} was refused: {reason}"


def parallel_map(func, items, workers):
    """``map`` over a thread pool, in order; the first exception propagates."""
    items = list(items)
    if len(items) <= 1 or workers <= 1:
        return [func(i) for i in items]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(func, items))


class Source:
    scheme = None
    # True where the revision option selects what to sync (a hub's branch or tag) rather than
    # naming the revision directory.
    revision_selects = False

    def __init__(self, params):
        self.params = params
        self.uri = params["src"]
        self.checksum_file = params.get("checksum_file") or "SHA256SUMS"
        # Files of the listing that are archives to unpack after transfer (image layers), by path.
        self.archives = {}

    def describe(self):
        return redact(self.uri)

    def boundary_endpoint(self):
        """The endpoint and region the data-boundary policy places an s3:// or hf:// source by: the ones
        this source really uses, from its options or the environment (``HF_ENDPOINT``, boto3's own)."""
        return self.params.get("endpoint_url"), self.params.get("region")

    def boundary_facts(self):
        """Where the bytes come from, for the data-boundary check (host, region when known)."""
        parts = urlsplit(self.uri)
        return {"scheme": self.scheme, "host": parts.hostname, "region": self.params.get("region")}

    def listing(self):
        raise NotImplementedError

    def fetch(self, rf, offset):
        raise NotImplementedError

    def complete(self, files):
        """Fill in the sizes of ``files`` that the listing did not give; most sources list them all."""

    def close(self):
        pass


# --------------------------------------------------------------------------- file://


class FileSource(Source):
    """A directory on a local or network file system.

    With a checksum file in the directory, that file defines the model and every file is verified
    against it. Without one, files are read as they are: digests are computed while copying, the
    revision derives from names, sizes and modification times, and a file that changes while it is
    copied fails the sync.
    """

    scheme = "file"

    def __init__(self, params):
        super().__init__(params)
        parts = urlsplit(self.uri)
        if parts.netloc not in ("", "localhost"):
            raise SourceError(f"file:// sources must be local paths, not on host {parts.netloc!r}")
        self.root = unquote(parts.path)
        if not self.root.startswith("/"):
            raise SourceError(f"file:// source {self.uri!r} must name an absolute path")
        self.real_root = os.path.realpath(self.root)

    def _path(self, rel):
        path = os.path.join(self.root, *rel.split("/"))
        real_root = self.real_root
        real = os.path.realpath(path)
        if real != real_root and not real.startswith(real_root + os.sep):
            raise SourceError(f"refusing {rel!r}: it resolves outside {self.root} (to {real})")
        return path

    def listing(self):
        if not os.path.isdir(self.root):
            raise SourceError(f"source directory {self.root} does not exist or is not a directory")
        sums_path = os.path.join(self.root, self.checksum_file)
        if os.path.isfile(sums_path):
            with open(sums_path, "rb") as f:
                sums = parse_sha256sums(f.read().decode("utf-8", "replace"), sums_path)
            files = []
            for rel, digest in sorted(sums.items()):
                path = self._path(rel)
                try:
                    st = os.stat(path)
                except OSError:
                    raise SourceError(f"{sums_path} lists {rel!r}, but {path} does not exist") from None
                if not stat.S_ISREG(st.st_mode):
                    raise SourceError(f"{sums_path} lists {rel!r}, but {path} is not a regular file")
                files.append(RemoteFile(rel, st.st_size, "sha256", digest, ref=(st.st_size, st.st_mtime_ns)))
            return Listing(files, None, {"checksums": self.checksum_file})
        files = []
        for dirpath, dirnames, filenames in os.walk(self.root, followlinks=False):
            dirnames.sort()
            for dn in list(dirnames):
                full = os.path.join(dirpath, dn)
                if os.path.islink(full):
                    self._path(os.path.relpath(full, self.root).replace(os.sep, "/"))
                    raise SourceError(f"refusing {full}: symbolic links to directories are not followed")
            for fn in sorted(filenames):
                full = os.path.join(dirpath, fn)
                rel = safe_relpath(os.path.relpath(full, self.root).replace(os.sep, "/"))
                self._path(rel)
                st = os.stat(full)
                if not stat.S_ISREG(st.st_mode):
                    continue
                # No published digest: the size and modification time stand in for it in the
                # listing; the file's sha256 is computed while it is copied.
                files.append(RemoteFile(rel, st.st_size, "sha256", None, ref=(st.st_size, st.st_mtime_ns)))
        if not files:
            raise SourceError(f"source directory {self.root} holds no files")
        return Listing(files, None, {"checksums": None})

    @contextlib.contextmanager
    def fetch(self, rf, offset):
        path = self._path(rf.path)
        with open(path, "rb") as f:
            st = os.fstat(f.fileno())
            if (st.st_size, st.st_mtime_ns) != rf.ref:
                raise SourceError(f"{path} changed after it was listed (size or modification time); run the sync again")
            f.seek(offset)

            def chunks():
                while True:
                    block = f.read(CHUNK)
                    if not block:
                        break
                    yield block
                st2 = os.fstat(f.fileno())
                if (st2.st_size, st2.st_mtime_ns) != rf.ref:
                    raise SourceError(f"{path} changed while it was copied; run the sync again")

            yield offset, chunks()


# --------------------------------------------------------------------------- http(s)://


AGENT = "horizon.ai_platform-model_sync"
# Errors of a connection, as raised by http.client: OSError covers resets and timeouts,
# HTTPException short reads and garbled status lines.
CONNECTION_ERRORS = (OSError, http.client.HTTPException)


class _KeptResponse:
    """A response on a kept-alive connection: closing it before its end closes the connection too."""

    def __init__(self, resp, discard):
        self.resp = resp
        self.status = resp.status
        self.headers = resp.headers
        self.discard = discard

    def read(self, amt=None):
        return self.resp.read(amt)

    def close(self):
        if not self.resp.isclosed():
            self.discard()
        self.resp.close()


def _urls():
    """ansible.module_utils.urls, imported on first use (TLS, proxies).

    Importing it (with the cryptography it imports) costs about a fifth of the start-up of a warm
    run, which against a mirror without TLS or proxy never needs it.
    """
    from ansible.module_utils import urls  # noqa: PLC0415 - lazy, see above

    return urls


class HttpTransport:
    """GET and HEAD with byte ranges, for HTTP-based sources.

    Each transfer thread keeps one connection per host alive across requests, so a model of a
    thousand small files costs a thousand requests, not a thousand TCP (and TLS) handshakes. Where
    a proxy is configured for a URL, ansible-core's ``Request`` (which speaks to proxies) is used
    instead. Redirects are followed by hand, up to five hops, so that credentials never travel to
    another host: a mirror or hub that redirects to a CDN gets the token, the CDN only the signed URL.
    """

    MAX_REDIRECTS = 5

    def init_transport(self, params, username=None, password=None, headers=None):
        self.auth_headers = dict(headers or {})
        self.username = username
        self.password = password
        self.timeout = params.get("timeout", 60)
        self.validate_certs = params.get("validate_certs", True)
        self.ca_path = params.get("ca_path")
        if self.ca_path:
            check_ca_path(self.ca_path)
        self._request = None
        self._local = threading.local()
        self._tls = None
        self._tls_lock = threading.Lock()
        # Called with the target of a redirect to another host before it is followed; raises to
        # refuse it (the data-boundary policy's check, set by model_sync).
        self.redirect_guard = None

    @property
    def request(self):
        """ansible-core's ``Request``, for requests through a proxy."""
        with self._tls_lock:
            if self._request is None:
                self._request = _urls().Request(
                    validate_certs=self.validate_certs,
                    ca_path=self.ca_path,
                    timeout=self.timeout,
                    http_agent=AGENT,
                    follow_redirects="none",
                )
            return self._request

    def _tls_context(self):
        with self._tls_lock:
            if self._tls is None:
                self._tls = _urls().make_context(cafile=self.ca_path, validate_certs=self.validate_certs)
            return self._tls

    def _connections(self):
        pool = getattr(self._local, "pool", None)
        if pool is None:
            pool = self._local.pool = {}
        return pool

    def _discard(self, key):
        conn = self._connections().pop(key, None)
        if conn is not None:
            conn.close()

    def _send(self, method, url, headers, with_auth):
        """One request, no redirects followed; raise ``HTTPError`` for any status from 300 on."""
        parts = urlsplit(url)
        username = self.username if with_auth else None
        if parts.scheme in getproxies() and not proxy_bypass(parts.hostname or ""):
            return self.request.open(
                method, url, headers=headers, url_username=username, url_password=self.password if username else None, force_basic_auth=bool(username)
            )
        headers = dict(headers)
        headers.setdefault("User-Agent", AGENT)
        if username:
            token = base64.b64encode(f"{username}:{self.password or ''}".encode()).decode("ascii")
            headers["Authorization"] = "Basic " + token
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        key = (parts.scheme, parts.netloc)
        pool = self._connections()
        for _attempt in range(2):
            conn = pool.get(key)
            reused = conn is not None
            if conn is None:
                if parts.scheme == "https":
                    conn = http.client.HTTPSConnection(parts.hostname, parts.port, timeout=self.timeout, context=self._tls_context())
                else:
                    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=self.timeout)
                pool[key] = conn
            try:
                conn.request(method, target, headers=headers)
                resp = conn.getresponse()
                if method == "HEAD":
                    # A HEAD response has no body, but http.client counts it complete only once read;
                    # unread, closing it would close the connection, one new connection per HEAD.
                    resp.read()
                break
            except CONNECTION_ERRORS:
                self._discard(key)
                if not reused:
                    raise
                # The server closed a kept-alive connection between requests: once more on a new one.
        if resp.status >= 300:
            self._discard(key)
            raise HTTPError(url, resp.status, resp.reason, resp.headers, None)
        return _KeptResponse(resp, lambda: self._discard(key))

    def _open(self, method, url, headers=None):
        origin = urlsplit(url).netloc
        for _hop in range(self.MAX_REDIRECTS + 1):
            same_host = urlsplit(url).netloc == origin
            all_headers = dict(self.auth_headers if same_host else {})
            all_headers.update(headers or {})
            try:
                return self._send(method, url, all_headers, with_auth=bool(self.username) and same_host)
            except HTTPError as exc:
                location = exc.headers.get("Location") if exc.headers else None
                if exc.code in (301, 302, 303, 307, 308) and location:
                    target = urljoin(url, location)
                    parts = urlsplit(target)
                    if parts.scheme.lower() not in ("http", "https"):
                        raise SourceError(f"{method} {redact(url)} redirected to a {parts.scheme.lower()}: URL; only HTTP(S) redirects are followed") from None
                    if self.redirect_guard is not None and parts.netloc != urlsplit(url).netloc:
                        self.redirect_guard(target)
                    url = target
                    continue
                hint = " (check username, password or token)" if exc.code in (401, 403) else ""
                raise HttpStatusError(f"{method} {redact(url)} failed: HTTP {exc.code} {exc.reason}{hint}", exc.code, exc.headers) from None
            except (ValueError, *CONNECTION_ERRORS) as exc:  # URLError is an OSError
                cert = certificate_error(exc)
                if cert is not None:
                    raise SourceError(tls_message(urlsplit(url).netloc, cert, self.ca_path)) from None
                raise SourceError(f"cannot reach {redact(url)}: {exc.reason if isinstance(exc, URLError) else exc}") from None
        raise SourceError(f"{method} {redact(url)} failed: more than {self.MAX_REDIRECTS} redirects")

    def file_url(self, rf):
        raise NotImplementedError

    @contextlib.contextmanager
    def fetch(self, rf, offset):
        url = self.file_url(rf)
        headers = {"Range": f"bytes={offset}-"} if offset else {}
        if offset and rf.size is not None and offset >= rf.size:
            yield offset, iter(())
            return
        resp = self._open("GET", url, headers)
        try:
            start = 0
            if offset and resp.status == 206:
                content_range = resp.headers.get("Content-Range", "")
                try:
                    start = int(content_range.split(" ", 1)[1].split("-", 1)[0])
                except (IndexError, ValueError):
                    raise SourceError(f"{redact(url)} answered a range request with a bad Content-Range {content_range!r}") from None

            def chunks():
                while True:
                    try:
                        block = resp.read(CHUNK)
                    except CONNECTION_ERRORS as exc:
                        raise SourceError(f"{rf.path}: the connection to {redact(url)} broke off ({exc}); run the sync again to resume") from None
                    if not block:
                        break
                    yield block

            yield start, chunks()
        finally:
            resp.close()


class HttpSource(HttpTransport, Source):
    """A plain mirror: ``<base>/SHA256SUMS`` lists the files, each at ``<base>/<path>``."""

    scheme = "http"

    def __init__(self, params):
        super().__init__(params)
        base = self.uri if self.uri.endswith("/") else self.uri + "/"
        parts = urlsplit(base)
        if not parts.hostname:
            raise SourceError(f"source {redact(self.uri)!r} names no host")
        username = params.get("username") or (unquote(parts.username) if parts.username else None)
        password = params.get("password") or (unquote(parts.password) if parts.password else None)
        netloc = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
        if parts.port:
            netloc += f":{parts.port}"
        self.base = urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
        headers = {"Authorization": "Bearer " + params["token"]} if params.get("token") else {}
        self.init_transport(params, username, password, headers)
        self.workers = params.get("parallel", 4)

    def url(self, rel):
        return self.base + quote(rel)

    def file_url(self, rf):
        return self.url(rf.path)

    def _size(self, rel):
        url = self.url(rel)
        resp = self._open("HEAD", url)
        try:
            length = resp.headers.get("Content-Length")
        finally:
            resp.close()
        if length is None or not length.isdigit():
            raise SourceError(f"{redact(url)} sent no Content-Length; the mirror must report file sizes")
        return int(length)

    def listing(self):
        url = self.url(self.checksum_file)
        resp = self._open("GET", url)
        try:
            text = resp.read(64 * 1024 * 1024 + 1)
        finally:
            resp.close()
        if len(text) > 64 * 1024 * 1024:
            raise SourceError(f"{redact(url)} is larger than 64 MiB; that is not a checksum list")
        sums = parse_sha256sums(text.decode("utf-8", "replace"), redact(url))
        paths = sorted(sums)
        files = [RemoteFile(p, None, "sha256", sums[p]) for p in paths]
        return Listing(files, None, {"checksums": self.checksum_file})

    def complete(self, files):
        """Ask the mirror for the sizes of ``files`` (HEAD requests, in parallel)."""
        missing = [f for f in files if f.size is None]
        sizes = parallel_map(lambda f: self._size(f.path), missing, self.workers)
        for f, size in zip(missing, sizes):
            f.size = size


# --------------------------------------------------------------------------- s3://


def _b64_to_hex(value):
    try:
        return binascii.hexlify(base64.b64decode(value, validate=True)).decode("ascii")
    except (binascii.Error, ValueError):
        return None


class S3Source(Source):
    """Objects under ``s3://bucket/prefix`` on any S3-compatible store, through boto3.

    A ``SHA256SUMS`` object under the prefix defines the model, as on an HTTP mirror. Without one,
    every object must carry a full-object SHA-256 checksum (uploaded with ``--checksum-algorithm
    SHA256``); an object without one fails the sync rather than being served unverified.
    """

    scheme = "s3"

    def __init__(self, params, boto3, botocore):
        super().__init__(params)
        parts = urlsplit(self.uri)
        self.bucket = parts.netloc
        if not self.bucket:
            raise SourceError(f"source {redact(self.uri)!r} names no bucket (s3://bucket/prefix)")
        prefix = parts.path.lstrip("/")
        self.prefix = prefix if not prefix or prefix.endswith("/") else prefix + "/"
        self.botocore = botocore
        endpoint = params.get("endpoint_url")
        verify = params.get("validate_certs", True)
        if params.get("ca_path"):
            check_ca_path(params["ca_path"])
            if verify:
                verify = params["ca_path"]
        options = {
            "retries": {"max_attempts": 3, "mode": "standard"},
            "connect_timeout": params.get("timeout", 60),
            "read_timeout": params.get("timeout", 60),
            "max_pool_connections": max(10, params.get("parallel", 4) * 2),
            "s3": {"addressing_style": "path"} if endpoint else {},
            "user_agent_extra": "horizon.ai_platform-model_sync",
        }
        if "response_checksum_validation" in getattr(botocore.config.Config, "OPTION_DEFAULTS", {}):
            # botocore 1.36 and later otherwise ask for each object's CRC and compute it over the
            # body as it is read, in the transfer thread: a second digest of every byte, where the
            # SHA-256 that model_sync verifies already covers the transfer.
            options["response_checksum_validation"] = "when_required"
        config = botocore.config.Config(**options)
        session = boto3.session.Session(
            aws_access_key_id=params.get("access_key"),
            aws_secret_access_key=params.get("secret_key"),
            aws_session_token=params.get("session_token"),
            region_name=params.get("region"),
        )
        self.client = session.client("s3", endpoint_url=endpoint, verify=verify, config=config)
        # Called with the URL of every request before it is sent; raises to refuse it (the
        # data-boundary policy's check, set by model_sync). botocore follows a bucket to the region
        # it is really in, and its endpoint may come from the environment or a config file: the
        # host each request really goes to is what is checked.
        self.redirect_guard = None
        self.client.meta.events.register("before-send.s3", self._guard_request)
        self.endpoint = endpoint
        self.ca_path = params.get("ca_path") if verify else None
        self.workers = params.get("parallel", 4)

    def _guard_request(self, request, **_kwargs):
        if self.redirect_guard is not None:
            self.redirect_guard(request.url)

    def boundary_endpoint(self):
        effective = self.client.meta.endpoint_url
        region = self.client.meta.region_name or self.params.get("region")
        host = (urlsplit(effective).hostname or "") if effective else ""
        if not self.endpoint and (not host or host.endswith(".amazonaws.com")):
            return None, region  # AWS itself: the policy names the bucket's regional endpoint
        return self.endpoint or effective, region

    def boundary_facts(self):
        facts = super().boundary_facts()
        facts["host"] = urlsplit(self.endpoint).hostname if self.endpoint else "s3.amazonaws.com"
        facts["bucket"] = self.bucket
        return facts

    def _error(self, exc, what):
        exceptions = self.botocore.exceptions
        if isinstance(exc, exceptions.ClientError):
            err = exc.response.get("Error", {})
            code = err.get("Code", "?")
            hint = ""
            if code in ("InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "403", "401", "ExpiredToken", "InvalidToken"):
                hint = " (check access_key, secret_key and session_token)"
            return SourceError(f"{what} failed: {code}: {err.get('Message') or exc}{hint}")
        cert = certificate_error(exc)
        if cert is not None:
            return SourceError(f"{what} failed: {tls_message(urlsplit(self.endpoint).netloc if self.endpoint else 's3.amazonaws.com', cert, self.ca_path)}")
        if isinstance(exc, exceptions.NoCredentialsError):
            return SourceError(f"{what} failed: no S3 credentials; set access_key and secret_key or give the node a credential source")
        if isinstance(exc, (exceptions.EndpointConnectionError, exceptions.ConnectTimeoutError)):
            return SourceError(f"{what} failed: cannot reach {self.endpoint or 'the S3 endpoint'}: {exc}")
        return SourceError(f"{what} failed: {exc}")

    def _call(self, what, func, **kwargs):
        try:
            return func(**kwargs)
        except self.botocore.exceptions.BotoCoreError as exc:
            raise self._error(exc, what) from None
        except self.botocore.exceptions.ClientError as exc:
            raise self._error(exc, what) from None

    def listing(self):
        where = f"s3://{self.bucket}/{self.prefix}"
        objects = {}
        token = None
        while True:
            kwargs = {"Bucket": self.bucket, "Prefix": self.prefix}
            if token:
                kwargs["ContinuationToken"] = token
            page = self._call(f"listing {where}", self.client.list_objects_v2, **kwargs)
            for obj in page.get("Contents", []):
                rel = obj["Key"][len(self.prefix) :]
                if not rel or rel.endswith("/"):
                    continue  # directory markers
                objects[rel] = obj
            if not page.get("IsTruncated"):
                break
            token = page.get("NextContinuationToken")
        if not objects:
            raise SourceError(f"no objects under {where}")
        if self.checksum_file in objects:
            body = self._call(f"reading {where}{self.checksum_file}", self.client.get_object, Bucket=self.bucket, Key=self.prefix + self.checksum_file)["Body"]
            sums = parse_sha256sums(body.read().decode("utf-8", "replace"), where + self.checksum_file)
            files = []
            for rel in sorted(sums):
                obj = objects.get(rel)
                if obj is None:
                    raise SourceError(f"{where}{self.checksum_file} lists {rel!r}, but there is no such object")
                files.append(RemoteFile(rel, obj["Size"], "sha256", sums[rel], ref=obj.get("ETag")))
            skipped = sorted(set(objects) - set(sums) - {self.checksum_file})
            return Listing(files, None, {"checksums": self.checksum_file}, skipped)

        def head(rel):
            return self._call(
                f"reading the checksum of {where}{rel}",
                self.client.head_object,
                Bucket=self.bucket,
                Key=self.prefix + rel,
                ChecksumMode="ENABLED",
            )

        rels = sorted(objects)
        heads = parallel_map(head, rels, self.workers)
        files = []
        for rel, meta in zip(rels, heads):
            value = meta.get("ChecksumSHA256")
            digest = _b64_to_hex(value) if value else None
            if not digest or "-" in value or meta.get("ChecksumType", "FULL_OBJECT") != "FULL_OBJECT":
                raise SourceError(
                    f"{where}{rel} has no full-object SHA-256 checksum to verify it against: upload a {self.checksum_file} object"
                    " under the prefix, or upload the objects with a SHA256 checksum"
                )
            files.append(RemoteFile(rel, meta["ContentLength"], "sha256", digest, ref=meta.get("ETag")))
        return Listing(files, None, {"checksums": "object checksums"})

    @contextlib.contextmanager
    def fetch(self, rf, offset):
        if rf.size is not None and offset >= rf.size:
            yield offset, iter(())
            return
        kwargs = {"Bucket": self.bucket, "Key": self.prefix + rf.path}
        if offset:
            kwargs["Range"] = f"bytes={offset}-"
        if rf.ref:
            kwargs["IfMatch"] = rf.ref
        resp = self._call(f"downloading s3://{self.bucket}/{self.prefix}{rf.path}", self.client.get_object, **kwargs)
        body = resp["Body"]
        start = 0
        if offset and resp.get("ContentRange"):
            try:
                start = int(resp["ContentRange"].split(" ", 1)[1].split("-", 1)[0])
            except (IndexError, ValueError):
                start = 0
        try:

            def chunks():
                try:
                    while True:
                        block = body.read(CHUNK)
                        if not block:
                            break
                        yield block
                except self.botocore.exceptions.BotoCoreError as exc:
                    raise self._error(exc, f"downloading s3://{self.bucket}/{self.prefix}{rf.path}") from None

            yield start, chunks()
        finally:
            body.close()
