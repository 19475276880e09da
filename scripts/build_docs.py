# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Render docs/ and the collection's own documentation to one HTML site (make docs).

    python scripts/build_docs.py [--dest build/docs]

1. antsibull-docs lint-collection-docs --plugin-docs: the plugins' and roles' documentation markup, their
   references to one another included;
2. antsibull-docs collection: one page per module, filter, inventory plugin and role, from their own docs and
   argument specs;
3. the guides (docs/*.md, docs/design/*.md) beside them; a link out of docs/ becomes the role's page (a role's
   README) or the file in the repository (anything else);
4. sphinx-build with the Ansible theme; any warning fails the build, except references to Ansible's own
   documentation (ansible.builtin modules, "common return values"), which only resolve through intersphinx on a
   connected machine (HORIZON_DOCS_INTERSPHINX=1);
5. every plugin, role and guide has its page.

The site is build/docs/html; open build/docs/html/index.html.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
SITE = REPO / "docs" / "site"
# Labels of docs.ansible.com that antsibull-docs' pages refer to; offline they cannot resolve.
EXTERNAL = re.compile(
    r"undefined label: '(ansible_collections\.(?!horizon\.ai_platform\.)[^']*|common_return_values|action_plugins|ansible_configuration_settings)'"
)
LINK = re.compile(r"\]\((?!https?://|#|mailto:)([^)\s#]+)(#[^)\s]*)?\)")


def run(args, **kwargs):
    proc = subprocess.run(args, capture_output=True, text=True, check=False, **kwargs)
    if proc.returncode:
        sys.exit(f"{' '.join(map(str, args))} failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")
    return proc


def rewrite_links(text, source, guides_root, repository):
    """Links that leave docs/: a role's README becomes its page, anything else the file in the repository."""

    def replace(match):
        target, anchor = match.group(1), match.group(2) or ""
        path = (source.parent / target).resolve()
        if path.is_relative_to(guides_root):
            return match.group(0)
        relative = path.relative_to(REPO)
        parts = relative.parts
        if len(parts) == 3 and parts[0] == "roles" and parts[2] == "README.md":
            depth = len(source.relative_to(guides_root).parts) - 1
            return f"]({'../' * (depth + 1)}collection/{parts[1]}_role.rst)"
        return f"]({repository}/blob/main/{relative.as_posix()}{anchor})"

    return LINK.sub(replace, text)


def expected_pages():
    """Page names antsibull-docs gives the collection's content: <name>_<type>.html, roles as <name>_role.html."""
    pages = []
    for kind in ("modules", "filter", "inventory"):
        for path in sorted((REPO / "plugins" / kind).glob("*")):
            if path.suffix in (".py", ".yml") and not path.name.startswith("_") and path.stem != "__init__":
                if kind == "filter" and path.suffix == ".py":
                    continue  # the filters' docs are their .yml files; the .py files hold the code
                pages.append(f"{path.stem}_{'module' if kind == 'modules' else kind}.html")
    pages += [f"{p.name}_role.html" for p in sorted((REPO / "roles").iterdir()) if (p / "meta" / "argument_specs.yml").exists()]
    return pages


def build(dest):
    lint = run(["antsibull-docs", "lint-collection-docs", "--plugin-docs", str(REPO)], cwd=REPO)
    if lint.stdout.strip():
        sys.exit(f"antsibull-docs lint-collection-docs:\n{lint.stdout}")

    shutil.rmtree(dest, ignore_errors=True)
    src = dest / "src"
    (src / "collection").mkdir(parents=True, mode=0o755)
    os.chmod(dest, 0o755)
    os.chmod(src, 0o755)
    run(["antsibull-docs", "collection", "--use-current", "--squash-hierarchy", "--dest-dir", str(src / "collection"), "horizon.ai_platform"])

    guides_root = REPO / "docs"
    repository = yaml.safe_load((REPO / "galaxy.yml").read_text())["repository"].rstrip("/")
    guides = sorted(guides_root.glob("*.md")) + sorted((guides_root / "design").glob("*.md"))
    for guide in guides:
        target = src / "guides" / guide.relative_to(guides_root)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(rewrite_links(guide.read_text(encoding="utf-8"), guide, guides_root, repository), encoding="utf-8")
    for name in ("conf.py", "index.rst"):
        shutil.copy(SITE / name, src / name)

    warnings = dest / "warnings.log"
    html = dest / "html"
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-w", str(warnings), "-E", str(src), str(html)], capture_output=True, text=True, check=False
    )
    if proc.returncode:
        sys.exit(f"sphinx-build failed:\n{proc.stdout}{proc.stderr}")
    problems = [line for line in warnings.read_text().splitlines() if "WARNING" in line and not EXTERNAL.search(line)]
    missing = [page for page in expected_pages() if not (html / "collection" / page).is_file()]
    for guide in guides:
        page = Path("guides") / guide.relative_to(guides_root).with_suffix(".html")
        if not (html / page).is_file():
            missing.append(str(page))
    if problems or missing:
        sys.exit("\n".join(problems + [f"no page for {m}" for m in missing]))
    return html


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dest", type=Path, default=REPO / "build" / "docs")
    args = parser.parse_args()
    html = build(args.dest.resolve())
    print(f"{html / 'index.html'}: {len(expected_pages())} plugin and role pages, the guides; no warning")


if __name__ == "__main__":
    main()
