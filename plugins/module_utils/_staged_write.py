# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Replacing a file through a staged copy beside it.

Private to horizon.ai_platform (the leading underscore): the API may change without notice.
"""

from __future__ import annotations

import os
import tempfile


def write_file(module, path, data, mode=None, check=None):
    """Write ``data`` (bytes) to ``path`` by way of a staged file in the same directory.

    The staged file is written and flushed to disk, checked with ``check(staged_path)`` where given (which raises to
    stop), then renamed over ``path``. A file that exists keeps its owner, mode and SELinux context (AnsibleModule's
    atomic_move); a new one gets ``mode`` before it appears, so that a secret is never readable by others for a moment.
    The staged file never outlives the call. The directory must exist.
    """
    handle, staging = tempfile.mkstemp(dir=os.path.dirname(path) or ".", prefix=".%s." % os.path.basename(path))
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        if check is not None:
            check(staging)
        if os.path.exists(path):
            module.atomic_move(staging, path)
        else:
            if mode is not None:
                module.set_mode_if_different(staging, mode, False)
            else:
                # What a new file gets elsewhere: 0666 less the umask (mkstemp made it 0600).
                umask = os.umask(0)
                os.umask(umask)
                os.chmod(staging, 0o666 & ~umask)
            os.rename(staging, path)
    finally:
        if os.path.exists(staging):
            os.unlink(staging)
