"""Indexing beside answering: uploads and removals write through their own SQLite connection and vector-store
client, so an answer running meanwhile never shares a transaction with them. The ingest lock keeps writers one at
a time; the answering side sees each committed change (it follows the index's change counter)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from assistant.ingest.pipeline import Ingestor
from assistant.registry import STORES
from assistant.retrieval.lexical import LexicalIndex

if TYPE_CHECKING:
    from assistant.service import Assistant

@contextmanager
def writer(assistant: Assistant) -> Iterator[Ingestor]:
    """An Ingestor over the assistant's index with connections of its own (the embedder is shared)."""
    settings = assistant.settings
    lexical = LexicalIndex(assistant.lexical.path)
    try:
        yield Ingestor(settings, assistant.embedder, STORES.create(settings.store, settings), lexical)
    finally:
        lexical.close()
