# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A plain HTTP(S) model mirror on loopback: GET and HEAD with byte ranges, optional basic or bearer auth.

Real HTTP over real sockets, like nginx serving a directory, with knobs tests need:

* ``rate``: bytes per second per response, so a test can interrupt a transfer in the middle;
* ``drop_next(after_bytes, path)``: close the connection after this many body bytes of the next
  response for ``path`` (a network loss), once;
* ``ignore_range``: answer ranged requests with the whole file (a server without Range support);
* ``auth``: ``user:password`` for basic authentication; ``token``: a bearer token (either one is accepted
  when both are set);
* ``tls``: ``(certificate, key)`` PEM paths, to serve HTTPS (see ``tls.PrivateCA``);
* ``redirect``: a base URL that every file other than ``SHA256SUMS`` is redirected to (302), as a
  mirror that hands downloads to a CDN does.

``requests`` records ``(method, path, Range)`` of every request; ``authorizations`` records
``(path, Authorization header)``, to prove what credentials reached which server.

Run from the command line (``python tests/servers/http_mirror.py DIR --port N``) for benchmarks
and playbooks, or in-process with ``serve(directory)`` as a context manager.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import os
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote, unquote, urlsplit

try:  # as a module of the collection's tests, or as a script (benchmarks run it that way)
    from ansible_collections.horizon.ai_platform.tests.servers.tls import TLSServerMixin, server_context
except ImportError:
    from tls import TLSServerMixin, server_context

BLOCK = 1024 * 1024


class MirrorHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "horizon-test-mirror/1"

    def log_message(self, *args):  # keep test output quiet
        if self.server.verbose:
            super().log_message(*args)

    def _authorised(self):
        basic, token = self.server.auth, self.server.token
        if not basic and not token:
            return True
        header = self.headers.get("Authorization", "")
        if basic and header.startswith("Basic ") and base64.b64decode(header[6:]).decode("utf-8", "replace") == basic:
            return True
        if token and header == "Bearer " + token:
            return True
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Basic realm="mirror"' if basic else 'Bearer realm="mirror"')
        self.send_header("Content-Length", "0")
        self.end_headers()
        return False

    def _resolve(self):
        path = unquote(urlsplit(self.path).path)
        full = os.path.realpath(os.path.join(self.server.root, path.lstrip("/")))
        if full != self.server.root and not full.startswith(self.server.root + os.sep):
            return None
        return full if os.path.isfile(full) else None

    def _not_found(self):
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_HEAD(self):
        self._serve(body=False)

    def do_GET(self):
        self._serve(body=True)

    def _serve(self, body):
        self.server.requests.append((self.command, self.path, self.headers.get("Range")))
        self.server.authorizations.append((self.path, self.headers.get("Authorization")))
        if not self._authorised():
            return
        if self.server.redirect and unquote(urlsplit(self.path).path) != "/SHA256SUMS":
            self.send_response(302)
            self.send_header("Location", self.server.redirect.rstrip("/") + quote(unquote(urlsplit(self.path).path)))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        full = self._resolve()
        if full is None:
            self._not_found()
            return
        size = os.path.getsize(full)
        start, end = 0, size - 1
        ranged = False
        match = re.match(r"bytes=(\d+)-(\d*)$", self.headers.get("Range", ""))
        if match and not self.server.ignore_range:
            start = int(match.group(1))
            end = int(match.group(2)) if match.group(2) else size - 1
            if start >= size:
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{size}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            ranged = True
        length = end - start + 1
        self.send_response(206 if ranged else 200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Accept-Ranges", "none" if self.server.ignore_range else "bytes")
        self.send_header("Content-Length", str(length))
        if ranged:
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.end_headers()
        if not body:
            return
        drop = self.server.take_drop(unquote(urlsplit(self.path).path))
        with open(full, "rb") as f:
            self._send(f, start, length, drop)

    def _write(self, f, offset, n):
        """Send ``n`` bytes of ``f`` from ``offset``: ``sendfile`` in the clear, through the TLS socket otherwise."""
        if self.server.tls_context is None:
            return os.sendfile(self.wfile.fileno(), f.fileno(), offset, n)
        data = os.pread(f.fileno(), n, offset)
        self.wfile.write(data)
        return len(data)

    def _send(self, f, offset, length, drop):
        rate = self.server.rate
        sent = 0
        began = time.monotonic()
        block = BLOCK if not rate else max(4096, min(BLOCK, rate // 10))
        while sent < length:
            n = min(block, length - sent)
            if drop is not None and sent + n > drop:
                n = drop - sent
                if n > 0:
                    self._write(f, offset + sent, n)
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(2)
                return
            try:
                done = self._write(f, offset + sent, n)
            except (BrokenPipeError, ConnectionResetError):
                return
            if done == 0:
                return
            sent += done
            if rate:
                ahead = sent / rate - (time.monotonic() - began)
                if ahead > 0:
                    time.sleep(ahead)


class MirrorServer(TLSServerMixin, ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, root, host="127.0.0.1", port=0, rate=None, auth=None, ignore_range=False, verbose=False, token=None, tls=None, redirect=None):
        super().__init__((host, port), MirrorHandler)
        self.root = os.path.realpath(root)
        self.rate = rate
        self.auth = auth
        self.token = token
        self.tls_context = server_context(*tls) if tls else None
        self.redirect = redirect
        self.ignore_range = ignore_range
        self.verbose = verbose
        self.requests = []
        self.authorizations = []
        self._drop = None
        self._lock = threading.Lock()

    @property
    def url(self):
        scheme = "https" if self.tls_context else "http"
        return f"{scheme}://{self.server_address[0]}:{self.server_address[1]}/"

    def drop_next(self, after_bytes, path):
        """Cut the next GET of ``path`` (``/file``) after ``after_bytes`` bytes of its body."""
        with self._lock:
            self._drop = (after_bytes, path)

    def take_drop(self, path):
        with self._lock:
            if self._drop is None or self._drop[1] != path:
                return None
            drop, self._drop = self._drop[0], None
            return drop


@contextlib.contextmanager
def serve(root, **kwargs):
    server = MirrorServer(root, **kwargs)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--rate", type=int, help="bytes per second per response")
    parser.add_argument("--auth", help="user:password for basic authentication")
    parser.add_argument("--token", help="a bearer token to require")
    parser.add_argument("--tls-cert", help="PEM certificate: serve HTTPS (with --tls-key)")
    parser.add_argument("--tls-key", help="PEM private key of --tls-cert")
    parser.add_argument("--drop-path", help="cut the first GET of this path (/file) ...")
    parser.add_argument("--drop-after", type=int, help="... after this many bytes of its body")
    args = parser.parse_args()
    tls = (args.tls_cert, args.tls_key) if args.tls_cert else None
    server = MirrorServer(args.root, args.host, args.port, rate=args.rate, auth=args.auth, token=args.token, tls=tls)
    if args.drop_path:
        server.drop_next(args.drop_after or 0, args.drop_path)
    server.serve_forever()


if __name__ == "__main__":
    main()
