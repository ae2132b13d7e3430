"""Chroma vector store (embedded PersistentClient or a server) through langchain-chroma."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from langchain_core.embeddings import Embeddings

from assistant.models import Chunk, Hit


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
        import chromadb
        from chromadb.config import Settings as ChromaSettings
        from langchain_chroma import Chroma

        chroma_settings = ChromaSettings(anonymized_telemetry=False)
        if url:
            from urllib.parse import urlparse

            parsed = urlparse(url)
            client = chromadb.HttpClient(
                host=parsed.hostname or "127.0.0.1", port=parsed.port or 8000, settings=chroma_settings
            )
        else:
            assert path is not None
            path.mkdir(parents=True, exist_ok=True)
            client = chromadb.PersistentClient(path=str(path), settings=chroma_settings)
        self._vectors = _Precomputed()
        self._db = Chroma(
            client=client,
            collection_name=collection,
            embedding_function=self._vectors,
            collection_metadata={"hnsw:space": "cosine"},
        )

    def upsert(self, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]]) -> None:
        """Insert or replace chunks with their vectors."""
        if not chunks:
            return
        self._vectors.pending = [list(v) for v in vectors]
        self._db.add_texts(
            [c.text for c in chunks], metadatas=[c.metadata() for c in chunks], ids=[c.id for c in chunks]
        )

    def delete(self, ids: Sequence[str]) -> None:
        """Remove chunks by id."""
        if ids:
            self._db.delete(ids=list(ids))

    def search(self, vector: Sequence[float], k: int) -> list[Hit]:
        """Nearest chunks by cosine similarity."""
        if k <= 0:
            return []
        results = self._db.similarity_search_by_vector_with_relevance_scores(list(vector), k=k)
        hits = []
        for doc, distance in results:
            chunk = Chunk.from_metadata(str(doc.id), doc.page_content, dict(doc.metadata))
            similarity = 1.0 - float(distance)
            hits.append(Hit(chunk=chunk, score=similarity, dense=similarity))
        return hits

    def count(self) -> int:
        """Number of chunks stored."""
        return len(self.ids())

    def ids(self) -> set[str]:
        """All chunk ids."""
        return set(self._db.get(include=[])["ids"])
