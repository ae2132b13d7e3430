"""Keep the vector store, the lexical index and the manifest in agreement, even after a crash.

Write order (see Ingestor): new vectors go to the store first; then one SQLite transaction replaces the
file's lexical rows and its manifest entry and records the vectors it stops using (a write-ahead intent);
then those vectors are deleted and the intent cleared. A remove is the same transaction without new vectors.
A crash at any point leaves at most orphan vectors (never a manifest entry without its chunks), which readers
never see (retrieval drops chunks the lexical index does not know) and the next start or ingest removes.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import ConfigError, IngestError
from assistant.protocols import Embedder, Store
from assistant.retrieval.lexical import LexicalIndex

ENCODER_KEY = "encoder"
# what the only encoder before records existed built: indexes without a record but with chunks are its
LEGACY_ENCODER = {"embedder": "minilm", "model": "all-MiniLM-L6-v2", "precision": "fp32"}
_SAME_SPACE = ("model", "precision", "weights_sha256")  # fp32 PyTorch, NumPy and ONNX give the same vectors


@dataclass
class Repair:
    """What a reconciliation fixed."""

    orphan_vectors: int = 0
    orphan_rows: int = 0
    incomplete_files: int = 0
    pending_deletes: int = 0

    def __bool__(self) -> bool:
        return bool(self.orphan_vectors or self.orphan_rows or self.incomplete_files or self.pending_deletes)

    def __str__(self) -> str:
        parts = [
            f"{self.pending_deletes} interrupted deletions finished",
            f"{self.orphan_vectors} orphan vectors deleted",
            f"{self.orphan_rows} orphan passages deleted",
            f"{self.incomplete_files} incompletely indexed files forgotten (they are indexed again on the next ingest)",
        ]
        return "; ".join(p for p in parts if not p.startswith("0 "))


def finish_pending(store: Store, lexical: LexicalIndex) -> int:
    """Delete the vectors an interrupted remove or ingest meant to delete; how many there were."""
    pending = lexical.pending_deletes()
    if not pending:
        return 0
    live = lexical.known(pending)  # indexed again since: keep
    store.delete([i for i in pending if i not in live])
    lexical.clear_pending(pending)
    lexical.commit()
    return len(pending)


def reconcile(store: Store, lexical: LexicalIndex) -> Repair:
    """Finish interrupted deletions; delete orphans; forget files whose chunks are not all present."""
    repair = Repair(pending_deletes=finish_pending(store, lexical))
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
    lexical.drop_orphan_sentence_vectors()  # answering may have cached vectors of a chunk an ingest then replaced
    lexical.commit()
    stray_vectors = vectors - listed
    store.delete(list(stray_vectors))
    repair.orphan_rows, repair.orphan_vectors = len(stray_rows), len(stray_vectors)
    return repair


def wipe_index(index_dir: Path, embedded_store: bool) -> list[Path]:
    """Delete the damaged index files (lexical index, embedded vector store; not uploads or encoders); what went."""
    doomed = [index_dir / f"lexical.sqlite{tail}" for tail in ("", "-wal", "-shm")]
    if embedded_store:
        doomed.append(index_dir / "chroma")
    deleted = [p for p in doomed if p.exists()]
    for path in deleted:
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    return deleted


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


def encoder_identity(embedder: Embedder, name: str) -> dict[str, str]:
    """What builds this embedder's vectors: its settings name plus the model, precision and weights it reports."""
    identity = getattr(embedder, "identity", None)
    reported = identity() if callable(identity) else {"model": name, "precision": "unknown"}
    return {"embedder": name, **reported}


def _describe(identity: dict[str, str]) -> str:
    """'minilm-onnx-int8 (all-MiniLM-L6-v2, int8, <quantisation>)'."""
    recipe = f", {identity.get('quantisation') or 'an earlier quantisation'}" if _quantised(identity) else ""
    return f"{identity.get('embedder', '?')} ({identity.get('model', '?')}, {identity.get('precision', '?')}{recipe})"


def _quantised(identity: dict[str, str]) -> bool:
    """Whether the identity is of a quantised encoder (its recipe then decides its vector space)."""
    return identity.get("precision", "fp32") not in ("fp32", "unknown")


def same_vectors(a: dict[str, str], b: dict[str, str]) -> bool:
    """Two encoders whose vectors may share an index: same model, precision and quantisation, same weights if known.

    A quantised record without a recipe is of an earlier quantisation, which is another vector space.
    """
    same = all(a.get(k) == b.get(k) for k in _SAME_SPACE if k in a and k in b) and "model" in a and "model" in b
    return same and a.get("quantisation", "") == b.get("quantisation", "")


def check_encoder(lexical: LexicalIndex, store: Store, current: dict[str, str], index_dir: Path) -> None:
    """Stop with a message when the index was built by an encoder whose vectors differ from the current one's.

    An index with no record is stamped with the current encoder when empty, or taken as the legacy one.
    """
    raw = lexical.meta(ENCODER_KEY)
    if raw is None:
        recorded = current if lexical.count() == 0 and store.count() == 0 else LEGACY_ENCODER
        lexical.set_meta(ENCODER_KEY, json.dumps(recorded))
        lexical.commit()
    else:
        recorded = json.loads(raw)
    if same_vectors(recorded, current):
        return
    raise ConfigError(
        f"The index in {index_dir} was built with the encoder {_describe(recorded)}, but the settings ask for "
        f"{_describe(current)}; their vectors cannot be mixed. Either set embedder = "
        f"\"{recorded.get('embedder', '?')}\" again, or re-index with the new encoder: "
        f"`assistant ingest --rebuild PATH ...` (empties the index, then indexes PATH)."
    )
