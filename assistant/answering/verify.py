"""Check every answer sentence against the passage it cites; replace or drop what is unsupported."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from assistant.answering.evidence import Evidence, terms_match
from assistant.answering.extractive import extractive_answer
from assistant.answering.question import asks_title
from assistant.answering.trim import short_quote
from assistant.answering.yesno import polarity
from assistant.lexicon import ROLE_NOUNS
from assistant.models import GenerationInput, Sentence
from assistant.protocols import Embedder
from assistant.retrieval.hybrid import cosine
from assistant.settings import VerifySettings
from assistant.text import (
    answer_spans,
    content_terms,
    fold,
    names,
    numbers,
    role_unsupported,
    split_sentences,
    stem,
    words,
)

_MARKER = re.compile(r"\s*\[(\d+(?:\s*,\s*\d+)*)\]")


@dataclass
class Verdict:
    """The verified answer text and what the verifier did."""

    text: str
    cited: list[Sentence] = field(default_factory=list)  # supporting sentence per kept claim
    notes: list[str] = field(default_factory=list)
    fell_back: bool = False
    dropped: int = 0  # draft sentences removed as unsupported

    @property
    def outcome(self) -> str:
        """What became of the draft: kept, corrected (sentences dropped) or replaced (by quoted evidence)."""
        return "replaced" if self.fell_back else "corrected" if self.dropped else "kept"


MAX_MARKER = 99  # a citation number; "[0, 999999999]" is a range the sources write, not a marker


def strip_markers(text: str) -> str:
    """Remove [n] markers the model wrote (attribution is ours); a bracketed range or list of values stays."""

    def marker(m: re.Match[str]) -> str:
        values = [int(v) for v in m.group(1).split(",")]
        return "" if all(1 <= v <= MAX_MARKER for v in values) else m.group(0)

    return _MARKER.sub(marker, text).strip()


def _word_stems(text: str) -> list[str]:
    """Stems of every word, stopwords included (names like 'No' or 'May' must still match)."""
    return [stem(w) for w in words(text)]


def _grounded(claim: str, passage: str, min_token_support: float, near: str | None = None) -> bool:
    """Names and numbers of the claim appear in the passage, and most content words do (in near, when given)."""
    have = _word_stems(passage)
    for name in names(claim):
        if not any(terms_match(name, h) for h in have):
            return False
    if numbers(claim) - numbers(passage):
        return False
    terms = content_terms(claim)
    if not terms:
        return False
    close = have if near is None else _word_stems(near)
    supported = [any(terms_match(t, h) for h in close) for t in terms]
    runs = zip(supported, supported[1:], supported[2:], strict=False)
    if near is not None and any(not (a or b or c) for a, b, c in runs):
        return False  # three words in a row that the sentence and its neighbours lack: a phrase of the model's own
    return sum(supported) / len(terms) >= min_token_support


_spans = lru_cache(maxsize=512)(answer_spans)  # the same few chunks for every claim of an answer


def _around(sent: Sentence) -> str:
    """The sentence with the one before and the one after it: where a claim's wording must come from."""
    chunk = sent.hit.chunk
    spans = _spans(chunk.text, chunk.start)
    at = next((i for i, (start, end) in enumerate(spans) if start <= sent.start < end), None)
    if at is None:
        return sent.text
    start, end = spans[max(at - 1, 0)][0], spans[min(at + 1, len(spans) - 1)][1]
    return chunk.text[start - chunk.start : end - chunk.start]


def _degenerate(sentence: str) -> bool:
    """Loops such as "X Y Z X Y Z X Y Z": too few distinct words for the length."""
    toks = [fold(w) for w in words(sentence)]
    return len(toks) >= 8 and len(set(toks)) / len(toks) < 0.5


def _claims(draft: str) -> list[str]:
    """Answer sentences worth checking (markers removed, fragments dropped)."""
    out = []
    for sentence in split_sentences(strip_markers(draft).replace("\n", " ").replace("’", "'")):
        sentence = sentence.strip().strip('"').strip()
        if _degenerate(sentence):
            continue
        if len(content_terms(sentence)) >= 1 and not fold(sentence).startswith(("source", "note")):
            out.append(sentence)
    return out


def _support(
    claim: str, vector: Sequence[float], evidence: Evidence, options: VerifySettings
) -> Sentence | None:
    """The most relevant evidence sentence that supports the claim (close in meaning, grounded), if any."""
    for sent in evidence.sentences:
        if (
            cosine(vector, sent.vector) >= options.support_threshold
            and _grounded(claim, sent.hit.chunk.text, options.min_token_support, _around(sent))
            and not role_unsupported(claim, sent.hit.chunk.text)  # "Lund's deputy", "ambassador to Norway"
            and not misquotes(claim, sent.hit.chunk.text)  # words in quotation marks must be the source's words
        ):
            return sent
    return None


_QUOTED = re.compile(r"[\"“”]([^\"“”]{3,}?)[\"“”]")


def misquotes(claim: str, passage: str) -> bool:
    """The claim puts words in quotation marks that the passage does not say word for word."""
    said = " ".join(words(fold(passage)))
    for m in _QUOTED.finditer(claim):
        quoted = " ".join(words(fold(m.group(1))))
        if len(quoted.split()) >= 2 and quoted not in said:
            return True
    return False


def _yes_no_consistent(claims: list[str], question: str, evidence: Evidence) -> bool:
    """For yes/no questions the stated polarity must match the top evidence."""
    first = fold(claims[0]) if claims else ""
    said = "Yes" if first.startswith("yes") else "No" if first.startswith("no") else None
    return said is not None and said == polarity(question, evidence.sentences[0].text)


def _full_names(text: str) -> set[str]:
    """Runs of two or more capitalised words ("Clara Voss"), folded."""
    runs = re.findall(r"\b[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+)+", text)
    return {fold(r) for r in runs}


def _answers_like_top(claims: list[str], question: str, kind: str, top: str) -> bool:
    """The answer must name what the top evidence names (who/where/which) or carry some of its content (other)."""
    if asks_title(question):  # "what is Voss's title": the answer must give a title the best evidence gives
        titles = {stem(fold(w)) for w in words(top) if w[:1].isupper()} & ROLE_NOUNS - _role_stems(question)
        return not titles or any(titles & _role_stems(c) for c in claims)
    if kind == "other":  # the answer must carry something of the best evidence beyond the question's own words
        asked = content_terms(question)
        new = [t for t in content_terms(top) if not any(terms_match(t, a) for a in asked)]
        stated = {t for c in claims for t in content_terms(c)}
        return not new or any(terms_match(t, h) for t in new for h in stated)
    if kind == "yesno":
        return True
    asked = names(question) | numbers(question)
    said = {a for a in set().union(*(names(c) | numbers(c) for c in claims)) if not _among(a, asked)}
    offered = {b for b in names(top) | numbers(top) if not _among(b, asked)} or names(top) | numbers(top)
    if kind == "person":  # a name that the top evidence writes as part of a full name
        in_runs = {stem(w) for run in _full_names(top) for w in run.split()}
        return any(_among(a, in_runs) for a in said)
    return any(_among(a, offered) for a in said)


def _role_stems(text: str) -> set[str]:
    """Role nouns a text uses (ambassador, secretary, spokesman), as stems."""
    return {stem(fold(w)) for w in words(text)} & ROLE_NOUNS


def _among(term: str, terms: set[str]) -> bool:
    """The term matches one of the terms (stems, aliases, prefixes)."""
    return any(terms_match(term, t) for t in terms)


def verify(
    draft: str,
    data: GenerationInput,
    evidence: Evidence,
    embedder: Embedder,
    options: VerifySettings,
    number_of: dict[str, int],
) -> Verdict:
    """Keep supported sentences (re-cited), drop the rest; fall back to quoted evidence."""
    claims = _claims(draft)
    verdict, kept = _checked(claims, evidence, embedder, options, number_of)
    top_ids = {id(evidence.sentences[0])}  # the answer must rest on the best evidence, not on a side remark
    on_topic = any(id(s) in top_ids for s in verdict.cited)
    if data.kind == "yesno" and kept and not _yes_no_consistent(claims, data.question, evidence):
        verdict.notes.append("The model's yes/no did not match the evidence.")
        kept = []
    top = evidence.sentences[0].text
    if kept and on_topic and not _answers_like_top(kept, data.question, data.kind, top):
        verdict.notes.append("The model's answer did not name what the best evidence names.")
        on_topic = False
    if not kept or not on_topic:
        if kept and not verdict.notes[-1:]:
            verdict.notes.append("The model's answer did not address the question.")
        return _quoted(verdict, data, evidence)
    verdict.text = " ".join(kept)
    return verdict


def verify_claims(
    draft: str, data: GenerationInput, evidence: Evidence, embedder: Embedder, options: VerifySettings,
    number_of: dict[str, int], on_topic_top: int,
) -> Verdict:
    """Each sentence alone: kept in its own words when supported, dropped when not; quotes when none is left."""
    claims = _claims(draft)
    verdict, kept = _checked(claims, evidence, embedder, options, number_of)
    if data.kind == "yesno" and kept and not _yes_no_consistent(claims, data.question, evidence):
        verdict.notes.append("The model's yes/no did not match the evidence.")
        return _quoted(verdict, data, evidence)
    best = {id(s) for s in evidence.sentences[:on_topic_top]}
    if kept and any(id(s) in best for s in verdict.cited):
        verdict.text = " ".join(kept)
        return verdict
    if kept:
        verdict.notes.append("The model's answer did not rest on the passages that match the question.")
    return _quoted(verdict, data, evidence)


def _checked(
    claims: list[str], evidence: Evidence, embedder: Embedder, options: VerifySettings, number_of: dict[str, int]
) -> tuple[Verdict, list[str]]:
    """Each claim with its support: the kept ones re-cited (in the claim's own words), the others noted."""
    verdict = Verdict(text="")
    kept: list[str] = []
    for claim, vector in zip(claims, embedder.embed(claims) if claims else [], strict=True):
        support = _support(claim, vector, evidence, options)
        if support is None:
            verdict.notes.append(f"Removed a sentence the sources do not support: “{claim}”")
            verdict.dropped += 1
            continue
        kept.append(f"{claim.rstrip('.!? ')} [{number_of[support.hit.chunk.id]}].")
        verdict.cited.append(support)
    return verdict, kept


def _quoted(verdict: Verdict, data: GenerationInput, evidence: Evidence) -> Verdict:
    """The draft replaced by quoted evidence (the best sentences, cited)."""
    verdict.text = extractive_answer(data)
    verdict.cited = [s for s in evidence.sentences[:2] if _quotes(verdict.text, s.text, data)][:2]
    verdict.fell_back = True
    return verdict


def _quotes(text: str, sentence: str, data: GenerationInput) -> bool:
    """The answer quotes the sentence, whole or cut to its answering clause."""
    cuts = {" ".join(sentence.split()), short_quote(sentence, data.question, data.kind)}
    return any(cut.strip("…") in text for cut in cuts)


def make_judge(embedder: Embedder, options: VerifySettings) -> Callable[[str, Sequence[str]], bool]:
    """The verifier as a support judge for evaluation: do these passages together support the claim?"""
    cache: dict[str, list[float]] = {}

    def vectors(texts: list[str]) -> list[list[float]]:
        missing = [t for t in dict.fromkeys(texts) if t not in cache]
        for text, vec in zip(missing, embedder.embed(missing), strict=True):
            cache[text] = vec
        return [cache[t] for t in texts]

    def judge(claim: str, passages: Sequence[str]) -> bool:
        joined = "\n".join(passages)
        if not passages or not _grounded(claim, joined, options.min_token_support):
            return False
        sentences = [s for p in passages for s in split_sentences(p)]
        claim_vec, *sentence_vecs = vectors([claim, *sentences])
        return max((cosine(claim_vec, v) for v in sentence_vecs), default=0.0) >= options.support_threshold

    return judge
