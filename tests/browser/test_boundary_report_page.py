# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The data-boundary audit page in a real browser (Debian's headless Chromium): hostile values stay text.

Run: PYTHONPATH=.cache/collections .venv/bin/pytest tests/browser (see tests/browser/chromium.py for Chromium).
"""

from __future__ import annotations

import pytest

from ansible_collections.horizon.ai_platform.plugins.module_utils import _boundary_report
from ansible_collections.horizon.ai_platform.plugins.module_utils._boundary import Policy
from ansible_collections.horizon.ai_platform.tests.browser.chromium import Dom, chromium, screenshot
from ansible_collections.horizon.ai_platform.tests.unit.plugins.boundary_samples import policy_data, resolver

HOSTILE = "<img src=x onerror=alert(1)><script>document.title='owned'</script>"


@pytest.fixture
def page(tmp_path):
    policy = Policy.from_data(policy_data())
    flows = [
        ("gpu-fra-01", "https://models.eu.example.com/llama/", "eu-central-1", None),
        ("gpu-fra-01", "hf://acme/clinical", "eu-central-1", None),
        ("edge-01", "https://evil.example.com/m/", "eu-west-1", None),
        (HOSTILE, "https://models.eu.example.com/m/", "us-east-1", HOSTILE),
    ]
    decisions = [dict(policy.decide(src, host_region=region, name=name, resolve=resolver), host=host) for host, src, region, name in flows]
    report = _boundary_report.build_report(decisions, policy_file="/srv/policy/boundary.yml", hosts_not_checked=["gpu-dub-07"])
    path = tmp_path / "boundary-audit.html"
    path.write_text(_boundary_report.render(report, "html"), encoding="utf-8")
    return path


@pytest.mark.usefixtures("browser")
def test_rendered_dom(tmp_path, page):
    markup = chromium(tmp_path, "--dump-dom", page.as_uri())
    dom = Dom(markup)
    assert dom.title == _boundary_report.DEFAULT_TITLE  # the hostile script did not run
    assert not [e for e in dom.elements if e[0] in ("script", "img")]
    assert HOSTILE in markup.replace("&lt;", "<").replace("&gt;", ">")  # shown as text
    rows = [e for e in dom.elements if e[0] == "tr" and dict(e[1]).get("class") in ("allow", "deny")]
    assert [dict(r[1])["class"] for r in rows] == ["deny", "deny", "deny", "allow"]
    assert "gpu-dub-07" in markup  # a host that was not checked is named


@pytest.mark.usefixtures("browser")
def test_screenshot(tmp_path, page):
    data, size = screenshot(tmp_path, page, 1440, 1100, "BOUNDARY_SCREENSHOT")
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert size == (1440, 1100)
    assert len(data) > 30_000, "a %d-byte screenshot is suspiciously plain" % len(data)
