# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Time playbooks/site.yml on the demo's CPU node when nothing changes, against Ansible's own cost per task.

Usage (from the repository root, with the demo fleet kept: ``HORIZON_DEMO_KEEP=1 make demo`` first)::

    .venv/bin/python benchmarks/bench_site.py [--repeat 3]

``make demo`` records the first figure, the time from site.yml's start to the first completion a client gets
(demo/output/site/timings.json, one fresh fleet per figure). This benchmark runs site.yml again on demo-cpu and the
mirror ``--repeat`` times (the served node converged: every run must change nothing), then a playbook of as many
trivial tasks (``ansible.builtin.stat`` of ``/``) on the same hosts, over the same connection, as the unchanged run
executed, and reports the medians and their ratio: how much of the unchanged run is Ansible's own overhead per task.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HOSTS = "demo-cpu,demo-mirror"
RECAP = re.compile(r"^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)\s+skipped=(\d+)", re.M)


def address(container):
    out = subprocess.run(["podman", "inspect", "--format", "{{.NetworkSettings.IPAddress}}", container], check=False, capture_output=True, text=True)
    if out.returncode != 0 or not out.stdout.strip():
        sys.exit("bench_site: the demo fleet is not running (%s): run `HORIZON_DEMO_KEEP=1 make demo` first" % container)
    return out.stdout.strip()


def play(args, env):
    start = time.monotonic()
    out = subprocess.run(["ansible-playbook"] + args, check=False, capture_output=True, text=True, env=env)
    elapsed = time.monotonic() - start
    if out.returncode != 0:
        sys.exit("bench_site: ansible-playbook %s failed:\n%s" % (" ".join(args), out.stdout[-3000:]))
    recap = {m[0]: {"ok": int(m[1]), "changed": int(m[2]), "skipped": int(m[5])} for m in RECAP.findall(out.stdout[out.stdout.rindex("PLAY RECAP") :])}
    return elapsed, recap


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()

    # The demo's own report directories and audit log: a run that writes its reports elsewhere is not unchanged.
    out = os.path.join(ROOT, "demo", "output", "site")
    if not os.path.isdir(out):
        sys.exit("bench_site: %s does not exist: run `HORIZON_DEMO_KEEP=1 make demo` first" % out)
    env = dict(os.environ, HORIZON_BOUNDARY_AUDIT_LOG=os.path.join(out, "audit.jsonl"))
    site = [
        "-i",
        os.path.join(ROOT, "demo", "inventory.yml"),
        os.path.join(ROOT, "playbooks", "site.yml"),
        "--limit",
        HOSTS,
        "-e",
        "demo_mirror_address=%s" % address("demo-mirror"),
        "-e",
        "horizon_boundary_policy=%s" % os.path.join(ROOT, "demo", "boundary-policy.yml"),
        "-e",
        "horizon_fleet_report_dir=%s" % os.path.join(out, "report"),
        "-e",
        "horizon_boundary_report_dir=%s" % os.path.join(out, "boundary"),
    ]
    address("demo-cpu")

    site_times, tasks = [], None
    for _run in range(options.repeat):
        elapsed, recap = play(site, env)
        changed = {host: counts["changed"] for host, counts in recap.items() if counts["changed"]}
        if changed:
            sys.exit("bench_site: the run changed something (%s): converge the demo first" % changed)
        site_times.append(elapsed)
        tasks = {host: counts["ok"] + counts["skipped"] for host, counts in recap.items()}

    # As many trivial tasks per host as the unchanged run executed there (skipped ones included: each costs its
    # templating and condition). Two plays, one per host, run one after the other as site.yml's plays do.
    with tempfile.NamedTemporaryFile("w", suffix=".yml", dir=out, delete=False) as playbook:
        for host, count in sorted(tasks.items()):
            playbook.write("- hosts: %s\n  gather_facts: false\n  tasks:\n" % host)
            playbook.write("    - ansible.builtin.stat: {path: /}\n" * count)
    baseline_times = []
    try:
        for _run in range(options.repeat):
            baseline_times.append(play(["-i", os.path.join(ROOT, "demo", "inventory.yml"), playbook.name], env)[0])
    finally:
        os.unlink(playbook.name)

    site_median, baseline_median = statistics.median(site_times), statistics.median(baseline_times)
    result = {
        "tasks": tasks,
        "site_unchanged_s": [round(t, 1) for t in site_times],
        "site_unchanged_median_s": round(site_median, 1),
        "trivial_tasks_s": [round(t, 1) for t in baseline_times],
        "trivial_tasks_median_s": round(baseline_median, 1),
        "ratio": round(site_median / baseline_median, 2),
        "site_s_per_task": round(site_median / sum(tasks.values()), 2),
        "trivial_s_per_task": round(baseline_median / sum(tasks.values()), 2),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
