#!/usr/bin/python
# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: fleet_report
short_description: Write a JSON, CSV and HTML report of the accelerators in a fleet
version_added: 0.1.0
description:
  - Aggregates the C(accelerators) facts of many hosts, as set by M(horizon.ai_platform.accelerator_facts),
    into one fleet report and writes it as JSON, CSV and a self-contained HTML page.
  - The summary counts devices by silicon class, region, vendor and class and region, adds up
    accelerator memory per class, and counts hosts per class.
  - "Meant to run once on the controller, with C(delegate_to: localhost) and C(run_once: true)."
author:
  - horizon.ai_platform maintainers (@horizon-ai-platform)
extends_documentation_fragment:
  - horizon.ai_platform.attributes
attributes:
  check_mode:
    support: full
    details:
      - Renders the report and compares it with the files in O(dest), writes nothing and reports whether it would.
  diff_mode:
    support: full
    details:
      - JSON and CSV files are shown as text before and after; the HTML page as its size and SHA-256 checksum.
  idempotent:
    support: full
    details:
      - A file whose content only differs by its C(generated_at) time stamp is left alone.
options:
  dest:
    description:
      - Directory to write the report files to.
      - Created when missing, with any missing parent directories; the directory itself gets mode V(0755).
    type: path
    required: true
  hosts:
    description:
      - The fleet, a mapping of host name to host data.
      - Host data is either a mapping with the keys C(accelerators) (the facts) and C(region), or a host's hostvars, where the facts are
        looked for under C(ansible_facts.accelerators), C(accelerators) or C(ansible_accelerators), and the region
        under C(horizon_region).
      - Hosts without a region are counted as V(unassigned).
    type: dict
    required: true
  formats:
    description:
      - Which report files to write.
    type: list
    elements: str
    choices: [json, csv, html]
    default: [json, csv, html]
  basename:
    description:
      - File name of the reports without extension; the module writes C(<dest>/<basename>.json), C(.csv) and C(.html).
    type: str
    default: fleet-report
  title:
    description:
      - Title of the HTML page.
    type: str
    default: Accelerator fleet report
notes:
  - The report files are replaced together or not at all. Every file that changes is first written to a temporary file
    in O(dest) and read back; only when all of them are ready are they renamed over the old files. When a step fails,
    the temporary files are removed, the old report files are left as they were and the module fails naming the file.
  - New files get mode C(0666) minus the umask; a replaced file keeps its owner, mode and SELinux context.
  - The CSV file has one row per device and one row per CPU-only host with empty device columns. Text cells that
    begin with C(=), C(+), C(-), C(@), a tab or a carriage return get a leading apostrophe so that spreadsheets do
    not run them as formulas.
  - The HTML page is self-contained and loads nothing from the network. It embeds one small script that sorts a table
    when a column header is clicked. Its content security policy allows that script only, by its SHA-256 hash, besides
    the page's inline styles; it forbids every other script, images and any network access.
seealso:
  - module: horizon.ai_platform.accelerator_facts
  - plugin: horizon.ai_platform.fleet
    plugin_type: inventory
  - plugin: horizon.ai_platform.fleet_summary
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Gather accelerator facts
  horizon.ai_platform.accelerator_facts:

- name: Collect the accelerator facts and region of every host in the play
  ansible.builtin.set_fact:
    fleet_hosts: >-
      {{ fleet_hosts | default({}) | combine({item: {
           'accelerators': hostvars[item].ansible_facts.accelerators,
           'region': hostvars[item].horizon_region | default(none)}}) }}
  loop: "{{ ansible_play_hosts }}"
  run_once: true

- name: Write the fleet report on the controller
  horizon.ai_platform.fleet_report:
    dest: "{{ playbook_dir }}/reports"
    hosts: "{{ fleet_hosts }}"
  delegate_to: localhost
  run_once: true

- name: Write only the HTML page, with a custom title
  horizon.ai_platform.fleet_report:
    dest: /srv/www/fleet
    basename: index
    formats: [html]
    title: GPU fleet
    hosts: "{{ fleet_hosts }}"
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
paths:
  description: Path of the report file per requested format.
  returned: always
  type: dict
  sample:
    json: /srv/reports/fleet-report.json
    csv: /srv/reports/fleet-report.csv
    html: /srv/reports/fleet-report.html
updated:
  description: Formats whose file was written, or would be written in check mode.
  returned: always
  type: list
  elements: str
  sample: [json, html]
summary:
  description: Fleet summary, also stored under C(summary) in the JSON report.
  returned: always
  type: dict
  contains:
    hosts:
      description: Number of hosts.
      type: int
      returned: always
      sample: 6
    devices:
      description: Number of accelerator devices.
      type: int
      returned: always
      sample: 28
    cpu_only_hosts:
      description: Number of hosts without accelerators.
      type: int
      returned: always
      sample: 1
    classes:
      description: Silicon classes of the devices, sorted.
      type: list
      elements: str
      returned: always
      sample: [amd-cdna3, nvidia-hopper]
    regions:
      description: Regions of the hosts, sorted; V(unassigned) for hosts without one.
      type: list
      elements: str
      returned: always
      sample: [eu-central-1, unassigned]
    vendors:
      description: Vendors of the devices, sorted.
      type: list
      elements: str
      returned: always
      sample: [amd, nvidia]
    hosts_by_class:
      description: Number of hosts per host silicon class (including V(cpu) and V(mixed)).
      type: dict
      returned: always
      sample: {cpu: 1, nvidia-hopper: 1}
    hosts_by_region:
      description: Number of hosts per region.
      type: dict
      returned: always
      sample: {eu-central-1: 2}
    devices_by_class:
      description: Number of devices per device silicon class.
      type: dict
      returned: always
      sample: {nvidia-hopper: 8}
    devices_by_region:
      description: Number of devices per region.
      type: dict
      returned: always
      sample: {eu-central-1: 8}
    devices_by_vendor:
      description: Number of devices per vendor.
      type: dict
      returned: always
      sample: {nvidia: 8}
    devices_by_class_and_region:
      description: Number of devices per device silicon class, then per region.
      type: dict
      returned: always
      sample: {nvidia-hopper: {eu-central-1: 8}}
    memory_mib_by_class:
      description: Sum of the known accelerator memory in MiB per device silicon class.
      type: dict
      returned: always
      sample: {nvidia-hopper: 652472}
    unknown_memory_devices_by_class:
      description: Number of devices whose memory is unknown, per device silicon class.
      type: dict
      returned: always
      sample: {nvidia-hopper: 0}
    memory_mib_total:
      description: Sum of the known accelerator memory in MiB.
      type: int
      returned: always
      sample: 652472
  sample:
    hosts: 1
    devices: 8
"""

import contextlib
import errno
import hashlib
import os
import shutil
import tempfile
import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.horizon.ai_platform.plugins.module_utils._fleet import (
    DEFAULT_TITLE,
    FORMATS,
    build_report,
    normalise_hosts,
    render,
    same_apart_from_timestamp,
)


def _read(module, path):
    """Existing file content as bytes, or None when there is none."""
    if not os.path.lexists(path):
        return None
    if not os.path.isfile(path):
        module.fail_json(msg="%s exists and is not a regular file" % path)
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        module.fail_json(msg="cannot read %s: %s" % (path, to_native(exc)))


def _describe(data):
    return "%d bytes, sha256 %s" % (len(data), hashlib.sha256(data).hexdigest())


def _stage(path, data, staged):
    """Write ``data`` to a new temporary file beside ``path``, flush it to disk and read it back.

    The temporary file's name is appended to ``staged`` as soon as it exists, so that the caller can remove it whatever happens.
    """
    fd, name = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), suffix=".tmp", dir=os.path.dirname(path))
    staged.append(name)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    with open(name, "rb") as handle:
        back = handle.read()
    if back != data:
        raise OSError(errno.EIO, "the staged copy %s reads back as %s instead of %s" % (name, _describe(back), _describe(data)))
    return name


def _take_attributes(module, staged, path):
    """Give ``staged`` what AnsibleModule.atomic_move() would: the owner, mode and SELinux context of the file it replaces, else mode 0666 minus the umask."""
    context = None
    if os.path.exists(path):
        current = os.stat(path)
        try:
            os.chown(staged, current.st_uid, current.st_gid)
        except OSError as exc:
            if exc.errno != errno.EPERM:
                raise
        shutil.copystat(path, staged)
        now = time.time()
        os.utime(staged, (now, now))
        if module.selinux_enabled():
            context = module.selinux_context(path)
    else:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(staged, 0o666 & ~umask)
        if module.selinux_enabled():
            context = module.selinux_default_context(path)
    if context is not None:
        module.set_context_if_different(staged, context, False)


def _move(staged, name, path):
    os.rename(name, path)
    staged.remove(name)


def _restore(module, path, before, staged):
    """Put ``before`` (None: no file) back at ``path`` the same way; return None, or what went wrong."""
    try:
        if before is None:
            os.unlink(path)
        else:
            name = _stage(path, before, staged)
            _take_attributes(module, name, path)
            _move(staged, name, path)
    except OSError as exc:
        return "%s: %s" % (path, to_native(exc))
    return None


def _write_all(module, planned):
    """Replace all the files of ``planned`` (``(path, new data, old data or None)`` each) or none of them.

    Every new file is first written to a temporary file in the same directory (so on the same file system)
    and read back; only when all of them are ready are they renamed over the report files, one rename each.
    Should a rename still fail, the files renamed before it get their old content back.
    No temporary file outlives the call, whether it succeeds or fails.
    """
    staged, ready = [], []
    try:
        for path, data, _before in planned:
            try:
                name = _stage(path, data, staged)
                _take_attributes(module, name, path)
            except OSError as exc:
                module.fail_json(msg="cannot write %s: %s; no report file was changed" % (path, to_native(exc)), path=path)
            ready.append(name)
        for index, (name, (path, _data, _before)) in enumerate(zip(ready, planned)):
            try:
                _move(staged, name, path)
            except OSError as exc:
                replaced = planned[:index]
                errors = [e for e in (_restore(module, p, before, staged) for p, _d, before in reversed(replaced)) if e]
                if not replaced:
                    outcome = "no report file was changed"
                elif errors:
                    outcome = "putting back the report files replaced before it failed, the report is inconsistent: %s" % "; ".join(errors)
                else:
                    outcome = "the report files replaced before it got their previous content back: %s" % ", ".join(p for p, _d, _b in replaced)
                module.fail_json(msg="cannot move the new %s into place: %s; %s" % (path, to_native(exc), outcome), path=path)
    finally:
        for name in staged:
            with contextlib.suppress(OSError):
                os.unlink(name)


def _diff_text(data):
    return "" if data is None else data.decode("utf-8", errors="replace")


def _diff_summary(data):
    if data is None:
        return "absent\n"
    return "%s\n" % _describe(data)


def _make_dir(module, dest):
    """Create ``dest`` and any missing parents; return the directories created, deepest first."""
    created, path = [], dest
    while path and not os.path.lexists(path):
        created.append(path)
        parent = os.path.dirname(path)
        if parent == path:
            break
        path = parent
    try:
        os.makedirs(dest, mode=0o755)
        os.chmod(dest, 0o755)  # makedirs' mode is filtered through the umask
    except OSError as exc:
        _remove_dirs(created)
        module.fail_json(msg="cannot create directory %s: %s" % (dest, to_native(exc)))
    return created


def _remove_dirs(created):
    for path in created:
        try:
            os.rmdir(path)
        except OSError:
            return


def main():
    module = AnsibleModule(
        argument_spec=dict(
            dest=dict(type="path", required=True),
            hosts=dict(type="dict", required=True),
            formats=dict(type="list", elements="str", choices=list(FORMATS), default=list(FORMATS)),
            basename=dict(type="str", default="fleet-report"),
            title=dict(type="str", default=DEFAULT_TITLE),
        ),
        supports_check_mode=True,
    )
    dest, basename, title = module.params["dest"], module.params["basename"], module.params["title"]
    formats = [fmt for i, fmt in enumerate(module.params["formats"]) if fmt not in module.params["formats"][:i]]
    if not formats:
        module.fail_json(msg="formats must name at least one of: %s" % ", ".join(FORMATS))
    if not basename or basename in (".", "..") or "/" in basename or "\x00" in basename:
        module.fail_json(msg="basename must be a plain file name without '/', got %r" % basename)
    if os.path.lexists(dest) and not os.path.isdir(dest):
        module.fail_json(msg="dest %s exists and is not a directory" % dest)

    try:
        report = build_report(normalise_hosts(module.params["hosts"]))
    except (TypeError, ValueError) as exc:
        module.fail_json(msg="invalid hosts: %s" % to_native(exc))

    create_dir = not os.path.isdir(dest)
    paths, updated, diffs = {}, [], []
    if create_dir:
        diffs.append({"before_header": dest, "after_header": dest, "before": {"path": dest, "state": "absent"}, "after": {"path": dest, "state": "directory"}})
    planned = []
    for fmt in formats:
        path = os.path.join(dest, "%s.%s" % (basename, fmt))
        paths[fmt] = path
        before = _read(module, path)
        if before is not None and same_apart_from_timestamp(report, fmt, before.decode("utf-8", errors="replace"), title):
            after = before
        else:
            after = render(report, fmt, title).encode("utf-8")
            updated.append(fmt)
            planned.append((path, after, before))
        show = _diff_summary if fmt == "html" else _diff_text
        diffs.append({"before_header": path, "after_header": path, "before": show(before), "after": show(after)})

    if not module.check_mode and (create_dir or planned):
        created = _make_dir(module, dest) if create_dir else []
        try:
            _write_all(module, planned)
        except BaseException:
            _remove_dirs(created)  # a failed run leaves no empty directory behind
            raise

    result = dict(changed=create_dir or bool(updated), paths=paths, updated=updated, summary=report["summary"])
    if module._diff:
        result["diff"] = diffs
    module.exit_json(**result)


if __name__ == "__main__":
    main()
