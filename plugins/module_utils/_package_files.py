# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Downloaded package files checked against what apt said of them, for package_download and package_repository.

Private to horizon.ai_platform (the leading underscore): the API may change without notice.
"""

from __future__ import annotations

import hashlib
import os


def digest(path, algorithm):
    """The hex digest of a file with one of hashlib's algorithms."""
    value = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            value.update(block)
    return value.hexdigest()


def matches(path, size, hash_field):
    """Whether the file at ``path`` exists with ``size`` bytes and, where apt gave one, the hash ``hash_field``
    (``<hashlib algorithm>:<hex>``, as package_download records it; empty when apt gave none)."""
    if not os.path.isfile(path) or (size is not None and os.path.getsize(path) != size):
        return False
    algorithm, value = hash_field.split(":", 1) if ":" in (hash_field or "") else ("", "")
    return not value or digest(path, algorithm) == value
