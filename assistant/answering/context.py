"""Context: a sentence read with the one before it (its antecedent, the lead-in of a command, a caption)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from assistant.answering.sentence_checks import bare_code, credit_line
from assistant.models import Sentence
from assistant.text import fold, words
from assistant.wordlists import word_set

CONTINUATION_WORDS = word_set("words", "continuation_words")


def previous_sentences(sentences: Sequence[Sentence]) -> dict[int, str]:
    """Each sentence's preceding sentence in its document, when that one was retrieved too (any chunk)."""
    ordered = sorted(sentences, key=lambda s: (s.hit.chunk.source, s.start))
    return {id(b): a.text for a, b in zip(ordered, ordered[1:], strict=False) if _adjacent(a, b)}


def _adjacent(a: Sentence, b: Sentence) -> bool:
    """b follows a in the same document, with nothing between them."""
    return a.hit.chunk.source == b.hit.chunk.source and 0 <= b.start - a.end <= 4


# a list item: a bullet, a number, or a term on its own line ("WNOHANG\nreturn immediately ...")
_LEAD_IN = re.compile(r":[ \t]*(?:\n|$)")  # a line that ends with a colon opens a list
_ITEM = re.compile(r"^\s*(?:[•*·–-]\s|\d{1,2}[.)]\s|[^\s:]{1,40}\n)")


def lead_ins(sentences: Sequence[Sentence]) -> dict[int, str]:
    """Each list item's lead-in ("… the following constants:"), when it and the items before were retrieved."""
    ordered = sorted(sentences, key=lambda s: (s.hit.chunk.source, s.start))
    leads: dict[int, str] = {}
    lead: str | None = None
    last: Sentence | None = None
    for sent in ordered:
        follows = last is not None and last.hit.chunk.source == sent.hit.chunk.source
        if not (follows and last.start < sent.start <= last.end + 4) or not _ITEM.match(sent.text):
            lead = None  # the lead-in's own span may run into its first item: an item may start inside it
        if lead:
            leads[id(sent)] = lead
        if opens := _LEAD_IN.search(sent.text):
            lead = sent.text[: opens.start() + 1]
        last = sent
    return leads


def continues(text: str) -> bool:
    """The sentence leans on the one before it: a pronoun or connective among its first words ("Thus, ...")."""
    return any(w in CONTINUATION_WORDS for w in words(fold(text))[:4])


def in_context(
    sent: Sentence, previous: dict[int, str], by_text: Mapping[str, Sequence[float]], vec: Sequence[float],
    leads: Mapping[int, str] | None = None,
) -> tuple[str, Sequence[float]]:
    """A list item read with its lead-in, a continuing sentence (or a bare command) with its predecessor."""
    if leads and id(sent) in leads:  # its own vector: the lead-in's sentence also holds the first item
        return f"{leads[id(sent)]} {sent.text}", vec
    before = previous.get(id(sent), "")
    if not before or before not in by_text or not (continues(sent.text) or bare_code(sent.text)):
        return sent.text, vec
    mean = [(a + b) / 2 for a, b in zip(by_text[before], vec, strict=True)]
    return f"{before} {sent.text}", mean


def caption_of(sent: Sentence, previous: dict[int, str]) -> str:
    """The caption a photo-credit line closes ("Ambassador ... Falk." before "Norwegian Foreign Ministry")."""
    before = previous.get(id(sent), "")
    return before if credit_line(sent.text, before) else ""
