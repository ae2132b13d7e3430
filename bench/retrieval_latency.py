"""Benchmark: hybrid retrieval latency at 1k, 10k and 100k chunks, embedded Chroma and a Chroma server.

Usage: .venv/bin/python bench/retrieval_latency.py [--sizes 1000,10000,100000] [--modes embedded,server]
       [--repeats 3] [--vectors mean|random]
Needs `apt-get install -y python3.11-doc`. Chunk texts are synthesised from sentences sampled from the Python
docs; their stored vectors are (mean, default) the normalised mean of the real MiniLM vectors of their
sentences, or (random) random unit vectors. Queries are embedded by the real embedder. Writes the `retrieval`
section of bench/RESULTS.md and bench/retrieval_latency.png.
"""

from __future__ import annotations

import argparse
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

from assistant.adapters.chroma_store import ChromaStore
from assistant.adapters.minilm_embedder import MiniLMEmbedder
from assistant.lexical import LexicalIndex
from assistant.loaders import load
from assistant.models import Chunk
from assistant.retriever import HybridRetriever
from assistant.settings import Settings
from assistant.text import sentence_spans

PNG = ROOT / "bench" / "retrieval_latency.png"
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


def measure(retriever: HybridRetriever, repeats: int, k: int) -> dict[str, float]:
    """p50/p95 of retrieve() over the queries, and the median of each step alone."""
    for query in QUERIES[:3]:
        retriever.retrieve(query, k)  # warm caches
    totals, embed, dense, lexical = [], [], [], []
    for _ in range(repeats):
        for query in QUERIES:
            t0 = time.perf_counter()
            retriever.retrieve(query, k)
            t1 = time.perf_counter()
            vector = retriever.embedder.embed([query])[0]
            t2 = time.perf_counter()
            retriever.store.search(vector, retriever.candidates)
            t3 = time.perf_counter()
            retriever.lexical.search(query, retriever.candidates)
            t4 = time.perf_counter()
            totals.append(t1 - t0)
            embed.append(t2 - t1)
            dense.append(t3 - t2)
            lexical.append(t4 - t3)
    ms = 1000.0
    return {
        "p50": median(totals) * ms, "p95": percentile(totals, 0.95) * ms, "embed": median(embed) * ms,
        "dense": median(dense) * ms, "lexical": median(lexical) * ms, "n": len(totals),
    }


def run_mode(mode: str, sizes: list[int], work: Path, pool: list[str], pool_vectors: np.ndarray | None,
             embedder: MiniLMEmbedder, repeats: int) -> list[dict[str, float]]:
    """Grow one deployment through the sizes, measuring at each."""
    server = None
    if mode == "server":
        server, url = start_chroma(work)
        store = ChromaStore("bench", url=url)
    else:
        store = ChromaStore("bench", path=work / f"{mode}-chroma")
    lexical = LexicalIndex(work / f"{mode}-lexical.sqlite")
    settings = Settings()
    retriever = HybridRetriever(embedder, store, lexical, settings.retrieval.candidates, settings.retrieval.rrf_k)
    rng, have, rows = np.random.default_rng(0), 0, []
    try:
        for size in sizes:
            write_s = grow(store, lexical, have, size, pool, pool_vectors, rng)
            have = size
            assert store.count() == size and lexical.count() == size
            row = {"mode": mode, "size": size, "write_s": write_s, **measure(retriever, repeats,
                                                                              settings.retrieval.top_k)}
            print(row, flush=True)
            rows.append(row)
    finally:
        lexical.close()
        if server is not None:
            stop(server)
    return rows


def plot(rows: list[dict], path: Path) -> None:
    """Latency against index size, one line per deployment and percentile."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=110)
    for mode, colour in (("embedded", "tab:blue"), ("server", "tab:orange")):
        mine = [r for r in rows if r["mode"] == mode]
        if not mine:
            continue
        sizes = [r["size"] for r in mine]
        ax.plot(sizes, [r["p50"] for r in mine], "o-", color=colour, label=f"{mode} p50")
        ax.plot(sizes, [r["p95"] for r in mine], "s--", color=colour, alpha=0.6, label=f"{mode} p95")
    ax.axhline(50, color="grey", lw=0.8, ls=":", label="goal: p50 ≤ 50 ms (embedded, 100k)")
    ax.set_xscale("log")
    ax.set_xlabel("chunks in the index")
    ax.set_ylabel("hybrid retrieve() latency (ms)")
    ax.set_title("Hybrid retrieval latency (MiniLM query + Chroma + FTS5, top-20 each, RRF)")
    ax.title.set_fontsize(9)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)


def section(args: argparse.Namespace, rows: list[dict], pool: int, load_before: str) -> str:
    """The RESULTS.md section."""
    lines = ["## Retrieval latency at scale", ""]
    lines += run_header(f".venv/bin/python bench/retrieval_latency.py --sizes {args.sizes} --modes {args.modes} "
                        f"--repeats {args.repeats} --vectors {args.vectors}", load_before)
    vectors = ("the normalised mean of the real MiniLM vectors of its sentences (so dense and BM25 results "
               "overlap roughly as they do on real text)" if args.vectors == "mean" else "random unit vectors")
    lines += [
        f"- data: synthetic chunks of 2-6 sentences (≤ 500 characters) sampled from {pool} distinct sentences "
        f"drawn from 80 pages of the Python docs; each chunk's stored vector is {vectors}; nothing else is embedded "
        f"at build time. Queries: {len(QUERIES)} Python questions embedded by the real MiniLM, each asked "
        f"{args.repeats}× after a warm-up.",
        "- measured: `HybridRetriever.retrieve(q, 4)` = query embedding + Chroma top-20 + FTS5 BM25 top-20 + "
        "RRF, plus re-embedding of fused top-4 hits that only BM25 found; the step columns are medians of "
        "each step timed alone.",
        "",
        "| store | chunks | p50 (ms) | p95 (ms) | embed query | Chroma top-20 | FTS5 top-20 | build (s) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r['mode']} | {r['size']:,} | {r['p50']:.1f} | {r['p95']:.1f} | {r['embed']:.1f} | "
                     f"{r['dense']:.1f} | {r['lexical']:.1f} | {r['write_s']:.0f} |")
    lines += ["", "![retrieval latency](retrieval_latency.png)", ""]
    return "\n".join(lines)


def main() -> None:
    """Run and write the section and the chart."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--modes", default="embedded,server")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--vectors", choices=["mean", "random"], default="mean")
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
            rows += run_mode(mode, sizes, Path(tmp) / mode, pool, pool_vectors, embedder, args.repeats)
    plot(rows, PNG)
    text = section(args, rows, len(pool), load_before)
    print(text)
    write_section("retrieval", text)


if __name__ == "__main__":
    main()
