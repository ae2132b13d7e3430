"""Calibrate the abstention threshold on labelled questions (answerable + unanswerable), pooled.

Usage: python bench/calibrate.py [QUESTIONS.jsonl ...]      sets asked of the default index (seed set by default)
       python bench/calibrate.py --corpora [--half dev]     every corpus's half, each on its own index
For each question it records the answerability score of the best evidence and whether the quoted evidence
answers it; then it sweeps thresholds, prints the one that maximises the sum of the answerable-correct rate and
the abstention rate on unanswerable questions, and (with --corpora) both rates per corpus at that threshold and
at the current setting.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpora_eval import CORPORA, corpus_assistant  # noqa: E402

from assistant.evaluation.runner import Outcome, load_questions  # noqa: E402
from assistant.retrieval.condense import condense  # noqa: E402
from assistant.service import Assistant  # noqa: E402
from assistant.settings import Settings  # noqa: E402

Row = tuple[float, bool, bool]  # answerability, unanswerable, answered correctly with support when not abstaining


def rows_of(assistant: Assistant, items: Iterable[dict]) -> list[Row]:
    """Score and answer each question with abstention switched off."""
    assistant.settings.verify.abstain_threshold = 0.0
    rows = []
    for item in items:
        history = item.get("history") or []
        score = assistant.evidence(condense(item["question"], history, assistant.embedder))[2].answerability
        outcome = Outcome(item, assistant.ask(item["question"], history), 0.0)
        rows.append((score, bool(item.get("unanswerable")), outcome.correct and outcome.cited))
    return rows


def rates(rows: list[Row], t: float) -> tuple[float, float]:
    """(answerable answered correctly, unanswerable abstained) at threshold t."""
    answerable = [r for r in rows if not r[1]] or [(0.0, False, False)]
    unanswerable = [r for r in rows if r[1]] or [(0.0, True, False)]
    ok = sum(1 for s, _, good in answerable if s >= t and good) / len(answerable)
    return ok, sum(1 for s, _, _ in unanswerable if s < t) / len(unanswerable)


def sweep(rows: list[Row]) -> float:
    """Print the sweep; the threshold with the best sum of both rates."""
    best = (0.0, -1.0)
    print("threshold  answerable_ok  abstained")
    for step in range(20, 71):
        t = step / 100
        ok, ab = rates(rows, t)
        print(f"{t:9.2f}  {ok:13.3f}  {ab:9.3f}")
        if ok + ab > best[1]:
            best = (t, ok + ab)
    unanswerable = sum(r[1] for r in rows)
    print(f"best threshold: {best[0]:.2f} ({len(rows) - unanswerable} answerable, {unanswerable} unanswerable)")
    return best[0]


def main() -> None:
    """Print the sweep and the best threshold (and per-corpus rates with --corpora)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="*", type=Path)
    parser.add_argument("--corpora", action="store_true")
    parser.add_argument("--half", default="dev", choices=["dev", "test"])
    args = parser.parse_args()
    current = Settings().verify.abstain_threshold
    if not args.corpora:
        paths = args.sets or [Path("tests/eval/seed_questions.jsonl")]
        items = [i for path in paths for i in load_questions(path) if i.get("category") != "date"]
        sweep(rows_of(Assistant.from_settings(generator="extractive"), items))
        return
    per: dict[str, list[Row]] = {}
    for name in sorted(p.parent.name for p in CORPORA.glob(f"*/{args.half}.jsonl")):
        per[name] = rows_of(
            corpus_assistant(name, "extractive", Settings().embedder),
            load_questions(CORPORA / name / f"{args.half}.jsonl"),
        )
    best = sweep([r for rows in per.values() for r in rows])
    heads = [f"answerable ok @{t:.2f} | abstained @{t:.2f}" for t in (best, current)]
    print(f"\n| corpus | {' | '.join(heads)} |")
    print("|---|---|---|---|---|")
    for name, rows in per.items():
        (a, b), (c, d) = rates(rows, best), rates(rows, current)
        print(f"| {name} | {a:.2f} | {b:.2f} | {c:.2f} | {d:.2f} |")


if __name__ == "__main__":
    main()
