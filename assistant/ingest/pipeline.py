"""Ingest pipeline: load → split → embed → upsert, incremental by content hash, batched across files."""

from __future__ import annotations

import dataclasses
import errno
import logging
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from assistant.errors import IngestError, StorageFullError
from assistant.ingest.consistency import check_encoder, encoder_identity, ingest_lock, reconcile
from assistant.ingest.loaders import SUPPORTED, PdfLimits, file_hash
from assistant.ingest.progress import Progress
from assistant.ingest.workers import ParseOptions, Prepared, prepare_all
from assistant.models import Chunk, Document
from assistant.protocols import Embedder, Store
from assistant.retrieval.lexical import LexicalIndex, SentenceVectors
from assistant.settings import Settings
from assistant.text import answer_spans

log = logging.getLogger(__name__)

SPACE_PROBE_BYTES = 16 * 2**20  # a store write failed for lack of space when the folder cannot take this much
OPTIMIZE_AFTER_CHUNKS = 20_000  # merge FTS segments after an ingest that wrote at least this many chunks


@dataclass
class IngestReport:
    """What an ingest did."""

    files: int = 0
    indexed: int = 0
    unchanged: int = 0
    removed: int = 0
    chunks: int = 0
    skipped: list[str] = field(default_factory=list)  # unsupported types
    errors: list[str] = field(default_factory=list)  # unreadable files, with the reason
    missing: list[Path] = field(default_factory=list)  # given paths that do not exist
    seconds: float = 0.0

    @property
    def partial(self) -> bool:
        """True when some files could not be indexed."""
        return bool(self.errors)

    @property
    def changed(self) -> bool:
        """True when the index was modified."""
        return bool(self.indexed or self.removed)

    def summary(self) -> str:
        """One line for people."""
        return (
            f"{self.files} files: {self.indexed} indexed, {self.unchanged} unchanged, "
            f"{self.removed} removed, {len(self.skipped)} skipped, {len(self.errors)} errors; "
            f"{self.chunks} chunks written"
        )


def source_name(path: Path) -> str:
    """A file's name in the index: its absolute path, symlinks resolved (a loop does not raise; reading reports it)."""
    return os.path.realpath(os.path.abspath(path))


def discover(paths: Iterable[Path], report: IngestReport) -> list[Path]:
    """Files under the given paths (no symlink loops), sorted; unsupported types are skipped."""
    found: list[Path] = []
    for root in paths:
        if root.is_file():
            candidates = [root]
        elif root.is_dir():
            candidates = []
            for folder, _dirs, files in os.walk(root, followlinks=False):
                candidates.extend(Path(folder) / name for name in files)
        else:
            report.missing.append(root)
            continue
        for path in sorted(candidates):
            if path.name.startswith("."):
                continue
            if path.suffix.lower() in SUPPORTED:
                found.append(path)
            else:
                report.skipped.append(f"{path}: unsupported type")
    return found


def quick_hash(path: Path, max_bytes: int) -> str | None:
    """Content hash of a file without parsing it; None when it cannot be read (load() says why)."""
    try:
        if path.stat().st_size > max_bytes:
            return None
        return file_hash(path.read_bytes())
    except OSError:
        return None


@dataclass
class _Group:
    """Prepared files waiting for one batched embed."""

    items: list[Prepared] = field(default_factory=list)

    @property
    def chunks(self) -> int:
        """Number of chunks waiting."""
        return sum(len(p.chunks) for p in self.items)


def _size(path: Path) -> int:
    """A file's size in bytes (0 when it cannot be read: the error is reported where it is parsed)."""
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _out_of_space(exc: BaseException, folder: Path) -> bool:
    """Whether a failed write failed for lack of disk space (the store's own errors do not always say so)."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return True
    if isinstance(exc, sqlite3.OperationalError) and "full" in str(exc):
        return True
    if not hasattr(os, "posix_fallocate"):
        return False
    probe = folder / ".space-probe"
    try:  # can the folder still take a store-sized write?
        with open(probe, "wb") as handle:
            os.posix_fallocate(handle.fileno(), 0, SPACE_PROBE_BYTES)
        return False
    except OSError as probe_error:
        return probe_error.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
    finally:
        probe.unlink(missing_ok=True)


class Ingestor:
    """Keeps the vector store and the lexical index in step with the files."""

    def __init__(
        self,
        settings: Settings,
        embedder: Embedder,
        store: Store,
        lexical: LexicalIndex,
        on_commit: Callable[[], None] | None = None,
    ) -> None:
        self.settings = settings
        self.embedder = embedder
        self.store = store
        self.lexical = lexical
        self.on_commit = on_commit  # told after each committed change (the service then knows its store is current)
        self._sizes: dict[str, int] = {}  # bytes of each file of the running sync, for the progress bar

    @property
    def _max_bytes(self) -> int:
        """File size limit in bytes."""
        return int(self.settings.max_file_mb * 2**20)

    def run(self, paths: Iterable[Path | str], progress: bool = True, rebuild: bool = False) -> IngestReport:
        """Index new and changed files, drop files gone from the given folders (one ingest at a time).

        With rebuild, the index is emptied first (the way to move it to another encoder).
        """
        # the encoder first (an ONNX graph may be built, ~30 s): not while holding the lock, nor on an emptied index
        identity = encoder_identity(self.embedder, self.settings.embedder)
        with ingest_lock(self.settings.index_dir, self.settings.ingest_lock_wait_s):
            if rebuild:
                self.store.delete(sorted(self.store.ids()))
                self.lexical.clear()
                self.lexical.commit()
            check_encoder(self.lexical, self.store, identity, self.settings.index_dir)
            repair = reconcile(self.store, self.lexical)
            if repair:
                log.warning("repaired the index after an interrupted ingest: %s", repair)
            try:
                return self._run([Path(p) for p in paths], progress)
            except Exception as exc:
                self.lexical.rollback()  # back to the last file written whole
                if _out_of_space(exc, self.settings.index_dir):
                    raise StorageFullError(
                        f"The disk is full: indexing stopped while writing to {self.settings.index_dir} ({exc}). "
                        "Files indexed before this point are kept and can be asked about."
                    ) from exc
                raise

    def _run(self, paths: list[Path], progress: bool) -> IngestReport:
        """The sync itself, under the lock."""
        start = time.perf_counter()
        report = IngestReport()
        files = list({source_name(p): p for p in discover(paths, report)}.values())  # a symlink or an overlap: once
        self._drop_legacy_names({source_name(p) for p in files})
        report.files = len(files) + len(report.skipped)
        self._sizes = {source_name(p): _size(p) for p in files}
        bar = Progress(len(files), progress, sum(self._sizes.values()))
        try:
            changed = self._changed(files, report, bar)
            self._index(changed, report, bar)
        finally:
            bar.close()
        self._drop_missing(paths, {source_name(p) for p in files}, report)
        if report.chunks >= OPTIMIZE_AFTER_CHUNKS:
            self.lexical.optimize()
        report.seconds = time.perf_counter() - start
        return report

    def _drop_legacy_names(self, canonical: set[str]) -> None:
        """Entries named by an older version relative to the working folder are re-indexed under their real path."""
        for source in self.lexical.sources():
            if not os.path.isabs(source) and source_name(Path(source)) in canonical:
                self._remove(source)

    def _changed(self, files: list[Path], report: IngestReport, bar: Progress) -> list[tuple[Path, str]]:
        """Files whose content hash differs from the manifest (unchanged ones cost a hash, no parsing)."""
        changed = []
        for path in files:
            source = source_name(path)
            known = self.lexical.file_hash(source)
            if known is not None and quick_hash(path, self._max_bytes) == known:
                report.unchanged += 1
                bar.advance(files=1, nbytes=self._sizes.get(source, 0))
            else:
                changed.append((path, source))
        return changed

    def _index(self, jobs: list[tuple[Path, str]], report: IngestReport, bar: Progress) -> None:
        """Load and split (in a worker process for many files), embed in groups spanning files, write."""
        group, limit = _Group(), max(1, self.settings.ingest_group_chunks)
        options = ParseOptions(
            self._max_bytes,
            self.settings.chunk_size,
            self.settings.chunk_overlap_sentences,
            PdfLimits.from_settings(self.settings),
        )
        for source, item in prepare_all(jobs, options, self.settings.ingest_workers):
            if isinstance(item, IngestError):
                report.errors.append(str(item) or source)
                bar.advance(files=1, nbytes=self._sizes.get(source, 0))
                continue
            group.items.append(item)
            if group.chunks >= limit:
                self._flush(group, report, bar)
        self._flush(group, report, bar)

    def _flush(self, group: _Group, report: IngestReport, bar: Progress) -> None:
        """Embed the group's chunks (several files per embed call), then write every file of the group."""
        if not group.items:
            return
        ready: list[tuple[Prepared, list[list[float]]]] = []
        bar.start_group(sum(self._sizes.get(p.doc.source, 0) for p in group.items), group.chunks)
        try:
            vectors = self._embed([c.text for p in group.items for c in p.chunks], bar)
            for p in group.items:
                ready.append((p, vectors[: len(p.chunks)]))
                vectors = vectors[len(p.chunks) :]
            sentences = self._sentences([c for p in group.items for c in p.chunks])
        except Exception:  # noqa: BLE001 - retried file by file so one bad file cannot sink the group
            ready = self._embed_each(group.items, report, bar)
            sentences = self._sentences([c for p, _ in ready for c in p.chunks])
        self._write(ready, sentences)
        for p, _ in ready:
            report.indexed += 1
            report.chunks += len(p.chunks)
        bar.end_group(files=len(ready))
        group.items = []

    def _embed(self, texts: list[str], bar: Progress | None = None) -> list[list[float]]:
        """Embed in calls of embed_batch_size texts of similar length (little padding), in the original order.

        Length is counted in the embedder's tokens when it can count them: 500 characters of prose and of code
        differ twofold in tokens, and sorting by characters padded a batch to its longest (1.7× slower, int8).
        """
        counts = getattr(self.embedder, "token_counts", None)
        lengths = counts(texts) if callable(counts) else [len(t) for t in texts]
        order = sorted(range(len(texts)), key=lengths.__getitem__)
        step = max(1, self.settings.embed_batch_size)
        vectors: list[list[float]] = [[] for _ in texts]
        for i in range(0, len(order), step):
            part = order[i : i + step]
            got = self.embedder.embed([texts[j] for j in part])
            if len(got) != len(part):
                raise RuntimeError(f"the embedder returned {len(got)} vectors for {len(part)} texts")
            for j, vector in zip(part, got, strict=True):
                vectors[j] = vector
            if bar is not None:
                bar.advance(chunks=len(part))
        return vectors

    def _sentences(self, chunks: list[Chunk]) -> SentenceVectors:
        """Each chunk's sentences embedded once here, so that answering reads them instead of embedding them."""
        if not self.settings.ingest_sentence_vectors:
            return {}
        spans = {c.id: [(start, c.text[start:end]) for start, end in answer_spans(c.text)] for c in chunks}
        texts = list(dict.fromkeys(text for rows in spans.values() for _, text in rows))  # overlaps embedded once
        vector_of = dict(zip(texts, self._embed(texts), strict=True))
        return {cid: [(start, vector_of[text]) for start, text in rows] for cid, rows in spans.items()}

    def _embed_each(
        self, items: list[Prepared], report: IngestReport, bar: Progress
    ) -> list[tuple[Prepared, list[list[float]]]]:
        """Embed file by file; a file whose chunks cannot be embedded is reported and skipped."""
        ready = []
        for p in items:
            try:
                ready.append((p, self._embed([c.text for c in p.chunks])))
            except Exception as exc:  # noqa: BLE001 - reported by file name
                report.errors.append(f"{p.doc.source}: embedding failed ({exc.__class__.__name__}: {exc})")
                bar.advance(files=1)
        return ready

    def _write(self, ready: list[tuple[Prepared, list[list[float]]]], sentences: SentenceVectors) -> None:
        """Crash-safe replace: new vectors, then one transaction (with delete intents), then unused vectors go."""
        if not ready:
            return
        old = {c for p, _ in ready for c in self.lexical.file_chunks(p.doc.source)}
        chunks = [c for p, _ in ready for c in p.chunks]
        vectors = [v for _, vs in ready for v in vs]
        batch = max(1, self.settings.embed_batch_size * 8)
        for i in range(0, len(chunks), batch):
            self.store.upsert(chunks[i : i + batch], vectors[i : i + batch])
        for p, _ in ready:
            self._forget(p.doc.source)
        self.lexical.add(chunks, sentences)
        for p, _ in ready:
            self._record(p.doc, p.chunks)
        unused = sorted(old - {c.id for c in chunks})
        self._commit(unused, keep=[c.id for c in chunks])

    def _commit(self, unused: list[str], keep: Sequence[str] = ()) -> None:
        """Commit with the intent to delete unused vectors, then delete them and clear the intent."""
        self.lexical.clear_pending(list(keep))  # a chunk indexed again must not lose its vector to an old intent
        self.lexical.intend_delete(unused)
        self.lexical.bump_generation()
        self.lexical.commit()
        if self.on_commit is not None:
            self.on_commit()
        if unused:
            live = self.lexical.known(unused)  # indexed again meanwhile: its vector stays
            self.store.delete([i for i in unused if i not in live])
            self.lexical.clear_pending(unused)
            self.lexical.commit()

    def _record(self, doc: Document, chunks: list[Chunk]) -> None:
        """Record a file, its hash and chunk ids in the manifest."""
        record = dataclasses.asdict(doc)
        self.lexical.record_file(doc.source, doc.content_hash, [c.id for c in chunks], record)

    def _forget(self, source: str) -> list[str]:
        """Drop a file's lexical rows and manifest entry (no commit); returns its chunk ids."""
        old = self.lexical.file_chunks(source)
        self.lexical.delete(old)
        self.lexical.forget_file(source)
        return old

    def remove(self, source: str) -> bool:
        """Remove a file from the index, under the ingest lock; True if it was indexed."""
        with ingest_lock(self.settings.index_dir, self.settings.ingest_lock_wait_s):
            return self._remove(source)

    def _remove(self, source: str) -> bool:
        """Remove a file (manifest and delete intent in one commit, then its vectors); the lock is held."""
        if self.lexical.file_hash(source) is None:
            return False
        self._commit(sorted(self._forget(source)))
        return True

    def _drop_missing(self, paths: list[Path], seen: set[str], report: IngestReport) -> None:
        """Files indexed under a given path (folder or file) but gone from disk are removed; unknown and gone: error."""
        sources = set(self.lexical.sources())
        for root in paths:
            name = source_name(root)
            inside = [s for s in sources if s == name or s.startswith(name.rstrip("/") + "/")]
            gone = [s for s in inside if s not in seen and not Path(s).exists()]
            for source in gone:
                self._remove(source)
                sources.discard(source)  # overlapping paths: removed and counted once
                report.removed += 1
            if root in report.missing and not inside:
                report.errors.append(f"{root}: no such file or folder")
