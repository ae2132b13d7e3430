"""Hybrid retrieval: BM25 and dense search fused by reciprocal rank."""

from __future__ import annotations

import math
from collections.abc import Sequence

from assistant.lexical import LexicalIndex
from assistant.models import Hit
from assistant.protocols import Embedder, Store


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    """Cosine similarity of two vectors."""
    dot = sum(x * y for x, y in zip(a, b, strict=False))
    na = math.sqrt(sum(x * x for x in a)) or 1.0
    nb = math.sqrt(sum(y * y for y in b)) or 1.0
    return dot / (na * nb)


class HybridRetriever:
    """Dense (vector store) + lexical (BM25) candidates, fused with RRF."""

    def __init__(
        self, embedder: Embedder, store: Store, lexical: LexicalIndex, candidates: int = 20, rrf_k: int = 60
    ) -> None:
        self.embedder = embedder
        self.store = store
        self.lexical = lexical
        self.candidates = candidates
        self.rrf_k = rrf_k

    def retrieve(self, question: str, k: int) -> list[Hit]:
        """Top-k fused hits; every hit carries its cosine similarity to the question."""
        qvec = self.embedder.embed([question])[0]
        dense = self.store.search(qvec, self.candidates)
        lexical = self.lexical.search(question, self.candidates)
        fused: dict[str, Hit] = {}
        for rank, hit in enumerate(dense):
            hit.score = 1.0 / (self.rrf_k + rank + 1)
            fused[hit.chunk.id] = hit
        for rank, chunk in enumerate(lexical):
            hit = fused.setdefault(chunk.id, Hit(chunk=chunk, score=0.0, dense=math.nan))
            hit.score += 1.0 / (self.rrf_k + rank + 1)
            hit.lexical_rank = rank
        top = sorted(fused.values(), key=lambda h: h.score, reverse=True)[:k]
        missing = [h for h in top if math.isnan(h.dense)]
        if missing:
            vectors = self.embedder.embed([h.chunk.text for h in missing])
            for hit, vec in zip(missing, vectors, strict=True):
                hit.dense = cosine(qvec, vec)
        return top
