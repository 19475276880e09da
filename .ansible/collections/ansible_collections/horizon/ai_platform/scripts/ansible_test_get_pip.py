# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stand-in for the get-pip.py script that ansible-test downloads to bootstrap pip.

ansible-test creates its sanity-test virtual environments without pip and runs a cached
``get_pip_<version>.py`` to put pip in; when none is cached it downloads one from a host that
is not reachable here. This script does the same job offline: it runs pip from the wheel that
CPython itself bundles in ``ensurepip`` and lets that pip install the exact packages
ansible-test asked for (``pip==<version>``) from the configured package index.

It is called the way ansible-test calls get-pip.py: ``python get_pip.py [pip options] pip==X
[--no-setuptools] [--no-wheel]``.
"""

from __future__ import annotations

import ensurepip
import glob
import os
import runpy
import sys


def main() -> None:
    bundled = sorted(glob.glob(os.path.join(os.path.dirname(ensurepip.__file__), "_bundled", "pip-*.whl")))
    if not bundled:
        sys.exit("ansible-test pip bootstrap: this Python's ensurepip bundles no pip wheel")
    args = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
    sys.path.insert(0, bundled[-1])
    sys.argv = ["pip", "install", *args]
    runpy.run_module("pip", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
