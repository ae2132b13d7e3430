"""Sources that disagree, and sentences that are no evidence at all (instructions planted in a document).

Two documents giving different specifics for the same asked thing are both shown.

The best sentence and a near-equal one from another document disagree when both cover the question's words
equally, say nearly the same thing (close vectors), and name different specifics (names, numbers) that the
question does not. Neither document's date decides between them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from pathlib import PurePosixPath

from assistant.models import Sentence
from assistant.retrieval.hybrid import cosine
from assistant.text import content_terms, fold, names, numbers, stem
from assistant.wordlists import word_list

NEAR_SCORE = 0.9  # the other sentence scores at least this share of the best one
SAME_CLAIM = 0.5  # cosine between the two sentences: they state the same kind of thing
LOOK_AT = 6  # how many of the best sentences are compared with the first


def _specifics(text: str, asked: set[str]) -> tuple[set[str], set[str]]:
    """Names and numbers the question lacks: all, and those past the first word (capital by position: "Officials")."""
    opening = text.split(maxsplit=1)
    later = {fold(n) for n in names(opening[1] if len(opening) > 1 else "")} | numbers(text)
    every = {fold(n) for n in names(text)} | numbers(text)
    return every - asked, later - asked


def _covered(terms: set[str], text: str) -> set[str]:
    """The question's content stems that the sentence holds."""
    return terms & {stem(t) for t in content_terms(text)}


def disagreement(question: str, sentences: Sequence[Sentence], kind: str) -> tuple[Sentence, Sentence] | None:
    """The best sentence and one from another document that answers the same question differently, if any."""
    if kind == "yesno" or not sentences:
        return None
    terms = {stem(t) for t in content_terms(question)}
    asked = terms | {fold(n) for n in names(question)} | numbers(question)
    first = sentences[0]
    mine, own = _specifics(first.text, asked)
    covered = _covered(terms, first.text)
    if not own or not covered:
        return None
    for other in sentences[1:LOOK_AT]:
        if other.score < NEAR_SCORE * first.score:
            break
        if other.hit.chunk.source == first.hit.chunk.source or not covered <= _covered(terms, other.text):
            continue
        theirs, their_own = _specifics(other.text, asked)  # different specifics, none shared (a first word too)
        if their_own and not theirs & mine and cosine(first.vector, other.vector) >= SAME_CLAIM:
            return first, other
    return None


@cache
def _instruction() -> re.Pattern[str]:
    """One pattern for sentences that address the assistant (assistant/data/instructions.toml)."""
    return re.compile("|".join(f"(?:{p})" for p in word_list("instructions", "patterns")), re.IGNORECASE)


def addresses_assistant(sentence: str) -> bool:
    """An instruction planted in a document ("ignore previous instructions", "reply only with ..."): no evidence."""
    return _instruction().search(fold(sentence)) is not None


def disagreement_text(pair: tuple[Sentence, Sentence], number_of: dict[str, int]) -> str:
    """'The sources disagree: A says "…" [1]; B says "…" [2].'"""
    titles = [s.hit.chunk.title for s in pair]
    parts = []
    for sent in pair:
        chunk = sent.hit.chunk
        name = chunk.title if chunk.title and titles[0] != titles[1] else PurePosixPath(chunk.source).name
        parts.append(f"{name} says “{sent.text.strip()}” [{number_of[chunk.id]}]")
    return f"The sources disagree: {parts[0]}; {parts[1]}."
