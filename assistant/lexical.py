"""Persistent BM25 index (SQLite FTS5) and the file manifest that makes ingest incremental."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Sequence
from pathlib import Path

from assistant.models import Chunk
from assistant.text import STOPWORDS, fold

SCHEMA = """
CREATE VIRTUAL TABLE IF NOT EXISTS passages USING fts5(
    id UNINDEXED, source UNINDEXED, meta UNINDEXED, text, tokenize = 'porter unicode61'
);
CREATE TABLE IF NOT EXISTS files (
    source TEXT PRIMARY KEY, hash TEXT NOT NULL, chunk_ids TEXT NOT NULL, document TEXT NOT NULL
);
"""


class LexicalIndex:
    """BM25 over chunk texts plus a manifest of indexed files."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    def add(self, chunks: Sequence[Chunk]) -> None:
        """Index chunk texts (callers delete old ids first)."""
        self._db.executemany(
            "INSERT INTO passages (id, source, meta, text) VALUES (?, ?, ?, ?)",
            [(c.id, c.source, json.dumps(c.metadata()), c.text) for c in chunks],
        )

    def delete(self, ids: Sequence[str]) -> None:
        """Remove chunks by id."""
        self._db.executemany("DELETE FROM passages WHERE id = ?", [(i,) for i in ids])

    def search(self, question: str, k: int) -> list[Chunk]:
        """Chunks ranked by BM25, best first."""
        terms = [t for t in re.findall(r"\w+", fold(question)) if t not in STOPWORDS and len(t) > 1]
        if not terms or k <= 0:
            return []
        query = " OR ".join(f'"{t}"' for t in dict.fromkeys(terms))
        rows = self._db.execute(
            "SELECT id, text, meta FROM passages WHERE passages MATCH ? "
            "ORDER BY bm25(passages) LIMIT ?",
            (query, k),
        ).fetchall()
        return [Chunk.from_metadata(r[0], r[1], json.loads(r[2])) for r in rows]

    def ids(self) -> set[str]:
        """All chunk ids in the lexical index."""
        return {r[0] for r in self._db.execute("SELECT id FROM passages")}

    # --- manifest -------------------------------------------------------------------------
    def file_hash(self, source: str) -> str | None:
        """Hash recorded for a source, if indexed."""
        row = self._db.execute("SELECT hash FROM files WHERE source = ?", (source,)).fetchone()
        return row[0] if row else None

    def file_chunks(self, source: str) -> list[str]:
        """Chunk ids recorded for a source."""
        row = self._db.execute("SELECT chunk_ids FROM files WHERE source = ?", (source,)).fetchone()
        return json.loads(row[0]) if row else []

    def record_file(self, source: str, digest: str, chunk_ids: list[str], document: dict) -> None:
        """Remember a file's hash, chunk ids and extracted document."""
        self._db.execute(
            "INSERT OR REPLACE INTO files (source, hash, chunk_ids, document) VALUES (?, ?, ?, ?)",
            (source, digest, json.dumps(chunk_ids), json.dumps(document)),
        )

    def forget_file(self, source: str) -> None:
        """Drop a file from the manifest."""
        self._db.execute("DELETE FROM files WHERE source = ?", (source,))

    def sources(self) -> list[str]:
        """Indexed sources, sorted."""
        return [r[0] for r in self._db.execute("SELECT source FROM files ORDER BY source")]

    def document(self, source: str) -> dict | None:
        """The extracted document (text and metadata) of a source."""
        row = self._db.execute("SELECT document FROM files WHERE source = ?", (source,)).fetchone()
        return json.loads(row[0]) if row else None

    def commit(self) -> None:
        """Make pending changes durable."""
        self._db.commit()
