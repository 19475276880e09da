# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ``browser`` fixture of the report-page tests."""

from __future__ import annotations

import os

import pytest

from ansible_collections.horizon.ai_platform.tests.browser.chromium import REQUIRE_BROWSER, missing_chromium


@pytest.fixture
def browser():
    """For the tests that run Chromium: skip without it, or fail when HORIZON_REQUIRE_BROWSER says the browser tests must run."""
    problem = missing_chromium()
    if problem and REQUIRE_BROWSER:
        pytest.fail("HORIZON_REQUIRE_BROWSER=%s, but %s" % (os.environ["HORIZON_REQUIRE_BROWSER"], problem), pytrace=False)
    if problem:
        pytest.skip(problem)
