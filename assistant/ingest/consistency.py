"""Keep the vector store, the lexical index and the manifest in agreement, even after a crash.

Write order (see Ingestor): new vectors go to the store first; then one SQLite transaction replaces the
file's lexical rows and its manifest entry; then vectors no longer referenced are deleted. A crash at any
point leaves at most orphan vectors (never a manifest entry without its chunks), which readers never see
(retrieval only returns chunks the lexical index knows) and the next ingest removes.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import IngestError
from assistant.protocols import Store
from assistant.retrieval.lexical import LexicalIndex


@dataclass
class Repair:
    """What a reconciliation fixed."""

    orphan_vectors: int = 0
    orphan_rows: int = 0
    incomplete_files: int = 0

    def __bool__(self) -> bool:
        return bool(self.orphan_vectors or self.orphan_rows or self.incomplete_files)


def reconcile(store: Store, lexical: LexicalIndex) -> Repair:
    """Delete orphans; forget files whose chunks are not all present so they are indexed again."""
    repair = Repair()
    manifest = {source: set(lexical.file_chunks(source)) for source in lexical.sources()}
    listed = set().union(*manifest.values()) if manifest else set()
    rows = lexical.ids()
    vectors = store.ids()
    for source, ids in manifest.items():
        if not ids <= rows or not ids <= vectors:
            lexical.delete(list(ids & rows))
            lexical.forget_file(source)
            repair.incomplete_files += 1
            listed -= ids
    stray_rows = rows - listed
    lexical.delete(list(stray_rows))
    lexical.commit()
    stray_vectors = vectors - listed
    store.delete(list(stray_vectors))
    repair.orphan_rows, repair.orphan_vectors = len(stray_rows), len(stray_vectors)
    return repair


@contextmanager
def ingest_lock(index_dir: Path, wait_s: float) -> Iterator[None]:
    """One ingest at a time per index: wait up to wait_s for another one, then give up with a message."""
    index_dir.mkdir(parents=True, exist_ok=True)
    path = index_dir / ".ingest.lock"
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    deadline = time.monotonic() + wait_s
    try:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise IngestError(
                        f"Another ingest is updating {index_dir} (lock {path}); try again when it has finished."
                    ) from None
                time.sleep(0.2)
        yield
    finally:
        os.close(handle)  # closing releases the lock, also when the process is killed
