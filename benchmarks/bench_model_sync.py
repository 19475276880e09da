# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Time model_sync against raw copies of the same data, in one run.

Usage (from the repository root, after ``make setup``):

    .venv/bin/python benchmarks/bench_model_sync.py [--large-mib 2048] [--small 1000] [--repeat 5] [--workdir DIR]

Builds a model of one large file and many small ones, serves it from a Range-capable HTTP
server on loopback (``tests/servers/http_mirror.py``, in its own process, using sendfile), and
measures medians over ``--repeat`` runs, interleaved:

* cold sync: model_sync (the module as a node runs it: its own Python process, verification
  included) against ``curl`` fetching the same files with the same parallelism into a directory
  (no verification): the throughput ratio, target >= 0.9;
* warm re-run with nothing changed: model_sync against ``rsync -a --dry-run`` over the same
  published tree, target < 1 s for 1,000 files and no slower than rsync;
* resume: the large file's connection is cut halfway; the next run's range request shows how
  many bytes were transferred twice (target: at most one chunk per interrupted file).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS = os.path.join(REPO, ".cache", "collections")
sys.path.insert(0, COLLECTIONS)

from ansible_collections.horizon.ai_platform.tests.servers.process import free_port, server_process  # noqa: E402

MODULE = os.path.join(REPO, "plugins", "modules", "model_sync.py")
SERVER = os.path.join(REPO, "tests", "servers", "http_mirror.py")
PARALLEL = 4


def build_model(root, large_mib, small):
    os.makedirs(root, exist_ok=True)
    sums = []
    block = os.urandom(1024 * 1024)
    h = hashlib.sha256()
    with open(os.path.join(root, "model.safetensors"), "wb") as f:
        for i in range(large_mib):
            chunk = block[i % 997 :] + block[: i % 997]
            f.write(chunk)
            h.update(chunk)
    sums.append((h.hexdigest(), "model.safetensors"))
    for i in range(small):
        rel = f"shards/{i // 100:02d}/part-{i:05d}.json"
        content = json.dumps({"part": i, "pad": "x" * (i % 4096)}).encode()
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(content)
        sums.append((hashlib.sha256(content).hexdigest(), rel))
    with open(os.path.join(root, "SHA256SUMS"), "w", encoding="utf-8") as f:
        f.writelines(f"{d}  {p}\n" for d, p in sorted(sums, key=lambda s: s[1]))
    return [p for _d, p in sums]


@contextlib.contextmanager
def mirror(root, *extra):
    """The test mirror in its own process on a free loopback port; yields its URL."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    with server_process([sys.executable, SERVER, root, "--port", str(port), *extra], url):
        yield url


def run_module(args, may_fail=False):
    env = dict(os.environ, PYTHONPATH=COLLECTIONS)
    start = time.perf_counter()
    out = subprocess.run([sys.executable, MODULE, json.dumps({"ANSIBLE_MODULE_ARGS": args})], env=env, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    result = json.loads(out.stdout.decode().strip().splitlines()[-1])
    if result.get("failed") and not may_fail:
        raise SystemExit(f"model_sync failed: {result['msg']}")
    return elapsed, result


def run_curl(url, paths, dest):
    config = os.path.join(dest + ".curl")
    with open(config, "w", encoding="utf-8") as f:
        for p in paths:
            f.write(f'url = "{url}{p}"\noutput = "{os.path.join(dest, p)}"\n')
    start = time.perf_counter()
    subprocess.run(["curl", "-sS", "--no-progress-meter", "--fail", "--create-dirs", "--parallel", "--parallel-max", str(PARALLEL), "-K", config], check=True)
    return time.perf_counter() - start


def run_rsync(src, dest):
    start = time.perf_counter()
    subprocess.run(["rsync", "-a", "--dry-run", src + "/", dest + "/"], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--large-mib", type=int, default=2048)
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--workdir")
    args = parser.parse_args()
    for tool in ("curl", "rsync"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is needed: apt-get install {tool}")
    workdir = args.workdir or tempfile.mkdtemp(prefix="bench-model-sync-")
    src = os.path.join(workdir, "mirror")
    if os.path.exists(src):
        shutil.rmtree(src)
    paths = build_model(src, args.large_mib, args.small)
    total = sum(os.path.getsize(os.path.join(src, p)) for p in paths)
    print(f"model: 1 file of {args.large_mib} MiB and {args.small} small files, {total / 2**20:.0f} MiB in all, in {workdir}")
    store = os.path.join(workdir, "store")
    with mirror(src) as url:
        cold_sync, cold_curl = [], []
        for i in range(args.repeat):
            for d in (store, os.path.join(workdir, "curl")):
                shutil.rmtree(d, ignore_errors=True)
            t_curl = run_curl(url, paths, os.path.join(workdir, "curl"))
            t_sync, result = run_module({"src": url, "name": "bench", "dest": store, "parallel": PARALLEL})
            assert result["transferred_bytes"] == total, result
            cold_curl.append(t_curl)
            cold_sync.append(t_sync)
            print(f"  cold run {i + 1}: curl {t_curl:.2f} s, model_sync {t_sync:.2f} s")
        published = os.path.realpath(os.path.join(store, "bench", "current"))
        warm_sync, warm_rsync = [], []
        for _i in range(args.repeat * 2):
            t_sync, result = run_module({"src": url, "name": "bench", "dest": store, "parallel": PARALLEL})
            assert not result["changed"], result
            warm_sync.append(t_sync)
            warm_rsync.append(run_rsync(src, published))
    # Resume: cut the large file halfway through a fresh sync, then resume.
    shutil.rmtree(store, ignore_errors=True)
    cut = (args.large_mib * 2**20) // 2
    with mirror(src, "--drop-path", "/model.safetensors", "--drop-after", str(cut)) as url:
        _t, interrupted = run_module({"src": url, "name": "bench", "dest": store}, may_fail=True)
        staged = [
            os.path.getsize(os.path.join(dp, fn))
            for dp, _dn, fns in os.walk(os.path.join(store, "bench", ".staging"))
            for fn in fns
            if fn == "model.safetensors"
        ]
        _t, resumed = run_module({"src": url, "name": "bench", "dest": store})
    mib = total / 2**20
    report = {
        "bytes": total,
        "files": len(paths),
        "cold_curl_s": statistics.median(cold_curl),
        "cold_model_sync_s": statistics.median(cold_sync),
        "warm_model_sync_s": statistics.median(warm_sync),
        "warm_rsync_dry_run_s": statistics.median(warm_rsync),
        "resume_interrupted_run_failed": bool(interrupted.get("failed")),
        "resume_bytes_on_disk": staged[0] if staged else 0,
        "resume_resumed_bytes": resumed["resumed_bytes"],
        "resume_transferred_bytes": resumed["transferred_bytes"],
    }
    report["cold_throughput_ratio"] = report["cold_curl_s"] / report["cold_model_sync_s"]
    report["warm_ratio_to_rsync"] = report["warm_model_sync_s"] / report["warm_rsync_dry_run_s"]
    # Bytes of the interrupted file already on disk that the resumed run did not reuse.
    report["resume_retransferred_bytes"] = report["resume_bytes_on_disk"] - report["resume_resumed_bytes"]
    print(json.dumps(report, indent=1))
    print(
        f"cold: curl {mib / report['cold_curl_s']:.0f} MiB/s, model_sync {mib / report['cold_model_sync_s']:.0f} MiB/s"
        f" (ratio {report['cold_throughput_ratio']:.2f}, target >= 0.90)"
    )
    print(
        f"warm: model_sync {report['warm_model_sync_s']:.3f} s, rsync -a --dry-run {report['warm_rsync_dry_run_s']:.3f} s"
        f" (ratio {report['warm_ratio_to_rsync']:.2f}, target <= 1.00 and < 1 s)"
    )
    print(f"resume: {report['resume_retransferred_bytes']} bytes transferred twice (target: at most one chunk, 1 MiB)")
    if not args.workdir:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
