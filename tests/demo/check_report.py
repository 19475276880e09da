# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check the report `make demo` wrote: every demo host, with what its recording says it carries.

Usage: python tests/demo/check_report.py demo/output/report
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

# host: (silicon class, device count, region)
EXPECTED = {
    "demo-cpu": ("cpu", 0, "eu-central-1"),
    "demo-gaudi2": ("intel-gaudi2", 8, "us-east-1"),
    "demo-hgx-h100": ("nvidia-hopper", 8, "eu-central-1"),
    "demo-jetson-orin": ("nvidia-jetson-orin", 1, "de-fra-1"),
    "demo-mi300x": ("amd-cdna3", 8, "eu-west-1"),
}


def main() -> int:
    report_dir = Path(sys.argv[1])
    report = json.loads((report_dir / "fleet-report.json").read_text(encoding="utf-8"))
    got = {host["name"]: (host["silicon_class"], host["accelerators"]["count"], host["region"]) for host in report["hosts"]}
    problems = []
    if got != EXPECTED:
        problems.append("hosts in the JSON report: expected %s, got %s" % (EXPECTED, got))
    with (report_dir / "fleet-report.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    if len(rows) != sum(count or 1 for _cls, count, _region in EXPECTED.values()):
        problems.append("CSV report has %d rows" % len(rows))
    html = (report_dir / "fleet-report.html").read_text(encoding="utf-8")
    problems += ["HTML report does not name %s" % name for name in EXPECTED if name not in html]
    for problem in problems:
        print("demo report: " + problem, file=sys.stderr)
    if not problems:
        print("demo report: %d hosts, %d devices, as recorded" % (len(got), report["summary"]["devices"]))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
