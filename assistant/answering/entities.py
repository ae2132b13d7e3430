"""People in text: runs of capitalised words that are not titles, places, bodies or dates."""

from __future__ import annotations

import re
from collections.abc import Iterable

from assistant.lexicon import ALIAS_GROUP, ROLE_NOUNS
from assistant.text import MONTHS, WEEKDAYS, fold, stem, words
from assistant.wordlists import word_set

_NOT_PERSON = set(MONTHS) | set(WEEKDAYS) | set(ALIAS_GROUP) | ROLE_NOUNS | word_set("questions", "not_person")
_RUN = re.compile(r"[A-Z][\w'’.-]*(?:\s+(?:[A-Z][\w'’.-]*))+")


def _plain(token: str) -> str:
    """A token folded and without possessive or trailing dots."""
    return fold(token).removesuffix("'s").rstrip(".")


def persons(text: str) -> list[tuple[str, ...]]:
    """Person names as token tuples: "French Foreign Minister Anna Berg" gives ("anna", "berg")."""
    out = []
    for match in _RUN.finditer(text):
        tokens = [_plain(t) for t in words(match.group(0))]
        while tokens and (tokens[0] in _NOT_PERSON or stem(tokens[0]) in _NOT_PERSON):
            tokens.pop(0)
        if len(tokens) >= 2 and not any(t in _NOT_PERSON or stem(t) in _NOT_PERSON for t in tokens):
            out.append(tuple(tokens))
    return out


def surnames(texts: Iterable[str]) -> set[str]:
    """Last names of the people the texts name in full."""
    return {person[-1] for text in texts for person in persons(text)}


def people_in(text: str, known: set[str]) -> set[str]:
    """Surnames of people a text mentions, in full or by a surname known from elsewhere."""
    found = {person[-1] for person in persons(text)}
    found |= {_plain(w) for w in words(text) if w[:1].isupper() and _plain(w) in known}
    return found


def new_person(question: str, sentence: str, known: set[str]) -> bool:
    """The sentence mentions a person the question does not."""
    asked = {_plain(w) for w in words(question)}
    return bool(people_in(sentence, known) - asked)


def _side(text: str, name: str) -> int | None:
    """The country a person is introduced with: the first country word of the clause naming them."""
    at = fold(text).find(name)
    if at < 0:
        return None
    clause = re.split(r",\s*and\b|;", fold(text[:at]))[-1]
    groups = [ALIAS_GROUP[w] for w in (_plain(t) for t in words(clause)) if w in ALIAS_GROUP]
    return groups[0] if groups else None


def new_person_on_side(question: str, sentence: str, known: set[str]) -> bool:
    """A person the question does not name, not introduced as another country's ("besides Voss, which French ...")."""
    asked_words = {_plain(w) for w in words(question)}
    sides = {ALIAS_GROUP[w] for w in asked_words if w in ALIAS_GROUP}
    if len(sides) != 1:
        return new_person(question, sentence, known)
    return any(_side(sentence, person) in (None, *sides) for person in people_in(sentence, known) - asked_words)
