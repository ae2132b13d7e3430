"""Evaluation over several corpora: each folder with docs/ and dev/test question halves, indexed apart and asked.

Used by `assistant eval --corpora DIR` (the per-corpus gate) and `bench/corpora_eval.py` (the tables).
"""

from __future__ import annotations

import re
import statistics
import sys
from pathlib import Path
from typing import Any

from assistant.answering.verify import make_judge
from assistant.errors import ConfigError
from assistant.evaluation.report import write_report
from assistant.evaluation.runner import Report, evaluate, load_questions
from assistant.service import Assistant
from assistant.settings import Settings

MARKER = re.compile(r"\[\d+\]")
CONCISE_WORDS = 30


def corpus_names(root: Path, half: str) -> list[str]:
    """Corpora under root that have documents and the asked half, in name order."""
    names = sorted(p.parent.name for p in root.glob(f"*/{half}.jsonl"))
    missing = [n for n in names if not (root / n / "docs").is_dir()]
    if missing or not names:
        raise ConfigError(
            f"{root}: no corpora with documents ({', '.join(missing) or 'none found'})",
            "Lay them out first: bash tests/eval/corpora/install.sh",
        )
    return names


def corpus_assistant(root: Path, name: str, base: Settings) -> Assistant:
    """An assistant on one corpus's own index (under index_dir/corpora/<embedder>/<name>), brought up to date."""
    index = base.index_dir / "corpora" / base.embedder / name
    update = {"index_dir": index, "seeds_dir": root / name / "docs",
              "encoder_cache_dir": base.encoder_cache_dir or index.parent / "encoders"}
    settings = base.model_copy(update=update, deep=True)  # one encoder graph build serves every corpus
    assistant = Assistant(settings)
    print(assistant.ingest([root / name / "docs"], progress=False).summary(), file=sys.stderr)
    return assistant


def concise(report: Report) -> tuple[int, int]:
    """(concise, correct): correct answers of at most 30 words, why/how questions left out."""
    correct = [o for o in report.outcomes if not o.unanswerable and o.correct and o.item.get("category") != "whyhow"]
    short = [o for o in correct if len(MARKER.sub(" ", o.answer.answer).split()) <= CONCISE_WORDS]
    return len(short), len(correct)


def row(name: str, report: Report) -> dict[str, Any]:
    """One corpus's figures."""
    answerable = [o for o in report.outcomes if not o.unanswerable]
    unanswerable = [o for o in report.outcomes if o.unanswerable]
    head = report.headline()
    short, correct = concise(report)
    return {
        "corpus": name,
        "answerable": f"{sum(o.passed for o in answerable)}/{len(answerable)}",
        "abstained": f"{sum(o.answer.abstained for o in unanswerable)}/{len(unanswerable)}",
        "concise": f"{short}/{correct}",
        "recall@k": head["recall_at_k"],
        "mrr": head["mrr"],
        "cite P": head["citation_precision"],
        "cite R": head["citation_recall"],
        # drafts kept / corrected / replaced / abstained / failed
        "drafts k/c/r/a/f": "/".join(str(n) for n in report.drafts().values()),
        "p50 s": round(statistics.median(o.seconds for o in report.outcomes), 2),
    }


def run_corpus(root: Path, name: str, halves: list[str], base: Settings, report_dir: Path) -> dict[str, Any]:
    """Index one corpus (incrementally), ask it the halves, write its report; its row."""
    assistant = corpus_assistant(root, name, base)
    items = [i for half in halves for i in load_questions(root / name / f"{half}.jsonl")]
    judge = make_judge(assistant.embedder, assistant.settings.verify)
    generator = base.generator
    report = evaluate(lambda q, h: assistant.ask(q, h, generator=generator), items, judge, generator)
    write_report(report, report_dir / name)
    return row(name, report)


def table(rows: list[dict[str, Any]]) -> str:
    """A Markdown table of the rows."""
    keys = list(dict.fromkeys(k for r in rows for k in r))  # a failed row has fewer columns
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(str(r.get(k, "")) for k in keys) + " |" for r in rows]
    return "\n".join(lines)


def gate(rows: list[dict[str, Any]], baseline: dict[str, Any], tolerance: int) -> list[str]:
    """Per corpus: answerable-correct and abstained counts that fell more than `tolerance` questions below."""
    drops = []
    for r in rows:
        base = baseline.get(r["corpus"])
        if base is None:
            continue
        for key in ("answerable", "abstained"):
            now, was = int(str(r[key]).split("/")[0]), int(str(base[key]).split("/")[0])
            if was - now > tolerance:
                drops.append(f"{r['corpus']} {key}: {base[key]} -> {r[key]} (tolerance {tolerance})")
    return drops
