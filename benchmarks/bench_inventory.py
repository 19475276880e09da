# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Time the horizon.ai_platform.fleet inventory plugin on a 10,000-host fleet report.

Usage (from the repository root, with the collection linked under .cache/collections):

    .venv/bin/python benchmarks/bench_inventory.py [--hosts 10000] [--repeat 7] [--cli-repeat 3]

Writes the report and an inventory configuration into a temporary directory, then measures (medians):

* the plugin's parse() into a real InventoryData with a DataLoader: the < 2 s target;
* the same through InventoryManager, as ansible-playbook loads it: ansible-core 2.19+ then deep-copies
  and origin-tags every variable the plugin sets;
* ``ansible-inventory --graph`` and ``ansible-inventory --list`` end to end, in a fresh process
  (--list also serialises every host's variables to JSON).
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS = os.environ.get("ANSIBLE_COLLECTIONS_PATH", os.path.join(REPO, ".cache", "collections")).split(os.pathsep)[0]
TARGET_S = 2.0
os.environ["ANSIBLE_COLLECTIONS_PATH"] = COLLECTIONS
os.environ["ANSIBLE_INVENTORY_ENABLED"] = "horizon.ai_platform.fleet"

from ansible.inventory.data import InventoryData  # noqa: E402
from ansible.inventory.manager import InventoryManager  # noqa: E402
from ansible.parsing.dataloader import DataLoader  # noqa: E402
from ansible.plugins.loader import init_plugin_loader, inventory_loader  # noqa: E402

# The collection loader must own ansible_collections.* before anything imports from it.
init_plugin_loader([COLLECTIONS])

from ansible_collections.horizon.ai_platform.plugins.module_utils import _fleet  # noqa: E402
from ansible_collections.horizon.ai_platform.tests.unit.plugins.fleet_samples import big_fleet  # noqa: E402


def _parse_once(config):
    plugin = inventory_loader.get("horizon.ai_platform.fleet")
    inventory = InventoryData()
    gc.collect()  # each run starts without the previous run's garbage
    start = time.perf_counter()
    plugin.parse(inventory, DataLoader(), config, cache=False)
    elapsed = time.perf_counter() - start
    return elapsed, len(inventory.hosts), len(inventory.groups)


def _manager_once(config):
    gc.collect()
    start = time.perf_counter()
    manager = InventoryManager(loader=DataLoader(), sources=[config])
    elapsed = time.perf_counter() - start
    if len(manager.hosts) == 0:
        raise SystemExit("InventoryManager loaded no hosts from %s" % config)
    return elapsed


def _cli_once(config, ansible_inventory, mode):
    start = time.perf_counter()
    proc = subprocess.run([ansible_inventory, "-i", config, mode], capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit("ansible-inventory failed (rc=%d):\n%s" % (proc.returncode, proc.stderr.decode(errors="replace")))
    return elapsed, len(proc.stdout)


def _row(name, times):
    return name, len(times), statistics.median(times), min(times), max(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=7, help="in-process parses (median reported)")
    parser.add_argument("--cli-repeat", type=int, default=3, help="ansible-inventory runs (median reported); 0 to skip")
    args = parser.parse_args()

    ansible_inventory = os.path.join(os.path.dirname(sys.executable), "ansible-inventory")

    with tempfile.TemporaryDirectory(prefix="bench-fleet-") as tmp:
        started = time.perf_counter()
        report = _fleet.build_report(_fleet.normalise_hosts(big_fleet(args.hosts)))
        report_path = os.path.join(tmp, "fleet-report.json")
        with open(report_path, "w", encoding="utf-8") as handle:
            handle.write(_fleet.render_json(report))
        config = os.path.join(tmp, "bench.fleet.yml")
        with open(config, "w", encoding="utf-8") as handle:
            handle.write("plugin: horizon.ai_platform.fleet\nreport_path: fleet-report.json\n")
        summary_config = os.path.join(tmp, "summary.fleet.yml")
        with open(summary_config, "w", encoding="utf-8") as handle:
            handle.write("plugin: horizon.ai_platform.fleet\nreport_path: fleet-report.json\nhost_facts: summary\n")
        summary = report["summary"]
        print(
            "fleet: %d hosts, %d devices, %d classes, %d regions; report %.1f MB, generated in %.2f s\n"
            % (
                summary["hosts"],
                summary["devices"],
                len(summary["classes"]),
                len(summary["regions"]),
                os.path.getsize(report_path) / 1e6,
                time.perf_counter() - started,
            )
        )

        repeat = range(max(1, args.repeat))
        runs = [_parse_once(config) for _run in repeat]
        hosts, groups = runs[-1][1], runs[-1][2]
        times = [r[0] for r in runs]
        parse_median = statistics.median(times)
        rows = [_row("plugin parse (InventoryData + DataLoader)", times)]
        rows.append(_row("InventoryManager (as ansible-playbook)", [_manager_once(config) for _run in repeat]))
        rows.append(_row("plugin parse, host_facts: summary", [_parse_once(summary_config)[0] for _run in repeat]))
        rows.append(_row("InventoryManager, host_facts: summary", [_manager_once(summary_config) for _run in repeat]))
        if args.cli_repeat > 0:
            rows.append(
                _row(
                    "ansible-inventory --graph, host_facts: summary",
                    [_cli_once(summary_config, ansible_inventory, "--graph")[0] for _run in range(args.cli_repeat)],
                )
            )
            for mode in ("--graph", "--list"):
                rows.append(
                    _row("ansible-inventory %s (end to end)" % mode, [_cli_once(config, ansible_inventory, mode)[0] for _run in range(args.cli_repeat)])
                )

    print("inventory: %d hosts, %d groups (all and ungrouped included)" % (hosts, groups))
    print()
    print("%-48s %5s %10s %10s %10s" % ("measurement", "runs", "median s", "min s", "max s"))
    print("-" * 87)
    for name, count, median, low, high in rows:
        print("%-48s %5d %10.3f %10.3f %10.3f" % (name, count, median, low, high))
    print()
    verdict = "meets" if parse_median < TARGET_S else "MISSES"
    print("in-process parse median %.3f s %s the < %.1f s target" % (parse_median, verdict, TARGET_S))
    return 0 if parse_median < TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
