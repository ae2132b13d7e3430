"""One small Protocol per swappable part."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from typing import Protocol

from assistant.models import Chunk, GenerationInput, Hit


class Embedder(Protocol):
    """Turns texts into unit vectors."""

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """Embed a batch of texts."""
        ...


class Store(Protocol):
    """Holds chunks with their vectors."""

    def upsert(self, chunks: Sequence[Chunk], vectors: Sequence[Sequence[float]]) -> None:
        """Insert or replace chunks."""
        ...

    def delete(self, ids: Sequence[str]) -> None:
        """Remove chunks by id."""
        ...

    def search(self, vector: Sequence[float], k: int) -> list[Hit]:
        """Nearest chunks to a vector, best first; Hit.dense is cosine similarity."""
        ...

    def count(self) -> int:
        """Number of chunks stored."""
        ...

    def ids(self) -> set[str]:
        """All chunk ids."""
        ...

    def vectors(self, ids: Sequence[str]) -> dict[str, list[float]]:
        """Stored vectors by chunk id (ids not stored are absent)."""
        ...

    def refresh(self) -> None:
        """Reopen, to see what another process wrote."""
        ...


class Retriever(Protocol):
    """Finds passages for a question."""

    def retrieve(self, question: str, k: int, only: Collection[str] | None = None) -> list[Hit]:
        """Best passages first; with only, among those chunk ids."""
        ...


class Generator(Protocol):
    """Writes an answer from numbered evidence, as a stream of text pieces."""

    name: str

    def stream(self, data: GenerationInput) -> Iterator[str]:
        """Yield the answer text piece by piece."""
        ...
