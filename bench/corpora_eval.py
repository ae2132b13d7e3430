"""The multi-domain evaluation: every corpus of tests/eval/corpora, indexed apart, asked its dev or test half.

Usage: python bench/corpora_eval.py [--half dev|test|both] [--llm NAME] [--embedder NAME] [--corpus NAME ...]
       [--report DIR] [--section NAME]
Lay the corpora out first with `bash tests/eval/corpora/install.sh`. Each corpus gets its own index under
index/corpora/<embedder>/<name> (incremental: a re-run costs a hash per file). Prints one row per corpus and writes
report.json/report.md per corpus under --report (default eval-report/corpora/<half>/), and a table into
tests/eval/corpora/RESULTS.md under the section named by --section (default "<half>-<llm>").
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchkit import ROOT, write_section  # noqa: E402

from assistant.answering.verify import make_judge  # noqa: E402
from assistant.evaluation.report import write_report  # noqa: E402
from assistant.evaluation.runner import Report, evaluate, load_questions  # noqa: E402
from assistant.service import Assistant  # noqa: E402
from assistant.settings import Settings  # noqa: E402

CORPORA = ROOT / "tests" / "eval" / "corpora"
MARKER = re.compile(r"\[\d+\]")
CONCISE_WORDS = 30


def concise(report: Report) -> tuple[int, int]:
    """(concise, correct): correct answers of at most 30 words, why/how questions left out."""
    correct = [o for o in report.outcomes if not o.unanswerable and o.correct and o.item.get("category") != "whyhow"]
    short = [o for o in correct if len(MARKER.sub(" ", o.answer.answer).split()) <= CONCISE_WORDS]
    return len(short), len(correct)


def row(name: str, report: Report) -> dict[str, object]:
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
        "p50 s": round(statistics.median(o.seconds for o in report.outcomes), 2),
    }


def table(rows: list[dict[str, object]]) -> str:
    """A Markdown table of the rows."""
    keys = list(rows[0])
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(str(r[k]) for k in keys) + " |" for r in rows]
    return "\n".join(lines)


def corpus_assistant(name: str, llm: str, embedder: str) -> Assistant:
    """An assistant on one corpus's own index, brought up to date first."""
    docs = CORPORA / name / "docs"
    if not docs.is_dir():
        raise SystemExit(f"{docs} is missing: run `bash tests/eval/corpora/install.sh` first")
    index = ROOT / "index" / "corpora" / embedder / name
    settings = Settings(
        index_dir=index, seeds_dir=docs, generator=llm, embedder=embedder, encoder_cache_dir=index.parent / "encoders"
    )  # one graph build for all corpora
    assistant = Assistant(settings)
    print(assistant.ingest([docs], progress=False).summary(), file=sys.stderr)
    return assistant


def run_corpus(name: str, args: argparse.Namespace) -> dict[str, object]:
    """Index one corpus (incrementally) and ask it one half."""
    assistant = corpus_assistant(name, args.llm, args.embedder)
    settings = assistant.settings
    halves = ["dev", "test"] if args.half == "both" else [args.half]
    items = [i for half in halves for i in load_questions(CORPORA / name / f"{half}.jsonl")]
    judge = make_judge(assistant.embedder, settings.verify)
    report = evaluate(lambda q, h: assistant.ask(q, h, generator=args.llm), items, judge, args.llm)
    write_report(report, args.report / name)
    return row(name, report)


def main() -> None:
    """Run the chosen corpora one after another and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--half", choices=["dev", "test", "both"], default="dev")
    parser.add_argument("--llm", default=Settings().generator)
    parser.add_argument("--embedder", default=Settings().embedder)
    parser.add_argument("--corpus", nargs="*", default=None)
    parser.add_argument("--report", type=Path, default=None)
    parser.add_argument("--section", default=None)
    args = parser.parse_args()
    args.report = args.report or ROOT / "eval-report" / "corpora" / args.half
    names = args.corpus or sorted(p.parent.name for p in CORPORA.glob("*/dev.jsonl"))
    rows = [run_corpus(name, args) for name in names]
    text = table(rows)
    print(text)
    (args.report / "table.json").write_text(json.dumps(rows, indent=1), encoding="utf-8")
    title = f"## {args.half} half(s), generator `{args.llm}`, embedder `{args.embedder}`\n\n"
    command = f"`.venv/bin/python bench/corpora_eval.py --half {args.half} --llm {args.llm} --embedder {args.embedder}`"
    results = CORPORA / "RESULTS.md"
    if not results.exists():
        results.write_text("# Multi-domain evaluation results (written by bench/corpora_eval.py)\n", encoding="utf-8")
    write_section(args.section or f"{args.half}-{args.llm}-{args.embedder}", title + command + "\n\n" + text, results)


if __name__ == "__main__":
    main()
