# Copyright (c) 2026 horizon.ai_platform contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Private: the model_sync engine - plan, transfer, verify, publish.

Not a public API. ``sync()`` takes a source (see ``_model_sources``) and the module's
parameters and returns the module's result; it never prints and never exits, so it can be
driven from unit tests as well as from the module.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import queue
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from urllib.parse import urlsplit

from ansible_collections.horizon.ai_platform.plugins.module_utils._model_sources import SourceError, match_patterns
from ansible_collections.horizon.ai_platform.plugins.module_utils._model_store import (
    CHUNK,
    PROGRESS,
    SPACE_RESERVE,
    Digests,
    ModelStore,
    Progress,
    StoreError,
    VerificationError,
    WriteBehind,
    check_name,
    check_tree,
    derived_revision,
    free_bytes,
    human_bytes,
    inside,
    listing_digest,
    prune_victims,
    source_stat,
)
from ansible_collections.horizon.ai_platform.plugins.module_utils._uri import redact

# A file with at least this many bytes still to transfer is hashed in a thread of its own while
# it is received and written: its transfer then runs at the speed of the slower of the two, not of
# both in turn. Smaller files are hashed in the transfer thread, where a thread would cost more.
HASH_THREAD_BYTES = 16 * CHUNK
# A file of at least this many bytes is written back to disk while it is received (WriteBehind) and
# flushed by its transfer thread as it finishes, while other transfers go on; smaller ones are
# flushed together at publishing (one syncfs).
FLUSH_IN_WORKER_BYTES = 16 * CHUNK
# Blocks received but not yet hashed, at most: bounds the memory a large file holds.
HASH_QUEUE_BLOCKS = 8
# Check mode reads a model's config.json into memory (for the preview) up to this size.
PREVIEW_CONFIG_MAX = 1024 * 1024
# A received block is written in slices of this many bytes. Writing 1 MiB at once cost the kernel
# several times the CPU of writing it in 64 KiB slices on the project's machine (Linux 6.18, ext4:
# sys time 3.3-4.9 s against 0.4-0.5 s per 2 GiB); curl writes 16 KiB at a time.
WRITE_SLICE = 64 * 1024


class BoundaryError(StoreError):
    """The data-boundary policy forbids the flow; ``decision`` is the verdict (None: no valid policy)."""

    def __init__(self, msg, decision):
        super().__init__(msg)
        self.decision = decision


class Stopped(Exception):
    """Another transfer failed; this one stops where it is, keeping its partial file."""


def write_sliced(out, block):
    """Write ``block`` to ``out`` in slices of at most ``WRITE_SLICE`` bytes (views, no copies)."""
    if len(block) <= WRITE_SLICE:
        out.write(block)
        return
    view = memoryview(block)
    for start in range(0, len(view), WRITE_SLICE):
        out.write(view[start : start + WRITE_SLICE])


class HashThread:
    """Feeds ``digests`` from a thread of its own, in the order the blocks arrive.

    ``update`` queues a block (waiting while ``HASH_QUEUE_BLOCKS`` are queued); ``close`` waits
    for the last one and returns ``digests``. hashlib releases the GIL while it hashes, so on two
    or more cores hashing overlaps the receiving and writing of the next blocks.
    """

    def __init__(self, digests):
        self.digests = digests
        self.error = None
        self._queue = queue.Queue(HASH_QUEUE_BLOCKS)
        self._thread = threading.Thread(target=self._run, name="model_sync-hash", daemon=True)
        self._thread.start()

    def _run(self):
        update = self.digests.update
        while True:
            block = self._queue.get()
            if block is None:
                return
            if self.error is None:
                try:
                    update(block)
                except Exception as exc:  # reported by close(); the queue is still drained
                    self.error = exc

    def update(self, block):
        self._queue.put(block)

    def close(self):
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()
        if self.error is not None:
            raise self.error
        return self.digests


def check_boundary(source, params):
    """The data-boundary gate: runs before any byte of the model is requested.

    ``source.boundary_facts()`` says where the bytes would come from (scheme, host, region,
    bucket); they are recorded in the manifest. With ``boundary_policy``, the flow is decided
    against that policy (see ``_boundary``) and a denied flow raises ``StoreError`` with the reason.
    The allowed decision is recorded beside the facts.
    """
    facts = source.boundary_facts()
    if not params.get("boundary_policy"):
        return facts
    from ansible_collections.horizon.ai_platform.plugins.module_utils._boundary import Policy, PolicyError, normalize_host  # noqa: PLC0415 - only with a policy

    try:
        policy = Policy.from_data(params["boundary_policy"])
    except PolicyError as exc:
        raise BoundaryError(f"data boundary: the policy is not valid ({exc}); nothing was transferred", None) from None
    endpoint, region = source.boundary_endpoint()
    decision = policy.decide(
        params["src"],
        host_region=params.get("host_region"),
        name=params.get("name"),
        endpoint=endpoint,
        region=region,
        real_path=os.path.realpath,
    )
    if not decision["allowed"]:
        raise BoundaryError(f"data boundary: {decision['reason']}; nothing was transferred", dict(decision))

    def redirect_guard(url):
        """Every other host the transfer is sent to (a redirect, a CDN, the region botocore follows
        a bucket to) must be inside the same boundary."""
        try:
            host = normalize_host(urlsplit(url).hostname)
        except (ValueError, UnicodeError):
            host = None
        if host is not None and host == decision["source_host"]:
            return
        hop = policy.decide(url, host_region=params.get("host_region"), boundary=decision["boundary"])
        if not hop["allowed"]:
            raise BoundaryError(
                f"data boundary: {redact(params['src'])} was sent on to {hop['src']}: {hop['reason']}; the request was not made", dict(hop, hop=True)
            )

    if hasattr(source, "redirect_guard"):
        source.redirect_guard = redirect_guard
    keys = ("src", "boundary", "classification", "host_region", "source_host", "source_region", "rule", "policy_sha256")
    facts["decision"] = {k: decision[k] for k in keys}
    return facts


def sums_lines(entries):
    """Checksum-list text for a diff: ``<digest>  <path>`` per file, sorted by path."""
    lines = []
    for e in sorted(entries, key=lambda e: e["path"]):
        digest = e.get("digest") or e.get("sha256") or "-"
        lines.append(f"{digest}  {e['path']}\n")
    return "".join(lines)


def listing_entries(files):
    return [{"path": f.path, "size": f.size, "algorithm": f.algorithm, "digest": f.digest} for f in files]


def checksums_text(pairs):
    """A checksum list as ``sha256sum`` writes it, from ``(sha256, path)`` pairs."""
    return "".join(f"{digest}  {path}\n" for digest, path in sorted(pairs, key=lambda pair: pair[1])).encode("utf-8")


class Syncer:
    def __init__(self, params, source, check_mode=False, warn=None):
        self.params = params
        self.source = source
        self.check_mode = check_mode
        self.warn = warn or (lambda msg: None)
        self.store = ModelStore(params["dest"], params["name"])
        self.result = {"changed": False, "source": source.describe()}
        self._stop = threading.Event()
        self.progress = None
        self.drop_cache = params.get("page_cache", "drop") == "drop"
        # What the transferred files are made of: bytes the source sent, bytes kept from partial files.
        self._counts = {"fetched": 0, "resumed": 0}
        self._counts_lock = threading.Lock()

    def _count(self, **nbytes):
        with self._counts_lock:
            for key, n in nbytes.items():
                self._counts[key] += n

    # ------------------------------------------------------------------ planning

    def select(self, listing):
        allow = self.params.get("allow_patterns")
        ignore = self.params.get("ignore_patterns")
        # Archives (image layers) are unpacked whole; the patterns apply to the files inside them.
        files = [f for f in listing.files if f.path in self.source.archives or match_patterns(f.path, allow, ignore)]
        if not files:
            raise StoreError(f"no file of {self.source.describe()} matches allow_patterns {allow} and ignore_patterns {ignore}")
        check_tree([f.path for f in files])
        checksum_file = self.source.checksum_file
        if self.params.get("write_checksums") and any(f.path == checksum_file for f in files):
            raise StoreError(f"write_checksums is set, but the model itself has a file named {checksum_file!r}; choose another checksum_file")
        return files

    def reuse_index(self, damaged=None):
        """Files already published for this model, by digest: candidates to hard-link, not transfer.

        Files that fail the metadata check, or that ``damaged`` names as ``(revision, path)``, lend nothing.
        """
        damaged = damaged or set()
        index = {}
        for rev in self.store.published_revisions():
            try:
                manifest = self.store.read_manifest(rev)
            except StoreError:
                continue
            bad = {path for path, _problem in self.store.quick_check(rev, manifest)}
            base = self.store.revision_dir(rev)
            for e in manifest["files"]:
                if e["path"] in bad or (rev, e["path"]) in damaged:
                    continue
                path = os.path.join(base, *e["path"].split("/"))
                index.setdefault(("sha256", e["sha256"]), (path, e))
                if e.get("algorithm") and e.get("digest"):
                    index.setdefault((e["algorithm"], e["digest"]), (path, e))
                if e.get("source_stat"):
                    index.setdefault(("stat", e["path"], e["source_stat"]), (path, e))
        return index

    # ------------------------------------------------------------------ transfer

    def transfer(self, rf, stage):
        """Transfer one file into ``stage/partial``, verify it, and move it to ``stage/data``."""
        partial = inside(os.path.join(stage, "partial"), rf.path)
        final = inside(os.path.join(stage, "data"), rf.path)
        os.makedirs(os.path.dirname(partial), exist_ok=True)
        os.makedirs(os.path.dirname(final), exist_ok=True)
        algorithm = rf.algorithm if rf.digest else "sha256"
        retried = False
        while True:
            try:
                st = os.stat(partial)
            except FileNotFoundError:
                st = None
            offset = st.st_size if st is not None else 0
            if st is not None and not st.st_mode & 0o200:
                # Complete and made read-only by a run that stopped before moving it to data/.
                os.chmod(partial, 0o644)
            if rf.size is not None and offset > rf.size:
                self.progress.add(-rf.size)  # the plan counted it as resumable; it starts over
                offset = 0
            digests = Digests(algorithm, rf.size)
            if offset:
                digests.feed_file(partial, upto=offset)
            written = offset
            kept = offset  # bytes of an earlier run's partial file that this file is made of
            with self.source.fetch(rf, offset) as (start, chunks):
                if start not in (offset, 0):
                    raise StoreError(f"{rf.path}: asked the source for bytes from {offset} on, it sent them from {start}")
                if start != offset:
                    # The source ignored the range request: start the file over.
                    self.progress.add(-offset)
                    digests = Digests(algorithm, rf.size)
                    written = kept = 0
                large = rf.size is not None and rf.size - written >= HASH_THREAD_BYTES
                hasher = HashThread(digests) if large else None
                feed = hasher.update if hasher else digests.update
                try:
                    with open(partial, "ab" if written else "wb") as out:
                        behind = WriteBehind(out.fileno(), written, drop=self.drop_cache) if large else None
                        for block in chunks:
                            if self._stop.is_set():
                                raise Stopped()
                            write_sliced(out, block)
                            feed(block)
                            if behind:
                                behind.wrote(len(block))
                            written += len(block)
                            self.progress.add(len(block))
                        # Made read-only here, so that publishing has nothing left to change. A large
                        # file is flushed here too, in the worker, while other transfers go on; small
                        # ones are flushed together, with one flush of the file system at publishing.
                        out.flush()
                        os.fchmod(out.fileno(), 0o444)
                        if written >= FLUSH_IN_WORKER_BYTES:
                            os.fsync(out.fileno())
                        if behind:
                            behind.finish()
                finally:
                    if hasher:
                        hasher.close()
            if rf.size is not None and written != rf.size:
                raise StoreError(f"{rf.path}: the source sent {written} bytes, expected {rf.size}; run the sync again to resume")
            actual = digests.hexdigest()
            if rf.digest and actual != rf.digest:
                if kept and not retried:
                    # The partial file from an earlier run may hold bytes that never reached the
                    # disk intact (a crash): fetch the whole file once more before giving up.
                    self.warn(f"{rf.path}: the resumed file did not verify; transferring it again from the start")
                    self.progress.add(-written)
                    os.unlink(partial)
                    retried = True
                    continue
                os.unlink(partial)
                raise VerificationError(rf.path, rf.algorithm, rf.digest, actual)
            os.rename(partial, final)
            self.progress.file_done()
            self._count(fetched=written - kept, resumed=kept)
            return entry_for(rf, written, digests.sha256())

    def verify_staged(self, rf, path):
        """A complete file left in staging by an interrupted run: rehash it before trusting it."""
        size = os.path.getsize(path)
        if rf.size is not None and size != rf.size:
            return None
        digests = Digests(rf.algorithm if rf.digest else "sha256", size).feed_file(path)
        if rf.digest and digests.hexdigest() != rf.digest:
            return None
        return entry_for(rf, size, digests.sha256())

    def _preview(self, files, revision):
        """Check mode: the manifest the run would publish (paths and sizes) and the model's config.json, read into
        memory only - enough to plan a server for the model before it is on the node."""
        listed = [{"path": f.path, "size": f.size} for f in files]
        preview = {
            "revision": revision,
            "manifest": {"name": self.store.name, "revision": revision, "source": self.source.describe(), "files": listed},
            "config": None,
        }
        config = next((f for f in files if f.path == "config.json" and f.path not in self.source.archives), None)
        if config is None:
            preview["config_error"] = "the source lists no config.json of its own (or it is inside an archive)"
        elif (config.size or 0) > PREVIEW_CONFIG_MAX:
            preview["config_error"] = f"config.json is larger than {human_bytes(PREVIEW_CONFIG_MAX)}"
        else:
            data = bytearray()
            try:
                with self.source.fetch(config, 0) as (_start, chunks):
                    for block in chunks:
                        data += block
                        if len(data) > PREVIEW_CONFIG_MAX:
                            raise ValueError(f"it is larger than {human_bytes(PREVIEW_CONFIG_MAX)}")
                preview["config"] = json.loads(data.decode("utf-8"))
            except (SourceError, OSError, ValueError) as exc:  # JSON and UTF-8 errors are ValueErrors
                preview["config_error"] = f"config.json could not be read from the source: {exc}"
        return preview

    # ------------------------------------------------------------------ the run

    def run(self):
        p = self.params
        store = self.store
        boundary = check_boundary(self.source, p)
        if "decision" in boundary:
            self.result["boundary"] = boundary["decision"]
        listing = self.source.listing()
        files = self.select(listing)
        named = None if self.source.revision_selects else p.get("revision")
        # A derived revision names what is published: with patterns, the selected files only, so that a
        # mirror's checksum list (which lists only those) gives its nodes the same revision name.
        revision = check_name(named or listing.revision or derived_revision(files), "revision")
        self.result.update(revision=revision, path=store.revision_dir(revision), current=os.path.join(store.base, "current"))
        if listing.skipped:
            self.warn(f"{len(listing.skipped)} object(s) at the source are not listed in its checksum file and were skipped, e.g. {listing.skipped[0]!r}")
        if not self.check_mode:
            store.lock(p.get("lock_timeout", 600))
        try:
            return self._run_locked(listing, files, revision, boundary)
        finally:
            store.unlock()
            self.source.close()

    def _run_locked(self, listing, files, revision, boundary):
        p = self.params
        store = self.store
        current = store.current_revision()
        before_manifest = store.read_manifest(current) if current else None
        self.result["previous_revision"] = current
        damaged = set()

        if store.is_published(revision):
            manifest = store.read_manifest(revision)
            if manifest.get("listing_digest") != listing_digest(files):
                raise StoreError(
                    f"revision {revision!r} of {store.name!r} is already published with other content; revisions are immutable:"
                    " give a new revision name, or remove the old one"
                )
            problems = store.full_check(revision, manifest) if p.get("verify") == "full" else store.quick_check(revision, manifest)
            if not problems and not self._checksums_missing(manifest):
                return self._finish_unchanged(revision, manifest, current, before_manifest)
            if problems:
                first = "%s: %s" % problems[0]
                self.warn(f"published revision {revision!r} is damaged ({first}{' ...' if len(problems) > 1 else ''}); repairing it")
                self.result["repaired"] = [path for path, _problem in problems]
                damaged = {(revision, path) for path, _problem in problems}
            # Otherwise write_checksums asks for a checksum list the revision lacks: it is republished
            # with one, its files hard-linked from the published revision.

        # Work out what needs transferring.
        index = self.reuse_index(damaged)
        stage = store.staging_dir(revision)
        plan_transfer, plan_link, plan_staged = [], [], []
        for rf in files:
            staged = os.path.join(stage, "data", *rf.path.split("/"))
            if os.path.isfile(staged) and not os.path.islink(staged):
                plan_staged.append((rf, staged))
                continue
            # Without a published digest (a plain directory) the same path, size and time stand in.
            key = (rf.algorithm, rf.digest) if rf.digest else ("stat", rf.path, source_stat(rf))
            hit = index.get(key)
            if hit and (rf.size is None or hit[1]["size"] == rf.size):
                rf.size = hit[1]["size"]
                plan_link.append((rf, hit))
            else:
                plan_transfer.append(rf)
        # Sizes the listing did not give (an HTTP mirror's checksum list), for what may be transferred only.
        self.source.complete(plan_transfer + [rf for rf, _staged in plan_staged])
        total = sum(f.size or 0 for f in files)
        to_transfer = sum(f.size or 0 for f in plan_transfer)
        resumable = store.partial_bytes(revision, plan_transfer)
        checksums = self._checksums_to_write(files)
        generated = [checksums] if checksums else []
        self.result.update(
            files=len(files) + len(generated),
            bytes=total + sum(e["size"] for e in generated),
            transferred_bytes=to_transfer - resumable if self.check_mode else 0,
            reused_bytes=sum(rf.size or 0 for rf, _hit in plan_link),
            resumed_bytes=resumable,
            changed=True,
        )
        if p.get("diff"):
            self.result["diff"] = {
                "before_header": f"{store.base}/{current or '(none)'}",
                "after_header": f"{store.base}/{revision}",
                "before": sums_lines(before_manifest["files"]) if before_manifest else "",
                "after": sums_lines(listing_entries(files) + generated),
            }
        if self.check_mode:
            self.result["pruned"] = self._prune_plan(revision, dry_run=True)
            self.result["preview"] = self._preview(files, revision)
            return self.result

        # Unpacking needs room for the files beside the archives they come from (at least as much again).
        archives = self.source.archives
        download = to_transfer - resumable + sum(f.size or 0 for f in files if f.path in archives)
        need = download + SPACE_RESERVE
        free = free_bytes(store.base)
        if to_transfer - resumable > 0 and free < need:
            raise StoreError(
                f"not enough free space for {store.name!r} under {store.base}: the sync needs {human_bytes(download)}"
                f" (+{human_bytes(SPACE_RESERVE)} reserve), the file system has {human_bytes(free)}; nothing was downloaded"
            )

        stage = store.prepare_staging(revision)
        store.clean_staging(keep=revision)
        progress_path = os.path.join(store.staging_root, PROGRESS)
        self.progress = Progress(progress_path, total, len(files))
        self.progress.done_bytes = total - to_transfer + resumable
        self.progress.done_files = len(files) - len(plan_transfer)  # linked and staged files are done already
        self.result["progress_file"] = progress_path
        entries = []

        # Files counted as done in the progress that turn out to need a transfer after all.
        for rf, staged in plan_staged:
            entry = self.verify_staged(rf, staged)
            if entry is None:
                os.unlink(staged)
                plan_transfer.append(rf)
                self.progress.done_bytes -= rf.size or 0
                self.progress.done_files -= 1
            else:
                entries.append(entry)
        reused = 0
        for rf, (src_path, e) in plan_link:
            target = inside(os.path.join(stage, "data"), rf.path)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            try:
                os.link(src_path, target)
            except OSError:
                plan_transfer.append(rf)
                self.progress.done_bytes -= rf.size or 0
                self.progress.done_files -= 1
                continue
            reused += e["size"]
            entries.append(entry_for(rf, e["size"], e["sha256"]))
        self.progress.maybe_write(force=True)

        entries.extend(self._transfer_all(plan_transfer, stage))
        # What the files really came from: a resumed file that starts over (a server without
        # Range, or resumed bytes that failed verification) counts as transferred, in full.
        self.result.update(transferred_bytes=self._counts["fetched"], resumed_bytes=self._counts["resumed"], reused_bytes=reused)
        if archives:
            self.progress.state = "unpacking"
            self.progress.maybe_write(force=True)
            entries = self._unpack(stage, entries)
        self.progress.state = "publishing"
        self.progress.maybe_write(force=True)

        if p.get("write_checksums"):
            entries.append(self._write_checksums(stage, entries))
        extra = {"listing_digest": listing_digest(files), "source_info": listing.info, "boundary": boundary}
        manifest = store.publish(revision, entries, self.source.describe(), extra)
        self.result["manifest"] = store.manifest_path(revision)
        self.result["pruned"] = self._prune_plan(revision, dry_run=False)
        self.progress.state = "done"
        self.progress.maybe_write(force=True)
        self.result.setdefault("repaired", [])
        # The revision as published: image layers unpacked, and the generated checksum list included.
        self.result.update(files=len(manifest["files"]), bytes=manifest["bytes"])
        return self.result

    def _checksums_missing(self, manifest):
        """Whether write_checksums asks for a checksum list that the published revision does not have."""
        name = self.source.checksum_file
        return bool(self.params.get("write_checksums")) and not any(e["path"] == name and e.get("generated") for e in manifest["files"])

    def _checksums_to_write(self, files):
        """The checksum list write_checksums will add, as a listing entry: its path, its size (a line is
        ``<64 hex digits>  <path>``, so the size follows from the paths alone) and its digest where every
        file's SHA-256 is already known. None when no list is written, or when it lists files still to
        be unpacked from image layers.
        """
        if not self.params.get("write_checksums") or self.source.archives:
            return None
        if all(f.algorithm == "sha256" and f.digest for f in files):
            digest = hashlib.sha256(checksums_text((f.digest, f.path) for f in files)).hexdigest()
        else:
            digest = None
        size = sum(64 + 2 + len(f.path.encode("utf-8")) + 1 for f in files)
        return {"path": self.source.checksum_file, "size": size, "digest": digest}

    def _unpack(self, stage, entries):
        try:
            return self.source.unpack(stage, entries, self.params.get("allow_patterns"), self.params.get("ignore_patterns"))
        except OSError as exc:
            if exc.errno == errno.ENOSPC:
                raise StoreError(
                    f"the disk holding {self.store.base} filled up while unpacking ({exc}); nothing was published and the previous revision is still current"
                ) from None
            raise

    def _write_checksums(self, stage, entries):
        """Write ``<checksum_file>`` into the revision, so the store can itself serve as a plain HTTP mirror."""
        name = self.source.checksum_file
        content = checksums_text((e["sha256"], e["path"]) for e in entries)
        path = inside(os.path.join(stage, "data"), name)
        with open(path, "wb") as f:
            f.write(content)
        sha = hashlib.sha256(content).hexdigest()
        return {"path": name, "size": len(content), "sha256": sha, "algorithm": "sha256", "digest": sha, "generated": True}

    def _transfer_all(self, files, stage):
        if not files:
            return []
        entries = []
        workers = max(1, min(self.params.get("parallel", 4), len(files)))
        # Large files first, so one big file does not start last and finish alone.
        order = sorted(files, key=lambda f: -(f.size or 0))
        errors = []
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(self._transfer_unless_stopped, rf, stage) for rf in order]
            for fut in as_completed(futures):
                try:
                    entries.append(fut.result())
                except Stopped:
                    pass
                except Exception as exc:  # the first real failure stops the others
                    self._stop.set()
                    errors.append(exc)
        if errors:
            exc = errors[0]
            if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
                raise StoreError(
                    f"the disk holding {self.store.base} filled up during the transfer ({exc}); nothing was published and"
                    " the previous revision is still current; the partial files are kept to resume once space is freed"
                )
            if isinstance(exc, OSError) and not isinstance(exc, StoreError):
                raise StoreError(f"transfer failed: {exc}; nothing was published, the next run resumes")
            raise exc
        return entries

    def _transfer_unless_stopped(self, rf, stage):
        """``transfer``, except after another file failed: the failing worker stops the run itself, before it
        takes the next file, so no file starts (and leaves a partial file) once one has failed."""
        if self._stop.is_set():
            raise Stopped()
        try:
            return self.transfer(rf, stage)
        except Stopped:
            raise
        except Exception:
            self._stop.set()
            raise

    def _finish_unchanged(self, revision, manifest, current, before_manifest):
        store = self.store
        changed = current != revision
        self.result.update(
            files=len(manifest["files"]),
            bytes=manifest["bytes"],
            transferred_bytes=0,
            reused_bytes=0,
            resumed_bytes=0,
            manifest=store.manifest_path(revision),
            changed=changed,
        )
        if changed and self.params.get("diff"):
            self.result["diff"] = {
                "before_header": f"{store.base}/{current or '(none)'}",
                "after_header": f"{store.base}/{revision}",
                "before": sums_lines(before_manifest["files"]) if before_manifest else "",
                "after": sums_lines(manifest["files"]),
            }
        if changed and not self.check_mode:
            store.set_current(revision)
        pruned = self._prune_plan(revision, dry_run=self.check_mode)
        self.result["pruned"] = pruned
        if pruned:
            self.result["changed"] = True
        if not self.check_mode:
            store.clean_staging(keep=None)
        return self.result

    def _prune_plan(self, revision, dry_run):
        keep = self.params.get("keep_revisions") or 0
        previous = self.result.get("previous_revision")
        if dry_run:
            return prune_victims(self.store.published_revisions(), keep, revision, previous)
        return self.store.prune(keep, previous)


def entry_for(rf, size, sha256):
    """A manifest entry for a verified file."""
    entry = {"path": rf.path, "size": size, "sha256": sha256, "algorithm": rf.algorithm, "digest": rf.digest or sha256}
    if not rf.digest and rf.ref:
        entry["source_stat"] = source_stat(rf)
    return entry


def sync(params, source, check_mode=False, warn=None):
    return Syncer(params, source, check_mode, warn).run()
