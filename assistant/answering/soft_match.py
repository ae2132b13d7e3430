"""Soft matching of single common words (envoy ~ ambassador) by the sentence embedder, with a per-embedder cache."""

from __future__ import annotations

import weakref
from collections.abc import Sequence

import numpy as np

from assistant.lexicon import paraphrased, phrase_groups
from assistant.protocols import Embedder
from assistant.text import (
    MONTHS,
    ORDINALS,
    STOPWORDS,
    WEEKDAYS,
    common_word,
    content_terms,
    fold,
    role_tokens,
    slots,
    stem,
    words,
)

_SOFT_FLOOR, _SOFT_FULL = 0.35, 0.65  # word cosine below the floor earns nothing; at FULL a synonym counts fully
_SOFT_SKIP = 1  # a word right after a name, or one modifier further, names a specific role: no soft match
_NO_SOFT = set(MONTHS) | set(WEEKDAYS) | set(ORDINALS) | {"one", "two", "three", "four", "five", "ten", "hundred"}
_WORD_CACHES: weakref.WeakKeyDictionary[object, dict[str, np.ndarray]] = weakref.WeakKeyDictionary()


def _cache_for(embedder: Embedder) -> dict[str, np.ndarray]:
    """The word-vector cache of an embedder (a fresh one if it cannot be weakly referenced)."""
    try:
        cache = _WORD_CACHES.setdefault(embedder, {})
    except TypeError:
        return {}
    if len(cache) > 50_000:
        cache.clear()
    return cache


class SoftMatch:
    """Semantic closeness of single common words (envoy ~ ambassador) by the sentence embedder, cached.

    Only lower-case, non-numeric question words are matched softly: names, numbers, dates and ordinals must
    match literally, so a different person, figure or round is never mistaken for the one asked about.
    """

    def __init__(self, question: str, embedder: Embedder) -> None:
        self.embedder = embedder
        self.cache = _cache_for(embedder)
        self.surface: dict[str, str] = {}
        self.phrases: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
        for phrase, group in phrase_groups(fold(question)):
            for term in content_terms(phrase):
                self.phrases.setdefault(term, []).append((phrase, group))
        tokens = role_tokens(question)
        for i, w in enumerate(tokens):
            if common_word(w) and fold(w) not in _NO_SOFT and slots(tokens, i, _SOFT_SKIP) == (set(), set()):
                self.surface.setdefault(stem(w), fold(w))  # a role tied to a name ("U.S. ambassador") must match as is

    def _vectors(self, items: Sequence[str]) -> list[np.ndarray]:
        """Unit vectors of words, embedding only the ones not seen before."""
        missing = [w for w in dict.fromkeys(items) if w not in self.cache]
        if missing:
            for w, vec in zip(missing, self.embedder.embed(missing), strict=True):
                arr = np.asarray(vec, dtype=np.float32)
                self.cache[w] = arr / (float(np.linalg.norm(arr)) or 1.0)
        return [self.cache[w] for w in items]

    def similarity(self, term: str, text: str) -> float:
        """Highest cosine between the question word behind `term` and a content word of the text."""
        word = self.surface.get(term)
        others = [fold(w) for w in words(text) if fold(w) not in STOPWORDS and not w[:1].isdigit() and len(w) >= 3]
        if not word or not others:
            return 0.0
        mine, *theirs = self._vectors([word, *others])
        return float(max(np.dot(np.stack(theirs), mine)))

    def credit(self, term: str, text: str) -> float:
        """Partial credit in [0, 1] for a question word that the text only paraphrases."""
        if any(paraphrased(phrase, group, fold(text)) for phrase, group in self.phrases.get(term, ())):
            return 1.0
        sim = self.similarity(term, text)
        return min(1.0, max(0.0, (sim - _SOFT_FLOOR) / (_SOFT_FULL - _SOFT_FLOOR)))
