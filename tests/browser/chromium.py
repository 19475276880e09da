# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Headless Chromium for the report-page tests: where it is, how it is run, and a parser for the DOM it dumps.

Chromium is looked for as $CHROMIUM, then chromium or chromium-browser on PATH (Debian: apt-get install -y chromium).
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
from html.parser import HTMLParser

CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
REQUIRE_BROWSER = os.environ.get("HORIZON_REQUIRE_BROWSER", "").strip().lower() not in ("", "0", "false", "no")


def missing_chromium():
    """Why Chromium cannot be run, or None when it can."""
    if not CHROMIUM:
        return "Chromium is not installed: no $CHROMIUM, no chromium or chromium-browser on PATH (apt-get install -y chromium)"
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return "Chromium %s is not an executable file" % CHROMIUM
    return None


def screenshot(tmp_path, page, width, height, keep_env):
    """Screenshot ``page`` at ``width`` x ``height`` into tmp_path; return (PNG bytes, (width, height) in its header).

    When the environment variable ``keep_env`` names a path, the PNG is copied there too, to look at.
    """
    shot = tmp_path / (page.stem + ".png")
    chromium(tmp_path, "--hide-scrollbars", "--window-size=%d,%d" % (width, height), "--screenshot=%s" % shot, page.as_uri())
    data = shot.read_bytes()
    keep = os.environ.get(keep_env)
    if keep:
        shutil.copyfile(shot, keep)
    return data, struct.unpack(">II", data[16:24]) if len(data) >= 24 else None


def chromium(tmp_path, *args):
    """Run headless Chromium with a fresh profile and no background network traffic; return stdout."""
    profile = tmp_path / ("profile-%d" % len(list(tmp_path.glob("profile-*"))))
    argv = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--user-data-dir=%s" % profile,
        *args,
    ]
    proc = subprocess.run(argv, capture_output=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-2000:]
    return proc.stdout.decode("utf-8")


_VOID = frozenset(("area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"))


class Dom(HTMLParser):
    """Elements of a dumped DOM: (tag, attributes) in document order, the text under each data-testid, and the page title."""

    def __init__(self, markup):
        super().__init__()
        self.elements, self.text_by_testid, self.title = [], {}, ""
        self._open, self._in_title = [], False
        self.feed(markup)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.elements.append((tag, attrs))
        self._in_title = tag == "title" and any(t == "head" for t, _testid in self._open)
        if tag not in _VOID:
            self._open.append((tag, attrs.get("data-testid")))

    def handle_endtag(self, tag):
        while self._open:
            if self._open.pop()[0] == tag:
                break
        self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data
        for _tag, testid in self._open:
            if testid:
                self.text_by_testid.setdefault(testid, []).append(data)

    def with_testid(self, testid):
        return [attrs for _tag, attrs in self.elements if attrs.get("data-testid") == testid]
