"""Wording lexicons (data/lexicon.toml): country aliases, short forms and paraphrase groups, with their matchers."""

from __future__ import annotations

import re
from functools import lru_cache

from assistant.wordlists import word_groups, word_set, word_table

_COUNTRY_GROUPS = word_groups("lexicon", "country_groups")
ALIAS_GROUP: dict[str, int] = {word: i for i, group in enumerate(_COUNTRY_GROUPS) for word in group}
ROLE_NOUNS = word_set("lexicon", "role_nouns")
SHORT_FORMS = word_table("lexicon", "short_forms")
_PHRASE_GROUPS = word_groups("lexicon", "phrase_groups")


@lru_cache(maxsize=4096)
def _pattern(phrase: str) -> re.Pattern[str]:
    """A whole-word, plural-tolerant pattern for a phrase."""
    parts = [re.escape(p) for p in phrase.split()]
    return re.compile(r"\b" + r"\s+".join(parts) + r"(?:s|es)?\b")


def phrase_groups(text: str) -> list[tuple[str, tuple[str, ...]]]:
    """The lexicon phrases a (folded) text uses, each with its group."""
    out = []
    for group in _PHRASE_GROUPS:
        for phrase in group:
            if _pattern(phrase).search(text):
                out.append((phrase, group))
    return out


_LESSER = re.compile(r"\b(deputy|assistant|under|vice|acting|former|ex|junior|second)[\s-]+$")


def paraphrased(phrase: str, group: tuple[str, ...], text: str) -> bool:
    """Does the (folded) text use another phrase of the group, not as part of a lesser title ("deputy ...")?"""
    for other in group:
        if other == phrase:
            continue
        if any(not _LESSER.search(text[: m.start()]) for m in _pattern(other).finditer(text)):
            return True
    return False


def worded(phrase: str, group: tuple[str, ...], text: str) -> bool:
    """Does the (folded) text use the phrase itself or another wording of its group?"""
    return _pattern(phrase).search(text) is not None or paraphrased(phrase, group, text)


def same_place(a: str, b: str) -> bool:
    """Two folded stems name the same country (France ~ French ~ Paris)."""
    group = ALIAS_GROUP.get(a)
    return group is not None and group == ALIAS_GROUP.get(b)


def expand_query(question: str) -> str:
    """The question plus the other wordings of its lexicon phrases, so keyword search finds paraphrased passages."""
    low = question.lower()
    extra = [other for phrase, group in phrase_groups(low) for other in group if other != phrase and len(other) > 3]
    return question if not extra else f"{question} {' '.join(dict.fromkeys(extra))}"
