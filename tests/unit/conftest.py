# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Make ``ansible_collections.horizon.ai_platform`` importable and share recorded inputs."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
COLLECTIONS = REPO / ".cache" / "collections"
LINK = COLLECTIONS / "ansible_collections" / "horizon" / "ai_platform"
RECORDED = REPO / "tests" / "fixtures" / "recorded"

if not LINK.exists():
    LINK.parent.mkdir(parents=True, exist_ok=True)
    os.symlink("../../../..", LINK)
if str(COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS))


@pytest.fixture
def recorded():
    """Return the text of a recorded tool output by its path below tests/fixtures/recorded."""

    def read(relative):
        return (RECORDED / relative).read_text(encoding="utf-8")

    return read
