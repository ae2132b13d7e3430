"""Ingest pipeline: load → split → embed → upsert, incremental by content hash."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from assistant.errors import IngestError
from assistant.lexical import LexicalIndex
from assistant.loaders import SUPPORTED, load
from assistant.models import Chunk, Document
from assistant.protocols import Embedder, Store
from assistant.settings import Settings
from assistant.splitter import split


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

    @property
    def partial(self) -> bool:
        """True when some files could not be indexed."""
        return bool(self.errors)

    def summary(self) -> str:
        """One line for people."""
        return (
            f"{self.files} files: {self.indexed} indexed, {self.unchanged} unchanged, "
            f"{self.removed} removed, {len(self.skipped)} skipped, {len(self.errors)} errors; "
            f"{self.chunks} chunks written"
        )


def source_name(path: Path) -> str:
    """How a file is named in the index: relative to the working directory when inside it."""
    resolved = path.resolve()
    try:
        return str(resolved.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(resolved)


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
            report.errors.append(f"{root}: no such file or folder")
            continue
        for path in sorted(candidates):
            if path.name.startswith("."):
                continue
            if path.suffix.lower() in SUPPORTED:
                found.append(path)
            else:
                report.skipped.append(f"{source_name(path)}: unsupported type")
    return found


class Ingestor:
    """Keeps the vector store and the lexical index in step with the files."""

    def __init__(self, settings: Settings, embedder: Embedder, store: Store, lexical: LexicalIndex) -> None:
        self.settings = settings
        self.embedder = embedder
        self.store = store
        self.lexical = lexical

    def run(self, paths: Iterable[Path], progress: bool = True) -> IngestReport:
        """Index new and changed files, drop files gone from the given folders."""
        paths = list(paths)
        report = IngestReport()
        files = discover(paths, report)
        report.files = len(files) + len(report.skipped)
        bar = tqdm(files, desc="Indexing", unit="file", disable=not progress, leave=False)
        seen = set()
        for path in bar:
            source = source_name(path)
            seen.add(source)
            bar.set_postfix_str(path.name[:30])
            try:
                self._ingest_file(path, source, report)
            except IngestError as exc:
                report.errors.append(str(exc))
        self._drop_missing(paths, seen, report)
        return report

    def _ingest_file(self, path: Path, source: str, report: IngestReport) -> None:
        """Load, split, embed and upsert one file unless its content is unchanged."""
        doc = load(path, source, int(self.settings.max_file_mb * 2**20))
        if self.lexical.file_hash(source) == doc.content_hash:
            report.unchanged += 1
            return
        chunks = split(doc, self.settings.chunk_size, self.settings.chunk_overlap_sentences)
        vectors = self.embedder.embed([c.text for c in chunks])
        self.remove(source)
        self._write(doc, chunks, vectors)
        report.indexed += 1
        report.chunks += len(chunks)

    def _write(self, doc: Document, chunks: list[Chunk], vectors: list[list[float]]) -> None:
        """Upsert into both indexes, then record the file in the manifest."""
        batch = max(1, self.settings.embed_batch_size * 8)
        for i in range(0, len(chunks), batch):
            self.store.upsert(chunks[i : i + batch], vectors[i : i + batch])
        self.lexical.add(chunks)
        record = dataclasses.asdict(doc)
        self.lexical.record_file(doc.source, doc.content_hash, [c.id for c in chunks], record)
        self.lexical.commit()

    def remove(self, source: str) -> bool:
        """Remove a file's chunks from both indexes; True if it was indexed."""
        old = self.lexical.file_chunks(source)
        if not old and self.lexical.file_hash(source) is None:
            return False
        self.store.delete(old)
        self.lexical.delete(old)
        self.lexical.forget_file(source)
        self.lexical.commit()
        return True

    def _drop_missing(self, paths: list[Path], seen: set[str], report: IngestReport) -> None:
        """Files indexed under an ingested folder but no longer there are removed."""
        folders = [source_name(p) for p in paths if p.is_dir()]
        for source in self.lexical.sources():
            inside = any(source == f or source.startswith(f.rstrip("/") + "/") or f == "." for f in folders)
            if inside and source not in seen and not Path(source).exists():
                self.remove(source)
                report.removed += 1
