"""Chroma vector store (embedded PersistentClient or a server) through langchain-chroma."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlparse

from langchain_core.embeddings import Embeddings

from assistant.errors import ConfigError, IndexDamagedError
from assistant.models import Chunk, Hit

T = TypeVar("T")

MAX_UPSERT = 5000  # rows per Chroma call (servers also announce their own limit)


class _Precomputed(Embeddings):
    """Hands vectors computed by our own embed step to langchain's Chroma."""

    def __init__(self) -> None:
        self.pending: list[list[float]] = []

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Return the vectors loaded for this batch."""
        vectors, self.pending = self.pending, []
        if len(vectors) != len(texts):
            raise RuntimeError("vectors were not loaded for this batch")
        return vectors

    def embed_query(self, text: str) -> list[float]:
        """Queries are embedded by the pipeline, never here."""
        raise RuntimeError("query embedding is done by the Embedder")


class ChromaStore:
    """Chunks and vectors in a Chroma collection with cosine distance."""

    def __init__(self, collection: str, path: Path | None = None, url: str | None = None) -> None:
        self.url, self.path, self.collection = url, path, collection
        self._vectors = _Precomputed()
        self._open()

    def _open(self) -> None:
        """Connect to the collection; an embedded store that cannot be read is an IndexDamagedError."""
        from langchain_chroma import Chroma

        if self.path is not None and not self.url and not (self.path / "chroma.sqlite3").exists():
            _forget_system(str(self.path))  # a folder emptied by a rebuild: a cached client would use deleted files
        try:
            client = _http_client(self.url) if self.url else _persistent_client(self.path)
            self._client = client
            self._db = Chroma(
                client=client,
                collection_name=self.collection,
                embedding_function=self._vectors,
                collection_metadata={"hnsw:space": "cosine"},
            )
            self._max_batch = min(MAX_UPSERT, int(client.get_max_batch_size()))
        except ConfigError:
            raise
        except Exception as exc:  # noqa: BLE001 - chromadb raises its own error types for a broken file
            raise self._damaged(exc) from None

    def _damaged(self, exc: Exception) -> Exception:
        """The embedded store's files cannot be read: name them; a server's error is passed on."""
        if self.url:
            return exc
        return IndexDamagedError(f"The vector store {self.path} is damaged and cannot be read ({exc}).")

    def refresh(self) -> None:
        """Reopen the store, to see what another process wrote (an embedded client caches its segments)."""
        if not self.url:
            _forget_system(getattr(self._client, "_identifier", ""))
        self._open()

    def _read(self, call: Callable[[], T]) -> T:
        """A read; when it fails (a stale embedded client after another process's ingest), reopen and retry once."""
        try:
            return call()
        except Exception:  # noqa: BLE001 - retried once on a fresh client, then reported
            self.refresh()
        try:
            return call()
        except Exception as exc:  # noqa: BLE001
            raise self._damaged(exc) from exc

    def upsert(self, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]]) -> None:
        """Insert or replace chunks with their vectors."""
        if len(chunks) != len(vectors):
            raise ValueError(f"{len(chunks)} chunks but {len(vectors)} vectors")
        for i in range(0, len(chunks), self._max_batch):
            part = chunks[i : i + self._max_batch]
            self._vectors.pending = [list(v) for v in vectors[i : i + self._max_batch]]
            self._db.add_texts([c.text for c in part], metadatas=[c.metadata() for c in part], ids=[c.id for c in part])

    def delete(self, ids: Sequence[str]) -> None:
        """Remove chunks by id."""
        ids = list(ids)
        for i in range(0, len(ids), self._max_batch):
            self._db.delete(ids=ids[i : i + self._max_batch])

    def search(self, vector: Sequence[float], k: int) -> list[Hit]:
        """Nearest chunks by cosine similarity."""
        if k <= 0:
            return []
        results = self._read(lambda: self._db.similarity_search_by_vector_with_relevance_scores(list(vector), k=k))
        hits = []
        for doc, distance in results:
            chunk = Chunk.from_metadata(str(doc.id), doc.page_content, dict(doc.metadata))
            similarity = 1.0 - float(distance)
            hits.append(Hit(chunk=chunk, score=similarity, dense=similarity))
        return hits

    def count(self) -> int:
        """Number of chunks stored."""
        return int(self._read(lambda: self._db._collection.count()))

    def ids(self) -> set[str]:
        """All chunk ids."""
        return set(self._read(lambda: self._db.get(include=[]))["ids"])

    def vectors(self, ids: Sequence[str]) -> dict[str, list[float]]:
        """Stored vectors by chunk id (ids not stored are absent)."""
        if not ids:
            return {}
        got = self._read(lambda: self._db._collection.get(ids=list(ids), include=["embeddings"]))
        return {i: [float(x) for x in v] for i, v in zip(got["ids"], got["embeddings"], strict=True)}


def _forget_system(identifier: str) -> None:
    """Drop the client system chromadb caches for one folder (others in this process keep theirs)."""
    from chromadb.api.shared_system_client import SharedSystemClient

    SharedSystemClient._identifier_to_system.pop(identifier, None)


def _persistent_client(path: Path | None) -> Any:
    """Embedded Chroma persisted in a folder."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    if path is None:
        raise ConfigError("The embedded Chroma store needs a folder (settings.index_dir).")
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=ChromaSettings(anonymized_telemetry=False))


def _http_client(url: str) -> Any:
    """A client of a Chroma server (`chroma run --path DIR --port N`); a clear error when it is not there."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    parsed = urlparse(url if "://" in url else f"http://{url}")
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ConfigError(f"Not a Chroma server URL: {url!r}", "Use the form http://host:port.")
    secure = parsed.scheme == "https"
    try:
        return chromadb.HttpClient(
            host=parsed.hostname,
            port=parsed.port or (443 if secure else 8000),
            ssl=secure,
            settings=ChromaSettings(anonymized_telemetry=False),
        )
    except (ValueError, ConnectionError) as exc:
        raise ConfigError(
            f"Cannot reach the Chroma server at {url} ({exc})",
            "Start it with `chroma run --path DIR --port N`, or drop --chroma-url / ASSISTANT_CHROMA_URL "
            "to use the embedded store.",
        ) from exc
