"""Benchmark: ingest throughput per encoder on the Python 3.11 HTML docs, against today's raw PyTorch encode.

Usage: .venv/bin/python bench/ingest_throughput.py [--files 30] [--repeats 2] [--workers 1]
       [--encoders minilm,minilm-onnx,minilm-onnx-int8] [--full ENCODER]
Needs `apt-get install -y python3.11-doc`. For each encoder and repeat, on a fresh index (model loaded, ONNX graph
already built): the raw encode of the same chunk texts, a first ingest (chunks and their sentences embedded),
a re-ingest of the unchanged corpus and one after editing one file. The reference rate is
`SentenceTransformer.encode` (PyTorch fp32) on the chunk texts. `--full ENCODER` then ingests all 530 pages once
with that encoder. Writes the `ingest` section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from benchkit import copy_files, doc_files, load_average, median, offline, run_header, write_section

from assistant import components  # noqa: F401 - registers the encoders and the store
from assistant.adapters.minilm_embedder import packaged_model_path
from assistant.ingest.pipeline import Ingestor
from assistant.protocols import Embedder
from assistant.registry import EMBEDDERS, STORES
from assistant.retrieval.lexical import LexicalIndex
from assistant.settings import Settings

ENCODERS = "minilm,minilm-onnx,minilm-onnx-int8"


def cpu_seconds() -> float:
    """CPU time of this process (all threads) and of its finished children (the parse workers)."""
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def timed(work: Callable[[], Any]) -> tuple[Any, float]:
    """(result, wall seconds) of a call."""
    wall = time.perf_counter()
    result = work()
    return result, time.perf_counter() - wall


def edit_one(corpus: Path, n: int) -> Path:
    """Append a paragraph to one mid-sized page."""
    pages = sorted(corpus.rglob("*.html"), key=lambda p: p.stat().st_size)
    page = pages[len(pages) // 2]
    text = page.read_text(encoding="utf-8")
    page.write_text(text.replace("</body>", f"<p>Benchmark edit number {n}: nothing else changed.</p></body>"))
    return page


def make_ingestor(settings: Settings, embedder: Embedder) -> Ingestor:
    """An ingestor over a fresh index."""
    lexical = LexicalIndex(settings.index_dir / "lexical.sqlite")
    return Ingestor(settings, embedder, STORES.create("chroma", settings), lexical)


def one_repeat(corpus: Path, settings: Settings, embedder: Embedder, raw: Callable[[], Any], n: int) -> dict:
    """Raw encode and the three ingests on a fresh index."""
    ingestor = make_ingestor(settings, embedder)
    row: dict[str, float] = {}
    _, row["raw_s"] = timed(raw)
    cpu = cpu_seconds()
    report, row["first_s"] = timed(lambda: ingestor.run([corpus], progress=False))
    row["first_cpu"] = cpu_seconds() - cpu
    row["chunks"], row["files"] = report.chunks, report.indexed
    row["sentences"] = len(ingestor.lexical.sentence_vectors(sorted(ingestor.lexical.ids())))
    again = ingestor.run([corpus], progress=False)
    assert again.indexed == 0 and again.unchanged == report.indexed, again.summary()
    row["unchanged_s"] = again.seconds
    edit_one(corpus, n)
    changed = ingestor.run([corpus], progress=False)
    assert changed.indexed == 1, changed.summary()
    row["one_changed_s"] = changed.seconds
    ingestor.lexical.close()
    return row


def raw_encode(name: str, reference: Any, embedder: Embedder, texts: list[str]) -> Any:
    """The encoder alone on the chunk texts; for `minilm`, today's raw PyTorch encode (the reference rate)."""
    if name == "minilm":
        return reference.encode(texts, batch_size=64, normalize_embeddings=True)
    return embedder.embed(texts)


def chunk_texts(corpus: Path, settings: Settings) -> list[str]:
    """The chunk texts ingest will embed (same loader and splitter), computed outside any timing."""
    from assistant.ingest.loaders import load
    from assistant.ingest.pipeline import IngestReport, discover, source_name
    from assistant.ingest.splitter import split

    texts = []
    for path in discover([corpus], IngestReport()):
        doc = load(path, source_name(path), int(settings.max_file_mb * 2**20))
        texts.extend(c.text for c in split(doc, settings.chunk_size, settings.chunk_overlap_sentences))
    return texts


def measure(name: str, args: argparse.Namespace, files: list[Path], work: Path, reference: Any) -> list[dict]:
    """All repeats for one encoder."""
    cache = Settings(index_dir=work / "shared", embedder=name, ingest_sentence_vectors=args.sentence_vectors == "on")
    embedder = EMBEDDERS.create(name, cache)  # an ONNX graph is cached in work/shared/encoders, used by every repeat
    embedder.embed(["warm up"])  # loads the model; builds the ONNX graph once
    rows = []
    for n in range(args.repeats):
        corpus = copy_files(files, work / f"docs-{name}-{n}")
        texts = chunk_texts(corpus, cache)
        settings = cache.model_copy(update={"index_dir": work / f"index-{name}-{n}", "ingest_workers": args.workers})
        row = one_repeat(corpus, settings, embedder, partial(raw_encode, name, reference, embedder, texts), n)
        row["texts"] = len(texts)
        rows.append(row)
        print(f"{name} repeat {n}: {row}", flush=True)
    return rows


def full_run(name: str, work: Path, args: argparse.Namespace) -> dict[str, float]:
    """Ingest all 530 pages once with one encoder (its graph cached in work/shared, already built)."""
    settings = Settings(index_dir=work / "full", embedder=name, ingest_workers=1,
                        ingest_sentence_vectors=args.sentence_vectors == "on")
    embedder = EMBEDDERS.create(name, settings.model_copy(update={"index_dir": work / "shared"}))
    embedder.embed(["warm up"])
    corpus = copy_files(doc_files(None), work / "docs-full")
    ingestor = make_ingestor(settings, embedder)
    report, seconds = timed(lambda: ingestor.run([corpus], progress=True))
    again = ingestor.run([corpus], progress=False)
    return {"files": report.indexed, "chunks": report.chunks, "seconds": seconds, "unchanged_s": again.seconds}


def report(args: argparse.Namespace, results: dict[str, list[dict]], full: dict | None, size_mb: float,
           load_before: str) -> str:
    """The RESULTS.md section."""
    base = median([r["texts"] / r["raw_s"] for r in results["minilm"]]) if "minilm" in results else float("nan")
    first = next(iter(results.values()))[0]
    lines = ["## Ingest throughput per encoder (Python 3.11 HTML docs)", ""]
    lines += run_header(f".venv/bin/python bench/ingest_throughput.py --files {args.files} --repeats "
                        f"{args.repeats} --encoders {args.encoders} --sentence-vectors {args.sentence_vectors}"
                        + (f" --full {args.full}" if args.full else ""),
                        load_before)
    lines += [
        f"- corpus: {int(first['files'])} of the 530 pages of `/usr/share/doc/python3.11/html` (Debian "
        f"`python3.11-doc`), evenly spaced, {size_mb:.1f} MB of HTML, {int(first['chunks'])} chunks and "
        f"{int(first['sentences'])} stored sentence vectors; medians of {args.repeats} repeats per encoder, each on "
        "a fresh index with the model loaded; the reference is PyTorch `SentenceTransformer.encode` of the chunk "
        "texts (batch 64)",
        "- first ingest = discover, hash, parse (one worker process), split, embed the chunks"
        + (" **and each chunk's sentences** (stored for answering)" if args.sentence_vectors == "on" else
           " only (sentence vectors are stored later, as answering first embeds them)") + ", write Chroma + FTS5",
        "",
        "| encoder | raw encode, chunks/s | × PyTorch raw | first ingest, chunks/s | × PyTorch raw | ingest CPU s "
        "| unchanged re-ingest | one page edited |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, rows in results.items():
        raw = median([r["texts"] / r["raw_s"] for r in rows])
        ingest = median([r["chunks"] / r["first_s"] for r in rows])
        speedup = median([r["first_s"] / r["unchanged_s"] for r in rows])
        lines.append(
            f"| `{name}` | {raw:.1f} | {raw / base:.2f}× | {ingest:.1f} | {ingest / base:.2f}× | "
            f"{median([r['first_cpu'] for r in rows]):.0f} | {median([r['unchanged_s'] for r in rows]):.3f} s "
            f"({speedup:.0f}× faster) | {median([r['one_changed_s'] for r in rows]):.2f} s |"
        )
    if full:
        lines += ["", f"Full corpus with `{args.full}`: {full['files']} pages, {full['chunks']} chunks in "
                  f"{full['seconds'] / 60:.1f} min ({full['chunks'] / full['seconds']:.1f} chunks/s, "
                  f"{full['chunks'] / full['seconds'] / base:.2f}× the PyTorch raw rate); re-ingest unchanged "
                  f"{full['unchanged_s']:.2f} s ({full['seconds'] / full['unchanged_s']:.0f}× faster)."]
    lines += ["", "Goals (issue 15): first ingest ≥ 2.5× the PyTorch raw encode rate, the full corpus in ≤ 8 min, "
              "unchanged re-ingest ≥ 50× faster than the first."]
    return "\n".join(lines)


def main() -> None:
    """Run and write the section."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=30, help="pages of the docs to ingest (530 = all)")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--workers", type=int, default=Settings().ingest_workers, help="parse processes")
    parser.add_argument("--encoders", default=ENCODERS)
    parser.add_argument("--full", default=None, help="an encoder to ingest the whole docs with, once")
    parser.add_argument("--sentence-vectors", choices=["on", "off"], default="on",
                        help="embed and store each chunk's sentences at ingest (the setting ingest_sentence_vectors)")
    args = parser.parse_args()
    offline()
    load_before = load_average()
    from sentence_transformers import SentenceTransformer

    reference = SentenceTransformer(packaged_model_path(), device="cpu", local_files_only=True)
    reference.encode(["warm up"])
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        files = doc_files(args.files)
        size_mb = sum(p.stat().st_size for p in files) / 1e6
        results = {name: measure(name, args, files, work, reference) for name in args.encoders.split(",")}
        full = full_run(args.full, work, args) if args.full else None
    section = report(args, results, full, size_mb, load_before)
    print(section)
    write_section(f"ingest-sentences-{args.sentence_vectors}", section)


if __name__ == "__main__":
    main()
