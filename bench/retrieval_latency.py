"""Benchmark: hybrid retrieval latency at 1k, 10k and 100k chunks, embedded Chroma and a Chroma server.

Usage: .venv/bin/python bench/retrieval_latency.py [--sizes 1000,10000,100000] [--modes embedded,server]
       [--repeats 3] [--vectors mean|random] [--threads 0,1]
Needs `apt-get install -y python3.11-doc`. Chunk texts are synthesised from sentences sampled from the Python
docs; their stored vectors are (mean, default) the normalised mean of the real MiniLM vectors of their
sentences, or (random) random unit vectors. Queries are embedded by the real embedder, with each thread
count of --threads (0 = one per core, the setting embed_threads). Writes the `retrieval` section of
bench/RESULTS.md and bench/retrieval_latency.png.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
from benchkit import (
    ROOT,
    doc_files,
    load_average,
    median,
    offline,
    percentile,
    run_header,
    start_chroma,
    stop,
    write_section,
)
from threadpoolctl import threadpool_limits

from assistant.adapters.chroma_store import ChromaStore
from assistant.adapters.minilm_embedder import MiniLMEmbedder
from assistant.ingest.loaders import load
from assistant.models import Chunk
from assistant.retrieval.hybrid import HybridRetriever
from assistant.retrieval.lexical import LexicalIndex, query_terms
from assistant.settings import Settings
from assistant.text import sentence_spans

PNG = ROOT / "bench" / "retrieval_latency.png"
DEFAULT_THREADS = os.cpu_count() or 1
BATCH = 5000
POOL = 6000  # sentences; each is embedded once when --vectors mean
QUERIES = [
    "How do I read a file line by line?",
    "What does the with statement do?",
    "How can I sort a list of dictionaries by a key?",
    "What is the difference between a list and a tuple?",
    "How do I create a virtual environment?",
    "How are exceptions raised and caught?",
    "What does the yield keyword do in a function?",
    "How do I format a string with f-strings?",
    "How can I run a subprocess and capture its output?",
    "What is a decorator?",
    "How do I parse command line arguments?",
    "How does garbage collection work in CPython?",
    "What is the global interpreter lock?",
    "How do I work with dates and times in different time zones?",
    "How can I serialize an object to JSON?",
    "What are type hints used for?",
    "How do I open a TCP socket connection?",
    "How do regular expressions capture groups?",
    "What does asyncio.gather return?",
    "How do I give a dataclass field a default value?",
]


def sentence_pool(pages: int) -> list[str]:
    """POOL distinct sentences (30-300 characters) sampled from evenly spaced pages of the Python docs."""
    seen: dict[str, None] = {}
    for path in doc_files(pages):
        doc = load(path, str(path), 50 * 2**20)
        for start, end in sentence_spans(doc.text):
            sentence = " ".join(doc.text[start:end].split())
            if 30 <= len(sentence) <= 300:
                seen[sentence] = None
    sentences = list(seen)
    picks = np.random.default_rng(1).choice(len(sentences), size=min(POOL, len(sentences)), replace=False)
    return [sentences[i] for i in sorted(picks)]


def synthesise(first: int, count: int, pool: list[str], pool_vectors: np.ndarray | None,
               rng: np.random.Generator) -> tuple[list[Chunk], np.ndarray]:
    """Chunks of 2-6 random sentences (≤ 500 characters) with their stored vectors."""
    chunks, vectors = [], np.empty((count, 384), dtype=np.float32)
    for i in range(count):
        picks, text = [], ""
        for index in rng.integers(0, len(pool), size=6):
            if picks and len(text) + len(pool[index]) + 1 > 500:
                break
            picks.append(int(index))
            text = f"{text} {pool[index]}".strip()
        n = first + i
        chunks.append(Chunk(id=f"syn-{n:07d}", source=f"synthetic/{n // 40:05d}.txt", text=text, start=0,
                            end=len(text), title=f"Synthetic page {n // 40}"))
        vectors[i] = pool_vectors[picks].mean(axis=0) if pool_vectors is not None else rng.standard_normal(384)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return chunks, vectors


def grow(store: ChromaStore, lexical: LexicalIndex, have: int, want: int, pool: list[str],
         pool_vectors: np.ndarray | None, rng: np.random.Generator) -> float:
    """Add synthetic chunks until the indexes hold `want`; seconds spent writing."""
    start = time.perf_counter()
    for first in range(have, want, BATCH):
        chunks, vectors = synthesise(first, min(BATCH, want - first), pool, pool_vectors, rng)
        store.upsert(chunks, vectors.tolist())
        lexical.add(chunks)
        lexical.commit()
    if want - have >= 20_000:  # what Ingestor.run does after a large ingest
        lexical.optimize()
    return time.perf_counter() - start


class TimedEmbedder:
    """Wraps the embedder to time each call retrieve() makes: the question, then any BM25-only hits."""

    def __init__(self, inner: MiniLMEmbedder) -> None:
        self.inner = inner
        self.calls: list[tuple[int, float]] = []

    def embed(self, texts: list[str]) -> list[list[float]]:
        """Embed and record (number of texts, seconds)."""
        start = time.perf_counter()
        vectors = self.inner.embed(texts)
        self.calls.append((len(texts), time.perf_counter() - start))
        return vectors


class TimedVectors:
    """Wraps the store to time retrieve()'s fetch of stored vectors for hits only BM25 found."""

    def __init__(self, inner: ChromaStore) -> None:
        self.inner = inner
        self.calls: list[tuple[int, float]] = []

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    def vectors(self, ids: list[str]) -> dict[str, list[float]]:
        """Fetch and record (number of ids, seconds)."""
        start = time.perf_counter()
        got = self.inner.vectors(ids)
        self.calls.append((len(ids), time.perf_counter() - start))
        return got


def measure(retriever: HybridRetriever, repeats: int, k: int) -> dict[str, float]:
    """p50/p95 of retrieve() over the queries, its embed and vector-fetch calls, and Chroma and FTS5 timed alone."""
    embedder, store = retriever.embedder, retriever.store
    assert isinstance(embedder, TimedEmbedder) and isinstance(store, TimedVectors)
    for query in QUERIES[:3]:
        retriever.retrieve(query, k)  # warm caches
    totals, question, rescored, rescored_n, dense, lexical, counting = [], [], [], [], [], [], []
    for _ in range(repeats):
        for query in QUERIES:
            embedder.calls, store.calls = [], []
            t0 = time.perf_counter()
            retriever.retrieve(query, k)
            totals.append(time.perf_counter() - t0)
            question.append(embedder.calls[0][1])
            rescored.append(sum(s for _, s in store.calls) + sum(s for _, s in embedder.calls[1:]))
            rescored_n.append(sum(n for n, _ in store.calls))
            vector = embedder.inner.embed([query])[0]
            t1 = time.perf_counter()
            retriever.store.search(vector, retriever.candidates)
            t2 = time.perf_counter()
            retriever.lexical.search(query, retriever.candidates)
            t3 = time.perf_counter()
            count_matches(retriever.lexical, query)
            dense.append(t2 - t1)
            lexical.append(t3 - t2)
            counting.append(time.perf_counter() - t3)
    ms = 1000.0
    return {
        "p50": median(totals) * ms, "p95": percentile(totals, 0.95) * ms, "embed": median(question) * ms,
        "rescore": median(rescored) * ms, "rescored": sum(rescored_n) / len(rescored_n),
        "dense": median(dense) * ms, "lexical": median(lexical) * ms, "count": median(counting) * ms,
        "n": len(totals),
    }


def count_matches(lexical: LexicalIndex, question: str) -> int:
    """Rows matching any term of the question, counted without ranking (what bm25() has to score)."""
    expression = " OR ".join(f'"{t}"' for t in query_terms(question))
    return int(lexical._db.execute("SELECT count(*) FROM passages WHERE passages MATCH ?", (expression,)).fetchone()[0])


def list_ids(store: ChromaStore, lexical: LexicalIndex) -> dict[str, float]:
    """Seconds to list every id of both indexes (what a consistency check over the whole index reads)."""
    start = time.perf_counter()
    store.ids()
    middle = time.perf_counter()
    lexical.ids()
    return {"store_ids_s": middle - start, "lexical_ids_s": time.perf_counter() - middle}


def run_mode(mode: str, sizes: list[int], work: Path, pool: list[str], pool_vectors: np.ndarray | None,
             embedder: MiniLMEmbedder, repeats: int, threads: list[int]) -> list[dict[str, float]]:
    """Grow one deployment through the sizes, measuring at each."""
    server = None
    if mode == "server":
        server, url = start_chroma(work)
        store = ChromaStore("bench", url=url)
    else:
        store = ChromaStore("bench", path=work / f"{mode}-chroma")
    lexical = LexicalIndex(work / f"{mode}-lexical.sqlite")
    settings = Settings()
    timed = TimedEmbedder(embedder)
    retriever = HybridRetriever(timed, TimedVectors(store), lexical, settings.retrieval.candidates,
                                settings.retrieval.rrf_k)
    rng, have, rows = np.random.default_rng(0), 0, []
    try:
        for size in sizes:
            write_s = grow(store, lexical, have, size, pool, pool_vectors, rng)
            have = size
            assert store.count() == size and lexical.count() == size
            for count in threads:
                embedder.threads = count  # the setting embed_threads: caps BLAS threads process-wide
                with threadpool_limits(limits=count or DEFAULT_THREADS, user_api="blas"):
                    row = {"mode": mode, "size": size, "threads": count or DEFAULT_THREADS, "write_s": write_s,
                           **measure(retriever, repeats, settings.retrieval.top_k), **list_ids(store, lexical)}
                print(row, flush=True)
                rows.append(row)
            embedder.threads = 0
    finally:
        lexical.close()
        if server is not None:
            stop(server)
    return rows


def plot(rows: list[dict], path: Path) -> None:
    """p50 and p95 against index size, one line per deployment and embedder thread count."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4.0), dpi=110, sharey=True)
    series = sorted({(r["mode"], r["threads"]) for r in rows})
    for ax, key in zip(axes, ("p50", "p95"), strict=True):
        for mode, threads in series:
            mine = [r for r in rows if (r["mode"], r["threads"]) == (mode, threads)]
            style = "o-" if mode == "embedded" else "s--"
            ax.plot([r["size"] for r in mine], [r[key] for r in mine], style, label=f"{mode}, {threads} thread(s)")
        ax.axhline(50, color="grey", lw=0.8, ls=":", label="goal: p50 ≤ 50 ms (embedded, 100k)")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("chunks in the index")
        ax.set_title(f"hybrid retrieve() {key}", fontsize=10)
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("latency (ms)")
    axes[0].legend(fontsize=7)
    fig.suptitle("MiniLM question embedding + Chroma top-20 + FTS5 BM25 top-20 + RRF (shared 2-core machine)",
                 fontsize=9)
    fig.tight_layout()
    fig.savefig(path)


def goal_lines(rows: list[dict]) -> list[str]:
    """Whether p50 ≤ 50 ms at the largest size (embedded, default threads) holds, and what dominates if not."""
    largest = max(r["size"] for r in rows)
    mine = [r for r in rows if r["mode"] == "embedded" and r["size"] == largest and r["threads"] == DEFAULT_THREADS]
    if not mine:
        return []
    r = mine[0]
    if r["p50"] <= 50:
        return ["", f"Goal p50 ≤ 50 ms at {largest:,} chunks (embedded, default threads): met ({r['p50']:.1f} ms)."]
    steps = {"FTS5 BM25 top-20 (in parallel with the embedding)": r["lexical"],
             "stored vectors of BM25-only hits": r["rescore"],
             "question embedding": r["embed"], "Chroma top-20": r["dense"]}
    top = sorted(steps.items(), key=lambda kv: -kv[1])
    return [
        "",
        f"Goal p50 ≤ 50 ms at {largest:,} chunks (embedded, default threads): **missed by {r['p50'] - 50:.0f} ms** "
        f"({r['p50']:.1f} ms). Largest steps: " + ", ".join(f"{k} {v:.0f} ms" for k, v in top) + ". "
        f"FTS5 scores every row that matches any question term (OR query): counting those rows takes "
        f"{r['count']:.1f} ms, ranking them with `bm25()` {r['lexical']:.0f} ms, so the cost is bm25 per "
        "matching row, not the LIMIT. Dropping frequent terms or AND-first queries cut it to 5-11 ms in a one-off "
        "test on a 100k table built the same way, but changed 27-64 % of the BM25 top-20, so the shipped query "
        "stays exact (≤ 12 terms, `bm25()` + `LIMIT` in SQLite, nothing rebuilt per query).",
    ]


def section(args: argparse.Namespace, rows: list[dict], pool: int, load_before: str) -> str:
    """The RESULTS.md section."""
    lines = ["## Retrieval latency at scale", ""]
    lines += run_header(f".venv/bin/python bench/retrieval_latency.py --sizes {args.sizes} --modes {args.modes} "
                        f"--repeats {args.repeats} --vectors {args.vectors} --threads {args.threads}", load_before)
    vectors = ("the normalised mean of the real MiniLM vectors of its sentences (so dense and BM25 results "
               "overlap roughly as they do on real text)" if args.vectors == "mean" else "random unit vectors")
    lines += [
        f"- data: synthetic chunks of 2-6 sentences (≤ 500 characters) sampled from {pool} distinct sentences "
        f"drawn from 80 pages of the Python docs; each chunk's stored vector is {vectors}; nothing else is embedded "
        f"at build time. Queries: {len(QUERIES)} Python questions embedded by the real MiniLM, each asked "
        f"{args.repeats}× after a warm-up.",
        "- measured: `HybridRetriever.retrieve(q, 4)` = FTS5 BM25 top-20 in a worker thread while the question is "
        "embedded and Chroma searched (top-20), then RRF, then the stored Chroma vectors of the fused top-4 hits "
        "that only BM25 found (for their cosine). 'embed question' and 'stored vectors' are timed inside "
        "retrieve(); Chroma and FTS5 are timed alone right after ('count only' = counting the rows the OR query "
        "matches, without bm25()); 'all ids' = listing every chunk id of each index, which a whole-index "
        "consistency check reads on every sync. Medians in ms; 'threads' is the setting `embed_threads` (2 = "
        "its default 0, one per core); a lone question is encoded on one BLAS thread either way, so the two "
        "rows of a size differ by noise.",
        "",
        "| store | chunks | threads | p50 (ms) | p95 (ms) | embed question | stored vectors of BM25-only hits (ids) "
        "| Chroma top-20 | FTS5 top-20 (count only) | all ids: Chroma / FTS5 (s) | build (s) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r['mode']} | {r['size']:,} | {r['threads']} | {r['p50']:.1f} | {r['p95']:.1f} | "
                     f"{r['embed']:.1f} | {r['rescore']:.1f} ({r['rescored']:.1f}) | {r['dense']:.1f} | "
                     f"{r['lexical']:.1f} ({r['count']:.1f}) | "
                     f"{r['store_ids_s']:.2f} / {r['lexical_ids_s']:.2f} | {r['write_s']:.0f} |")
    lines += goal_lines(rows)
    lines += [
        "",
        "![retrieval latency](retrieval_latency.png)",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    """Run and write the section and the chart."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--modes", default="embedded,server")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--vectors", choices=["mean", "random"], default="mean")
    parser.add_argument("--threads", default="0,1", help="embedder threads to measure (0 = default)")
    args = parser.parse_args()
    offline()
    load_before = load_average()
    sizes = [int(s) for s in args.sizes.split(",")]
    pool = sentence_pool(80)
    embedder = MiniLMEmbedder(Settings().embed_batch_size)
    pool_vectors = np.asarray(embedder.embed(pool), dtype=np.float32) if args.vectors == "mean" else None
    print(f"{len(pool)} sentences in the pool", flush=True)
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        for mode in args.modes.split(","):
            (Path(tmp) / mode).mkdir()
            rows += run_mode(mode, sizes, Path(tmp) / mode, pool, pool_vectors, embedder, args.repeats,
                             [int(t) for t in args.threads.split(",")])
    plot(rows, PNG)
    text = section(args, rows, len(pool), load_before)
    print(text)
    write_section("retrieval", text)


if __name__ == "__main__":
    main()
