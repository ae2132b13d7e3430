"""Short quotes: the clause of a long evidence sentence that answers, when the whole would run past 30 words.

Only where the answer can be recognised: a yes/no (the clause must say what the Yes/No says) or a typed question
(a name, number, date, place, size: exactly one clause may hold one).
"""

from __future__ import annotations

import re

from assistant.answering.question import asks_reason, asks_why_or_how
from assistant.answering.sentence_checks import shows_code, type_satisfied
from assistant.answering.yesno import polarity
from assistant.text import content_terms, terms_match
from assistant.wordlists import word_list

MAX_WORDS = 30  # the concise bar: an answer of at most this many words, why/how excepted
_CLAUSE_WORDS = "|".join(word_list("words", "clause_openers"))
_BOUNDARY = re.compile(rf"(?<=;)\s+|\s+[—–]\s+|(?<=,)\s+(?=(?:{_CLAUSE_WORDS})\b)", re.I)
def budget_for(kind: str) -> int:
    """The words a quote may have: 30, less the two of "Yes —" / "No —" for a yes/no."""
    return MAX_WORDS - 2 if kind == "yesno" else MAX_WORDS


def short_quote(sentence: str, question: str, kind: str) -> str:
    """The sentence itself when short enough; else its best run of clauses within the budget, marked '…'."""
    quote, budget = " ".join(sentence.split()), budget_for(kind)
    why_how = asks_reason(question) or asks_why_or_how(question)  # the reason or the way needs the whole sentence
    if len(quote.split()) <= budget or kind == "other" or why_how or shows_code(sentence):
        return quote  # "other": no answer type to look for, and the clause richest in question words restates it
    clauses = [c for c in _BOUNDARY.split(quote) if c.strip()]
    if kind != "yesno" and sum(type_satisfied(kind, question, c) for c in clauses) > 1:
        return quote  # two clauses hold an answer of the asked type ("A, and B will lead ..."): not ours to pick
    asked, said = content_terms(question), polarity(question, quote) if kind == "yesno" else ""
    runs = [
        (i, j) for i in range(len(clauses)) for j in range(i + 1, len(clauses) + 1)
        if 4 <= len(" ".join(clauses[i:j]).split()) <= budget
        and (not said or polarity(question, " ".join(clauses[i:j])) == said)  # the run says what the Yes/No says
    ]
    best_clause = max((_fit(c, asked, question, kind) for c in clauses), default=0.0)
    fits = {r: _fit(" ".join(clauses[r[0] : r[1]]), asked, question, kind) for r in runs}
    if not runs or max(fits.values()) < best_clause:
        return quote  # the clause that answers is itself too long: the whole sentence, not a part without it
    i, j = max(runs, key=lambda r: (fits[r], -r[0]))
    text = " ".join(clauses[i:j]).rstrip(",;:—– ")
    return ("…" if i > 0 else "") + text + ("…" if j < len(clauses) else "")


def _fit(text: str, asked: list[str], question: str, kind: str) -> float:
    """How well a run of clauses answers: the question's words it holds, and an answer of the asked type."""
    have = content_terms(text)
    covered = sum(1 for t in dict.fromkeys(asked) if any(terms_match(t, h) for h in have))
    typed = kind != "yesno" and type_satisfied(kind, question, text)
    return covered + (2.0 if typed else 0.0)
