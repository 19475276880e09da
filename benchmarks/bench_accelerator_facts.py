# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Time accelerator_facts against ansible.builtin.setup (full gather) on the same host, in one run.

What is timed is what a managed node executes for each task: the AnsiballZ payload Ansible
builds for the module, run by the node's Python. The payloads are built once by a real
`ansible` run with ANSIBLE_KEEP_REMOTE_FILES=1, then each is run REPEAT times, interleaved, so
both see the same machine load. Reported: medians and the ratio; target <= 0.20.

accelerator_facts runs twice: on this machine's live /sys and on the recorded 8-GPU HGX H100
server (tests/fixtures/machines/hgx-h100-8x.yml, ~475 PCI functions), the scan a real GPU server needs.

ansible.builtin.ping runs too: it does nothing, so its time is the floor every module pays
(starting Python, unpacking AnsiballZ, importing ansible.module_utils.basic). Two ratios are
printed: end to end (module / setup), and the work above that floor
((module - ping) / (setup - ping)).

Usage: python benchmarks/bench_accelerator_facts.py [--repeat N]
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "fixtures" / "machines"))
import materialize  # noqa: E402  (tests/fixtures/machines/materialize.py)

TARGET_RATIO = 0.20


def build_payload(workdir: Path, name: str, module: str, args: dict) -> Path:
    """Run the module once through `ansible` and keep the AnsiballZ payload it shipped."""
    remote_tmp = workdir / ("tmp-" + name)
    remote_tmp.mkdir()
    env = dict(os.environ, ANSIBLE_KEEP_REMOTE_FILES="1", ANSIBLE_REMOTE_TMP=str(remote_tmp))
    cmd = ["ansible", "localhost", "-c", "local", "-e", "ansible_python_interpreter=" + sys.executable, "-m", module]
    if args:
        cmd += ["-a", json.dumps(args)]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit("building the %s payload failed:\n%s%s" % (name, proc.stdout, proc.stderr))
    found = glob.glob(str(remote_tmp / "ansible-tmp-*" / "AnsiballZ_*.py"))
    if len(found) != 1:
        raise SystemExit("expected one AnsiballZ payload for %s, found %r" % (name, found))
    return Path(found[0])


def time_payload(payload: Path) -> float:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, str(payload)], capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0 or '"failed": true' in proc.stdout:
        raise SystemExit("payload %s failed:\n%s%s" % (payload, proc.stdout, proc.stderr))
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    options = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-facts-") as tmp:
        work = Path(tmp)
        hgx = work / "hgx"
        materialize.materialize(str(REPO / "tests" / "fixtures" / "machines" / "hgx-h100-8x.yml"), str(hgx))
        payloads = {
            "setup (full gather)": build_payload(work, "setup", "ansible.builtin.setup", {}),
            "ping (the floor)": build_payload(work, "ping", "ansible.builtin.ping", {}),
            "accelerator_facts (live /sys)": build_payload(work, "live", "horizon.ai_platform.accelerator_facts", {}),
            "accelerator_facts (HGX H100 recording)": build_payload(
                work,
                "hgx",
                "horizon.ai_platform.accelerator_facts",
                {"sysfs_root": str(hgx / "sys"), "procfs_root": str(hgx / "proc") if (hgx / "proc").is_dir() else "/proc", "vendor_tools": False},
            ),
        }
        samples = {name: [] for name in payloads}
        for payload in payloads.values():  # warm the page cache once
            time_payload(payload)
        for _round in range(options.repeat):
            for name, payload in payloads.items():
                samples[name].append(time_payload(payload))

    medians = {name: statistics.median(values) for name, values in samples.items()}
    setup = medians["setup (full gather)"]
    floor = medians["ping (the floor)"]
    print("accelerator_facts vs setup: AnsiballZ payloads, %d interleaved runs each, median seconds" % options.repeat)
    print("%-42s %9s %9s %11s %13s" % ("module", "median s", "min s", "end-to-end", "above floor"))
    for name, median in medians.items():
        above = (median - floor) / (setup - floor)
        print("%-42s %9.3f %9.3f %11.3f %13.3f" % (name, median, min(samples[name]), median / setup, above))
    facts = [name for name in medians if name.startswith("accelerator_facts")]
    end_to_end = max(medians[name] for name in facts) / setup
    above_floor = max(medians[name] - floor for name in facts) / (setup - floor)
    for label, ratio in (("end to end", end_to_end), ("above the floor", above_floor)):
        verdict = "meets" if ratio <= TARGET_RATIO else "misses"
        print("worst accelerator_facts / setup, %s: %.3f (%s the target <= %.2f)" % (label, ratio, verdict, TARGET_RATIO))
    print("the floor (ping) alone is %.3f of setup end to end" % (floor / setup))
    return 0


if __name__ == "__main__":
    sys.exit(main())
