# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a guide's newcomer path as written, then check the outputs it names (make demo-test).

    python tests/newcomer/run_doc.py docs/getting-started.md

In the guide, a fenced sh block right after ``<!-- newcomer:run -->`` is run line by line with bash in the
repository's root, in order, each line required to succeed; every path in a fenced text block right after
``<!-- newcomer:files -->`` must exist and not be empty once they have run. A guide with no such block, or a named
file missing, fails.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
RUN = re.compile(r"<!-- newcomer:run -->\s*\n```(?:sh|bash|console)\n(.*?)\n```", re.DOTALL)
FILES = re.compile(r"<!-- newcomer:files -->\s*\n```text\n(.*?)\n```", re.DOTALL)


def main(argv):
    if len(argv) != 2:
        sys.exit("usage: run_doc.py <guide.md>")
    guide = (REPO / argv[1]).resolve()
    text = guide.read_text(encoding="utf-8")
    name = guide.relative_to(REPO) if guide.is_relative_to(REPO) else guide
    commands = [line.strip() for block in RUN.findall(text) for line in block.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    files = [line.strip() for block in FILES.findall(text) for line in block.splitlines() if line.strip()]
    # An output the guide points at in its text is one the check covers.
    unchecked = sorted(set(re.findall(r"`(demo/output/[^`\s]+)`", text)) - set(files))
    if unchecked:
        sys.exit(f"{name} points at {', '.join(unchecked)}, which its newcomer:files block does not list")
    if not commands or not files:
        sys.exit(f"{name}: no newcomer:run block or no newcomer:files block to check")
    for command in commands:
        print(f"\n==> {name}: {command}", flush=True)
        rc = subprocess.run(["bash", "-euo", "pipefail", "-c", command], cwd=REPO, check=False).returncode
        if rc:
            sys.exit(f"{name}: `{command}` exited {rc}")
    missing = [f for f in files if not (REPO / f).is_file() or (REPO / f).stat().st_size == 0]
    if missing:
        sys.exit(f"{name} names outputs the commands did not write: {', '.join(missing)}")
    print(f"{name}: {len(commands)} command(s) ran, {len(files)} output(s) there as the guide says")


if __name__ == "__main__":
    main(sys.argv)
