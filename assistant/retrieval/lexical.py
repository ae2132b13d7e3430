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
CREATE TABLE IF NOT EXISTS passage_rows (id TEXT PRIMARY KEY, row INTEGER NOT NULL) WITHOUT ROWID;
"""
# a question rarely needs more terms; each extra OR term adds its whole posting list to the scan
MAX_QUERY_TERMS = 12
_DELETE_BATCH = 500


def query_terms(question: str, limit: int = MAX_QUERY_TERMS) -> list[str]:
    """Distinct content words of a question, longest (most specific) first when over the limit."""
    terms = [t for t in re.findall(r"\w+", fold(question)) if t not in STOPWORDS and len(t) > 1]
    unique = list(dict.fromkeys(terms))
    if len(unique) <= limit:
        return unique
    keep = set(sorted(unique, key=len, reverse=True)[:limit])
    return [t for t in unique if t in keep]


class LexicalIndex:
    """BM25 over chunk texts plus a manifest of indexed files."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")  # readers (ask, serve) never wait for a running ingest
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        self._migrate()

    def _migrate(self) -> None:
        """Indexes written before the id → rowid map existed get one (once)."""
        if self._db.execute("SELECT 1 FROM passage_rows LIMIT 1").fetchone():
            return
        if self._db.execute("SELECT 1 FROM passages LIMIT 1").fetchone():
            self._db.execute("INSERT OR REPLACE INTO passage_rows (id, row) SELECT id, rowid FROM passages")
            self._db.commit()

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    def add(self, chunks: Sequence[Chunk]) -> None:
        """Index chunk texts; an id already present is replaced, never duplicated."""
        self.delete([c.id for c in chunks])
        rows = []
        for c in chunks:
            cursor = self._db.execute(
                "INSERT INTO passages (id, source, meta, text) VALUES (?, ?, ?, ?)",
                (c.id, c.source, json.dumps(c.metadata()), c.text),
            )
            rows.append((c.id, cursor.lastrowid))
        self._db.executemany("INSERT OR REPLACE INTO passage_rows (id, row) VALUES (?, ?)", rows)

    def delete(self, ids: Sequence[str]) -> None:
        """Remove chunks by id (through the rowid map: no scan of the FTS table)."""
        ids = list(dict.fromkeys(ids))
        for i in range(0, len(ids), _DELETE_BATCH):
            part = ids[i : i + _DELETE_BATCH]
            marks = ",".join("?" * len(part))
            self._db.execute(
                f"DELETE FROM passages WHERE rowid IN (SELECT row FROM passage_rows WHERE id IN ({marks}))", part
            )
            self._db.execute(f"DELETE FROM passage_rows WHERE id IN ({marks})", part)

    def search(self, question: str, k: int) -> list[Chunk]:
        """Chunks ranked by BM25, best first (top-k selected inside SQLite)."""
        terms = query_terms(question)
        if not terms or k <= 0:
            return []
        query = " OR ".join(f'"{t}"' for t in terms)
        rows = self._db.execute(
            "SELECT id, text, meta FROM passages WHERE passages MATCH ? ORDER BY bm25(passages) LIMIT ?",
            (query, k),
        ).fetchall()
        return [Chunk.from_metadata(r[0], r[1], json.loads(r[2])) for r in rows]

    def ids(self) -> set[str]:
        """All chunk ids in the lexical index."""
        return {r[0] for r in self._db.execute("SELECT id FROM passage_rows")}

    def count(self) -> int:
        """Number of chunks in the lexical index."""
        return int(self._db.execute("SELECT count(*) FROM passage_rows").fetchone()[0])

    def optimize(self) -> None:
        """Merge the FTS segments into one (worth it after large ingests: fewer segments, faster queries)."""
        self._db.execute("INSERT INTO passages (passages) VALUES ('optimize')")
        self._db.commit()

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
