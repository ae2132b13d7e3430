"""Yes or No for a yes/no question, from its best evidence sentence."""

from __future__ import annotations

import re

from assistant.lexicon import ALIAS_GROUP, phrase_groups, worded
from assistant.text import MONTHS, STOPWORDS, WEEKDAYS, contrast, fold, names, stem, strip_idioms, terms_match, words

_NEGATOR = {"not", "no", "never", "nor", "neither", "without", "none", "nothing"}
_NEGATION_REACH = 5  # words after a negator that it can deny
_COPULA = {"is", "are", "was", "were", "be", "been", "will", "would"}
_EXCLUSION = re.compile(
    r"\b(?:off the (?:agenda|table)|off-limits|off limits|excluded|ruled out|left out|kept off|barred|banned"
    r"|not (?:on|part of|included|discussed|allowed))\b",
    re.I,
)
# clauses whose negations do not deny the main statement: "fine, provided that the authors do not claim ...",
# "If the file does not exist, it is created", "runs whether or not ..."
_CONDITION = re.compile(
    r"\b(?:provided(?: that)?|as long as|so long as|even if|unless)\b[^,;:]*"
    r"|^\W*(?:if|when|unless|although|though)\b[^,;]*,"
    r"|\bor not\b",
    re.I,
)
_CALENDAR = {stem(w) for w in MONTHS + WEEKDAYS}
_FULL_CALENDAR = set(MONTHS[:12] + WEEKDAYS) - {"may"}  # full names; "may" is more often the verb
_PLACES = re.compile(r"\b(?:in|at|near)\s+(?:the\s+)?([A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*)*)")


def negates_asked(question: str, sentence: str) -> bool:
    """The sentence denies something the question asks about: "not on normalizing" for "meant to normalize"."""
    asked = {stem(w) for w in words(fold(question)) if len(w) >= 5 and w not in STOPWORDS}
    groups = phrase_groups(fold(question))
    tokens = [fold(w) for w in words(main_clauses(sentence))]
    for i, token in enumerate(tokens):
        if token not in _NEGATOR and not token.endswith("n't"):
            continue
        window = tokens[i + 1 : i + 1 + _NEGATION_REACH]
        if i >= 2 and tokens[i - 1] in _COPULA:  # "Norway is not ...": the subject is denied too
            window = [tokens[i - 2], *window]
        if any(terms_match(stem(t), a) for t in window for a in asked):
            return True
        text = " ".join(window)
        if any(worded(p, g, text) for p, g in groups):
            return True  # "discussed" asked, "not on the agenda" stated
    return False


def main_clauses(sentence: str) -> str:
    """The sentence without its conditions and concessions, whose negations do not deny what it states."""
    return _CONDITION.sub(" ", sentence)


def polarity(question: str, sentence: str) -> str:
    """Yes/No for a yes/no question from its best evidence sentence.

    No when the sentence denies what the question asks, when it names a different ordinal ("first" asked,
    "second" stated) or month, or when a name the question asks about is absent while the sentence names others.
    """
    question = strip_idioms(question)
    if negates_asked(question, sentence):
        return "Yes" if _EXCLUSION.search(question) else "No"  # "is Norway off the agenda": "not on the agenda"
    if contrast(question, sentence) or _other_date(question, sentence):
        return "No"
    have = {stem(w) for w in words(sentence)}
    missing = [n for n in names(question) if not any(h.startswith(n[:5]) or terms_match(n, h) for h in have)]
    others = [n for n in names(sentence) if not any(terms_match(n, q) for q in names(question))]
    if any(_same_kind(m, o, question, sentence) for m in missing for o in others):
        return "No"
    return "Yes"


def decisive(question: str, sentence: str) -> bool:
    """The sentence settles a yes/no by contradiction: it denies the asked thing or states another ordinal or date."""
    question = strip_idioms(question)
    return negates_asked(question, sentence) or contrast(question, sentence) or _other_date(question, sentence)


def _other_date(question: str, sentence: str) -> bool:
    """The question names a month or weekday (in any case) and the sentence gives only others: "in march"."""
    asked = set(words(fold(question))) & _FULL_CALENDAR
    stated = set(words(fold(sentence))) & _FULL_CALENDAR
    return bool(asked) and bool(stated) and not asked & stated


def _same_kind(missing: str, other: str, question: str, sentence: str) -> bool:
    """The sentence names another thing of the kind the question asked about: a country, a place, a person."""
    asked_places = {stem(w) for m in _PLACES.finditer(question) for w in words(m.group(1))}
    stated_places = {stem(w) for m in _PLACES.finditer(sentence) for w in words(m.group(1))}
    if missing in asked_places and other in stated_places:
        return True  # "held in Vienna": the sentence puts it in another place
    if missing in ALIAS_GROUP:
        return other in ALIAS_GROUP
    if missing in _CALENDAR:  # "Thursday's meeting" asked: only another day contradicts it
        return other in _CALENDAR
    if missing in asked_places:
        return False
    return other not in ALIAS_GROUP
