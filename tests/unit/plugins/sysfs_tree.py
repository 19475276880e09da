# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write sysfs entries into a test tree, laid out as the kernel does."""

from __future__ import annotations

import os


def add_pci(root, address, vendor, device, class_code, numa="-1", driver=None):
    """Write one PCI function under ``<root>/sys/bus/pci/devices/<address>``."""
    path = root / "sys" / "bus" / "pci" / "devices" / address
    path.mkdir(parents=True)
    (path / "vendor").write_text("0x%s\n" % vendor)
    (path / "device").write_text("0x%s\n" % device)
    (path / "class").write_text("0x%s\n" % class_code)
    if numa is not None:
        (path / "numa_node").write_text("%s\n" % numa)
    if driver:
        target = root / "sys" / "bus" / "pci" / "drivers" / driver
        target.mkdir(parents=True, exist_ok=True)
        os.symlink(os.path.relpath(target, path), path / "driver")
    return path
