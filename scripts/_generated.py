# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The command line of a script that generates one file: write it, or with --check fail if it differs (make lint)."""

from __future__ import annotations

import argparse
import sys


def generate_main(doc, output, render, repo, errors=(ValueError,)):
    """Run a generator: ``render()`` gives the file's text; ``errors`` are reported in one line, not a traceback."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--check", action="store_true", help=f"fail if {output.relative_to(repo)} differs from what is generated")
    args = parser.parse_args()
    try:
        text = render()
    except errors as exc:
        print(f"{output.relative_to(repo)}: {exc}", file=sys.stderr)
        return 1
    if args.check:
        if not output.exists() or output.read_text(encoding="utf-8") != text:
            print(f"{output.relative_to(repo)} is out of date; run python {sys.argv[0]}", file=sys.stderr)
            return 1
        return 0
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    return 0
