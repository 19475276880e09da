# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""How long a durable, hashed write of a large file takes with and without write-behind.

Usage (from the repository root):
``.venv/bin/python benchmarks/bench_write_behind.py [--mib 2048] [--repeat 3] [--source memory|http]``

Writes ``--mib`` MiB of random data to a file in ``.cache/``, in 1 MiB blocks written as
model_sync writes them (64 KiB slices), hashing each block with SHA-256 first, then ``fsync``. The
blocks come from memory (generated before timing) or, with ``--source http``, from a file served
by the project's test mirror on loopback (``tests/servers/http_mirror.py``, sendfile) and read
with http.client, as model_sync reads them. Three ways, in rotating order each round:

* ``one fsync``: the pages stay cached and are flushed at the end;
* ``write-behind, keep``: ``_model_store.WriteBehind`` starts each 8 MiB window's write-back;
* ``write-behind, drop``: the same, each written window then dropped from the page cache.

Reports the median wall-clock time of each, and of its ``write()`` calls alone.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import http.client
import os
import statistics
import sys
import tempfile
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, ".cache", "collections"))

from ansible_collections.horizon.ai_platform.plugins.module_utils._model_store import WriteBehind  # noqa: E402

SLICE = 64 * 1024


def memory_blocks(mib):
    unique = [os.urandom(1 << 20) for _n in range(64)]
    return lambda: (unique[i % len(unique)] for i in range(mib))


def http_blocks(url):
    def blocks():
        parts = urllib.parse.urlsplit(url)
        conn = http.client.HTTPConnection(parts.hostname, parts.port)
        conn.request("GET", parts.path)
        resp = conn.getresponse()
        try:
            while True:
                block = resp.read(1 << 20)
                if not block:
                    return
                yield block
        finally:
            conn.close()

    return blocks


def run(blocks, mode, path):
    sha = hashlib.sha256()
    in_write = 0.0
    start = time.perf_counter()
    with open(path, "wb") as out:
        behind = WriteBehind(out.fileno(), 0, drop=mode == "drop") if mode != "fsync" else None
        for block in blocks():
            sha.update(block)
            view = memoryview(block)
            t = time.perf_counter()
            for i in range(0, len(view), SLICE):
                out.write(view[i : i + SLICE])
            in_write += time.perf_counter() - t
            if behind:
                behind.wrote(len(block))
        out.flush()
        os.fsync(out.fileno())
        if behind:
            behind.finish()
    total = time.perf_counter() - start
    os.unlink(path)
    os.sync()
    return total, in_write


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--mib", type=int, default=2048)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--source", choices=["memory", "http"], default="memory")
    args = parser.parse_args()
    path = os.path.join(ROOT, ".cache", "bench-write-behind.tmp")
    with contextlib.ExitStack() as stack:
        if args.source == "http":
            from ansible_collections.horizon.ai_platform.tests.servers.http_mirror import serve  # noqa: PLC0415

            served = stack.enter_context(tempfile.TemporaryDirectory(dir=os.path.join(ROOT, ".cache")))
            with open(os.path.join(served, "big"), "wb") as f:
                for _n in range(args.mib):
                    f.write(os.urandom(1 << 20))
            server = stack.enter_context(serve(served))
            blocks = http_blocks(server.url + "big")
        else:
            blocks = memory_blocks(args.mib)
        rounds(blocks, path, args)


def rounds(blocks, path, args):
    modes = ["fsync", "keep", "drop"]
    times = {m: [] for m in modes}
    for r in range(args.repeat):
        for m in modes[r % 3 :] + modes[: r % 3]:
            total, in_write = run(blocks, m, path)
            times[m].append((total, in_write))
            print(f"  round {r + 1}: {m:5} {total:.2f} s (write() {in_write:.2f} s)", flush=True)
    names = {"fsync": "one fsync", "keep": "write-behind, keep", "drop": "write-behind, drop"}
    print(f"durable, hashed write of {args.mib} MiB from {args.source}, medians of {args.repeat}")
    for m in modes:
        print(f"  {names[m]:<20} {statistics.median(t for t, _w in times[m]):6.2f} s   write() {statistics.median(w for _t, w in times[m]):6.2f} s")


if __name__ == "__main__":
    main()
