"""Which outlet published a document, read from its original web address ("thedailyherald.com": The Daily Herald)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from assistant.answering.dates import DateAnswer
from assistant.answering.evidence import candidate_sentences
from assistant.models import Hit, Sentence
from assistant.text import fold, words
from assistant.wordlists import word_set

_OUTLET = re.compile(
    r"\b(?:outlet|publication|publisher|newspaper|paper|site|website|magazine|media|news organi[sz]ation|"
    r"publishing house|masthead)s?\b"
)
_THIS_DOCUMENT = re.compile(
    r"\b(?:this|the) (?:article|story|piece|report|page|text)\b|\b(?:published|publishes|ran|runs|printed|posted"
    r"|carried)\b|\bweb ?address|\burl\b|\bwebsite\b"
)
_URL = re.compile(r"https?://(?:www\.)?([a-z0-9-]+)\.((?:[a-z]{2,}\.)*[a-z]{2,})(?=/|\b)", re.I)
# Words newspaper and site names are made of, beyond the ones the document itself uses.
_PRESS_WORDS = word_set("questions", "press_words")

Retrieve = Callable[[str], list[Hit]]


def asks_publisher(question: str) -> bool:
    """Does the question ask which outlet published the document itself?"""
    q = fold(question)
    return bool(_OUTLET.search(q) and _THIS_DOCUMENT.search(q))


def outlet_name(label: str, vocabulary: set[str]) -> str | None:
    """Split a domain label into known words, fewest first: "thedailyherald" -> "The Daily Herald"."""
    best: list[list[str] | None] = [[]] + [None] * len(label)
    for end in range(1, len(label) + 1):
        for start in range(max(0, end - 20), end):
            piece, before = label[start:end], best[start]
            if before is not None and piece in vocabulary and (len(piece) >= 3 or piece == "a"):
                if best[end] is None or len(before) + 1 < len(best[end] or []):
                    best[end] = [*before, piece]
    pieces = best[len(label)]
    return " ".join(p.capitalize() for p in pieces) if pieces else None


def _url_sentence(sentences: Sequence[Sentence]) -> tuple[Sentence, re.Match[str]] | None:
    """The first sentence holding a web address."""
    for sent in sentences:
        if found := _URL.search(sent.text):
            return sent, found
    return None


def answer_publisher(question: str, sentences: Sequence[Sentence], retrieve: Retrieve) -> DateAnswer | None:
    """Name the outlet from the document's own web address, citing the line that gives it."""
    if not asks_publisher(question):
        return None
    found = _url_sentence(sentences) or _url_sentence(candidate_sentences(retrieve("original url web address https")))
    if found is None:
        return None
    sent, url = found
    texts = [s.text for s in sentences] + [sent.hit.chunk.text, sent.hit.chunk.title]
    vocabulary = {fold(w) for t in texts for w in words(t) if w.isalpha()} | _PRESS_WORDS | {"the"}
    domain = f"{url.group(1)}.{url.group(2)}".lower()
    name = outlet_name(url.group(1).lower(), vocabulary)
    if name is None:
        return DateAnswer(f"The document's original web address is on {domain} \x000\x00.", [sent])
    return DateAnswer(f"{name}: the document's original web address is on {domain} \x000\x00.", [sent])
