"""Persistent BM25 index (SQLite FTS5, chunk texts and headings) and the manifest that makes ingest incremental."""

from __future__ import annotations

import json
import math
import re
import sqlite3
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path

import numpy as np

from assistant.errors import IndexDamagedError
from assistant.models import Chunk
from assistant.text import STOPWORDS, fold, stem

PASSAGES = """CREATE VIRTUAL TABLE IF NOT EXISTS passages USING fts5(
    id UNINDEXED, source UNINDEXED, meta UNINDEXED, text, heads, tokenize = 'porter unicode61'
)"""
SCHEMA = PASSAGES + """;
CREATE TABLE IF NOT EXISTS files (
    source TEXT PRIMARY KEY, hash TEXT NOT NULL, chunk_ids TEXT NOT NULL, document TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS passage_rows (id TEXT PRIMARY KEY, row INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sentence_vectors (
    chunk_id TEXT NOT NULL, start INTEGER NOT NULL, vector BLOB NOT NULL, PRIMARY KEY (chunk_id, start)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS pending_deletes (id TEXT PRIMARY KEY) WITHOUT ROWID;
"""
# per chunk id: (start of the sentence in the chunk text, its vector)
SentenceVectors = Mapping[str, Sequence[tuple[int, Sequence[float]]]]
# the same vectors as answering reads them: by (chunk id, start of the sentence in the chunk text)
StoredVectors = Mapping[tuple[str, int], Sequence[float]]
# a question rarely needs more terms; each extra OR term adds its whole posting list to the scan
MAX_QUERY_TERMS = 12
_DELETE_BATCH = 500
_BUSY_MS = 30_000  # how long a statement waits for another process's write lock


_ROWS_OF = "(SELECT row FROM passage_rows WHERE id IN (SELECT value FROM json_each(?)))"  # FTS rows of chunk ids


def query_terms(question: str, limit: int = MAX_QUERY_TERMS) -> list[str]:
    """Distinct content words of a question, longest (most specific) first when over the limit."""
    terms = [t for t in re.findall(r"\w+", fold(question)) if t not in STOPWORDS and len(t) > 1]
    unique = list(dict.fromkeys(terms))
    if len(unique) <= limit:
        return unique
    keep = set(sorted(unique, key=len, reverse=True)[:limit])
    return [t for t in unique if t in keep]


class LexicalIndex:
    """BM25 over chunk texts and their headings, plus a manifest of indexed files."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(str(path), check_same_thread=False, timeout=_BUSY_MS / 1000)
        try:
            self._db.execute("PRAGMA journal_mode=WAL")  # readers (ask, serve) never wait for a running ingest
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(SCHEMA)
            self._migrate()
            self._db.execute("SELECT count(*) FROM files").fetchone()
        except sqlite3.DatabaseError as exc:
            self._db.close()
            if not is_damage(exc):  # locked, read-only, cannot open: not a damaged file
                raise
            raise damaged(path, exc) from None
        self._df_cache: dict[str, int] = {}
        self._df_version: tuple[int, int] = (-1, -1)
        self._df_total = 0

    def _migrate(self) -> None:
        """Bring an index written by an older version up to date (once): the heads column, the id → rowid map."""
        if not self._has_heads():
            self._add_heads()
        self._heads = self._has_heads()
        if self._db.execute("SELECT 1 FROM passage_rows LIMIT 1").fetchone():
            return
        if self._db.execute("SELECT 1 FROM passages LIMIT 1").fetchone():
            self._db.execute("INSERT OR REPLACE INTO passage_rows (id, row) SELECT id, rowid FROM passages")
            self._db.commit()

    def _has_heads(self) -> bool:
        """The FTS table has the column of chunk headings (an index written before 2026-12 has not)."""
        return "heads" in [r[1] for r in self._db.execute("PRAGMA table_info(passages)")]

    def _add_heads(self) -> None:
        """Rebuild the FTS table with a heads column, rowids kept; a read-only or busy index is left as it is."""
        self._db.create_function("heads_of_meta", 1, _heads_of_meta, deterministic=True)
        try:
            self._db.execute("BEGIN IMMEDIATE")  # another process may be migrating the same index
            if not self._has_heads():
                self._db.execute("ALTER TABLE passages RENAME TO passages_old")
                self._db.execute(PASSAGES)
                self._db.execute(
                    "INSERT INTO passages (rowid, id, source, meta, text, heads)"
                    " SELECT rowid, id, source, meta, text, heads_of_meta(meta) FROM passages_old"
                )
                self._db.execute("DROP TABLE passages_old")
            self._db.commit()
        except sqlite3.OperationalError as exc:
            self._db.rollback()
            if not str(getattr(exc, "sqlite_errorname", "")).startswith(("SQLITE_READONLY", "SQLITE_BUSY")):
                raise  # read-only or busy: searched without headings until a writer opens it
        except BaseException:
            self._db.rollback()
            raise

    def close(self) -> None:
        """Close the database."""
        self._db.close()

    def check(self) -> None:
        """Read every page of the database (PRAGMA quick_check); a damaged file is an IndexDamagedError."""
        try:
            result = self._db.execute("PRAGMA quick_check").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise damaged(self.path, exc) from None
        if result != "ok":
            raise damaged(self.path, result)

    def known(self, ids: Sequence[str]) -> set[str]:
        """The given chunk ids that the index holds (a vector store may still have chunks removed here)."""
        ids = list(dict.fromkeys(ids))
        found: set[str] = set()
        for i in range(0, len(ids), _DELETE_BATCH):
            part = ids[i : i + _DELETE_BATCH]
            marks = ",".join("?" * len(part))
            found.update(r[0] for r in self._db.execute(f"SELECT id FROM passage_rows WHERE id IN ({marks})", part))
        return found

    # --- write-ahead intents and the change counter ------------------------------------------
    def intend_delete(self, ids: Sequence[str]) -> None:
        """Record vectors to delete from the store, in the transaction that stops referencing them (no commit)."""
        self._db.executemany("INSERT OR IGNORE INTO pending_deletes (id) VALUES (?)", [(i,) for i in ids])

    def pending_deletes(self) -> list[str]:
        """Vectors an earlier remove or ingest meant to delete from the store (a crash may have stopped it)."""
        return [r[0] for r in self._db.execute("SELECT id FROM pending_deletes")]

    def clear_pending(self, ids: Sequence[str]) -> None:
        """Forget delete intents: done, or the chunk is indexed again (no commit)."""
        self._db.executemany("DELETE FROM pending_deletes WHERE id = ?", [(i,) for i in ids])

    def generation(self) -> int:
        """A counter that every committed change of content raises (readers in other processes watch it)."""
        return int(self.meta("generation") or 0)

    def bump_generation(self) -> None:
        """Raise the change counter (no commit: it goes with the change it marks)."""
        self.set_meta("generation", str(self.generation() + 1))

    def add(self, chunks: Sequence[Chunk], sentences: SentenceVectors | None = None) -> None:
        """Index chunk texts (and their sentences' vectors); an id already present is replaced, never duplicated."""
        self.delete([c.id for c in chunks])
        if sentences:
            self._db.executemany(
                "INSERT OR REPLACE INTO sentence_vectors (chunk_id, start, vector) VALUES (?, ?, ?)",
                [(cid, start, np.asarray(v, dtype=np.float32).tobytes()) for cid, rows in sentences.items()
                 for start, v in rows],
            )
        rows = []
        for c in chunks:
            values = (c.id, c.source, json.dumps(c.metadata()), c.text, heads_of(c))
            cursor = self._db.execute(
                "INSERT INTO passages (id, source, meta, text, heads) VALUES (?, ?, ?, ?, ?)" if self._heads
                else "INSERT INTO passages (id, source, meta, text) VALUES (?, ?, ?, ?)",
                values if self._heads else values[:4],
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
            self._db.execute(f"DELETE FROM sentence_vectors WHERE chunk_id IN ({marks})", part)

    def sentence_vectors(self, chunk_ids: Sequence[str]) -> StoredVectors:
        """Stored sentence vectors of chunks, by (chunk id, start of the sentence in the chunk text)."""
        ids = list(dict.fromkeys(chunk_ids))
        out: dict[tuple[str, int], Sequence[float]] = {}
        for i in range(0, len(ids), _DELETE_BATCH):
            part = ids[i : i + _DELETE_BATCH]
            marks = ",".join("?" * len(part))
            query = f"SELECT chunk_id, start, vector FROM sentence_vectors WHERE chunk_id IN ({marks})"
            for chunk_id, start, blob in self._db.execute(query, part):
                out[(chunk_id, start)] = np.frombuffer(blob, dtype=np.float32)
        return out

    def cache_sentence_vectors(self, rows: Sequence[tuple[str, int, Sequence[float]]], wait_ms: int = 200) -> bool:
        """Store sentence vectors answering computed (chunk ids are content hashes, so a vector never goes stale).

        Best effort: when another process holds the write lock for longer than wait_ms, nothing is stored.
        """
        if not rows:
            return True
        self._db.execute(f"PRAGMA busy_timeout = {int(wait_ms)}")
        try:
            self._db.executemany(
                "INSERT OR IGNORE INTO sentence_vectors (chunk_id, start, vector) VALUES (?, ?, ?)",
                [(cid, start, np.asarray(v, dtype=np.float32).tobytes()) for cid, start, v in rows],
            )
            self._db.commit()
            return True
        except sqlite3.OperationalError:  # locked by a running ingest, or a read-only index
            self._db.rollback()
            return False
        finally:
            self._db.execute(f"PRAGMA busy_timeout = {_BUSY_MS}")

    def drop_orphan_sentence_vectors(self) -> int:
        """Delete sentence vectors of chunks no longer indexed (no commit); how many were deleted."""
        cursor = self._db.execute(
            "DELETE FROM sentence_vectors WHERE chunk_id NOT IN (SELECT id FROM passage_rows)"
        )
        return max(cursor.rowcount, 0)

    def meta(self, key: str) -> str | None:
        """A value recorded about the index (such as the encoder that built it)."""
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str | None) -> None:
        """Record (or with None, drop) a value about the index; committed with the next commit."""
        if value is None:
            self._db.execute("DELETE FROM meta WHERE key = ?", (key,))
        else:
            self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def search(self, question: str, k: int, only: Collection[str] | None = None) -> list[Chunk]:
        """Chunks ranked by BM25, best first (top-k selected inside SQLite); with only, among those ids."""
        terms = query_terms(question)
        if not terms or k <= 0 or (only is not None and not only):
            return []
        query = " OR ".join(f'"{t}"' for t in terms)
        scope, args = "", [query]
        if only is not None:
            scope, args = f" AND rowid IN {_ROWS_OF}", [query, json.dumps(sorted(only))]
        rows = self._db.execute(
            f"SELECT id, text, meta FROM passages WHERE passages MATCH ?{scope} ORDER BY bm25(passages) LIMIT ?",
            (*args, k),
        ).fetchall()
        return [Chunk.from_metadata(r[0], r[1], json.loads(r[2])) for r in rows]

    def document_frequencies(self, terms: Sequence[str]) -> tuple[int, dict[str, int]]:
        """The number of chunks, and how many hold each term in their text; cached until the index changes."""
        version = self._db.execute("PRAGMA data_version").fetchone()[0], self._db.total_changes
        if version != self._df_version:
            self._df_cache, self._df_version, self._df_total = {}, version, self.count()
        for term in dict.fromkeys(terms):
            if term not in self._df_cache:
                row = self._db.execute("SELECT count(*) FROM passages WHERE passages MATCH ?", (f'text : "{term}"',))
                self._df_cache[term] = int(row.fetchone()[0])
        return self._df_total, {t: self._df_cache[t] for t in terms}

    def term_weights(self, text: str, least_chunks: int = 50) -> dict[str, float]:
        """Each content term's idf (keyed by stem) over the most an idf can be here: 1 = in no chunk, 0 = in all.

        Empty for an index of fewer than least_chunks chunks: over a handful of passages rarity is noise.
        """
        raw = {stem(t): t for t in query_terms(text, limit=len(text))}
        total, df = self.document_frequencies(list(raw.values()))
        if total < least_chunks or not raw:
            return {}
        top = math.log(1 + (total + 0.5) / 0.5)
        return {t: math.log(1 + (total - df[w] + 0.5) / (df[w] + 0.5)) / top for t, w in raw.items()}

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

    def chunks_of(self, sources: Sequence[str]) -> set[str]:
        """The chunk ids of the given sources (a retrieval scope)."""
        return {cid for source in sources for cid in self.file_chunks(source)}

    def chunk_texts(self, ids: Collection[str]) -> list[Chunk]:
        """The chunks with these ids (in no particular order)."""
        rows = self._db.execute(
            f"SELECT id, text, meta FROM passages WHERE rowid IN {_ROWS_OF}", (json.dumps(sorted(ids)),)
        ).fetchall()
        return [Chunk.from_metadata(r[0], r[1], json.loads(r[2])) for r in rows]

    def catalog(self) -> list[tuple[str, str, str]]:
        """Each indexed source with its title and date, without reading the documents' text."""
        rows = self._db.execute(
            "SELECT source, json_extract(document, '$.title'), json_extract(document, '$.date')"
            " FROM files ORDER BY source"
        )
        return [(r[0], str(r[1] or ""), str(r[2] or "")) for r in rows]

    def document(self, source: str) -> dict | None:
        """The extracted document (text and metadata) of a source."""
        row = self._db.execute("SELECT document FROM files WHERE source = ?", (source,)).fetchone()
        return json.loads(row[0]) if row else None

    def clear(self) -> None:
        """Drop every chunk, sentence vector, manifest entry and record (no commit)."""
        generation = self.generation()
        for table in ("passages", "passage_rows", "sentence_vectors", "files", "meta", "pending_deletes"):
            self._db.execute(f"DELETE FROM {table}")
        self.set_meta("generation", str(generation + 1))  # readers must see the emptying as a change

    def commit(self) -> None:
        """Make pending changes durable."""
        self._db.commit()

    def rollback(self) -> None:
        """Drop changes not yet committed (after a failed write)."""
        self._db.rollback()


def heads_of(chunk: Chunk) -> str:
    """The words BM25 reads beside a chunk's text (as much as the text): its title and the headings in force in it."""
    return "\n".join(dict.fromkeys(t for t in (chunk.title, *(h[2] for h in chunk.outline)) if t))


def _heads_of_meta(meta: str | None) -> str:
    """heads_of for a stored row's metadata (an unreadable one has none)."""
    try:
        return heads_of(Chunk.from_metadata("", "", json.loads(meta or "{}")))
    except (ValueError, TypeError, KeyError):
        return ""


def is_damage(exc: sqlite3.DatabaseError) -> bool:
    """A file that is not (or no longer) a readable database, as opposed to a busy, locked or read-only one."""
    if not isinstance(exc, sqlite3.OperationalError):
        return True
    return any(word in str(exc) for word in ("malformed", "not a database", "corrupt", "disk I/O error"))


def damaged(path: Path, reason: object) -> IndexDamagedError:
    """The message for an index file that cannot be read."""
    return IndexDamagedError(f"The index file {path} is damaged and cannot be read ({reason}).")
