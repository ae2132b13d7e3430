"""Hybrid retrieval: BM25 and dense search fused by reciprocal rank."""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from assistant.lexicon import expand_query
from assistant.models import Hit
from assistant.protocols import Embedder, Store
from assistant.retrieval.lexical import LexicalIndex


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    """Cosine similarity of two vectors."""
    dot = sum(x * y for x, y in zip(a, b, strict=False))
    na = math.sqrt(sum(x * x for x in a)) or 1.0
    nb = math.sqrt(sum(y * y for y in b)) or 1.0
    return dot / (na * nb)


SCOPE_BATCH = 2000  # vectors read at a time when a question is limited to some documents


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
        self._pool = ThreadPoolExecutor(4, thread_name_prefix="bm25")

    def retrieve(self, question: str, k: int, only: Collection[str] | None = None) -> list[Hit]:
        """Top-k fused hits (with only: among those chunk ids); every hit carries its cosine to the question."""
        search = self.lexical.search
        lexical_job = self._pool.submit(search, question, self.candidates, only)  # BM25 while embedding
        wider = expand_query(question)  # "top diplomat" also searches "foreign minister", "secretary of state"
        wider_job = self._pool.submit(search, wider, self.candidates, only) if wider != question else None
        qvec = self.embedder.embed([question])[0]
        scoped = None if only is None else self._scoped_ranking(qvec, only)
        dense = self.store.search(qvec, self.candidates) if scoped is None else []
        lexical = lexical_job.result()
        if scoped is not None:  # after BM25: the lexical index answers one statement at a time
            chunks = {c.id: c for c in self.lexical.chunk_texts([cid for _, cid in scoped])}
            dense = [Hit(chunk=chunks[cid], score=sim, dense=sim) for sim, cid in scoped if cid in chunks]
        known = self.lexical.known([hit.chunk.id for hit in dense])
        dense = [hit for hit in dense if hit.chunk.id in known]  # a removed file's vectors may outlive it briefly
        fused: dict[str, Hit] = {}
        for rank, hit in enumerate(dense):
            hit.score = 1.0 / (self.rrf_k + rank + 1)
            fused[hit.chunk.id] = hit
        for rank, chunk in enumerate(lexical):
            hit = fused.setdefault(chunk.id, Hit(chunk=chunk, score=0.0, dense=math.nan))
            hit.score += 1.0 / (self.rrf_k + rank + 1)
            hit.lexical_rank = rank
        for rank, chunk in enumerate(wider_job.result() if wider_job else []):
            hit = fused.setdefault(chunk.id, Hit(chunk=chunk, score=0.0, dense=math.nan))
            hit.score += 0.5 / (self.rrf_k + rank + 1)  # paraphrases count, less than the user's own words
        top = sorted(fused.values(), key=lambda h: h.score, reverse=True)[:k]
        self._fill_dense(qvec, [h for h in top if math.isnan(h.dense)])
        return top

    def _scoped_ranking(self, qvec: Sequence[float], only: Collection[str]) -> list[tuple[float, str]]:
        """The best (cosine, chunk id) pairs among the given ids: exact over their vectors, read in batches."""
        q = np.asarray(qvec, dtype=np.float32)
        q /= np.linalg.norm(q) or 1.0
        best: list[tuple[float, str]] = []
        ids = sorted(only)
        for at in range(0, len(ids), SCOPE_BATCH):
            stored = self.store.vectors(ids[at : at + SCOPE_BATCH])
            if not stored:
                continue
            batch = list(stored)
            matrix = np.asarray([stored[i] for i in batch], dtype=np.float32)
            sims = matrix @ q / (np.linalg.norm(matrix, axis=1) + 1e-12)
            best += [(float(sims[i]), batch[i]) for i in np.argsort(-sims)[: self.candidates]]
            best = sorted(best, reverse=True)[: self.candidates]
        return best

    def _fill_dense(self, qvec: Sequence[float], missing: list[Hit]) -> None:
        """Cosine for hits only BM25 found: from their stored vectors, embedding only what the store lacks."""
        stored = self.store.vectors([h.chunk.id for h in missing]) if missing else {}
        absent = [h for h in missing if h.chunk.id not in stored]
        fresh = self.embedder.embed([h.chunk.text for h in absent]) if absent else []
        stored.update({h.chunk.id: v for h, v in zip(absent, fresh, strict=True)})
        for hit in missing:
            hit.dense = cosine(qvec, stored[hit.chunk.id])
