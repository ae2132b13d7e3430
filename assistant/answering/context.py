"""Context: a sentence read with the one before it (its antecedent, the lead-in of a command, a caption)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from assistant.answering.sentence_checks import bare_code, credit_line
from assistant.models import Sentence
from assistant.text import fold, words
from assistant.wordlists import word_set

CONTINUATION_WORDS = word_set("words", "continuation_words")


def previous_sentences(sentences: Sequence[Sentence]) -> dict[int, str]:
    """Each sentence's preceding sentence in its document, when that one was retrieved too (any chunk)."""
    ordered = sorted(sentences, key=lambda s: (s.hit.chunk.source, s.start))
    return {
        id(b): a.text
        for a, b in zip(ordered, ordered[1:], strict=False)
        if a.hit.chunk.source == b.hit.chunk.source and 0 <= b.start - a.end <= 4
    }


def continues(text: str) -> bool:
    """The sentence leans on the one before it: a pronoun or connective among its first words ("Thus, ...")."""
    return any(w in CONTINUATION_WORDS for w in words(fold(text))[:4])


def in_context(
    sent: Sentence, previous: dict[int, str], by_text: Mapping[str, Sequence[float]], vec: Sequence[float]
) -> tuple[str, Sequence[float]]:
    """A continuing sentence (or a bare command) read with its predecessor; any other sentence as it is."""
    before = previous.get(id(sent), "")
    if not before or before not in by_text or not (continues(sent.text) or bare_code(sent.text)):
        return sent.text, vec
    mean = [(a + b) / 2 for a, b in zip(by_text[before], vec, strict=True)]
    return f"{before} {sent.text}", mean


def caption_of(sent: Sentence, previous: dict[int, str]) -> str:
    """The caption a photo-credit line closes ("Ambassador ... Falk." before "Norwegian Foreign Ministry")."""
    before = previous.get(id(sent), "")
    return before if credit_line(sent.text, before) else ""
