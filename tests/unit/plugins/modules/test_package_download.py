# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""package_download: reading what apt would fetch, from a real ``apt-get --print-uris`` of Debian 12, and knowing a file
already downloaded. The download itself runs against deb.debian.org in tests/unit/playbooks/test_airgap_packages.py."""

from __future__ import annotations

import hashlib

import pytest

from ansible_collections.horizon.ai_platform.plugins.modules import package_download


@pytest.fixture
def listing(recorded):
    return package_download.parse_print_uris(recorded("apt/apt-get-print-uris_podman-busybox_debian12.txt"))


def test_every_file_apt_lists_is_read(listing, recorded):
    lines = [line for line in recorded("apt/apt-get-print-uris_podman-busybox_debian12.txt").splitlines() if line.strip()]
    assert len(listing) == len(lines) == 34
    by_name = {entry["filename"]: entry for entry in listing}
    podman = by_name["podman_4.3.1+ds1-8+deb12u1+b3_amd64.deb"]
    assert podman["uri"] == "http://deb.debian.org/debian/pool/main/libp/libpod/podman_4.3.1%2bds1-8%2bdeb12u1%2bb3_amd64.deb"
    assert podman["size"] == 10679784
    assert podman["hash"] == "md5:d3d7c6a7e38bb777ca27138fe929ce19"


def test_epochs_and_files_without_a_hash(listing):
    by_name = {entry["filename"]: entry for entry in listing}
    # An epoch is %3a in the file name apt saves, as in its cache.
    assert "busybox-static_1%3a1.35.0-4+deb12u1+b1_amd64.deb" in by_name
    # The security archive's files come with no hash in apt 2.6's listing; they were the ones a stricter reading lost.
    unhashed = sorted(name for name, entry in by_name.items() if not entry["hash"])
    assert unhashed == [
        "libgpgme11_1.18.0-3+deb12u1_amd64.deb",
        "libsasl2-2_2.1.28+dfsg-10+deb12u1_amd64.deb",
        "libsasl2-modules-db_2.1.28+dfsg-10+deb12u1_amd64.deb",
    ]
    assert by_name["libgpgme11_1.18.0-3+deb12u1_amd64.deb"]["uri"].startswith("http://deb.debian.org/debian-security/pool/updates/main/")


def test_a_file_name_with_a_path_is_refused():
    with pytest.raises(ValueError, match="not a plain file name"):
        package_download.parse_print_uris("'http://x/pool/a.deb' ../a.deb 10 MD5Sum:00\n")


def test_a_file_in_place_is_known_by_size_and_hash(tmp_path):
    body = b"package" * 100
    (tmp_path / "a.deb").write_bytes(body)
    entry = {"filename": "a.deb", "size": len(body), "hash": "md5:" + hashlib.md5(body).hexdigest()}
    assert package_download.present(str(tmp_path), entry)
    assert not package_download.present(str(tmp_path), dict(entry, hash="md5:" + "0" * 32))
    assert not package_download.present(str(tmp_path), dict(entry, size=len(body) + 1))
    assert package_download.present(str(tmp_path), dict(entry, hash=""))
    assert not package_download.present(str(tmp_path), dict(entry, filename="b.deb"))
