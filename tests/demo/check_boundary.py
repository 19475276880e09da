# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Check the data-boundary audit `make demo` wrote: every flow of the demo fleet, with the verdict the policy gives.

Usage: python tests/demo/check_boundary.py demo/output/boundary
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

# (host, model name or flow kind): verdict, under demo/boundary-policy.yml
EXPECTED = {
    ("demo-cpu", "clinical-notes-7b"): "deny",
    ("demo-cpu", "llama-3.1-8b-instruct"): "allow",
    ("demo-gaudi2", "clinical-notes-7b"): "deny",
    ("demo-gaudi2", "llama-3.1-8b-instruct"): "deny",
    ("demo-hgx-h100", "clinical-notes-7b"): "deny",
    ("demo-hgx-h100", "llama-3.1-8b-instruct"): "allow",
    ("demo-jetson-orin", "clinical-notes-7b"): "allow",
    ("demo-jetson-orin", "llama-3.1-8b-instruct"): "allow",
    ("demo-jetson-orin", "repository"): "deny",
    ("demo-mi300x", "clinical-notes-7b"): "deny",
    ("demo-mi300x", "llama-3.1-8b-instruct"): "allow",
}


def main() -> int:
    out = Path(sys.argv[1])
    report = json.loads((out / "boundary-audit.json").read_text(encoding="utf-8"))
    got = {(f["host"], f["name"] or f["kind"]): f["verdict"] for f in report["flows"]}
    problems = []
    if got != EXPECTED:
        problems.append(f"verdicts: expected {EXPECTED}, got {got}")
    log = [json.loads(line) for line in (out / "audit.jsonl").read_text(encoding="utf-8").splitlines()]
    if sorted((r["host"], r["flow"]["name"] or "repository", r["verdict"]) for r in log) != sorted((h, n, v) for (h, n), v in EXPECTED.items()):
        problems.append(f"the audit log holds {len(log)} decisions that do not match the report")
    page = (out / "boundary-audit.html").read_text(encoding="utf-8")
    problems += [f"the HTML page does not name {host}" for host in {h for h, _n in EXPECTED} if host not in page]
    for problem in problems:
        print("demo boundary audit: " + problem, file=sys.stderr)
    if not problems:
        s = report["summary"]
        print(f"demo boundary audit: {s['flows']} flows, {s['allowed']} allowed, {s['denied']} denied, as the policy says")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
