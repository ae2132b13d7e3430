"""Score answers against test questions: accuracy, supported citations, abstention."""

from __future__ import annotations

import json
import re
import string
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median
from typing import Any

from assistant.models import Answer
from assistant.text import fold

_ARTICLES = re.compile(r"\b(a|an|the)\b")


def normalize(text: str) -> str:
    """Fold case, accents, punctuation and articles; single spaces."""
    text = fold(text).replace("’", "'")
    text = "".join(" " if ch in string.punctuation or ch in "—–“”" else ch for ch in text)
    return " ".join(_ARTICLES.sub(" ", text).split())


def contains_answer(answer: str, accepted: Iterable[str]) -> bool:
    """True when any accepted answer appears in the answer as whole words."""
    padded = f" {normalize(answer)} "
    return any(f" {normalize(a)} " in padded for a in accepted if normalize(a))


def load_questions(path: Path) -> list[dict[str, Any]]:
    """Read a JSONL question file."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


@dataclass
class Outcome:
    """One question's result."""

    item: dict[str, Any]
    answer: Answer
    seconds: float

    @property
    def unanswerable(self) -> bool:
        """The question has no answer in the documents."""
        return bool(self.item.get("unanswerable"))

    @property
    def correct(self) -> bool:
        """Answerable: contains an accepted answer; unanswerable: abstained."""
        if self.unanswerable:
            return self.answer.abstained
        return not self.answer.abstained and contains_answer(self.answer.answer, self.item["answers"])

    @property
    def cited(self) -> bool:
        """A cited passage contains an accepted answer or an evidence span."""
        if self.unanswerable:
            return self.answer.abstained
        wanted = list(self.item.get("answers", [])) + list(self.item.get("evidence", []))
        return any(contains_answer(c.chunk.text, wanted) for c in self.answer.citations)


@dataclass
class Summary:
    """Headline figures over a question set."""

    outcomes: list[Outcome] = field(default_factory=list)

    def rate(self, pick: Callable[[Outcome], bool], test: Callable[[Outcome], bool]) -> tuple[int, int]:
        """(passed, total) over the outcomes that `pick` selects."""
        chosen = [o for o in self.outcomes if pick(o)]
        return sum(1 for o in chosen if test(o)), len(chosen)

    def headline(self) -> dict[str, Any]:
        """Answered-correctly-with-citation and abstention figures."""
        ok, n = self.rate(lambda o: not o.unanswerable, lambda o: o.correct and o.cited)
        ab, m = self.rate(lambda o: o.unanswerable, lambda o: o.answer.abstained)
        wrong_ab, _ = self.rate(lambda o: not o.unanswerable, lambda o: o.answer.abstained)
        times = [o.seconds for o in self.outcomes] or [0.0]
        return {
            "answerable_correct_cited": f"{ok}/{n}",
            "answerable_rate": round(ok / n, 3) if n else None,
            "unanswerable_abstained": f"{ab}/{m}",
            "abstain_rate": round(ab / m, 3) if m else None,
            "wrong_abstentions": wrong_ab,
            "median_seconds": round(median(times), 3),
        }


def run(ask: Callable[[str, list[dict[str, str]]], Answer], items: list[dict[str, Any]]) -> Summary:
    """Ask every question and collect outcomes."""
    summary = Summary()
    for item in items:
        start = time.perf_counter()
        answer = ask(item["question"], item.get("history") or [])
        summary.outcomes.append(Outcome(item, answer, time.perf_counter() - start))
    return summary
