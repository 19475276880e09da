# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Private: the on-node model store used by the model_sync module.

Not a public API; names and behaviour may change without notice.

Layout of one model under the store root::

    <root>/<name>/
        <revision>/                    published files, read-only, never changed again
        <revision>.manifest.json       what was published: paths, sizes, digests, source
        current -> <revision>          relative symlink, switched by rename()
        .lock                          flock() serialising syncs of this model
        .staging/<revision>/partial/   files being transferred (resumed from their size)
        .staging/<revision>/data/      files transferred and verified, waiting to be published
        .staging/progress.json         progress of the running sync, for the play to poll

A revision counts as published when both its directory and its manifest exist; the
manifest is renamed into place last, so a crash in between leaves a directory that the
next run moves back to staging rather than trusting.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import posixpath
import re
import shutil
import stat
import tempfile
import threading
import time

MANIFEST_SUFFIX = ".manifest.json"
MANIFEST_FORMAT = 1
CURRENT = "current"
STAGING = ".staging"
LOCK = ".lock"
PROGRESS = "progress.json"
CHUNK = 1024 * 1024
# Space kept free on the store's file system beyond what a sync needs.
SPACE_RESERVE = 64 * 1024 * 1024

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,199}$")
_REVISION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,199}$")
_RESERVED = (CURRENT, STAGING, LOCK)


class StoreError(Exception):
    """A failure with a message meant for the person running the play."""


class VerificationError(StoreError):
    """A file's content does not match the digest the source published for it."""

    def __init__(self, path, algorithm, expected, actual):
        self.path = path
        self.algorithm = algorithm
        self.expected = expected
        self.actual = actual
        super().__init__(f"checksum mismatch for {path!r}: the source lists {algorithm} {expected}, the transferred file has {actual}")


# --------------------------------------------------------------------------- names and paths


def check_name(value, what):
    """Validate a model name or revision: one path component of safe characters."""
    if not isinstance(value, str) or not _NAME_RE.match(value) or value in _RESERVED or value.endswith(MANIFEST_SUFFIX):
        raise StoreError(
            f"invalid {what} {value!r}: use 1-200 letters, digits, '.', '_', '+' or '-', starting with a letter or digit"
            f" (and not one of {', '.join(_RESERVED)})"
        )
    return value


def safe_relpath(path):
    """Return ``path`` as a normalised relative POSIX path, or raise naming what is wrong.

    Refused before anything is written: empty names, absolute paths, ``..`` or ``.`` components,
    backslashes, NUL and other control characters, and components the store reserves.
    """
    if not isinstance(path, str) or not path:
        raise StoreError(f"refusing remote file name {path!r}: it is empty")
    if any(ord(c) < 32 or c == "\x7f" for c in path):
        raise StoreError(f"refusing remote file name {path!r}: it contains control characters")
    if "\\" in path:
        raise StoreError(f"refusing remote file name {path!r}: it contains a backslash")
    if path.startswith("/"):
        raise StoreError(f"refusing remote file name {path!r}: it is an absolute path")
    parts = path.split("/")
    if any(p in ("..", ".") for p in parts):
        raise StoreError(f"refusing remote file name {path!r}: it contains a '.' or '..' component")
    if any(p == "" for p in parts):
        raise StoreError(f"refusing remote file name {path!r}: it contains an empty component")
    return posixpath.normpath(path)


def check_tree(paths):
    """Refuse listings where one file name is a directory of another, or names repeat."""
    seen = set(paths)
    if len(seen) != len(paths):
        dupes = sorted({p for p in paths if paths.count(p) > 1})
        raise StoreError(f"the source lists {dupes[0]!r} more than once")
    for p in paths:
        parent = posixpath.dirname(p)
        while parent:
            if parent in seen:
                raise StoreError(f"the source lists {parent!r} both as a file and as the directory of {p!r}")
            parent = posixpath.dirname(parent)


def inside(base, relpath):
    """Join ``relpath`` under ``base`` and prove the result cannot leave ``base`` through symlinks.

    No component from ``base`` down to the target may be a symbolic link (the store never makes
    one), so the path stays under ``base`` whatever ``base`` itself resolves to. One ``lstat`` per
    component below ``base``: resolving whole paths with ``realpath`` cost a third of a small
    file's transfer time.
    """
    parts = relpath.split("/")
    target = os.path.join(base, *parts)
    path = base
    for part in parts[:-1]:
        path = os.path.join(path, part)
        if os.path.islink(path):
            raise StoreError(f"refusing {relpath!r}: {path} is a symbolic link, which could lead out of {base}")
    if os.path.islink(target):
        raise StoreError(f"refusing {relpath!r}: a symbolic link is in its place under {base}")
    return target


# --------------------------------------------------------------------------- checksums


def parse_sha256sums(text, origin="SHA256SUMS"):
    """Parse what ``sha256sum`` writes: ``<64 hex><space><space or *><path>`` per line.

    Returns a dict path -> lower-case hex digest. Blank lines and ``#`` comments are skipped;
    anything else that does not parse fails naming the line.
    """
    sums = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip("\r")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line.startswith("\\"):
            raise StoreError(f"{origin} line {number}: escaped file names are not supported")
        match = re.match(r"^([0-9a-fA-F]{64}) [ *](.+)$", line)
        if not match:
            raise StoreError(f"{origin} line {number} is not '<sha256>  <path>': {line[:120]!r}")
        path = match.group(2)
        if path.startswith("./"):
            path = path[2:]
        path = safe_relpath(path)
        if path in sums and sums[path] != match.group(1).lower():
            raise StoreError(f"{origin} lists {path!r} twice with different digests")
        sums[path] = match.group(1).lower()
    if not sums:
        raise StoreError(f"{origin} lists no files")
    return sums


def source_stat(rf):
    """``size:mtime_ns`` of a source file that has no published digest, else None."""
    return "%s:%s" % tuple(rf.ref) if rf.ref and not rf.digest else None


def listing_digest(files):
    """A stable digest of what a listing is made of: sorted ``<algorithm>:<digest>  <path>`` lines.

    Files without a published digest (a plain directory) count by their size and modification time.
    """
    entries = sorted((f.path, f.algorithm, f.digest) if f.digest else (f.path, "stat", source_stat(f) or "") for f in files)
    h = hashlib.sha256()
    for path, algorithm, digest in entries:
        h.update(f"{algorithm}:{digest}  {path}\n".encode())
    return h.hexdigest()


def derived_revision(files):
    """The default revision name of a listing: the first 16 hex digits of its digest."""
    return listing_digest(files)[:16]


def new_hasher(algorithm, size=None):
    """A hash object for a source digest: ``sha256``, or ``git-sha1`` (a git blob id, needs size)."""
    if algorithm == "sha256":
        return hashlib.sha256()
    if algorithm == "git-sha1":
        h = hashlib.sha1()  # nosec - git's object id, used to match the source, not for security
        h.update(b"blob %d\0" % size)
        return h
    raise StoreError(f"unsupported digest algorithm {algorithm!r}")


class Digests:
    """The source's digest of a file and its SHA-256, computed in one pass over its bytes."""

    def __init__(self, algorithm="sha256", size=None):
        self.check = new_hasher(algorithm, size)
        self.sha = self.check if algorithm == "sha256" else hashlib.sha256()

    def update(self, block):
        self.check.update(block)
        if self.sha is not self.check:
            self.sha.update(block)

    def feed_file(self, path, upto=None):
        """Hash ``path``, or its first ``upto`` bytes."""
        with open(path, "rb") as f:
            remaining = upto
            while remaining is None or remaining > 0:
                block = f.read(CHUNK if remaining is None else min(CHUNK, remaining))
                if not block:
                    break
                self.update(block)
                if remaining is not None:
                    remaining -= len(block)
        return self

    def hexdigest(self):
        return self.check.hexdigest()

    def sha256(self):
        return self.sha.hexdigest()


# --------------------------------------------------------------------------- the store


class RemoteFile:
    """One file a source offers: where it goes, how big it is and the digest to verify it against."""

    __slots__ = ("algorithm", "digest", "path", "ref", "size")

    def __init__(self, path, size, algorithm, digest, ref=None):
        self.path = safe_relpath(path)
        self.size = size
        self.algorithm = algorithm
        self.digest = digest.lower() if isinstance(digest, str) else digest
        self.ref = ref  # source-specific: (size, mtime_ns) of a local file, an object's ETag ...


class ModelStore:
    """One model's directory in the store: revisions, manifests, staging and the current link."""

    def __init__(self, root, name):
        self.root = root
        self.name = check_name(name, "model name")
        self.base = os.path.join(root, name)
        self.staging_root = os.path.join(self.base, STAGING)
        self._lock_fd = None

    # ---- reading

    def revision_dir(self, revision):
        return os.path.join(self.base, revision)

    def manifest_path(self, revision):
        return os.path.join(self.base, revision + MANIFEST_SUFFIX)

    def current_revision(self):
        link = os.path.join(self.base, CURRENT)
        if not os.path.islink(link):
            return None
        target = os.readlink(link)
        if "/" in target or not self.is_published(target):
            return None
        return target

    def is_published(self, revision):
        return os.path.isdir(self.revision_dir(revision)) and os.path.isfile(self.manifest_path(revision))

    def published_revisions(self):
        """Published revisions, oldest first (by manifest publication time)."""
        if not os.path.isdir(self.base):
            return []
        found = []
        for entry in os.listdir(self.base):
            if entry.endswith(MANIFEST_SUFFIX):
                rev = entry[: -len(MANIFEST_SUFFIX)]
                if os.path.isdir(self.revision_dir(rev)):
                    manifest = self.read_manifest(rev)
                    found.append((manifest.get("published_at", ""), rev))
        return [rev for _published_at, rev in sorted(found)]

    def read_manifest(self, revision):
        path = self.manifest_path(revision)
        try:
            with open(path, "rb") as f:
                data = json.loads(f.read().decode("utf-8"))
        except (OSError, ValueError) as exc:
            raise StoreError(f"cannot read the manifest {path}: {exc}") from None
        if not isinstance(data, dict) or data.get("format") != MANIFEST_FORMAT or not isinstance(data.get("files"), list):
            raise StoreError(f"{path} is not a model_sync manifest (format {MANIFEST_FORMAT})")
        return data

    def quick_check(self, revision, manifest=None):
        """Compare a published revision with its manifest by metadata only (no hashing).

        Returns ``(path, problem)`` pairs, none when every file has the size and modification time
        the manifest recorded and no file is missing.
        """
        manifest = manifest or self.read_manifest(revision)
        base = self.revision_dir(revision)
        problems = []
        for entry in manifest["files"]:
            target = os.path.join(base, *entry["path"].split("/"))
            try:
                st = os.lstat(target)
            except OSError:
                problems.append((entry["path"], "missing"))
                continue
            if not stat.S_ISREG(st.st_mode):
                problems.append((entry["path"], "not a regular file"))
            elif st.st_size != entry["size"]:
                problems.append((entry["path"], f"size {st.st_size}, manifest {entry['size']}"))
            elif st.st_mtime_ns != entry["mtime_ns"]:
                problems.append((entry["path"], "modified since it was published"))
        return problems

    def full_check(self, revision, manifest=None):
        """Rehash every file of a published revision against its manifest."""
        manifest = manifest or self.read_manifest(revision)
        problems = self.quick_check(revision, manifest)
        if problems:
            return problems
        base = self.revision_dir(revision)
        for entry in manifest["files"]:
            digest = Digests().feed_file(os.path.join(base, *entry["path"].split("/"))).sha256()
            if digest != entry["sha256"]:
                problems.append((entry["path"], f"sha256 {digest}, manifest {entry['sha256']}"))
        return problems

    # ---- locking and staging

    def lock(self, timeout):
        """Take this model's lock, waiting up to ``timeout`` seconds for another sync to finish."""
        os.makedirs(self.base, exist_ok=True)
        fd = os.open(os.path.join(self.base, LOCK), os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    os.close(fd)
                    raise
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise StoreError(f"another sync of {self.name!r} holds {os.path.join(self.base, LOCK)} (waited {timeout} s)") from None
                time.sleep(0.2)
        self._lock_fd = fd

    def unlock(self):
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def staging_dir(self, revision):
        return os.path.join(self.staging_root, revision)

    def prepare_staging(self, revision):
        """Create the staging directories for ``revision``; move back an unconfirmed publish."""
        stage = self.staging_dir(revision)
        rev_dir = self.revision_dir(revision)
        if os.path.isdir(rev_dir) and not os.path.isfile(self.manifest_path(revision)):
            # A crash between the directory rename and the manifest rename: not trusted as
            # published, but its files are good candidates to resume from.
            if os.path.isdir(os.path.join(stage, "data")):
                shutil.rmtree(rev_dir)
            else:
                os.makedirs(stage, exist_ok=True)
                os.rename(rev_dir, os.path.join(stage, "data"))
        for sub in ("partial", "data"):
            os.makedirs(os.path.join(stage, sub), exist_ok=True)
        return stage

    def partial_bytes(self, revision, files):
        """Bytes of ``files`` already transferred into staging by an interrupted run, to resume from."""
        partial = os.path.join(self.staging_dir(revision), "partial")
        total = 0
        for rf in files:
            try:
                size = os.lstat(os.path.join(partial, *rf.path.split("/"))).st_size
            except OSError:
                continue
            total += min(size, rf.size) if rf.size is not None else size
        return total

    def clean_staging(self, keep=None):
        """Remove staging areas of revisions other than ``keep``."""
        if not os.path.isdir(self.staging_root):
            return
        for entry in os.listdir(self.staging_root):
            if entry in (keep, PROGRESS):
                continue
            path = os.path.join(self.staging_root, entry)
            if os.path.isdir(path) and not os.path.islink(path):
                make_writable(path)
                shutil.rmtree(path)
            else:
                os.unlink(path)

    # ---- publishing

    def publish(self, revision, files, source, extra=None):
        """Publish the verified files staged for ``revision`` and switch ``current`` to it.

        ``files`` are manifest entries (path, size, sha256, and the source digest); every one must
        be in ``.staging/<revision>/data``. Files are made read-only, flushed to disk, and the
        directory and manifest renamed into place; then the ``current`` link is replaced.
        """
        stage = self.staging_dir(revision)
        data = os.path.join(stage, "data")
        entries = []
        for entry in sorted(files, key=lambda e: e["path"]):
            path = os.path.join(data, *entry["path"].split("/"))
            st = os.lstat(path)
            if not stat.S_ISREG(st.st_mode) or st.st_size != entry["size"]:
                raise StoreError(f"staged file {path} is not the verified file (size {st.st_size}, expected {entry['size']})")
            if st.st_mode & 0o222:
                os.chmod(path, 0o444)
                st = os.lstat(path)
            record = dict(entry)
            record["mtime_ns"] = st.st_mtime_ns
            entries.append(record)
        # Remove anything staged that the revision does not list (an older attempt's leftovers).
        wanted = {e["path"] for e in entries}
        for dirpath, _dirnames, filenames in os.walk(data):
            for fn in filenames:
                rel = os.path.relpath(os.path.join(dirpath, fn), data).replace(os.sep, "/")
                if rel not in wanted:
                    os.unlink(os.path.join(dirpath, fn))
        # Every staged file on disk before anything is renamed into place: one flush of the file
        # system instead of one fsync per file (each commits the journal: 0.4 ms per small file here).
        sync_filesystem(data)
        manifest = {
            "format": MANIFEST_FORMAT,
            "name": self.name,
            "revision": revision,
            "source": source,
            "published_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()) + f".{time.time_ns() % 1000000000:09d}",
            "files": entries,
            "bytes": sum(e["size"] for e in entries),
        }
        if extra:
            manifest.update(extra)
        manifest_tmp = os.path.join(stage, "manifest.json")
        write_file(manifest_tmp, (json.dumps(manifest, indent=1, sort_keys=True) + "\n").encode("utf-8"), 0o444)
        rev_dir = self.revision_dir(revision)
        if os.path.lexists(rev_dir):
            # Only reached when repairing a damaged revision: set the old one aside first.
            trash = os.path.join(self.staging_root, ".trash-" + revision)
            make_writable(rev_dir)
            if os.path.lexists(trash):
                shutil.rmtree(trash)
            os.rename(rev_dir, trash)
        os.chmod(data, 0o755)
        os.rename(data, rev_dir)
        os.rename(manifest_tmp, self.manifest_path(revision))
        fsync_dir(self.base)
        self.set_current(revision)
        trash = os.path.join(self.staging_root, ".trash-" + revision)
        if os.path.lexists(trash):
            make_writable(trash)
            shutil.rmtree(trash)
        shutil.rmtree(stage, ignore_errors=True)
        return manifest

    def set_current(self, revision):
        link = os.path.join(self.base, CURRENT)
        tmp = os.path.join(self.base, f".{CURRENT}.{os.getpid()}")
        if os.path.lexists(tmp):
            os.unlink(tmp)
        os.symlink(revision, tmp)
        os.rename(tmp, link)
        fsync_dir(self.base)

    def prune(self, keep, previous=None):
        """Remove published revisions beyond ``keep`` (see ``prune_victims``); return their names."""
        victims = prune_victims(self.published_revisions(), keep, self.current_revision(), previous)
        for rev in victims:
            # The manifest goes first: without it the directory is no longer published.
            os.unlink(self.manifest_path(rev))
            fsync_dir(self.base)
            make_writable(self.revision_dir(rev))
            shutil.rmtree(self.revision_dir(rev))
        return victims


def prune_victims(revisions, keep, current, previous=None):
    """The revisions to remove so that ``keep`` remain; ``revisions`` is oldest first.

    The current revision always stays. While ``keep`` allows a second one, so does ``previous``, the
    revision that was current before this sync: the one to roll back to, even when another revision
    was published after it. The rest go oldest first. ``keep`` 0 keeps everything.
    """
    if not keep or keep < 1:
        return []
    revisions = list(revisions)
    if current not in revisions:
        revisions.append(current)
    protected = {current} | ({previous} if previous and keep > 1 else set())
    removable = [r for r in revisions if r not in protected]
    return removable[: max(len(revisions) - keep, 0)]


# --------------------------------------------------------------------------- small file-system helpers


def write_file(path, content, mode=0o644, sync=True):
    """Write ``content`` to ``path`` through a temporary file in the same directory and a rename."""
    directory = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content)
            if sync:
                f.flush()
                os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.rename(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def sync_filesystem(path):
    """Flush all written data of the file system holding ``path`` to disk.

    syncfs(2) (Linux) flushes that one file system; where it cannot be called, os.sync() flushes
    every file system, which is slower on a busy host but as durable.
    """
    syncfs, get_errno = _libc_function("syncfs", "c_int")
    if syncfs is not None:
        fd = os.open(path, os.O_RDONLY)
        try:
            if syncfs(fd) == 0:
                return
            err = get_errno()
        finally:
            os.close(fd)
        if err != errno.ENOSYS:
            # Linux 5.8 and later report write-back errors here: the files may not be on disk.
            raise OSError(err, f"flushing {path} to disk failed: {os.strerror(err)}")
    os.sync()


# sync_file_range(2) flags (linux/fs.h).
_SFR_WAIT_BEFORE, _SFR_WRITE, _SFR_WAIT_AFTER = 1, 2, 4


class WriteBehind:
    """Writes a large file's data to disk while the rest of it is still arriving.

    Every ``window`` bytes written, the kernel is asked to start writing those bytes back
    (sync_file_range, SYNC_FILE_RANGE_WRITE), and the window before them is waited for. The disk
    then works while the network does, the file's dirty pages stay bounded at about two windows,
    and the fsync that makes the file durable has only the last window left to flush. This only
    starts write-back early: durability still comes from that fsync, which also reports any
    write-back error. Where sync_file_range is missing or fails (not Linux, a file system without
    it), it does nothing and the fsync does all the work.

    With ``drop``, each window is also dropped from the page cache once it is on disk
    (POSIX_FADV_DONTNEED), and ``finish`` drops the rest: a file of tens of GB then streams through
    a few MiB of page cache instead of pushing everything else out of it. The bytes were hashed as
    they arrived, so nothing is read back.
    """

    def __init__(self, fd, offset, window=8 * CHUNK, drop=False):
        self.fd = fd
        self.window = window
        self.drop = drop and hasattr(os, "posix_fadvise")
        self.pos = self.start = offset
        self.pending = None  # (offset, length) handed to the kernel, not yet waited for
        self.func, _get_errno = _libc_function("sync_file_range", "c_int", "c_longlong", "c_longlong", "c_uint")

    def wrote(self, nbytes):
        self.pos += nbytes
        if self.func is None or self.pos - self.start < self.window:
            return
        length = self.pos - self.start
        if self.func(self.fd, self.start, length, _SFR_WRITE) != 0:
            self.func = None
            return
        waited = self.pending is not None and self.func(self.fd, *self.pending, _SFR_WAIT_BEFORE | _SFR_WRITE | _SFR_WAIT_AFTER) == 0
        if waited and self.drop:
            os.posix_fadvise(self.fd, *self.pending, os.POSIX_FADV_DONTNEED)
        self.pending = (self.start, length)
        self.start = self.pos

    def finish(self):
        """After the file's fsync: drop what is left of it from the page cache, with ``drop``."""
        if self.drop:
            os.posix_fadvise(self.fd, 0, 0, os.POSIX_FADV_DONTNEED)


_LIBC = {}


def _libc_function(name, *argtypes):
    """C library function ``name`` taking ``argtypes`` (ctypes type names) and the function that
    reads errno, or ``(None, None)`` where the C library has no such function."""
    if name not in _LIBC:
        try:
            import ctypes  # noqa: PLC0415 - only flushing needs it

            func = getattr(ctypes.CDLL(None, use_errno=True), name)
            func.argtypes = [getattr(ctypes, t) for t in argtypes]
            func.restype = ctypes.c_int
            _LIBC[name] = (func, ctypes.get_errno)
        except (ImportError, OSError, AttributeError):
            _LIBC[name] = (None, None)
    return _LIBC[name]


def fsync_dir(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def make_writable(path):
    """Give the owner write permission on a tree's directories so it can be removed.

    Files are left alone: removing a file needs write permission on its directory only, and a
    published file may be a hard link shared with another revision that must stay read-only.
    """
    for dirpath, _dirnames, _filenames in os.walk(path):
        os.chmod(dirpath, 0o755)


def free_bytes(path):
    """Free bytes available to unprivileged users on the file system holding ``path``."""
    probe = path
    while not os.path.exists(probe):
        parent = os.path.dirname(probe)
        if parent == probe:
            break
        probe = parent
    st = os.statvfs(probe)
    return st.f_bavail * st.f_frsize


def human_bytes(n):
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(value) < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"


class Progress:
    """Writes the running sync's progress as JSON at most once a second, for the play to poll."""

    def __init__(self, path, total_bytes, total_files, interval=1.0):
        self.path = path
        self.total_bytes = total_bytes
        self.total_files = total_files
        self.done_bytes = 0
        self.done_files = 0
        self.interval = interval
        self.started = time.monotonic()
        self._last = 0.0
        self.state = "transferring"
        self._lock = threading.Lock()

    def add(self, nbytes):
        """Count bytes transferred (negative when a file starts over); safe from transfer threads."""
        with self._lock:
            self.done_bytes += nbytes
            self.maybe_write()

    def file_done(self):
        with self._lock:
            self.done_files += 1
            self.maybe_write()

    def maybe_write(self, force=False):
        now = time.monotonic()
        if not self.path or (not force and now - self._last < self.interval):
            return
        self._last = now
        elapsed = max(now - self.started, 1e-6)
        doc = {
            "state": self.state,
            "bytes_total": self.total_bytes,
            "bytes_done": self.done_bytes,
            "files_total": self.total_files,
            "files_done": self.done_files,
            "elapsed_s": round(elapsed, 1),
            "bytes_per_s": int(self.done_bytes / elapsed),
            "updated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        # Progress is advisory: a full disk must fail the transfer, not this file.
        with contextlib.suppress(OSError):
            write_file(self.path, (json.dumps(doc) + "\n").encode("utf-8"), sync=False)
