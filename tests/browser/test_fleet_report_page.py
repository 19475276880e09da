# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The fleet report HTML page in a real browser (Debian's headless Chromium).

Run: PYTHONPATH=.cache/collections .venv/bin/pytest tests/browser
Chromium is looked for as $CHROMIUM, then chromium or chromium-browser on PATH (Debian: apt-get install -y chromium).
Without it the tests are skipped, unless HORIZON_REQUIRE_BROWSER=1 (as ``make`` sets it): then they fail.
"""

from __future__ import annotations

import re

import pytest

from ansible_collections.horizon.ai_platform.plugins.module_utils import _fleet
from ansible_collections.horizon.ai_platform.tests.browser.chromium import Dom, chromium, screenshot
from ansible_collections.horizon.ai_platform.tests.unit.plugins.fleet_samples import HOSTILE_HOST, HOSTILE_MODEL, hostile_fleet

TITLE = "Accelerator fleet report"


@pytest.fixture(scope="module")
def report():
    return _fleet.build_report(_fleet.normalise_hosts(hostile_fleet()), "2026-01-31T12:00:00Z")


@pytest.fixture
def page(tmp_path, report):
    path = tmp_path / "fleet-report.html"
    path.write_text(_fleet.render_html(report, title=TITLE), encoding="utf-8")
    return path


@pytest.mark.usefixtures("browser")
def test_rendered_dom(tmp_path, page, report):
    dom = Dom(chromium(tmp_path, "--dump-dom", page.as_uri()))
    assert dom.title == TITLE  # the hostile host's onerror handler did not run

    rows = dom.with_testid("host-row")
    assert len(rows) == report["summary"]["hosts"] == 7
    assert [r["data-host"] for r in rows] == [h["name"] for h in report["hosts"]]

    chart_rows = dom.with_testid("chart-row")
    assert sorted(r["data-class"] for r in chart_rows) == report["summary"]["classes"]
    bars = dom.with_testid("chart-bar")
    assert {b["data-class"] for b in bars} == set(report["summary"]["classes"])
    assert sum(int(b["data-count"]) for b in bars) == report["summary"]["devices"]
    assert all(float(b["width"]) > 0 for b in bars)
    assert len(dom.with_testid("legend-item")) == len(report["summary"]["devices_by_region"])

    tiles = {t: "".join(dom.text_by_testid[t]) for t in ("tile-hosts", "tile-devices", "tile-classes", "tile-regions")}
    assert tiles["tile-hosts"].startswith("7Hosts1 CPU only") and tiles["tile-devices"].startswith("28Accelerator devices")

    # Markup from outside is text, never elements.
    assert not [tag for tag, _attrs in dom.elements if tag == "img"]
    assert sum(1 for tag, _attrs in dom.elements if tag == "script") == 1
    table_text = "".join(dom.text_by_testid["host-table"])
    assert HOSTILE_HOST in table_text and HOSTILE_MODEL in table_text


@pytest.mark.usefixtures("browser")
def test_sorting_script_works(tmp_path, page):
    """Without the page's CSP, a harness clicks the Devices column header twice and records the row order."""
    harness = page.read_text(encoding="utf-8")
    harness = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", harness)
    harness = harness.replace(
        "</body>",
        "<script>var b=document.querySelectorAll('[data-testid=host-table] th button')[3];b.click();b.click();"
        "document.body.dataset.order=Array.prototype.map.call(document.querySelectorAll('[data-testid=host-row]'),"
        "function(r){return r.cells[3].textContent;}).join(',');</script></body>",
    )
    path = tmp_path / "harness.html"
    path.write_text(harness, encoding="utf-8")
    dom = Dom(chromium(tmp_path, "--dump-dom", path.as_uri()))
    body = next(attrs for tag, attrs in dom.elements if tag == "body")
    assert body["data-order"] == "8,8,8,2,1,1,0"  # descending after the second click
    assert dom.title == TITLE  # escaping alone, without the CSP, keeps the hostile host inert


def test_no_network_references(page):
    markup = page.read_text(encoding="utf-8")
    assert not re.search(r"""(?:src|href|action|poster|data)\s*=\s*["']?\s*(?:https?:)?//""", markup, re.I)
    assert not re.search(r"url\(|@import|<link\b|<iframe\b|<object\b|<embed\b", markup, re.I)
    assert "https://" not in markup and "http://" not in markup.replace('xmlns="http://www.w3.org/2000/svg"', "")


@pytest.mark.usefixtures("browser")
def test_screenshot(tmp_path, page):
    data, size = screenshot(tmp_path, page, 1440, 1700, "FLEET_SCREENSHOT")
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert size == (1440, 1700)
    assert len(data) > 50_000, "a %d-byte screenshot is suspiciously plain" % len(data)
