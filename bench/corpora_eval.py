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
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchkit import ROOT, write_section  # noqa: E402

from assistant.interfaces.corpora import corpus_assistant as shared_assistant  # noqa: E402
from assistant.interfaces.corpora import run_corpus as shared_run  # noqa: E402
from assistant.interfaces.corpora import table  # noqa: E402
from assistant.service import Assistant  # noqa: E402
from assistant.settings import Settings  # noqa: E402

CORPORA = ROOT / "tests" / "eval" / "corpora"


def corpus_assistant(name: str, llm: str, embedder: str) -> Assistant:
    """An assistant on one corpus's own index under index/corpora/<embedder>/<name>, brought up to date."""
    return shared_assistant(CORPORA, name, Settings(index_dir=ROOT / "index", generator=llm, embedder=embedder))


def run_corpus(name: str, args: argparse.Namespace) -> dict[str, object]:
    """Index one corpus (incrementally) and ask it one half."""
    halves = ["dev", "test"] if args.half == "both" else [args.half]
    base = Settings(index_dir=ROOT / "index", generator=args.llm, embedder=args.embedder)
    return shared_run(CORPORA, name, halves, base, args.report)


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
