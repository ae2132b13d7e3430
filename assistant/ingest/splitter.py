"""Sentence-aware chunking with character offsets into the document text."""

from __future__ import annotations

import hashlib

from assistant.models import Chunk, Document
from assistant.text import sentence_spans


def chunk_id(source: str, text: str, occurrence: int) -> str:
    """Stable id from source and content (occurrence separates identical passages)."""
    digest = hashlib.sha256(f"{source}\0{text}\0{occurrence}".encode()).hexdigest()
    return digest[:32]


def _groups(spans: list[tuple[int, int]], size: int, overlap: int) -> list[tuple[int, int]]:
    """Group sentence spans into windows of about `size` characters with sentence overlap."""
    windows: list[tuple[int, int]] = []
    i = 0
    while i < len(spans):
        j = i
        while j + 1 < len(spans) and spans[j + 1][1] - spans[i][0] <= size:
            j += 1
        windows.append((spans[i][0], spans[j][1]))
        if j + 1 >= len(spans):
            break
        i = max(i + 1, j + 1 - overlap)
    return windows


def _bounded(text: str, spans: list[tuple[int, int]], size: int) -> list[tuple[int, int]]:
    """Cut sentences longer than `size` at whitespace (or hard) so no chunk grows without bound."""
    out: list[tuple[int, int]] = []
    for start, end in spans:
        while end - start > size:
            cut = text.rfind(" ", start + size // 2, start + size)
            cut = cut if cut > start else start + size
            out.append((start, cut))
            start = cut
            while start < end and text[start].isspace():
                start += 1
        if end > start:
            out.append((start, end))
    return out


def split(doc: Document, size: int = 500, overlap: int = 1) -> list[Chunk]:
    """Split a document into chunks whose text equals doc.text[start:end]."""
    spans = _bounded(doc.text, sentence_spans(doc.text), size)
    chunks: list[Chunk] = []
    seen: dict[str, int] = {}
    for start, end in _groups(spans, size, overlap):
        text = doc.text[start:end]
        occurrence = seen.get(text, 0)
        seen[text] = occurrence + 1
        chunks.append(
            Chunk(
                id=chunk_id(doc.source, text, occurrence),
                source=doc.source,
                text=text,
                start=start,
                end=end,
                title=doc.title,
                date=doc.date,
                url=doc.url,
                page=doc.page_at(start),
                outline=doc.outline(start, end),
            )
        )
    return chunks
