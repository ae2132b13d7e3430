"""Evidence: score the sentences of retrieved passages against the question; judge answerability."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.models import Hit, Sentence
from assistant.protocols import Embedder
from assistant.retriever import cosine
from assistant.text import MONTHS, WEEKDAYS, content_terms, fold, names, numbers, sentence_spans, words

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
    return len(short) >= 4 and long_.startswith(short) and len(long_) - len(short) <= 3


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
    """Expected answer type: yesno, person, entity, number, date, place or other."""
    q = fold(question).strip()
    if YES_NO_START.match(q) or YES_NO_AFTER_CLAUSE.search(q):
        return "yesno"
    if re.match(r"^(and |so |but )?who(m|se)?\b", q):
        return "person"
    if re.search(r"\bhow (many|much|long|old)\b|\bwhat (number|percentage|amount)\b", q):
        return "number"
    if re.search(r"\bwhen\b|\b(what|which|exact) (date|day|year|month|time)\b", q):
        return "date"
    if re.search(r"\bwho(m|se)?\b|\bwhat is the name\b", q):
        return "person"
    if re.search(r"\bwhere\b|\b(which|what) (city|country|nation|place|venue)\b", q):
        return "place"
    if re.search(r"\b(which|what) (\w+ )?(agency|organi[sz]ation|company|official|envoy|newspaper|ministry)\b", q):
        return "entity"
    return "other"


def type_satisfied(kind: str, question: str, sentence: str) -> bool:
    """Does the sentence hold something of the expected answer type?"""
    if kind in ("yesno", "other"):
        return True
    new_names = names(sentence) - names(question)
    low = fold(sentence)
    if kind == "number":
        return bool(numbers(sentence) - numbers(question)) or bool(
            re.search(r"\b(one|two|three|four|five|six|seven|eight|nine|ten|dozen|hundred)\b", low)
        )
    if kind == "date":
        tokens = set(words(low))
        return bool(tokens & set(MONTHS + WEEKDAYS) or re.search(r"\b(19|20)\d\d\b", low)) or bool(
            re.search(r"\b(today|tomorrow|yesterday|last (week|month|year))\b", low)
        )
    return bool(new_names)


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
    for sent, vec in zip(sentences, vectors[1:], strict=True):
        sim = cosine(qvec, vec)
        cov_sentence = coverage(qterms, sent.text)
        cov_passage = coverage(qterms, sent.hit.chunk.text)
        score = 0.5 * sim + 0.3 * cov_sentence + 0.2 * cov_passage
        if not type_satisfied(kind, question, sent.text):
            score *= 0.55
        sent.score = score
        sent.vector = vec
    sentences.sort(key=lambda s: s.score, reverse=True)
    return Evidence(sentences, sentences[0].score, kind)
