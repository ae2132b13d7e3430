"""Draft candidate test questions from a user's own documents, for them to review and edit."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from assistant.errors import IngestError
from assistant.ingest import IngestReport, discover, source_name
from assistant.loaders import load
from assistant.text import names, numbers, split_sentences


def _blank(sentence: str) -> tuple[str, str] | None:
    """Hide the most specific fact of a sentence (a number, else the last name run) as the answer."""
    for pattern in (r"\b\d[\d,.]*\b", r"(?:[A-Z][a-z]+\s)+[A-Z][a-z]+"):
        matches = [m for m in re.finditer(pattern, sentence) if m.start() > 0]
        if matches:
            m = matches[-1]
            return sentence[: m.start()] + "____" + sentence[m.end() :], m.group(0).strip()
    return None


def drafts(paths: Iterable[Path], per_document: int = 5) -> Iterator[dict[str, Any]]:
    """Fill-in-the-blank questions with their answer and evidence span, from the most factual sentences."""
    report = IngestReport()
    for number, path in enumerate(discover(paths, report)):
        try:
            doc = load(path, source_name(path), 50 * 2**20)
        except IngestError:
            continue
        sentences = [s for s in split_sentences(doc.text) if 40 <= len(s) <= 300]
        sentences.sort(key=lambda s: len(names(s)) + 2 * len(numbers(s)), reverse=True)
        for index, sentence in enumerate(sentences[:per_document]):
            blanked = _blank(sentence)
            if blanked is None:
                continue
            question, answer = blanked
            yield {
                "id": f"draft-{number}-{index}",
                "category": "draft",
                "question": f"According to {doc.title or doc.source}, fill in the blank: {question}",
                "answers": [answer],
                "unanswerable": False,
                "evidence": [sentence],
                "history": [],
                "source": doc.source,
            }
