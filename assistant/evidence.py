"""Evidence: score the sentences of retrieved passages against the question; judge answerability."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.models import Hit, Sentence
from assistant.protocols import Embedder
from assistant.retriever import cosine
from assistant.text import MONTHS, WEEKDAYS, content_terms, fold, names, numbers, sentence_spans, stem, words

YES_NO_START = re.compile(
    r"^(and |so |but )?(is|are|was|were|do|does|did|will|would|can|could|has|have|had|should|shall)\b", re.I
)
YES_NO_AFTER_CLAUSE = re.compile(
    r"^[^?]*, (is|are|was|were|do|does|did|will|would|can|could|has|have|had)\b (the|this|that|it|they|he|she)\b", re.I
)


# demonyms and short forms that texts use interchangeably (stems)
ALIASES = {
    "american": {"u.s", "us", "america", "washington"},
    "america": {"u.s", "us", "american"},
    "british": {"u.k", "uk", "britain"},
    "moscow": {"russia", "russian", "kremlin"},
    "washington": {"u.s", "us", "american"},
}


def terms_match(a: str, b: str) -> bool:
    """Stems match when equal, aliases, or one is a prefix (>= 4 letters) of the other: russia ~ russian."""
    if a == b or b in ALIASES.get(a, ()) or a in ALIASES.get(b, ()):
        return True
    short, long_ = sorted((a, b), key=len)
    if len(short) >= 4 and long_.startswith(short) and len(long_) - len(short) <= 3:
        return True
    common = len(os.path.commonprefix([a, b]))
    return common >= 6 and common * 2 >= len(long_)  # spokesperson ~ spokeswoman


def coverage(query_terms: Sequence[str], text: str) -> float:
    """Share of query terms (names count double) found in the text."""
    if not query_terms:
        return 0.0
    have = set(content_terms(text))
    total = found = 0.0
    for term, weight in query_terms_weighted(query_terms):
        total += weight
        if any(terms_match(term, h) for h in have):
            found += weight
    return found / total if total else 0.0


def query_terms_weighted(terms: Sequence[str]) -> list[tuple[str, float]]:
    """Weights for query terms: longer, rarer-looking words weigh more."""
    return [(t, 1.5 if len(t) >= 6 else 1.0) for t in dict.fromkeys(terms)]


def answer_type(question: str) -> str:
    """Expected answer type: yesno, person, entity, number, duration, time, date, place or other."""
    q = fold(question).strip()
    if YES_NO_START.match(q) or YES_NO_AFTER_CLAUSE.search(q):
        return "yesno"
    if re.match(r"^(and |so |but )?who(m|se)?\b", q):
        return "person"
    if re.search(r"\bhow long\b", q):
        return "duration"
    if re.search(r"\bwhat time\b|\bat what hour\b", q):
        return "time"
    if re.search(r"\bhow (many|much|old)\b|\bwhat (number|percentage|amount)\b", q):
        return "number"
    if re.search(r"\bwhen\b|\b(what|which|exact) (date|day|year|month)\b", q):
        return "date"
    if re.search(r"\bwho(m|se)?\b|\bwhat is the name\b", q):
        return "person"
    if re.search(r"\bwhere\b|\b(which|what) (city|country|nation|place|venue|building|location)\b", q):
        return "place"
    if re.search(r"\b(which|what) (\w+ )?(agency|organi[sz]ation|company|official|envoy|newspaper|ministry)\b", q):
        return "entity"
    return "other"


_NUMBER_WORDS = r"\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozens?|hundreds?|thousands?)\b"
_DURATION = r"\b(\d+|a|an|one|two|three|several|few)\s+(minutes?|hours?|days?|weeks?|months?|years?)\b"
_CLOCK = r"\b\d{1,2}(:\d\d)?\s*(a\.?m\.?|p\.?m\.?)|\b\d{1,2}:\d\d\b|\b(noon|midnight|morning|afternoon|evening)\b"
_LOCATIVE = re.compile(r"\b(?:in|at|near|outside|inside|to)\s+(?:the\s+)?([A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*)*)")


_MONTH_RE = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
_DAY_OF_MONTH = rf"\b{_MONTH_RE}\s+\d{{1,2}}\b|\b\d{{1,2}}\s+{_MONTH_RE}|\b\d{{4}}-\d\d-\d\d\b"


def _counts(text: str) -> set[str]:
    """Numbers that count something: not years, not days of a month."""
    dates = {m.group(0) for m in re.finditer(rf"{_MONTH_RE}\s+(\d{{1,2}})\b", text)}
    days = {re.sub(r"\D", "", d) for d in dates}
    return {n for n in numbers(text) if n not in days and not re.fullmatch(r"(19|20)\d\d", n)}


def _new_dates(question: str, sentence: str) -> bool:
    """A month, weekday or year in the sentence that the question does not already give."""
    asked = set(words(fold(question)))
    tokens = set(words(fold(sentence))) - asked
    years = set(re.findall(r"\b(?:19|20)\d\d\b", sentence)) - set(re.findall(r"\b(?:19|20)\d\d\b", question))
    return bool(tokens & set(MONTHS + WEEKDAYS) or years)


def type_satisfied(kind: str, question: str, sentence: str) -> bool:
    """Does the sentence hold something of the expected answer type that the question does not give?"""
    if kind in ("yesno", "other"):
        return True
    low = fold(sentence)
    if kind == "number":
        return bool(_counts(sentence) - _counts(question)) or bool(re.search(_NUMBER_WORDS, low))
    if kind == "duration":
        return bool(re.search(_DURATION, low))
    if kind == "time":
        return bool(re.search(_CLOCK, low))
    if kind == "date" and re.search(r"\b(exact|what|which) date\b", fold(question)):
        return bool(re.search(_DAY_OF_MONTH, sentence))
    if kind == "date":
        return _new_dates(question, sentence) or bool(re.search(r"\b(today|tomorrow|yesterday)\b", low))
    if kind == "place":
        asked = names(question)
        return any(names(m.group(1)) - asked for m in _LOCATIVE.finditer(sentence))
    return bool(names(sentence) - names(question))


def contrast(question: str, sentence: str) -> bool:
    """The sentence states a different ordinal than the one asked about ('third' asked, 'second' stated)."""
    ordinals = {"first", "second", "third", "fourth", "fifth", "next", "last", "final", "previous"}
    asked = set(words(fold(question))) & ordinals
    stated = set(words(fold(sentence))) & ordinals
    return bool(asked) and not asked & stated and bool(stated)


def name_coverage(question: str, passages: Sequence[str]) -> float:
    """Share of the question's proper names that the retrieved passages mention at all."""
    asked = [n for i, w in enumerate(words(question)) if i > 0 and w[:1].isupper() for n in names(w)]
    if not asked:
        return 1.0
    have = {stem(w) for p in passages for w in words(p)}
    return sum(1 for n in asked if any(terms_match(n, h) for h in have)) / len(asked)


@dataclass
class Evidence:
    """Scored sentences (best first) and how answerable the question looks."""

    sentences: list[Sentence]
    answerability: float
    kind: str


def candidate_sentences(hits: Sequence[Hit]) -> list[Sentence]:
    """Sentences of the hits with document offsets, each kept once (first, best hit wins)."""
    seen: set[tuple[str, int]] = set()
    out: list[Sentence] = []
    for hit in hits:
        for start, end in sentence_spans(hit.chunk.text, offset=hit.chunk.start):
            key = (hit.chunk.source, start)
            if key in seen:
                continue
            seen.add(key)
            local = hit.chunk.text[start - hit.chunk.start : end - hit.chunk.start]
            out.append(Sentence(text=local, start=start, end=end, hit=hit))
    return out


def gather(question: str, hits: Sequence[Hit], embedder: Embedder) -> Evidence:
    """Score every candidate sentence; answerability is the best sentence's score."""
    kind = answer_type(question)
    sentences = candidate_sentences(hits)
    if not sentences:
        return Evidence([], 0.0, kind)
    vectors = embedder.embed([question] + [s.text for s in sentences])
    qvec, qterms = vectors[0], content_terms(question)
    named = name_coverage(question, [h.chunk.text for h in hits])
    for sent, vec in zip(sentences, vectors[1:], strict=True):
        sim = cosine(qvec, vec)
        cov_sentence = coverage(qterms, sent.text)
        cov_passage = coverage(qterms, sent.hit.chunk.text)
        score = 0.5 * sim + 0.3 * cov_sentence + 0.2 * cov_passage
        if not type_satisfied(kind, question, sent.text) or (kind not in ("yesno", "other") and cov_sentence < 0.4):
            score *= 0.55
        if contrast(question, sent.text):  # a different ordinal: the answer to a yes/no, a miss otherwise
            score *= 1.15 if kind == "yesno" else 0.6
        score *= 0.5 + 0.5 * named
        sent.score = score
        sent.vector = vec
    sentences.sort(key=lambda s: s.score, reverse=True)
    return Evidence(sentences, sentences[0].score, kind)
