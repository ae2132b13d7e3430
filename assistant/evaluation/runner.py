"""Run a question set through the assistant and score it (accuracy, abstention, retrieval, citations, latency)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from statistics import mean, median
from typing import Any

from tqdm import tqdm

from assistant.evaluation.judges import describe
from assistant.evaluation.metrics import (
    CitationScore,
    Judge,
    citation_score,
    contains_answer,
    evidence_rank,
    evidence_recall,
    percentile,
    token_f1,
)
from assistant.models import Answer

# higher is better for every headline metric except these
LOWER_IS_BETTER = {"wrong_abstain_rate", "latency_p50_s", "latency_p95_s"}
GATED = (
    "accuracy",
    "answered_with_citation",
    "f1",
    "abstain_recall",
    "abstain_precision",
    "wrong_abstain_rate",
    "recall_at_k",
    "mrr",
    "citation_recall",
    "citation_precision",
)


def load_questions(path: Path) -> list[dict[str, Any]]:
    """Read a JSONL question file."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


@dataclass
class Outcome:
    """One question's answer and scores."""

    item: dict[str, Any]
    answer: Answer
    seconds: float
    f1: float = 0.0
    rank: int | None = None
    recall: float = 0.0
    cites: CitationScore = field(default_factory=CitationScore)

    @property
    def unanswerable(self) -> bool:
        """The documents do not answer this question."""
        return bool(self.item.get("unanswerable"))

    @property
    def correct(self) -> bool:
        """Answerable: contains an accepted answer; unanswerable: abstained."""
        if self.unanswerable:
            return self.answer.abstained
        return not self.answer.abstained and contains_answer(self.answer.answer, self.item.get("answers", []))

    @property
    def cited(self) -> bool:
        """A cited passage contains an accepted answer or an evidence span (abstention for unanswerable)."""
        if self.unanswerable:
            return self.answer.abstained
        wanted = list(self.item.get("answers", [])) + list(self.item.get("evidence", []))
        return any(contains_answer(c.chunk.text, wanted) for c in self.answer.citations)

    @property
    def passed(self) -> bool:
        """Correct and backed by a citation whose passage holds the answer."""
        return self.correct and self.cited

    @property
    def tokens_per_s(self) -> float | None:
        """Completion tokens the generator reported, per second of generation (None when not reported)."""
        seconds = self.answer.timings_ms.get("generate", 0.0) / 1000
        return self.answer.tokens / seconds if self.answer.tokens and seconds > 0 else None


def score(item: dict[str, Any], answer: Answer, seconds: float, judge: Judge) -> Outcome:
    """Score one answer."""
    outcome = Outcome(item, answer, seconds)
    passages = [h.chunk.text for h in answer.retrieved]
    if not outcome.unanswerable:
        outcome.f1 = 0.0 if answer.abstained else token_f1(answer.answer, item.get("answers", []))
        evidence = item.get("evidence") or item.get("answers", [])
        outcome.rank = evidence_rank(passages, evidence)
        outcome.recall = evidence_recall(passages, evidence)
    if not answer.abstained:
        cited = {c.id: c.chunk.text for c in answer.citations}
        outcome.cites = citation_score(answer.answer, cited, judge)
    return outcome


def _ratio(part: float, whole: float) -> float:
    """part / whole, 0 when whole is 0, rounded."""
    return round(part / whole, 3) if whole else 0.0


@dataclass
class Report:
    """All outcomes of one run and their aggregate figures."""

    outcomes: list[Outcome]
    generator: str
    judge: dict[str, Any] = field(default_factory=lambda: describe(None))

    def headline(self) -> dict[str, float]:
        """The headline metrics (defined in the README); tokens_per_s only when a generator reported tokens."""
        answerable = [o for o in self.outcomes if not o.unanswerable]
        unanswerable = [o for o in self.outcomes if o.unanswerable]
        abstained = [o for o in self.outcomes if o.answer.abstained]
        cites = [o.cites for o in self.outcomes]
        times = [o.seconds for o in self.outcomes]
        rates = [r for o in self.outcomes if (r := o.tokens_per_s) is not None]
        figures = {
            "accuracy": _ratio(sum(o.correct for o in answerable), len(answerable)),
            "answered_with_citation": _ratio(sum(o.passed for o in answerable), len(answerable)),
            "f1": round(mean(o.f1 for o in answerable), 3) if answerable else 0.0,
            "abstain_recall": _ratio(sum(o.answer.abstained for o in unanswerable), len(unanswerable)),
            "abstain_precision": _ratio(sum(o.unanswerable for o in abstained), len(abstained)),
            "wrong_abstain_rate": _ratio(sum(o.answer.abstained for o in answerable), len(answerable)),
            "recall_at_k": round(mean(o.recall for o in answerable), 3) if answerable else 0.0,
            "mrr": round(mean(1 / o.rank if o.rank else 0.0 for o in answerable), 3) if answerable else 0.0,
            "citation_recall": _ratio(sum(c.supported for c in cites), sum(c.sentences for c in cites)),
            "citation_precision": _ratio(sum(c.relevant for c in cites), sum(c.citations for c in cites)),
            "latency_p50_s": round(percentile(times, 0.5), 3),
            "latency_p95_s": round(percentile(times, 0.95), 3),
        }
        if rates:
            figures["tokens_per_s"] = round(median(rates), 1)
        return figures

    def by_category(self) -> dict[str, dict[str, float]]:
        """Pass rate (answered with citation, or abstained) and citation recall per question category."""
        groups: dict[str, list[Outcome]] = {}
        for o in self.outcomes:
            groups.setdefault(o.item.get("category", "all"), []).append(o)
        return {
            name: {
                "n": len(items),
                "pass_rate": _ratio(sum(o.passed for o in items), len(items)),
                "citation_recall": _ratio(sum(o.cites.supported for o in items), sum(o.cites.sentences for o in items)),
                "answer_sentences": sum(o.cites.sentences for o in items),  # 0: citation recall does not apply
            }
            for name, items in sorted(groups.items())
        }

    def drafts(self) -> dict[str, int]:
        """How many drafts the verifier kept, corrected, replaced or believed as an abstention; failed generators."""
        counts = {"kept": 0, "corrected": 0, "replaced": 0, "abstained": 0, "failed": 0}
        for o in self.outcomes:
            if o.answer.draft_outcome in counts:
                counts[o.answer.draft_outcome] += 1
        return counts

    def to_json(self) -> dict[str, Any]:
        """Everything in report.json."""
        return {
            "generator": self.generator,
            "questions": len(self.outcomes),
            "headline": self.headline(),
            "by_category": self.by_category(),
            "drafts": self.drafts(),
            "judge": self.judge,
            "items": [_item_json(o) for o in self.outcomes],
        }


def _item_json(o: Outcome) -> dict[str, Any]:
    """One per-question row of report.json."""
    return {
        "id": o.item.get("id"),
        "category": o.item.get("category"),
        "question": o.item["question"],
        "answer": o.answer.answer,
        "abstained": o.answer.abstained,
        "unanswerable": o.unanswerable,
        "correct": o.correct,
        "passed": o.passed,
        "f1": round(o.f1, 3),
        "evidence_rank": o.rank,
        "citations": [c.id for c in o.answer.citations],
        "citation_sentences": o.cites.sentences,
        "citation_supported": o.cites.supported,
        "seconds": round(o.seconds, 3),
        "tokens": o.answer.tokens,
        "draft": o.answer.draft_outcome,
        "draft_text": o.answer.draft,
    }


def evaluate(
    ask: Callable[[str, list[dict[str, str]]], Answer],
    items: Sequence[dict[str, Any]],
    judge: Judge,
    generator: str,
    progress: bool = True,
) -> Report:
    """Ask every question (with its history) and score the answers."""
    outcomes = []
    for item in tqdm(items, desc=f"Evaluating ({generator})", unit="q", disable=not progress, leave=False):
        start = time.perf_counter()
        answer = ask(item["question"], item.get("history") or [])
        outcomes.append(score(item, answer, time.perf_counter() - start, judge))
    return Report(outcomes, generator, describe(judge))


def compare(current: dict[str, float], baseline: dict[str, float], tolerance: float) -> list[str]:
    """Headline metrics that got worse than the baseline by more than the tolerance."""
    drops = []
    for name in GATED:
        if name not in baseline or name not in current:
            continue
        worse = current[name] - baseline[name]
        worse = worse if name in LOWER_IS_BETTER else -worse
        if worse > tolerance + 1e-9:
            drops.append(f"{name}: {baseline[name]:.3f} -> {current[name]:.3f} (tolerance {tolerance:.3f})")
    return drops
