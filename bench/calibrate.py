"""Calibrate the abstention threshold on a labelled question set (answerable + unanswerable).

Usage: python bench/calibrate.py [QUESTIONS.jsonl ...]  (several sets are pooled)
For each question it records the answerability score of the best evidence and whether the quoted
evidence answers it; then it sweeps thresholds and prints the one that maximises the sum of the
answerable-correct rate and the abstention rate on unanswerable questions.
"""

from __future__ import annotations

import sys
from pathlib import Path

from assistant.evaluation.runner import Outcome, load_questions
from assistant.retrieval.condense import condense
from assistant.service import Assistant


def main() -> None:
    """Print the sweep and the best threshold."""
    paths = [Path(p) for p in sys.argv[1:]] or [Path("tests/eval/seed_questions.jsonl")]
    items = [i for path in paths for i in load_questions(path) if i.get("category") != "date"]
    assistant = Assistant.from_settings(generator="extractive")
    assistant.settings.verify.abstain_threshold = 0.0
    rows = []
    for item in items:
        question = condense(item["question"], item.get("history") or [], assistant.embedder)
        score = assistant.evidence(question)[2].answerability
        answer = assistant.ask(item["question"], item.get("history") or [])
        outcome = Outcome(item, answer, 0.0)
        rows.append((score, bool(item.get("unanswerable")), outcome.correct and outcome.cited))
    answerable = sum(1 for _, u, _ in rows if not u)
    unanswerable = len(rows) - answerable
    best = (0.0, -1.0)
    print("threshold  answerable_ok  abstained")
    for step in range(20, 71):
        t = step / 100
        ok = sum(1 for s, u, good in rows if not u and s >= t and good) / answerable
        ab = sum(1 for s, u, _ in rows if u and s < t) / unanswerable
        print(f"{t:9.2f}  {ok:13.3f}  {ab:9.3f}")
        if ok + ab > best[1]:
            best = (t, ok + ab)
    print(f"best threshold: {best[0]:.2f} ({answerable} answerable, {unanswerable} unanswerable)")


if __name__ == "__main__":
    main()
