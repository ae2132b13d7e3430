"""A generator that chooses: it reads the best evidence sentences, numbered, and names the one that answers (or none).

The answer is then the quote of the chosen sentence, built and checked like the extractive answer, so a bigger
model improves which sentence is quoted and when the assistant abstains, while every word shown stays a quote.
"""

from __future__ import annotations

import dataclasses
import re

from assistant.answering.evidence import Evidence
from assistant.answering.reading import where_of
from assistant.models import Sentence

_CHOICE = re.compile(r"\d+")


def choice_passages(sentences: list[Sentence], count: int) -> list[tuple[int, str, str]]:
    """The best `count` sentences as (1-based choice, "Title › Section", sentence) for the prompt."""
    return [(n, where_of(s.hit.chunk, s.start), " ".join(s.text.split()))
            for n, s in enumerate(sentences[:count], start=1)]


def chosen(reply: str, count: int) -> int | None:
    """The choice a reply names: 1..count, 0 for "none answers", None when it names no valid choice."""
    match = _CHOICE.search(reply.split("\n", 1)[0]) or _CHOICE.search(reply)
    if match is None:
        return None
    choice = int(match.group())
    return choice if 0 <= choice <= count else None


def put_first(evidence: Evidence, choice: int) -> Evidence:
    """The evidence with the chosen sentence (1-based) first, the rest in their order."""
    sentences = list(evidence.sentences)
    sentences.insert(0, sentences.pop(choice - 1))
    return dataclasses.replace(evidence, sentences=sentences)
