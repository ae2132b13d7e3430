"""Dataclasses passed between pipeline steps."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


def heading_stack(headings: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """The headings still open after these (in text order): each closes the deeper and equal ones before it."""
    stack: list[tuple[int, int, str]] = []
    for heading in headings:
        stack = [h for h in stack if h[1] < heading[1]] + [heading]
    return stack


@dataclass
class Document:
    """One extracted document: clean text plus metadata."""

    source: str
    text: str
    title: str = ""
    date: str = ""
    url: str = ""
    content_hash: str = ""
    # (page number, start offset) pairs for paged formats such as PDF
    pages: list[tuple[int, int]] = field(default_factory=list)
    # (start offset, level, title) of each heading, in text order
    headings: list[tuple[int, int, str]] = field(default_factory=list)

    def outline(self, start: int, end: int) -> list[tuple[int, int, str]]:
        """The headings in force at start (the section stack) and those inside [start, end)."""
        before = heading_stack([h for h in self.headings if h[0] < start])
        return before + [h for h in self.headings if start <= h[0] < end]

    def page_at(self, offset: int) -> int | None:
        """The page number that holds the character at offset, if paged."""
        page = None
        for number, start in self.pages:
            if start <= offset:
                page = number
        return page


@dataclass
class Chunk:
    """A passage of a document; text == document.text[start:end]."""

    id: str
    source: str
    text: str
    start: int
    end: int
    title: str = ""
    date: str = ""
    url: str = ""
    page: int | None = None
    # headings in force at the chunk's start and inside it: (document offset, level, title)
    outline: list[tuple[int, int, str]] = field(default_factory=list)

    def section_at(self, offset: int) -> str:
        """The section path at a document offset within the chunk ("Modules › Packages")."""
        return " › ".join(h[2] for h in heading_stack([h for h in self.outline if h[0] <= offset]))

    def is_heading(self, offset: int) -> bool:
        """A heading starts at this document offset."""
        return any(h[0] == offset for h in self.outline)

    def metadata(self) -> dict[str, Any]:
        """Flat metadata for the stores (no None values)."""
        meta: dict[str, Any] = {
            "source": self.source,
            "start": self.start,
            "end": self.end,
            "title": self.title,
            "date": self.date,
            "url": self.url,
        }
        if self.page is not None:
            meta["page"] = self.page
        if self.outline:
            meta["outline"] = json.dumps(self.outline)
        return meta

    @classmethod
    def from_metadata(cls, chunk_id: str, text: str, meta: dict[str, Any]) -> Chunk:
        """Rebuild a chunk from store metadata."""
        return cls(
            id=chunk_id,
            source=str(meta.get("source", "")),
            text=text,
            start=int(meta.get("start", 0)),
            end=int(meta.get("end", 0)),
            title=str(meta.get("title", "")),
            date=str(meta.get("date", "")),
            url=str(meta.get("url", "")),
            page=int(meta["page"]) if "page" in meta else None,
            outline=[(int(o), int(lv), str(t)) for o, lv, t in json.loads(meta.get("outline", "[]"))],
        )


@dataclass
class Hit:
    """A retrieved chunk with its scores."""

    chunk: Chunk
    score: float  # fused score used for ranking
    dense: float = 0.0  # cosine similarity to the question
    lexical_rank: int | None = None


@dataclass
class Sentence:
    """A sentence inside a retrieved chunk, with offsets into the document text."""

    text: str
    start: int
    end: int
    hit: Hit
    score: float = 0.0
    vector: list[float] = field(default_factory=list, repr=False)


@dataclass
class Citation:
    """A numbered passage cited by the answer."""

    id: int
    chunk: Chunk
    score: float
    quote_start: int | None = None  # the supporting sentence inside the document
    quote_end: int | None = None

    def quote(self) -> str:
        """The supporting sentence, or the whole passage when none was marked."""
        if self.quote_start is None or self.quote_end is None:
            return self.chunk.text
        return self.chunk.text[max(0, self.quote_start - self.chunk.start) : max(0, self.quote_end - self.chunk.start)]

    @property
    def section(self) -> str:
        """The section path where the supporting sentence (or the passage) sits."""
        return self.chunk.section_at(self.quote_start if self.quote_start is not None else self.chunk.start)

    def to_dict(self) -> dict[str, Any]:
        """JSON shape of a citation."""
        return {
            "id": self.id,
            "source": self.chunk.source,
            "title": self.chunk.title,
            "section": self.section,
            "text": self.chunk.text,
            "start": self.chunk.start,
            "end": self.chunk.end,
            "score": round(float(self.score), 4),
        }


@dataclass
class Answer:
    """The verified answer the user sees."""

    question: str
    answer: str
    abstained: bool
    citations: list[Citation] = field(default_factory=list)
    backend: str = ""
    timings_ms: dict[str, float] = field(default_factory=dict)
    standalone_question: str = ""
    notes: list[str] = field(default_factory=list)
    draft: str = ""  # the generator's raw text before verification
    retrieved: list[Hit] = field(default_factory=list, repr=False)  # what retrieval returned, best first
    tokens: int | None = None  # completion tokens the generator reports producing (None: not reported)
    prompt_tokens: int | None = None  # prompt tokens the generator reports reading (None: not reported)
    fallback: bool = False  # the generator failed, so quoted evidence is shown instead
    # what the verifier did with the draft: kept, corrected (sentences dropped), replaced (by quotes),
    # abstained (the generator said the documents don't answer), failed (the generator failed: quotes shown),
    # or "" (no draft was written)
    draft_outcome: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON shape shared by the CLI, the Python API and the HTTP API."""
        return {
            "question": self.question,
            "answer": self.answer,
            "abstained": self.abstained,
            "citations": [c.to_dict() for c in self.citations],
            "backend": self.backend,
            "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()},
        }


@dataclass
class GenerationInput:
    """The question and numbered evidence sentences, best first."""

    question: str
    evidence: list[tuple[int, str]]  # (citation number, sentence)
    kind: str = "other"
    history: list[dict[str, str]] = field(default_factory=list)
    # set by the generator once it has finished: completion tokens it produced (None when it does not know)
    completion_tokens: int | None = None
    prompt_tokens: int | None = None  # likewise, the prompt tokens it read
    # whole retrieved passages (citation number, "Title › Section", text) for a generator that reads them
    passages: list[tuple[int, str, str]] = field(default_factory=list)

    def sources_block(self) -> str:
        """Numbered sources for a prompt: the passages with their headings when given, else the sentences."""
        if self.passages:
            return "\n\n".join(f"[{n}] ({where})\n{text}" if where else f"[{n}]\n{text}"
                                 for n, where, text in self.passages)
        return "\n".join(f"[{n}] {text}" for n, text in self.evidence)
