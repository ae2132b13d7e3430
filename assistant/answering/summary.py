"""Document-level questions (a summary, the main points, what a document is about) from its own key sentences."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from assistant.answering.evidence import candidate_sentences
from assistant.models import Chunk, Hit, Sentence
from assistant.protocols import Embedder
from assistant.text import stem, words
from assistant.wordlists import word_list, word_set

_COUNT = re.compile(
    r"\b(one|two|three|four|five|six|seven|\d{1,2})\s+(?:\w+\s+)?(sentences?|points?|bullets?|ideas?|lines?|takeaways?)\b",
    re.I,
)
_NUMBERS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7}
_POINTS = re.compile(r"\b(points?|bullets?|ideas?|takeaways?|findings|topics?|messages?)\b", re.I)
MAX_SENTENCES = 7


@dataclass
class Overview:
    """What an overview question asks for: how many sentences, as points or prose, and any subject words."""

    count: int
    points: bool
    subject: list[str]


@cache
def _patterns() -> tuple[re.Pattern[str], ...]:
    """The overview question patterns of the data file, compiled once."""
    return tuple(re.compile(p, re.I) for p in word_list("questions", "overview_patterns"))


def overview_request(question: str) -> Overview | None:
    """The overview a question asks for ("summarize the guide in two sentences"), or None for other questions."""
    if not any(p.search(question) for p in _patterns()):
        return None
    points = bool(_POINTS.search(question))
    count = 5 if points else 3
    if match := _COUNT.search(question):
        raw = match.group(1).lower()
        count = _NUMBERS.get(raw) or int(raw)
    filler = word_set("questions", "overview_filler")
    subject = [w for w in words(question) if w.lower() not in filler and not w.isdigit()]
    return Overview(max(1, min(count, MAX_SENTENCES)), points, subject)


def _readable(text: str, least: int = 10) -> bool:
    """A sentence that can stand in a summary: prose of a sensible length, not code, a fragment or a lead-in."""
    plain = " ".join(text.split())
    n = len(plain.split())
    if not least <= n <= 50 or not re.search(r"[^\d\s][.!][\"'”’)]?$", plain) or not plain[:1].isupper():
        return False  # headlines, captions, lead-ins and fragments say too little on their own
    letters = sum(c.isalpha() or c.isspace() for c in plain)
    return letters / len(plain) >= 0.85 and not re.search(r"(^|\s)(>>>|\$|#|//)\s", plain)


def _leans(text: str) -> bool:
    """The sentence opens with a word that points back to an earlier sentence."""
    opening = " ".join(w.lower() for w in words(text)[:2])
    return any(opening == w or opening.startswith(w + " ") for w in word_list("questions", "leaning_openers"))


def _sample(sentences: list[Sentence], budget: int) -> list[Sentence]:
    """At most budget sentences: the opening ones and an even spread over the rest of the document."""
    if len(sentences) <= budget:
        return sentences
    lead = budget // 4
    rest = sentences[lead:]
    step = len(rest) / (budget - lead)
    return sentences[:lead] + [rest[int(i * step)] for i in range(budget - lead)]


def key_sentences(chunks: Sequence[Chunk], count: int, embedder: Embedder, budget: int = 150) -> list[Sentence]:
    """The document's most central, mutually different sentences, in document order."""
    hits = [Hit(chunk=c, score=0.0, dense=0.0) for c in sorted(chunks, key=lambda c: c.start)]
    candidates = candidate_sentences(hits)
    readable = [s for s in candidates if _readable(s.text)] or [s for s in candidates if _readable(s.text, 5)]
    pool = _sample(readable, budget)  # a short document's sentences may all be short
    if not pool:
        return []
    vectors = np.asarray(embedder.embed([" ".join(s.text.split()) for s in pool]), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-12
    centroid = vectors.mean(axis=0)
    centrality = vectors @ (centroid / (np.linalg.norm(centroid) + 1e-12))
    lead = 0.1 * (1.0 - np.arange(len(pool)) / len(pool))  # openings tend to say what a document is
    leaning = np.asarray([0.3 * _leans(s.text) for s in pool])  # "It ..." needs the sentence before it
    score = centrality + lead - leaning
    chosen: list[int] = []
    for _ in range(min(count, len(pool))):
        penalty = np.max(vectors @ vectors[chosen].T, axis=1) if chosen else np.zeros(len(pool))
        ranked = np.where(penalty > 0.85, -np.inf, score - 0.5 * penalty)  # near-repeats never twice
        ranked[chosen] = -np.inf
        best = int(np.argmax(ranked))
        if not np.isfinite(ranked[best]):
            break
        chosen.append(best)
    return [pool[i] for i in sorted(chosen)]


def overview_text(sentences: Sequence[Sentence], points: bool) -> str:
    """The sentences with a \x00n\x00 marker each (numbered later), as prose or as a list of points."""
    parts = [f"{' '.join(s.text.split())} \x00{i}\x00" for i, s in enumerate(sentences)]
    return "\n".join(f"- {p}" for p in parts) if points else " ".join(parts)


def which_document(known: Sequence[str], titles: dict[str, str], shown: int = 5) -> str:
    """The question back to the user when an overview could be of any of several documents."""
    listed = "; ".join(f"“{titles.get(s, Path(s).name)}”" for s in known[:shown])
    more = f" and {len(known) - shown} more" if len(known) > shown else ""
    return (
        f"Which document should I summarise? {len(known)} are indexed ({listed}{more}). Pick one with the document "
        "filter (or --source on the command line), or name its subject in the question."
    )


def title_match(subject: Sequence[str], titles: dict[str, str]) -> str | None:
    """The one document whose title holds most of the subject words (None when none or a tie)."""
    wanted = {stem(w.lower()) for w in subject}
    if not wanted:
        return None
    share = {src: len(wanted & {stem(w.lower()) for w in words(t)}) / len(wanted) for src, t in titles.items()}
    best = max(share.values(), default=0.0)
    top = [src for src, v in share.items() if v == best]
    return top[0] if best >= 0.5 and len(top) == 1 else None
