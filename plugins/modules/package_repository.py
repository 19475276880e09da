#!/usr/bin/python
# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: package_repository
short_description: Build a signed apt repository from downloaded packages, one suite per source repository
version_added: 0.1.0
description:
  - Builds an apt repository in O(path) from the packages in O(sources) - directories that
    M(horizon.ai_platform.package_download) filled, each with its records of where every file came from.
  - Each package goes to the suite named after the repository it was downloaded from (C(cuda), C(rocm),
    C(debian-nonfree), C(docker), ...), so that a role's repository override can point each repository at its own
    suite. Packages from anywhere else - the distribution's own archive, for the dependencies a node lacks - go to
    O(distribution_suite).
  - Every suite has one component, C(main), with C(Packages) indices written by C(apt-ftparchive) (from C(apt-utils))
    and a C(Release) file signed by C(gpg) (C(InRelease) and C(Release.gpg)). The public key is written beside them
    as C(horizon-bundle.asc), and C(repositories.json) says which suite holds which repository's packages.
  - The signing key is O(signing_key) in O(gnupg_home); without one, a key for the bundle is generated there (Ed25519,
    signing only, no passphrase, valid for three years), or the one generated before is used while it is valid - an
    expired or revoked one is replaced by a new one. Keep O(gnupg_home) outside the bundle.
  - The repository is built beside O(path) and renamed into place, so a reader never sees half a repository. A O(path)
    that holds anything else than a repository this module built is refused, not replaced. Each
    file's size and hash are checked against its record first.
author:
  - horizon.ai_platform maintainers (@horizon-ai-platform)
extends_documentation_fragment:
  - horizon.ai_platform.attributes
attributes:
  check_mode:
    support: full
    details:
      - Builds the indices in a scratch directory, compares them with O(path)'s, and changes nothing (no key is
        generated either).
  diff_mode:
    support: full
    details:
      - One C(<suite>/<file>) line per package, before and after.
  idempotent:
    support: full
    details:
      - When the packages, suites and key are those O(path) has, nothing is rebuilt or signed again.
options:
  path:
    description: The repository's directory.
    type: path
    required: true
  sources:
    description: Directories of downloaded packages with their records (C(*.json)) from M(horizon.ai_platform.package_download).
    type: list
    elements: path
    required: true
  architectures:
    description: The architectures the repository serves (Debian's names); packages of architecture C(all) are in each.
    type: list
    elements: str
    default: [amd64]
  distribution_suite:
    description: The suite of the packages that came from no listed repository.
    type: str
    default: distribution
  gnupg_home:
    description: The GnuPG home directory that holds the signing key (created, mode 0700, when missing).
    type: path
    required: true
  signing_key:
    description:
      - The full fingerprint of the secret key in O(gnupg_home) that signs the repository. Without it, the bundle's
        own key (user ID C(bundle@horizon.invalid)) is used, and generated when missing.
    type: str
  origin:
    description: The C(Origin) and C(Label) of the C(Release) files.
    type: str
    default: horizon-bundle
seealso:
  - module: horizon.ai_platform.package_download
"""

EXAMPLES = r"""
- name: Build the site's Debian 12 repository from the staging containers' downloads
  horizon.ai_platform.package_repository:
    path: /srv/bundles/site-fra/packages/debian12
    sources:
      - /srv/bundles/site-fra.staging/debian12-nvidia-hopper
      - /srv/bundles/site-fra.staging/debian12-cpu
    gnupg_home: /srv/bundles/site-fra.gnupg
"""

RETURN = r"""
suites:
  description: Each suite with the repository it mirrors, the records (roles) whose packages it holds, and its package count.
  returned: always
  type: dict
  sample: {debian-nonfree: {repository: debian-nonfree, labels: [accelerator_drivers], packages: 12}}
fingerprint:
  description: The signing key's fingerprint.
  returned: always
  type: str
packages:
  description: How many package files the repository holds.
  returned: always
  type: int
"""

import gzip
import json
import os
import re
import shutil
import tempfile

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.horizon.ai_platform.plugins.module_utils._package_files import matches

BUNDLE_UID = "horizon air-gapped bundle <bundle@horizon.invalid>"
# gpg's validity letters of keys that must not sign.
UNUSABLE = {"e": "expired", "r": "revoked", "d": "disabled", "i": "invalid"}
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


class RepositoryError(Exception):
    pass


def _prefixes(repository):
    return [uri if uri.endswith("/") else uri + "/" for uri in repository.get("uris") or []]


def owns(repository, uri):
    """Whether a file's URL is one of the repository's: under one of its URIs and, where the file is in the archive's
    own pool/<component>/ (as in Debian's), in one of its components - Debian's non-free share a host with main."""
    components = repository.get("components") or []
    for prefix in _prefixes(repository):
        if uri.startswith(prefix):
            rest = uri[len(prefix) :]
            if not components or not rest.startswith("pool/"):
                return True
            if any(rest.startswith("pool/%s/" % component) for component in components):
                return True
    return False


def _differ(one, other):
    """Whether two of apt's hashes (``<algorithm>:<hex>``, or empty) say two files differ: only one algorithm compares."""
    return bool(one and other and one.split(":", 1)[0] == other.split(":", 1)[0] and one != other)


def plan(sources, distribution_suite):
    """{suite: {filename: (path, hash, size)}} and {suite: {repository, labels}} from the download records."""
    suites, meta = {}, {}
    for source in sources:
        if not os.path.isdir(source):
            raise RepositoryError("source %s is not a directory" % source)
        records = sorted(name for name in os.listdir(source) if name.endswith(".json"))
        if not records:
            raise RepositoryError("source %s holds no download record (*.json from package_download)" % source)
        for name in records:
            try:
                with open(os.path.join(source, name)) as handle:
                    record = json.load(handle)
                files, repositories, label = record["files"], record.get("repositories") or [], record["label"]
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise RepositoryError("%s is not a package_download record: %s" % (os.path.join(source, name), exc)) from exc
            for entry in files:
                owner = next((r for r in repositories if owns(r, entry["uri"])), None)
                suite = owner["name"] if owner else distribution_suite
                if not _NAME_RE.match(suite):
                    raise RepositoryError("repository name %r in %s cannot name a suite" % (suite, name))
                meta.setdefault(suite, {"repository": owner["name"] if owner else "", "labels": set()})["labels"].add(label)
                path = os.path.join(source, entry["filename"])
                if not os.path.isfile(path):
                    raise RepositoryError("%s lists %s, which %s does not hold" % (name, entry["filename"], source))
                known = suites.setdefault(suite, {}).get(entry["filename"])
                if known and (known[2] != entry.get("size") or _differ(known[1], entry.get("hash") or "")):
                    raise RepositoryError("two different files are named %s (in %s and %s)" % (entry["filename"], known[0], path))
                if not known:
                    suites[suite][entry["filename"]] = (path, entry.get("hash") or "", entry.get("size"))
    return suites, meta


def _run(module, argv, cwd=None, env=None):
    rc, out, err = module.run_command(argv, cwd=cwd, environ_update=env or {})
    if rc != 0:
        raise RepositoryError("%s failed: %s" % (" ".join(argv[:3]), (err or out).strip()))
    return out


def _stanzas(text):
    return [block for block in re.split(r"\n\s*\n", text.strip()) if block.strip()]


def _architecture(stanza):
    match = re.search(r"^Architecture:\s*(\S+)", stanza, re.M)
    return match.group(1) if match else ""


def build_indices(module, root, suites, architectures):
    """Copy the packages into root/pool/<suite>/ and write the Packages indices; returns {relative path: text}."""
    ftparchive = module.get_bin_path("apt-ftparchive")
    if not ftparchive:
        raise RepositoryError("apt-ftparchive is missing: install apt-utils on the staging machine, which builds the bundle's apt repositories")
    indices = {}
    for suite, files in sorted(suites.items()):
        pool = os.path.join(root, "pool", suite)
        os.makedirs(pool)
        for filename, (path, digest, size) in sorted(files.items()):
            target = os.path.join(pool, filename)
            try:
                os.link(path, target)
            except OSError:
                shutil.copy2(path, target)
            if not matches(target, size, digest):
                raise RepositoryError("%s does not match the size and hash apt recorded for it: the download is damaged" % path)
        text = _run(module, [ftparchive, "packages", "pool/%s" % suite], cwd=root, env={"LANG": "C", "LC_ALL": "C"})
        stanzas = sorted(_stanzas(text))
        for arch in architectures:
            chosen = [s for s in stanzas if _architecture(s) in (arch, "all")]
            indices["dists/%s/main/binary-%s/Packages" % (suite, arch)] = "".join(s + "\n\n" for s in chosen)
    return indices


def _gpg(module, home, *args):
    return _run(module, ["gpg", "--homedir", home, "--batch", "--no-tty"] + list(args), env={"LANG": "C", "LC_ALL": "C"})


def find_key(module, home, wanted):
    """(fingerprint, why not): the signing key - ``wanted`` if the home holds its secret key, else the bundle's own - as
    long as it has neither expired nor been revoked; else None, with what is wrong with the one found, if any."""
    if not os.path.isdir(home):
        return None, None
    query = [wanted] if wanted else ["bundle@horizon.invalid"]
    listing = module.run_command(["gpg", "--homedir", home, "--batch", "--no-tty", "--with-colons", "--list-secret-keys"] + query, environ_update={"LANG": "C"})
    if listing[0] != 0:
        return None, None
    out = listing[1]
    keys, validity = [], None
    for line in out.splitlines():
        fields = line.split(":")
        if fields[0] == "sec":
            validity = fields[1]
        elif fields[0] == "fpr" and validity is not None and len(fields) > 9:
            keys.append((fields[9], validity))
            validity = None
    usable = [fingerprint for fingerprint, state in keys if state not in UNUSABLE]
    if usable:
        return usable[0], None
    if keys:
        return None, "%s is %s" % (keys[0][0], UNUSABLE[keys[0][1]])
    return None, None


def _agent_running(module, home):
    """Whether a gpg-agent serves ``home`` already (the operator's, say), which the module then leaves running."""
    if not os.path.isdir(home) or not module.get_bin_path("gpg-connect-agent"):
        return False
    # It exits 0 either way; an agent answers with its process ID ("D <pid>").
    rc, out = module.run_command(["gpg-connect-agent", "--homedir", home, "--no-autostart", "GETINFO pid", "/bye"], environ_update={"LANG": "C"})[:2]
    return rc == 0 and out.startswith("D ")


def release(module, root, suite, architectures, origin):
    argv = ["apt-ftparchive"]
    for field, value in (
        ("Origin", origin),
        ("Label", origin),
        ("Suite", suite),
        ("Codename", suite),
        ("Architectures", " ".join(architectures)),
        ("Components", "main"),
    ):
        argv += ["-o", "APT::FTPArchive::Release::%s=%s" % (field, value)]
    return _run(module, argv + ["release", "dists/%s" % suite], cwd=root, env={"LANG": "C", "LC_ALL": "C"})


def _read(path):
    try:
        with open(path) as handle:
            return handle.read()
    except OSError:
        return None


def _write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w" if isinstance(data, str) else "wb") as handle:
        handle.write(data)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            sources=dict(type="list", elements="path", required=True),
            architectures=dict(type="list", elements="str", default=["amd64"]),
            distribution_suite=dict(type="str", default="distribution"),
            gnupg_home=dict(type="path", required=True),
            # A fingerprint names the key; it is no secret.
            signing_key=dict(type="str", no_log=False),
            origin=dict(type="str", default="horizon-bundle"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    root = p["path"].rstrip("/")
    home = p["gnupg_home"]
    architectures = sorted(set(p["architectures"]))
    if not architectures or not all(re.match(r"^[a-z0-9-]+$", a) for a in architectures):
        module.fail_json(msg="architectures must be Debian architecture names (amd64, arm64), got %r" % p["architectures"])
    if not _NAME_RE.match(p["distribution_suite"]):
        module.fail_json(msg="distribution_suite %r must be lower-case letters, digits, '.', '_' or '-'" % p["distribution_suite"])
    wanted = re.sub(r"\s+", "", p["signing_key"] or "").upper()
    if wanted and not re.match(r"^[0-9A-F]{40}$", wanted):
        module.fail_json(msg="signing_key must be a full 40-hex-digit OpenPGP fingerprint, got %r" % p["signing_key"])
    if os.path.lexists(root) and not (os.path.isdir(root) and (not os.listdir(root) or os.path.isfile(os.path.join(root, "repositories.json")))):
        module.fail_json(msg="%s holds something else than a repository this module built (no repositories.json): it is not replaced" % root)
    if not module.get_bin_path("gpg"):
        module.fail_json(msg="gpg is missing on the staging machine: it signs the bundle's repositories")

    parent = os.path.dirname(root) or "."
    if not os.path.isdir(parent):
        if not module.check_mode:
            os.makedirs(parent)
        else:
            # Check mode writes nothing beside the repository: its indices are built in a scratch folder elsewhere.
            parent = None
    scratch = tempfile.mkdtemp(prefix=".%s." % os.path.basename(root), dir=parent)
    agent_running = _agent_running(module, home)
    try:
        try:
            suites, meta = plan(p["sources"], p["distribution_suite"])
            indices = build_indices(module, scratch, suites, architectures)
            fingerprint, problem = find_key(module, home, wanted)
            if wanted and not fingerprint:
                raise RepositoryError("gnupg_home %s holds no usable secret key %s to sign with%s" % (home, wanted, ": " + problem if problem else ""))
        except RepositoryError as exc:
            module.fail_json(msg=str(exc))
        summary = {
            "fingerprint": fingerprint,
            "architectures": architectures,
            "suites": {
                suite: {"repository": meta[suite]["repository"], "labels": sorted(meta[suite]["labels"]), "packages": len(suites[suite])}
                for suite in sorted(suites)
            },
        }
        before = _read(os.path.join(root, "repositories.json"))
        old_files = sorted(
            "%s/%s" % (suite, name)
            for suite in (os.listdir(os.path.join(root, "pool")) if os.path.isdir(os.path.join(root, "pool")) else [])
            for name in os.listdir(os.path.join(root, "pool", suite))
        )
        new_files = sorted("%s/%s" % (suite, name) for suite in suites for name in suites[suite])
        same = (
            fingerprint is not None
            and before is not None
            and json.loads(before) == summary
            and old_files == new_files
            and all(_read(os.path.join(root, rel)) == text for rel, text in indices.items())
            and all(os.path.isfile(os.path.join(root, "dists", suite, "InRelease")) for suite in suites)
        )
        result = dict(
            changed=not same,
            suites=summary["suites"],
            fingerprint=fingerprint or "",
            packages=len(new_files),
            diff=dict(before="".join(f + "\n" for f in old_files), after="".join(f + "\n" for f in new_files)),
        )
        if same or module.check_mode:
            module.exit_json(**result)

        try:
            if fingerprint is None:
                os.makedirs(home, mode=0o700, exist_ok=True)
                # --yes: a key of the same user ID that has expired or was revoked may be there.
                _gpg(module, home, "--yes", "--passphrase", "", "--quick-gen-key", BUNDLE_UID, "ed25519", "sign", "3y")
                fingerprint = find_key(module, home, "")[0]
                if not fingerprint:
                    raise RepositoryError("gpg generated no key in %s" % home)
            summary["fingerprint"] = result["fingerprint"] = fingerprint
            for rel, text in indices.items():
                _write(os.path.join(scratch, rel), text)
                _write(os.path.join(scratch, rel + ".gz"), gzip.compress(text.encode(), mtime=0))
            for suite in sorted(suites):
                _write(os.path.join(scratch, "dists", suite, "Release"), release(module, scratch, suite, architectures, p["origin"]))
                signed = os.path.join(scratch, "dists", suite)
                _gpg(module, home, "--yes", "--local-user", fingerprint, "--clearsign", "-o", signed + "/InRelease", signed + "/Release")
                _gpg(module, home, "--yes", "--local-user", fingerprint, "--armor", "--detach-sign", "-o", signed + "/Release.gpg", signed + "/Release")
            _write(os.path.join(scratch, "horizon-bundle.asc"), _gpg(module, home, "--armor", "--export", fingerprint))
            _write(os.path.join(scratch, "repositories.json"), json.dumps(summary, indent=2, sort_keys=True) + "\n")
        except RepositoryError as exc:
            module.fail_json(msg=str(exc))
        os.chmod(scratch, 0o755)
        # The finished repository takes the old one's place; the old one goes only once the new one is there.
        retired = None
        if os.path.exists(root):
            retired = scratch + ".old"
            os.rename(root, retired)
        try:
            os.rename(scratch, root)
        except OSError as exc:
            if retired:
                os.rename(retired, root)
            module.fail_json(msg="could not move the new repository into %s: %s" % (root, exc))
        if retired:
            shutil.rmtree(retired, ignore_errors=True)
        module.exit_json(**result)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        # gpg starts an agent for the home directory; the module leaves none of its own running behind it.
        if not agent_running and os.path.isdir(home) and module.get_bin_path("gpgconf"):
            module.run_command(["gpgconf", "--homedir", home, "--kill", "gpg-agent"])


if __name__ == "__main__":
    main()
