#!/usr/bin/python
# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: repository_key
short_description: Install a package repository's signing key as a keyring, after checking its fingerprints
version_added: 0.1.0
description:
  - Fetches a repository's OpenPGP signing key from O(url), or takes it from O(content), and checks that every primary
    key in it has one of the full O(fingerprints) and has neither expired nor been revoked. Only then does it write the keys to O(dest),
    as a binary keyring for apt's C(Signed-By) or as an ASCII-armored file for dnf's C(gpgkey).
  - The keys are read with C(gpg) in a throw-away home directory, so the node's own keyrings are never touched, and
    only the checked keys are exported to O(dest). A key file that carries an unexpected extra key is refused.
  - O(dest) is replaced atomically, and only when its keys differ.
author:
  - horizon.ai_platform maintainers (@horizon-ai-platform)
extends_documentation_fragment:
  - horizon.ai_platform.attributes
attributes:
  check_mode:
    support: full
    details:
      - Fetches and checks the key, writes nothing and reports whether O(dest) would change.
  diff_mode:
    support: full
    details:
      - Shows the fingerprints in O(dest) before and after.
  idempotent:
    support: full
options:
  dest:
    description: Where the keyring goes, for example C(/etc/apt/keyrings/cuda.gpg) or C(/etc/pki/rpm-gpg/RPM-GPG-KEY-cuda).
    type: path
    required: true
  url:
    description: Where to fetch the key from (V(https://), V(http://) or V(file://)). An air-gapped site gives its mirror's copy.
    type: str
  content:
    description: The key itself, an ASCII-armored OpenPGP public key block.
    type: str
  fingerprints:
    description:
      - The full fingerprints (40 hex digits; spaces are ignored) the key's primary keys may have.
      - Every primary key in the fetched file must be one of them.
    type: list
    elements: str
    required: true
  format:
    description: V(binary) writes an OpenPGP keyring (apt), V(armor) an ASCII-armored key (rpm, dnf).
    type: str
    choices: [binary, armor]
    default: binary
  mode:
    description: The file mode of O(dest).
    type: raw
    default: "0644"
  validate_certs:
    description: Check the TLS certificate of an V(https://) O(url).
    type: bool
    default: true
  ca_path:
    description: A CA bundle to check the server's certificate against, for an internal mirror.
    type: path
  url_username:
    description: User name for a mirror that needs authentication.
    type: str
  url_password:
    description: Password for O(url_username).
    type: str
  timeout:
    description: Seconds to wait for the key server.
    type: int
    default: 30
requirements:
  - gpg (GnuPG 2) on the node
notes:
  - Subkeys are not checked against O(fingerprints), nor for their own expiry; apt and rpm trust a subkey through its
    primary key, and refuse a signature by an expired subkey themselves.
  - Credentials in O(url) (C(https://user:password@mirror/...)) would show in the task's arguments; use
    O(url_username) and O(url_password) instead.
seealso:
  - module: ansible.builtin.deb822_repository
  - module: ansible.builtin.rpm_key
"""

EXAMPLES = r"""
- name: Install NVIDIA's CUDA repository key as a keyring for Signed-By
  horizon.ai_platform.repository_key:
    url: https://developer.download.nvidia.com/compute/cuda/repos/debian12/x86_64/3bf863cc.pub
    fingerprints: [EB693B3035CD5710E231E123A4B469963BF863CC]
    dest: /etc/apt/keyrings/horizon-cuda.gpg

- name: The same key from the site's mirror, for dnf
  horizon.ai_platform.repository_key:
    url: https://pulp.example.com/keys/rocm.gpg.key
    ca_path: /etc/pki/tls/certs/site-ca.pem
    fingerprints: [CA8B B472 7A47 B4D0 9B4E E896 9386 B48A 1A69 3C5C]
    dest: /etc/pki/rpm-gpg/RPM-GPG-KEY-rocm
    format: armor
"""

RETURN = r"""
dest:
  description: The keyring written.
  returned: always
  type: str
  sample: /etc/apt/keyrings/horizon-cuda.gpg
fingerprints:
  description: The primary keys' fingerprints in the key that was checked.
  returned: success
  type: list
  elements: str
  sample: [EB693B3035CD5710E231E123A4B469963BF863CC]
expires:
  description: When each key expires, as an ISO 8601 UTC time, or null for a key that does not.
  returned: success
  type: dict
  sample: {EB693B3035CD5710E231E123A4B469963BF863CC: null}
"""

import datetime
import os
import re
import shutil
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.urls import fetch_url

from ansible_collections.horizon.ai_platform.plugins.module_utils._staged_write import write_file

MAX_KEY_BYTES = 1024 * 1024
_FINGERPRINT_RE = re.compile(r"^[0-9A-F]{40}$")


class KeyProblem(Exception):
    pass


class Gpg:
    """gpg in a home directory of its own, removed afterwards."""

    def __init__(self, module):
        self.module = module
        self.binary = module.get_bin_path("gpg")
        if not self.binary:
            raise KeyProblem("gpg is not installed on this node: install the gpg (Debian, Ubuntu) or gnupg2 (RHEL) package")
        self.home = tempfile.mkdtemp(prefix="horizon-key-")
        os.chmod(self.home, 0o700)

    def run(self, *args, data=None, binary=False):
        rc, out, err = self.module.run_command(
            [self.binary, "--batch", "--no-tty", "--quiet", "--no-autostart", "--homedir", self.home, *args],
            data=data,
            binary_data=True,
            encoding=None if binary else "utf-8",
            environ_update={"LC_ALL": "C"},
        )
        if rc != 0:
            message = err.decode("utf-8", "replace") if isinstance(err, bytes) else err
            raise KeyProblem("gpg %s failed: %s" % (args[0], message.strip().splitlines()[-1] if message.strip() else "exit %d" % rc))
        return out

    def primary_keys(self):
        """[(fingerprint, expires epoch or None, validity)] of the primary keys imported."""
        keys = []
        primary = None  # the pub record whose fpr record comes next
        for line in self.run("--with-colons", "--fixed-list-mode", "--list-keys").splitlines():
            fields = line.split(":")
            if fields[0] == "pub":
                primary = fields
            elif fields[0] == "fpr" and primary is not None:
                keys.append((fields[9].upper(), int(primary[6]) if primary[6] else None, primary[1]))
                primary = None
        return keys

    def close(self):
        shutil.rmtree(self.home, ignore_errors=True)


def fetch(module, url):
    # A mirror that needs a password gets it with the first request, not after a challenge.
    module.params["force_basic_auth"] = bool(module.params["url_username"])
    response, info = fetch_url(
        module,
        url,
        timeout=module.params["timeout"],
        ca_path=module.params["ca_path"],
    )
    if info.get("status") not in (200, None) or response is None:
        raise KeyProblem("cannot fetch the key from %s: %s" % (url, info.get("msg") or "HTTP %s" % info.get("status")))
    data = response.read(MAX_KEY_BYTES + 1)
    if len(data) > MAX_KEY_BYTES:
        raise KeyProblem("%s is larger than %d bytes: not a signing key" % (url, MAX_KEY_BYTES))
    return data


def normalize(fingerprints):
    result = []
    for item in fingerprints:
        value = re.sub(r"\s+", "", str(item)).upper()
        if not _FINGERPRINT_RE.match(value):
            raise KeyProblem("%r is not a full fingerprint: give all 40 hex digits, as gpg --show-keys prints them" % item)
        result.append(value)
    if not result:
        raise KeyProblem("fingerprints is empty: the key cannot be checked against nothing")
    return result


def fingerprints_of(gpg, data):
    """The primary fingerprints in ``data`` (a key file), read in a fresh home."""
    check = Gpg(gpg.module)
    try:
        check.run("--import", data=data)
        return sorted(fp for fp, _expires, _validity in check.primary_keys())
    except KeyProblem:
        return None
    finally:
        check.close()


def iso(epoch):
    if epoch is None:
        return None
    return datetime.datetime.fromtimestamp(epoch, tz=datetime.timezone.utc).isoformat().replace("+00:00", "Z")


def run(module):
    p = module.params
    expected = normalize(p["fingerprints"])
    if p["content"]:
        data = p["content"].encode("utf-8")
        origin = "the given content"
    else:
        data = fetch(module, p["url"])
        origin = p["url"]
    gpg = Gpg(module)
    try:
        try:
            gpg.run("--import", data=data)
        except KeyProblem as exc:
            raise KeyProblem("%s is not an OpenPGP public key: %s" % (origin, exc)) from None
        keys = gpg.primary_keys()
        if not keys:
            raise KeyProblem("%s holds no OpenPGP public key" % origin)
        found = [fp for fp, _expires, _validity in keys]
        unexpected = [fp for fp in found if fp not in expected]
        if unexpected:
            raise KeyProblem(
                "%s holds keys with fingerprints %s; expected only %s. The key may have been replaced: check it with "
                "`gpg --show-keys` before you trust it, and give its fingerprint if you do" % (origin, ", ".join(unexpected), ", ".join(expected))
            )
        revoked = [fp for fp, _expires, validity in keys if validity == "r"]
        if revoked:
            raise KeyProblem("%s: key %s is revoked by its owner; it must not be trusted" % (origin, revoked[0]))
        now = datetime.datetime.now(datetime.timezone.utc).timestamp()
        expired = [(fp, expires) for fp, expires, _validity in keys if expires is not None and expires <= now]
        if expired:
            raise KeyProblem(
                "%s: key %s expired on %s; fetch the vendor's re-issued key (its fingerprint stays the same when only the expiry changes)"
                % (origin, expired[0][0], iso(expired[0][1]))
            )
        exported = gpg.run("--export", *(["--armor"] if p["format"] == "armor" else []), *found, binary=True)
        before = None
        if os.path.exists(p["dest"]):
            with open(p["dest"], "rb") as handle:
                before = handle.read()
        before_keys = fingerprints_of(gpg, before) if before else []
    finally:
        gpg.close()

    result = {
        "changed": before != exported,
        "dest": p["dest"],
        "fingerprints": sorted(found),
        "expires": {fp: iso(expires) for fp, expires, _validity in keys},
    }
    if module._diff:
        result["diff"] = {
            "before_header": p["dest"],
            "after_header": p["dest"],
            "before": "".join("%s\n" % fp for fp in (before_keys or [])) if before is not None else "",
            "after": "".join("%s\n" % fp for fp in sorted(found)),
        }
    if result["changed"] and not module.check_mode:
        directory = os.path.dirname(p["dest"]) or "."
        if not os.path.isdir(directory):
            raise KeyProblem("the directory of %s does not exist" % p["dest"])
        write_file(module, p["dest"], exported, mode=p["mode"])
    file_args = module.load_file_common_arguments({"path": p["dest"], "mode": p["mode"]})
    if os.path.exists(p["dest"]):
        result["changed"] = module.set_fs_attributes_if_different(file_args, result["changed"])
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            dest=dict(type="path", required=True),
            url=dict(type="str"),
            content=dict(type="str"),
            fingerprints=dict(type="list", elements="str", required=True),
            format=dict(type="str", choices=["binary", "armor"], default="binary"),
            mode=dict(type="raw", default="0644"),
            validate_certs=dict(type="bool", default=True),
            ca_path=dict(type="path"),
            url_username=dict(type="str"),
            url_password=dict(type="str", no_log=True),
            timeout=dict(type="int", default=30),
        ),
        mutually_exclusive=[("url", "content")],
        required_one_of=[("url", "content")],
        supports_check_mode=True,
    )
    try:
        module.exit_json(**run(module))
    except KeyProblem as exc:
        module.fail_json(msg="repository_key %s: %s" % (module.params["dest"], exc))


if __name__ == "__main__":
    main()
