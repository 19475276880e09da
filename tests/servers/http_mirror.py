# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A plain HTTP model mirror on loopback: GET and HEAD with byte ranges, optional basic auth.

Real HTTP over real sockets, like nginx serving a directory, with knobs tests need:

* ``rate``: bytes per second per response, so a test can interrupt a transfer in the middle;
* ``drop_next(after_bytes, path)``: close the connection after this many body bytes of the next
  response for ``path`` (a network loss), once;
* ``ignore_range``: answer ranged requests with the whole file (a server without Range support).

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
from urllib.parse import unquote, urlsplit

BLOCK = 1024 * 1024


class MirrorHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "horizon-test-mirror/1"

    def log_message(self, *args):  # keep test output quiet
        if self.server.verbose:
            super().log_message(*args)

    def _authorised(self):
        expected = self.server.auth
        if not expected:
            return True
        header = self.headers.get("Authorization", "")
        if header.startswith("Basic ") and base64.b64decode(header[6:]).decode("utf-8", "replace") == expected:
            return True
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Basic realm="mirror"')
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
        if not self._authorised():
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
                    os.sendfile(self.wfile.fileno(), f.fileno(), offset + sent, n)
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(2)
                return
            try:
                done = os.sendfile(self.wfile.fileno(), f.fileno(), offset + sent, n)
            except (BrokenPipeError, ConnectionResetError):
                return
            if done == 0:
                return
            sent += done
            if rate:
                ahead = sent / rate - (time.monotonic() - began)
                if ahead > 0:
                    time.sleep(ahead)


class MirrorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, root, host="127.0.0.1", port=0, rate=None, auth=None, ignore_range=False, verbose=False):
        super().__init__((host, port), MirrorHandler)
        self.root = os.path.realpath(root)
        self.rate = rate
        self.auth = auth
        self.ignore_range = ignore_range
        self.verbose = verbose
        self.requests = []
        self._drop = None
        self._lock = threading.Lock()

    @property
    def url(self):
        return f"http://{self.server_address[0]}:{self.server_address[1]}/"

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
    parser.add_argument("--drop-path", help="cut the first GET of this path (/file) ...")
    parser.add_argument("--drop-after", type=int, help="... after this many bytes of its body")
    args = parser.parse_args()
    server = MirrorServer(args.root, args.host, args.port, rate=args.rate, auth=args.auth)
    if args.drop_path:
        server.drop_next(args.drop_after or 0, args.drop_path)
    server.serve_forever()


if __name__ == "__main__":
    main()
