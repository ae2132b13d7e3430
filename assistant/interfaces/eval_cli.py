"""`assistant eval`: score a question set, write a report, gate against a baseline; or draft questions."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.errors import ConfigError
from assistant.settings import Settings

if TYPE_CHECKING:
    from assistant.evaluation.metrics import Judge
    from assistant.service import Assistant


def run_eval(args: argparse.Namespace, settings: Settings) -> int:
    """Exit 0 when done (and no drop against the baseline), 1 on a drop."""
    if args.generate is not None:
        return _draft(args)
    if args.corpora is not None:
        return _run_corpora(args, settings)
    if args.questions is None:
        raise ConfigError("Name a questions file (JSONL), or use --generate PATH to draft one.")
    from assistant.answering.verify import make_judge
    from assistant.evaluation.report import write_report
    from assistant.evaluation.runner import compare, evaluate, load_questions
    from assistant.service import Assistant

    try:
        items = load_questions(args.questions)
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"Cannot read questions file {args.questions}: {exc}") from exc
    assistant = Assistant(settings)
    generator = settings.generator
    judge = _judge(args.judge, assistant, make_judge(assistant.embedder, settings.verify))
    report = evaluate(lambda q, h: assistant.ask(q, h, generator=generator), items, judge, generator)
    folder = args.report or Path("eval-report")
    for path in write_report(report, folder):
        print(f"wrote {path}")
    headline = report.headline()
    print(json.dumps(headline))
    print(f"citation support judged by {report.judge['name']}: {report.judge['description']}")
    if args.baseline:
        baseline = json.loads(args.baseline.read_text(encoding="utf-8"))["headline"]
        drops = compare(headline, baseline, args.tolerance)
        for drop in drops:
            print(f"REGRESSION {drop}", file=sys.stderr)
        if drops:
            return 1
        print(f"no headline metric dropped by more than {args.tolerance} against {args.baseline}")
    return 0


def _run_corpora(args: argparse.Namespace, settings: Settings) -> int:
    """Every corpus's half, each on its own index; with --baseline, exit 1 when a corpus fell back."""
    from assistant.interfaces.corpora import corpus_names, gate, run_corpus, table

    halves = ["dev", "test"] if args.half == "both" else [args.half]
    folder = args.report or Path("eval-report") / "corpora"
    rows = [run_corpus(args.corpora, n, halves, settings, folder) for n in corpus_names(args.corpora, halves[0])]
    print(table(rows))
    (folder / "table.json").write_text(json.dumps(rows, indent=1), encoding="utf-8")
    if not args.baseline:
        return 0
    baseline = json.loads(args.baseline.read_text(encoding="utf-8"))
    if baseline.get("half") != args.half or baseline.get("generator") != settings.generator:
        raise ConfigError(f"{args.baseline} holds the {baseline.get('half')} half with {baseline.get('generator')}")
    tolerance = int(baseline.get("tolerance_questions", 1))
    drops = gate(rows, baseline["corpora"], tolerance)
    for drop in drops:
        print(f"REGRESSION {drop}", file=sys.stderr)
    if not drops:
        print(f"no corpus fell more than {tolerance} question(s) below {args.baseline}")
    return 1 if drops else 0


def _judge(name: str, assistant: Assistant, verifier: Judge) -> Judge:
    """The verifier, or the configured generator asked yes/no (falling back to the verifier if it fails)."""
    if name == "verifier":
        return verifier
    from assistant.evaluation.judges import LLMJudge
    from assistant.prompts import load_prompt

    prompt = load_prompt(assistant.settings.prompts_dir, "judge")  # a missing or bad prompt fails before the run
    return LLMJudge(assistant.generator(), prompt, verifier)


def _draft(args: argparse.Namespace) -> int:
    """Write drafted questions as JSONL (to --out or stdout)."""
    from assistant.evaluation.drafts import drafts

    paths = args.generate or [Path("seeds")]
    lines = [json.dumps(d, ensure_ascii=False) for d in drafts(paths)]
    text = "\n".join(lines) + ("\n" if lines else "")
    if args.out:
        args.out.write_text(text, encoding="utf-8")
        print(f"wrote {len(lines)} draft questions to {args.out}; review them before use", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0
