"""Evidence: score the sentences of retrieved passages against the question; judge answerability."""

from __future__ import annotations

import re
import weakref
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from assistant.models import Hit, Sentence
from assistant.protocols import Embedder
from assistant.retriever import cosine
from assistant.text import (
    MONTHS,
    ORDINALS,
    STOPWORDS,
    WEEKDAYS,
    common_word,
    content_terms,
    fold,
    names,
    numbers,
    role_conflict,
    role_tokens,
    sentence_spans,
    slots,
    stem,
    terms_match,
    words,
)

YES_NO_START = re.compile(
    r"^(and |so |but )?(is|are|was|were|do|does|did|will|would|can|could|has|have|had|should|shall)\b", re.I
)
YES_NO_AFTER_CLAUSE = re.compile(
    r"^[^?]*, (is|are|was|were|do|does|did|will|would|can|could|has|have|had)\b (the|this|that|it|they|he|she)\b", re.I
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
        sim = self.similarity(term, text)
        return min(1.0, max(0.0, (sim - _SOFT_FLOOR) / (_SOFT_FULL - _SOFT_FLOOR)))


def coverage(query_terms: Sequence[str], text: str, soft: SoftMatch | None = None) -> float:
    """Share of query terms (longer ones weigh more) found in the text; paraphrases earn partial credit."""
    if not query_terms:
        return 0.0
    have = set(content_terms(text))
    total = found = 0.0
    for term, weight in query_terms_weighted(query_terms):
        total += weight
        if any(terms_match(term, h) for h in have):
            found += weight
        elif soft is not None:
            found += weight * soft.credit(term, text)
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
    if re.search(r"\bwhere\b|\b(which|what) (\w+ )?(city|country|nation|place|venue|building|location)\b", q):
        return "place"
    if re.search(rf"\b(which|what) (\w+ )?(\w+ )?({_ENTITY_NOUNS})\b", q):
        return "entity"
    return "other"


_ENTITY_NOUNS = (
    "agency|organi[sz]ation|company|official|envoy|diplomat|newspaper|ministry|department|service|outlet|network"
    "|channel|broadcaster|party|group|institution|body|firm|bank|team|delegation"
)
_REASON_QUESTION = re.compile(
    r"^(and |so |but )?why\b|\bwhat (is|was|were|are) the (purpose|reason|goal|aim|cause|motive)s?\b"
    r"|\bwhat (led|caused|prompted)\b"
)
_REASON_MARKER = re.compile(
    r"\b(because|since|due to|as a result|following|after|so that|in order to|aim(ed|s)? (at|to)|intended to|"
    r"designed to|purpose|reason|goal|led to|caused|prompted)\b|, so\b"
    r"|\b(to|at) (?!the\b|a\b|an\b)[a-z]+(e|ing|ize|ise)\b"
)


def asks_reason(question: str) -> bool:
    """A why / what-is-the-purpose / what-led-to question."""
    return bool(_REASON_QUESTION.search(fold(question).strip()))


def gives_reason(sentence: str) -> bool:
    """The sentence states a cause or a purpose (because, following, aimed at, to discuss ...)."""
    return bool(_REASON_MARKER.search(fold(sentence)))


def fragment(sentence: str) -> bool:
    """A heading, caption or credit: no lower-case word at all ("Russian Foreign Ministry")."""
    return not any(w[:1].islower() for w in words(sentence))


_WHO_IS = re.compile(r"^(?:and |so |but )?who(?: is|'s| was| are| were) (?:the )?(.+?)[?.!]*$")


def role_head(question: str) -> str | None:
    """The role a "who is the X (of Y)?" question asks about: its last common word before a preposition."""
    match = _WHO_IS.match(fold(question).strip())
    if not match:
        return None
    phrase = re.split(r"\b(?:to|of|for|in|at|from|on|with)\b", match.group(1))[0]
    heads = [w for w in words(phrase) if w.isalpha() and w not in STOPWORDS and len(w) >= 3]
    if not heads or heads[-1].endswith(("ing", "ed")):  # "who was speaking ...": a verb, not a role
        return None
    return heads[-1]


def holds_role(head: str, sentence: str, soft: SoftMatch) -> bool:
    """The sentence names the asked role, literally or by a close synonym."""
    term = stem(head)
    if any(terms_match(term, h) for h in content_terms(sentence)):
        return True
    return term in soft.surface and soft.credit(term, sentence) >= 0.5


def ordinal_absent(question: str, passages: Sequence[str]) -> bool:
    """The question asks about an ordinal ("third round") that no passage states, while passages state others."""
    exact = {"first", "second", "third", "fourth", "fifth", "sixth"}
    asked = set(words(fold(question))) & exact
    stated = {w for p in passages for w in words(fold(p))} & exact
    return bool(asked) and not asked & stated and bool(stated)


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
    if kind != "yesno" and ordinal_absent(question, [h.chunk.text for h in hits]):
        named *= 0.6  # "when is the third round?" where only a second one is reported
    soft, reason, head = SoftMatch(question, embedder), asks_reason(question), role_head(question)
    for sent, vec in zip(sentences, vectors[1:], strict=True):
        sim = cosine(qvec, vec)
        cov_sentence = coverage(qterms, sent.text, soft)
        cov_passage = coverage(qterms, sent.hit.chunk.text, soft)
        score = 0.5 * sim + 0.3 * cov_sentence + 0.2 * cov_passage
        if not type_satisfied(kind, question, sent.text) or (kind not in ("yesno", "other") and cov_sentence < 0.4):
            score *= 0.55
        if contrast(question, sent.text):  # a different ordinal: the answer to a yes/no, a miss otherwise
            score *= 1.15 if kind == "yesno" else 0.6
        if role_conflict(question, sent.text):  # the asked role, but held by other parties
            score *= 0.5
        if head and not holds_role(head, sent.text, soft):
            score *= 0.6
        if fragment(sent.text):
            score *= 0.8
        if reason and not gives_reason(sent.text):
            score *= 0.85
        score *= 0.5 + 0.5 * named
        sent.score = score
        sent.vector = vec
    sentences.sort(key=lambda s: s.score, reverse=True)
    return Evidence(sentences, sentences[0].score, kind)
