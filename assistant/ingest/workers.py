"""Parse files (load and split) in worker processes while the main process embeds; workers never outlive it."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import IngestError
from assistant.ingest.loaders import PdfLimits, load
from assistant.ingest.splitter import split
from assistant.models import Chunk, Document

POOL_MIN_FILES = 16  # fewer changed files than this are loaded in-process (a worker costs ~1 s to start)
PREFETCH_PER_WORKER = 32  # files parsed ahead while a group is being embedded
PARENT_CHECK_S = 0.5  # how often a worker looks whether the ingest that started it is still alive


@dataclass
class Prepared:
    """A loaded and split file, ready to embed."""

    doc: Document
    chunks: list[Chunk]


@dataclass(frozen=True)
class ParseOptions:
    """What a worker needs to load and split a file."""

    max_bytes: int
    chunk_size: int
    overlap: int
    pdf: PdfLimits = PdfLimits()  # pages and page content a PDF may hold


def prepare(path: Path, source: str, options: ParseOptions) -> Prepared | IngestError:
    """Load and split one file (runs in a worker process for large syncs); a bad file gives its error."""
    try:
        doc = load(path, source, options.max_bytes, options.pdf)
    except IngestError as exc:
        return exc
    return Prepared(doc, split(doc, options.chunk_size, options.overlap))


def _watch_parent(parent: int) -> None:
    """Exit when the parent is gone (killed with -9 it cannot stop us; we would wait on its queue for good)."""
    while os.getppid() == parent:
        threading.Event().wait(PARENT_CHECK_S)
    os._exit(0)


def worker_init(parent: int) -> None:
    """Workers leave Ctrl-C to the main process, which stops them, and end when it dies."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_watch_parent, args=(parent,), name="parent-watch", daemon=True).start()


def prepare_all(
    jobs: list[tuple[Path, str]], options: ParseOptions, workers: int
) -> Iterator[tuple[str, Prepared | IngestError]]:
    """Prepared files in order; with workers > 0 and many files, parsing overlaps embedding in other processes."""
    if workers <= 0 or len(jobs) < POOL_MIN_FILES:
        for path, source in jobs:
            yield source, prepare(path, source, options)
        return
    context = multiprocessing.get_context("spawn")  # never fork a process that runs torch threads
    with ProcessPoolExecutor(workers, mp_context=context, initializer=worker_init, initargs=(os.getpid(),)) as pool:
        pending: deque[tuple[str, Future[Prepared | IngestError]]] = deque()
        queue = iter(jobs)
        try:
            while True:
                while len(pending) < workers * PREFETCH_PER_WORKER and (job := next(queue, None)):
                    pending.append((job[1], pool.submit(prepare, job[0], job[1], options)))
                if not pending:
                    return
                source, future = pending.popleft()
                yield source, future.result()
        finally:
            for _, future in pending:
                future.cancel()
