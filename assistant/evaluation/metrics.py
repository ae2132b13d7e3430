"""Evaluation metrics: answer accuracy, token F1, retrieval recall@k and MRR, ALCE citation recall/precision."""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from assistant.text import fold, sentence_spans

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_MARKERS = re.compile(r"\[(\d+)\]")

# judge(claim, passages) -> True when the passages together support the claim
Judge = Callable[[str, Sequence[str]], bool]


def normalize(text: str) -> str:
    """Fold case, accents, punctuation and articles; single spaces."""
    text = fold(text)
    text = "".join(" " if ch in string.punctuation or ch in "—–“”‘’" else ch for ch in text)
    return " ".join(_ARTICLES.sub(" ", text).split())


def contains_answer(answer: str, accepted: Iterable[str]) -> bool:
    """True when any accepted answer appears in the answer as whole words."""
    padded = f" {normalize(answer)} "
    return any(f" {normalize(a)} " in padded for a in accepted if normalize(a))


def token_f1(answer: str, accepted: Iterable[str]) -> float:
    """Best SQuAD-style token F1 of the answer against any accepted answer."""
    got = normalize(answer).split()
    best = 0.0
    for reference in accepted:
        want = normalize(reference).split()
        common = sum((Counter(got) & Counter(want)).values())
        if not got or not want or not common:
            continue
        precision, recall = common / len(got), common / len(want)
        best = max(best, 2 * precision * recall / (precision + recall))
    return best


def evidence_rank(passages: Sequence[str], evidence: Sequence[str]) -> int | None:
    """1-based rank of the first passage that contains any evidence span (None if none does)."""
    for rank, passage in enumerate(passages, start=1):
        if any(normalize(e) and normalize(e) in normalize(passage) for e in evidence):
            return rank
    return None


def evidence_recall(passages: Sequence[str], evidence: Sequence[str]) -> float:
    """Share of evidence spans found in at least one passage."""
    if not evidence:
        return 0.0
    joined = [normalize(p) for p in passages]
    found = sum(1 for e in evidence if any(normalize(e) in p for p in joined))
    return found / len(evidence)


@dataclass
class CitationScore:
    """Counts for ALCE citation recall and precision over one answer."""

    sentences: int = 0
    supported: int = 0
    citations: int = 0
    relevant: int = 0


def cited_sentences(answer: str) -> list[tuple[str, list[int]]]:
    """Answer sentences with the citation numbers each carries (markers removed from the text)."""
    out = []
    for start, end in sentence_spans(answer):
        sentence = answer[start:end]
        ids = [int(n) for n in _MARKERS.findall(sentence)]
        text = _MARKERS.sub("", sentence).strip()
        if re.search(r"\w", text):
            out.append((text, ids))
        elif ids and out:  # a marker split off after the full stop belongs to the sentence before
            out[-1][1].extend(ids)
    return out


def citation_score(answer: str, passages: dict[int, str], judge: Judge) -> CitationScore:
    """ALCE: a sentence is supported when its cited passages together support it; a citation is
    relevant when its passage supports the sentence alone, or the others do not without it."""
    score = CitationScore()
    for sentence, ids in cited_sentences(answer):
        score.sentences += 1
        cited = [i for i in dict.fromkeys(ids) if i in passages]
        score.citations += len(ids)
        if not cited or not judge(sentence, [passages[i] for i in cited]):
            continue
        score.supported += 1
        for i in cited:
            alone = judge(sentence, [passages[i]])
            others = [passages[j] for j in cited if j != i]
            needed = not others or not judge(sentence, others)
            score.relevant += 1 if alone or needed else 0
    return score


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]
