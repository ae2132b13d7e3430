"""Evidence: score the sentences of retrieved passages against the question; judge answerability."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from assistant.answering.conflicts import addresses_assistant
from assistant.answering.context import caption_of, in_context, lead_ins, previous_sentences
from assistant.answering.entities import new_person, new_person_on_side, surnames
from assistant.answering.question import (
    BESIDES,
    CODE_WORDS,
    DEFINITION_WORDS,
    DESCRIPTOR,
    EARLIER_ROLE,
    PEOPLE_NOUNS,
    WHO,
    WHO_SPOKE,
    answer_type,
    asks_code,
    asks_outcome,
    asks_reason,
    asks_title,
    defined_term,
    focus_terms,
    role_head,
    speaker_of,
    topic_names,
)
from assistant.answering.sentence_checks import (
    CREDIT_QUESTION,
    credit_line,
    defines,
    earlier_role,
    fragment,
    gives_title,
    held_by_asked,
    labelled,
    mentions_any,
    missing_numbers,
    ordinal_absent,
    person_reports,
    referral,
    renumbered,
    shows_code,
    speaks,
    type_satisfied,
)
from assistant.answering.soft_match import SoftMatch
from assistant.answering.subjects import name_coverage, subject_fit
from assistant.answering.yesno import negates_asked
from assistant.lexicon import paraphrased
from assistant.models import Hit, Sentence
from assistant.protocols import Embedder
from assistant.retrieval.hybrid import cosine
from assistant.retrieval.lexical import StoredVectors, heads_of
from assistant.text import (
    MONTHS,
    WEEKDAYS,
    answer_spans,
    content_terms,
    contrast,
    fold,
    names,
    role_conflict,
    stem,
    strip_idioms,
    terms_match,
)


def coverage(
    query_terms: Sequence[str], text: str, soft: SoftMatch | None = None, idf: Mapping[str, float] | None = None
) -> float:
    """Share of query terms (rarer ones weigh more) found in the text; paraphrases earn partial credit."""
    if not query_terms:
        return 0.0
    have = set(content_terms(text))
    total = found = 0.0
    for term, weight in query_terms_weighted(query_terms, idf):
        total += weight
        if any(terms_match(term, h) for h in have):
            found += weight
        elif soft is not None:
            found += weight * soft.credit(term, text)
    return found / total if total else 0.0


def query_terms_weighted(terms: Sequence[str], idf: Mapping[str, float] | None = None) -> list[tuple[str, float]]:
    """Weights for query terms: longer words weigh more, and (when the index says) rarer ones, up to twice."""
    idf = idf or {}
    return [(t, (1.5 if len(t) >= 6 else 1.0) * (0.5 + 0.5 * idf.get(t, 1.0))) for t in dict.fromkeys(terms)]


_REASON_MARKER = re.compile(
    r"\b(because|due to|as a result|following|after|so that|in order to|aim(ed|s)? (at|to)|intended to|"
    r"designed to|purpose|reason|goal|led to|caused|prompted|focus(es|ed)? (strictly |solely |only )?on|avoids?|"
    r"advantage|benefit)\b|, so\b(?!\s+that\b)"
    r"|\bsince\s+(?=[\"“]|(?:the|a|an|it|they|this|these|there|its|their|no|not|we|you)\b)"
    r"|\b(to|at) (?!the\b|a\b|an\b)[a-z]+(e|ing|ize|ise)\b"
)


_REASON_WORDS = {stem(w) for w in "purpose reason goal aim cause motive objective point why".split()}


def gives_reason(sentence: str) -> bool:
    """The sentence states a cause or a purpose (because, following, aimed at, to discuss ...)."""
    return bool(_REASON_MARKER.search(fold(sentence)))


def soft_has(term: str, text: str, soft: SoftMatch, similar: bool = True) -> bool:
    """The text has the term literally, by alias, by a lexicon paraphrase or (if similar) a close word."""
    if any(terms_match(term, h) for h in content_terms(text)):
        return True
    if any(paraphrased(phrase, group, fold(text)) for phrase, group in soft.phrases.get(term, ())):
        return True
    return similar and term in soft.surface and soft.credit(term, text) >= 0.5


_PATH = re.compile(r"(?:/[\w.+-]+){2,}")
_EVENT_SKIP = {"date", "day", "time", "month", "year", "week", "hour", "exact", "exactly", "last", "first", "next"}


def covers_event(question: str, sentence: str, soft: SoftMatch, similar: bool = False, share: float = 0.33) -> bool:
    """A sentence dating an event must state that event: most of the question's non-name words."""
    asked = {stem(n) for n in names(question)}
    question = _PATH.sub(lambda m: m.group(0).rsplit("/", 1)[-1], question)  # a path is one thing, not five words
    event = [t for t in content_terms(question) if t not in asked and t not in _EVENT_SKIP]
    event = [t for t in event if t not in MONTHS and t not in WEEKDAYS]
    if not event:
        return True
    return sum(soft_has(t, sentence, soft, similar) for t in event) / len(event) >= share


def reason_fit(question: str, sentence: str) -> float:
    """How much of the question the effect side of a stated cause covers: "X following Y" answers "why X?"."""
    terms, low, best = content_terms(question), fold(sentence), 0.0
    for m in _REASON_MARKER.finditer(low):
        if m.group(0) == ", so":  # "X, so Y": the effect follows
            effect = low[m.end() :]
        else:
            effect = low[: m.start()] if m.start() > 2 else low[m.end() :].partition(",")[2]
        best = max(best, coverage(terms, effect))  # literal: the effect must be the one asked about
    return best


def holds_role(head: str, sentence: str, soft: SoftMatch) -> bool:
    """The sentence names the asked role, literally or by a close synonym."""
    term = stem(head)
    if any(terms_match(term, h) for h in content_terms(sentence)):
        return True
    return (term in soft.surface or term in soft.phrases) and soft.credit(term, sentence) >= 0.5


def _query_terms(question: str, hits: Sequence[Hit]) -> list[str]:
    """Content terms of the question, less the answer's traits that no passage uses ("Turkish" in "Turkish city")."""
    described = DESCRIPTOR.search(question)
    terms = content_terms(question)
    if not described:
        return terms
    have = {t for h in hits for t in content_terms(h.chunk.text)}
    absent = {t for t in content_terms(described.group(0)) if not any(terms_match(t, h) for h in have)}
    return [t for t in terms if t not in absent]


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
        for start, end in answer_spans(hit.chunk.text, offset=hit.chunk.start):
            key = (hit.chunk.source, start)
            if key in seen or hit.chunk.is_heading(start):  # a heading is context, not an answer
                continue
            seen.add(key)
            local = hit.chunk.text[start - hit.chunk.start : end - hit.chunk.start]
            if local.rstrip().endswith("?") or addresses_assistant(local):  # questions, instructions: no statements
                continue
            out.append(Sentence(text=local, start=start, end=end, hit=hit))
    return out


@dataclass
class _Asked:
    """What gather knows about the question while it scores sentences."""

    question: str
    kind: str
    soft: SoftMatch
    known: set[str]
    focus: list[str]
    head: str | None
    reason: bool
    previous: dict[int, str]
    title: bool
    code: bool = False
    term: str | None = None
    defining: set[int] = field(default_factory=set)  # ids of the sentences that define the term
    qvec: Sequence[float] = ()
    qterms: list[str] = field(default_factory=list)
    idf: Mapping[str, float] | None = None
    by_text: dict[str, Sequence[float]] = field(default_factory=dict)  # each candidate's vector by its text
    leads: dict[int, str] = field(default_factory=dict)  # each list item's lead-in, by sentence id


def _factor(a: _Asked, sent: Sentence, cov_sentence: float, read: str) -> float:
    """Multiplicative adjustments of a sentence's score for answer type, names, roles and reasons."""
    q, kind, text, f = a.question, a.kind, sent.text, 1.0
    typed = type_satisfied(kind, q, text)
    if not typed:
        f *= 0.45
    elif kind not in ("yesno", "other"):  # the right type, but about little of the question
        f *= 0.55 + 0.45 * min(1.0, max(0.0, (cov_sentence - 0.2) / 0.2))
    if kind == "person" and WHO.search(q) and typed and not new_person(q, text, a.known):
        f *= 0.7  # "who" answered by a body ("the ministry said"), not a person: possible, less likely
    window = [text, a.previous.get(id(sent), "")]
    if kind != "yesno":  # the names asked about should be in the sentence or the one before it
        f *= 0.8 + 0.2 * name_coverage(q, window)
        f *= 0.6 if missing_numbers(q, window) or renumbered(q, text) else 1.0  # "Feb. 27" asked, "Feb. 18" stated
    if a.title:  # "what is Voss's title": a capitalised role title, a bonus when given
        f *= 1.15 if gives_title(q, text) else 0.6
    f *= _party_factor(a, text, window) * _part_factor(a, text, window, typed)
    if kind == "yesno" and not covers_event(q, text, a.soft, similar=True):
        f *= 0.7  # a yes/no about what someone did: the sentence should say what was done
    elif kind == "yesno" and negates_asked(q, text):
        f *= 1.1  # "not on normalizing" answers "are the talks meant to normalize" outright
    if kind in ("date", "time", "number", "duration") and not covers_event(q, text, a.soft):
        f *= 0.6  # a date, but of another event ("appointed" asked, "met" stated)
    code = a.code and shows_code(text)
    if a.code:  # "what command ...": the sentence that shows one
        f *= 1.25 if code else 0.8
    if a.focus and not code and not any(soft_has(t, text, a.soft, similar=False) for t in a.focus):
        f *= 0.5 if asks_outcome(q) else 0.6  # "what was agreed": no agreement stated; "what key": no key named
    if a.term and a.defining:  # "what is a widget": "A widget is ...", or the first line under a "Widget" heading
        f *= 1.3 if id(sent) in a.defining else 0.75
    return f * _shape_factor(a, text, read)


def opens_section(sent: Sentence, term: str) -> bool:
    """The sentence is the first one under a heading that is the term ("Widgets" then "A toolkit for ...")."""
    chunk = sent.hit.chunk
    return any(
        fold(title).strip() == fold(term) and 0 <= sent.start - (offset + len(title)) <= 3
        for offset, _, title in chunk.outline
    )


def _party_factor(a: _Asked, text: str, window: list[str]) -> float:
    """Adjustments for who speaks, what about, which role when, and whom else the question asks for."""
    q, f = a.question, 1.0
    if (speaker := speaker_of(q)) and not speaks(speaker, window):
        f *= 0.5  # "what did Hale say": a sentence where someone else speaks
    if WHO_SPOKE.search(q) and not person_reports(text, a.known):
        f *= 0.6  # "who spoke to reporters": a sentence where a named person speaks
    if (topic := topic_names(q)) and not mentions_any(topic, window):
        f *= 0.5  # "what did Lund say about Norway": he speaks, but not of Norway
    if EARLIER_ROLE.search(q) and not earlier_role(text):
        f *= 0.5  # "what post did Voss hold before": the sentence gives her current one
    if (BESIDES.search(q) or PEOPLE_NOUNS.search(fold(q))) and not new_person_on_side(q, text, a.known):
        f *= 0.6  # "besides Voss, which other officials": nobody new is named
    return f


def _part_factor(a: _Asked, text: str, window: list[str], typed: bool) -> float:
    """Which part of a page answers: a labelled line, a photo credit, or (rarely) a heading or caption."""
    if typed and labelled(a.question, text):  # a labelled line of the wrong type is no answer ("how long")
        return 1.6  # "the related article": the line labelled "Related article:"
    if CREDIT_QUESTION.search(a.question):
        return 2.0 if credit_line(text, window[1]) else 0.6
    if referral(text):
        return 0.5  # "See X.": the answer is elsewhere
    return 0.8 if fragment(text) else 1.0


def _shape_factor(a: _Asked, text: str, read: str) -> float:
    """Adjustments for ordinals, roles, headings and reasons."""
    q, kind, f = a.question, a.kind, 1.0
    if contrast(q, text):  # a different ordinal: the answer to a yes/no, a miss otherwise
        f *= 1.15 if kind == "yesno" else 0.6
    if role_conflict(q, text):  # the asked role, but held by other parties
        f *= 0.4
    if a.head and not holds_role(a.head, text, a.soft):
        f *= 0.6
    elif a.head and held_by_asked(a.head, q, text, a.known):
        f *= 0.5  # "who was ambassador before Falk": the sentence gives the role to Falk himself
    if a.reason:  # the effect may be named in the sentence before ("It avoids …"), unless that one gives a reason
        before = read[: -len(text)]
        f *= 0.8 + 0.5 * reason_fit(q, text if gives_reason(before) else read) if gives_reason(text) else 0.7
    return f


def sentence_vectors(
    question: str, sentences: Sequence[Sentence], embedder: Embedder, stored: StoredVectors | None
) -> list[Sequence[float]]:
    """The question's vector, then each sentence's: read from the index where ingest stored it, else embedded."""
    stored = stored or {}
    keys = [(s.hit.chunk.id, s.start - s.hit.chunk.start) for s in sentences]
    missing = [s.text for s, key in zip(sentences, keys, strict=True) if key not in stored]
    fresh = iter(embedder.embed([question, *missing]))
    qvec = next(fresh)
    return [qvec, *[stored[key] if key in stored else next(fresh) for key in keys]]


def _score(a: _Asked, sent: Sentence, vec: Sequence[float], credit: bool) -> float:
    """One sentence, read in its context: closeness, question words in it and in its passage, adjustments."""
    terms = [t for t in a.qterms if t not in _REASON_WORDS] if a.reason and gives_reason(sent.text) else a.qterms
    caption = caption_of(sent, a.previous) if credit else ""
    read, read_vec = in_context(sent, a.previous, a.by_text, vec, a.leads)
    cov_sentence = coverage(terms, f"{caption} {read}", a.soft, a.idf)
    if section := sent.hit.chunk.section_at(sent.start):  # the headings above count as the sentence's words
        cov_sentence = max(cov_sentence, coverage(terms, f"{section} {read}", a.soft, a.idf))
    near = max(cosine(a.qvec, vec), cosine(a.qvec, read_vec))
    if caption in a.by_text:
        near = max(near, cosine(a.qvec, a.by_text[caption]))
    score = 0.5 * near + 0.3 * cov_sentence + 0.2 * coverage(a.qterms, sent.hit.chunk.text, a.soft, a.idf)
    return score * _factor(a, sent, cov_sentence, read)


def gather(
    question: str,
    hits: Sequence[Hit],
    embedder: Embedder,
    stored: StoredVectors | None = None,
    idf: Mapping[str, float] | None = None,
) -> Evidence:
    """Score every candidate sentence; answerability is the best sentence's score."""
    question = strip_idioms(question)
    kind = answer_type(question)
    sentences = candidate_sentences(hits)
    if not sentences:
        return Evidence([], 0.0, kind)
    vectors = sentence_vectors(question, sentences, embedder, stored)
    qvec, qterms = vectors[0], _query_terms(question, hits)
    named = name_coverage(question, [f"{heads_of(h.chunk)}\n{h.chunk.text}" for h in hits])  # the title names too
    if kind != "yesno" and ordinal_absent(question, [h.chunk.text for h in hits]):
        named *= 0.6  # "when is the third round?" where only a second one is reported
    soft = SoftMatch(question, embedder)
    asked = _Asked(
        question,
        kind,
        soft,
        surnames(h.chunk.text for h in hits),
        focus_terms(question),
        role_head(question),
        asks_reason(question),
        previous_sentences(sentences),
        asks_title(question),
        asks_code(question),
        defined_term(question),
    )
    if asked.term:  # "what does X mean": X and what is known of it, not "mean" or "option"
        asked.defining = {id(s) for s in sentences if defines(asked.term, s.text) or opens_section(s, asked.term)}
        qterms = [t for t in qterms if t not in DEFINITION_WORDS]
    if asked.code:  # "what command gives ...": the word "command" is the answer's kind, not its content
        qterms = [t for t in qterms if t not in CODE_WORDS]
    asked.qvec, asked.qterms, asked.idf = qvec, qterms, idf
    asked.by_text = {s.text: v for s, v in zip(sentences, vectors[1:], strict=True)}
    asked.leads = lead_ins(sentences)
    credit = CREDIT_QUESTION.search(question) is not None
    subject = subject_fit(question, hits)
    for sent, vec in zip(sentences, vectors[1:], strict=True):
        fit = subject.get(sent.hit.chunk.source, 1.0)  # "what license is APT under": not another README's
        sent.score = _score(asked, sent, vec, credit) * (0.5 + 0.5 * named) * fit
        sent.vector = vec
    sentences.sort(key=lambda s: s.score, reverse=True)
    return Evidence(sentences, sentences[0].score, kind)
