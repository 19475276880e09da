# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Device nodes for tests: a sysfs tree and a /dev directory of real character devices (mknod, as root).

The numbers come from ``ls -l /dev/dri /dev/kfd`` of a host with two MI200-series GPUs (tests/fixtures/recorded/amd):
the kernel's DRM major 226, and that host's dynamic KFD major 509. Which card belongs to which GPU is not in the
recording; the tests give them out in PCI order, as the kernel probes the devices.
"""

from __future__ import annotations

import os
import pathlib
import re

RECORDED = pathlib.Path(__file__).resolve().parents[2] / "fixtures" / "recorded"
AMD_LISTING = (RECORDED / "amd" / "ls-l-dev-dri-kfd_2x-gfx90a-in-container_rocm-docker-pr93.txt").read_text()
GPUS = ["0000:c1:00.0", "0000:c5:00.0"]


def recorded_nodes(listing):
    """{name: (major, minor)} of the character devices in an ``ls -l`` listing."""
    nodes = {}
    for line in listing.splitlines():
        match = re.match(r"^c\S+\s+\d+\s+\S+\s+\S+\s+(\d+),\s*(\d+)\s+.*?\s(\S+)$", line)
        if match:
            nodes[os.path.basename(match.group(3))] = (int(match.group(1)), int(match.group(2)))
    return nodes


class Machine:
    """A sysfs tree and a /dev directory, laid out as the kernel and udev lay them out."""

    def __init__(self, root):
        self.sys = root / "sys"
        self.dev = root / "dev"
        self.dev.mkdir(parents=True)

    def pci_node(self, address, subsystem, name, dev, make=True, dev_dir="dri"):
        entry = self.sys / "bus" / "pci" / "devices" / address / subsystem / name
        entry.mkdir(parents=True)
        (entry / "dev").write_text("%d:%d\n" % dev)
        if make:
            self.mknod(dev_dir, name, dev)

    def mknod(self, dev_dir, name, dev):
        directory = self.dev / dev_dir if dev_dir else self.dev
        directory.mkdir(exist_ok=True)
        os.mknod(directory / name, 0o660 | 0o020000, os.makedev(*dev))

    def kfd(self, dev, make=True):
        entry = self.sys / "class" / "kfd" / "kfd"
        entry.mkdir(parents=True)
        (entry / "dev").write_text("%d:%d\n" % dev)
        if make:
            self.mknod("", "kfd", dev)


AMD = recorded_nodes(AMD_LISTING)
