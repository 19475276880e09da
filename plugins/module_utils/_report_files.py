# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Private: write a report's files all or none, with honest check mode and diff.

Not a public API. ``write_reports()`` is what the report modules (fleet_report, boundary_report)
do with the files they render: a file whose content differs only by its generation time is left
alone; the others are staged beside their targets, read back, then renamed over them together.
"""

from __future__ import annotations

import contextlib
import datetime
import errno
import hashlib
import json
import os
import re
import shutil
import tempfile
import time

from ansible.module_utils.common.text.converters import to_native

TIMESTAMP = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z"
# Where a rendered HTML report records when it was generated.
_HTML_TIMESTAMP = re.compile(r'<meta name="horizon-generated-at" content="(' + TIMESTAMP + r')">')


def utc_now_iso():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def with_generated_at(report, generated_at):
    """A shallow copy of ``report`` stamped with another generation time."""
    out = dict(report)
    out["generated_at"] = generated_at
    return out


def render_json(report, title=None):
    """A report document as the JSON file holds it: indented, keys sorted."""
    return json.dumps(report, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def embedded_generated_at(fmt, text):
    """The generation time a previously rendered report records, or None (CSV records none).

    JSON reports carry it as ``generated_at``; HTML ones in a ``horizon-generated-at`` meta tag.
    """
    if fmt == "json":
        try:
            doc = json.loads(text)
        except ValueError:
            return None
        value = doc.get("generated_at") if isinstance(doc, dict) else None
        return value if isinstance(value, str) and re.match(TIMESTAMP + "$", value) else None
    if fmt == "html":
        match = _HTML_TIMESTAMP.search(text)
        return match.group(1) if match else None
    return None


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


def renders_the_same(render, fmt, existing, stamp):
    """Whether ``existing`` (a file's text) is what ``render(fmt, stamp)`` gives at the time the file
    records (``stamp`` where it records none): such a file differs at most by its generation time."""
    return render(fmt, embedded_generated_at(fmt, existing) or stamp) == existing


def write_reports(module, dest, basename, formats, known_formats, render, stamp, summary_formats=("html",)):
    """Write ``<dest>/<basename>.<fmt>`` for each of ``formats``; return the module's result keys.

    ``render(fmt, stamp)`` gives a file's text for a generation time. A file that renders the same
    at the time it records (``embedded_generated_at``) is unchanged. Formats in ``summary_formats``
    show in the diff as size and checksum, not text.
    """
    formats = list(dict.fromkeys(formats))
    if not formats:
        module.fail_json(msg="formats must name at least one of: %s" % ", ".join(known_formats))
    if not basename or basename in (".", "..") or "/" in basename or "\x00" in basename:
        module.fail_json(msg="basename must be a plain file name without '/', got %r" % basename)
    if os.path.lexists(dest) and not os.path.isdir(dest):
        module.fail_json(msg="dest %s exists and is not a directory" % dest)
    create_dir = not os.path.isdir(dest)
    paths, updated, diffs, planned = {}, [], [], []
    if create_dir:
        diffs.append({"before_header": dest, "after_header": dest, "before": {"path": dest, "state": "absent"}, "after": {"path": dest, "state": "directory"}})
    for fmt in formats:
        path = os.path.join(dest, "%s.%s" % (basename, fmt))
        paths[fmt] = path
        before = _read(module, path)
        existing = before.decode("utf-8", errors="replace") if before is not None else None
        if existing is not None and renders_the_same(render, fmt, existing, stamp):
            after = before
        else:
            after = render(fmt, stamp).encode("utf-8")
            updated.append(fmt)
            planned.append((path, after, before))
        show = _diff_summary if fmt in summary_formats else _diff_text
        diffs.append({"before_header": path, "after_header": path, "before": show(before), "after": show(after)})

    if not module.check_mode and (create_dir or planned):
        created = _make_dir(module, dest) if create_dir else []
        try:
            _write_all(module, planned)
        except BaseException:
            _remove_dirs(created)  # a failed run leaves no empty directory behind
            raise
    result = dict(changed=create_dir or bool(updated), paths=paths, updated=updated)
    if module._diff:
        result["diff"] = diffs
    return result
