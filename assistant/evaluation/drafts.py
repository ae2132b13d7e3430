"""Draft candidate test questions from a user's own documents, for them to review and edit."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from assistant.answering.entities import persons
from assistant.errors import IngestError
from assistant.ingest.loaders import load
from assistant.ingest.pipeline import IngestReport, discover, source_name
from assistant.text import names, numbers, split_sentences

_FULL_STOP = re.compile(r"[.!?][\"'”’)]*$")


def _person(sentence: str) -> tuple[int, int] | None:
    """Span of the last person the sentence names as first + last name (longer runs are often not people)."""
    for person in reversed(persons(sentence)):
        if len(person) != 2 and not (len(person) == 3 and len(person[1]) == 1):  # "Peter J. Hale" is fine
            continue
        pattern = r"\b" + r"\.?\s+".join(re.escape(token) for token in person) + r"\b"
        match = re.search(pattern, sentence, re.I)
        if match and match.start() > 0:
            return match.span()
    return None


def _last(pattern: str, sentence: str) -> tuple[int, int] | None:
    """Span of the last match that does not open the sentence."""
    found = [m.span() for m in re.finditer(pattern, sentence) if m.start() > 0]
    return found[-1] if found else None


def _blank(sentence: str) -> tuple[str, list[str]] | None:
    """Hide the most specific fact of a sentence (a person, else a number, else a name run) as the answer."""
    person = _person(sentence)
    span = person or _last(r"\b\d[\d,.]*\d\b|\b\d\b", sentence) or _last(r"(?:[A-Z][a-z]+\s)+[A-Z][a-z]+", sentence)
    if span is None:
        return None
    answer = sentence[span[0] : span[1]]
    accepted = [answer, answer.split()[-1]] if person else [answer]  # a person may be named by surname alone
    return sentence[: span[0]] + "____" + sentence[span[1] :], accepted


def _candidate(sentence: str, title: str) -> bool:
    """A full, factual sentence: not a heading, link line or the title."""
    return (
        40 <= len(sentence) <= 300
        and bool(_FULL_STOP.search(sentence))
        and "://" not in sentence
        and "www." not in sentence
        and sentence.strip() != title.strip()
    )


def drafts(paths: Iterable[Path], per_document: int = 5) -> Iterator[dict[str, Any]]:
    """Fill-in-the-blank questions with their answer and evidence span, from the most factual sentences."""
    report = IngestReport()
    for number, path in enumerate(discover(paths, report)):
        try:
            doc = load(path, source_name(path), 50 * 2**20)
        except IngestError:
            continue
        sentences = [s for s in split_sentences(doc.text) if _candidate(s, doc.title)]
        sentences.sort(key=lambda s: len(names(s)) + 2 * len(numbers(s)), reverse=True)
        for index, sentence in enumerate(sentences[:per_document]):
            blanked = _blank(sentence)
            if blanked is None:
                continue
            question, answers = blanked
            yield {
                "id": f"draft-{number}-{index}",
                "category": "draft",
                "question": f"According to {doc.title or doc.source}, fill in the blank: {question}",
                "answers": answers,
                "unanswerable": False,
                "evidence": [sentence],
                "history": [],
                "source": doc.source,
            }
