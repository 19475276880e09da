# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The newcomer's path: what tests/newcomer/run_doc.py reads from docs/getting-started.md, and that the README sends a
newcomer down the same path. (make demo-test runs it for real.)"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "newcomer"))
import run_doc  # noqa: E402


def test_the_guide_gives_the_commands_and_the_outputs():
    text = (ROOT / "docs" / "getting-started.md").read_text()
    commands = [line for block in run_doc.RUN.findall(text) for line in block.splitlines()]
    files = [line for block in run_doc.FILES.findall(text) for line in block.splitlines()]
    assert commands == ["make demo"]
    assert "demo/output/report/fleet-report.html" in files and "demo/output/site/completion.json" in files
    # Each output is one the demo's own script says it writes.
    script = (ROOT / "demo" / "run.sh").read_text()
    for path in files:
        assert path.removeprefix("demo/output/") in script, path


def test_the_readme_starts_where_the_guide_does():
    readme = (ROOT / "README.md").read_text()
    first_block = re.search(r"```sh\n(.*?)\n```", readme, re.DOTALL).group(1)
    commands = [line.split("#")[0].strip() for line in first_block.splitlines()]
    assert commands == ["make demo", "make test"]
    assert "docs/getting-started.md" in readme


def test_a_guide_without_its_blocks_or_with_an_unlisted_output_fails(tmp_path):
    guide = tmp_path / "guide.md"
    for text, message in (
        ("# Nothing to run\n", "no newcomer:run block or no newcomer:files block"),
        (
            "<!-- newcomer:run -->\n```sh\ntrue\n```\nSee `demo/output/other.txt`.\n<!-- newcomer:files -->\n```text\nREADME.md\n```\n",
            "points at demo/output/other.txt, which its newcomer:files block does not list",
        ),
        (
            "<!-- newcomer:run -->\n```sh\ntrue\n```\n<!-- newcomer:files -->\n```text\nno/such/output\n```\n",
            "names outputs the commands did not write: no/such/output",
        ),
        ("<!-- newcomer:run -->\n```sh\nfalse\n```\n<!-- newcomer:files -->\n```text\nREADME.md\n```\n", "`false` exited 1"),
    ):
        guide.write_text(text)
        proc = subprocess.run([sys.executable, str(ROOT / "tests/newcomer/run_doc.py"), str(guide)], capture_output=True, text=True, check=False)
        assert proc.returncode == 1 and message in proc.stderr, (text, proc.stderr)
