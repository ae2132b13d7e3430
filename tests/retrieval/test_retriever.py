"""Hybrid retrieval: fusion, and cosine for BM25-only hits from stored vectors."""

from __future__ import annotations

import math
from pathlib import Path

from assistant.adapters.chroma_store import ChromaStore
from assistant.models import Chunk
from assistant.retrieval.hybrid import HybridRetriever, cosine
from assistant.retrieval.lexical import LexicalIndex
from tests.conftest import FakeEmbedder

TEXTS = [
    "The Russian delegation is led by Darchiyev.",
    "Zebra crossings are painted white.",
    "Sonata Coulter leads the American delegation.",
    "A treaty was signed in Vienna.",
]


class CountingEmbedder(FakeEmbedder):
    """Records every text it embeds."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def embed(self, texts: list[str]) -> list[list[float]]:
        """Embed and remember."""
        self.seen.extend(texts)
        return super().embed(texts)


def _retriever(tmp_path: Path, candidates: int) -> tuple[HybridRetriever, CountingEmbedder, list[Chunk]]:
    embedder = CountingEmbedder()
    chunks = [Chunk(id=f"c{i}", source="doc.txt", text=t, start=0, end=len(t)) for i, t in enumerate(TEXTS)]
    store = ChromaStore("test", path=tmp_path / "chroma")
    store.upsert(chunks, embedder.embed(TEXTS))
    lexical = LexicalIndex(tmp_path / "lexical.sqlite")
    lexical.add(chunks)
    embedder.seen.clear()
    return HybridRetriever(embedder, store, lexical, candidates=candidates), embedder, chunks


def test_every_hit_has_the_cosine_of_its_stored_vector(tmp_path: Path) -> None:
    retriever, embedder, _ = _retriever(tmp_path, candidates=1)  # dense finds one, BM25 another
    hits = retriever.retrieve("zebra delegation Darchiyev", 3)
    assert {h.chunk.id for h in hits} == {"c0", "c1"}  # c1 only through BM25
    assert embedder.seen == ["zebra delegation Darchiyev"]  # nothing re-embedded
    qvec = FakeEmbedder().embed(["zebra delegation Darchiyev"])[0]
    for hit in hits:
        assert not math.isnan(hit.dense)
        assert math.isclose(hit.dense, cosine(qvec, FakeEmbedder().embed([hit.chunk.text])[0]), abs_tol=1e-5)


def test_hits_missing_from_the_store_are_embedded_again(tmp_path: Path) -> None:
    retriever, embedder, chunks = _retriever(tmp_path, candidates=2)
    retriever.store.delete([c.id for c in chunks])  # BM25 still knows them (a sync in flight)
    hits = retriever.retrieve("Sonata Coulter delegation", 2)
    assert hits and all(not math.isnan(h.dense) for h in hits)
    assert set(embedder.seen[1:]) == {h.chunk.text for h in hits}
