"""Benchmark: accuracy on the seed question set and `ask` latency, per generator, in one run.

Usage: python bench/ask_latency.py [--generators local,extractive] [--repeats 3]
Needs an index of seeds/ (make index). Prints the figures and writes the `ask_latency` section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import time
from pathlib import Path

from benchkit import write_section

from assistant.answering.verify import make_judge
from assistant.evaluation.runner import evaluate, load_questions
from assistant.service import Assistant

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = ROOT / "tests" / "eval" / "seed_questions.jsonl"
RESULTS = ROOT / "bench" / "RESULTS.md"


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def measure(assistant: Assistant, generator: str, repeats: int) -> dict[str, object]:
    """Accuracy over the set, then latency of answerable questions repeated `repeats` times."""
    items = [i for i in load_questions(QUESTIONS) if i["category"] != "date"]
    assistant.ask("Who leads the Russian delegation?", generator=generator)  # warm-up: load models
    judge = make_judge(assistant.embedder, assistant.settings.verify)
    report = evaluate(lambda q, h: assistant.ask(q, h, generator=generator), items, judge, generator, progress=False)
    latencies = []
    for _ in range(repeats):
        for item in items:
            start = time.perf_counter()
            assistant.ask(item["question"], item.get("history") or [], generator=generator)
            latencies.append(time.perf_counter() - start)
    by_category: dict[str, list[bool]] = {}
    for o in report.outcomes:
        by_category.setdefault(o.item["category"], []).append(o.passed)
    answerable = [o for o in report.outcomes if not o.unanswerable]
    unanswerable = [o for o in report.outcomes if o.unanswerable]
    head = report.headline()
    return {
        "answerable_correct_cited": f"{sum(o.passed for o in answerable)}/{len(answerable)}",
        "answerable_rate": head["answered_with_citation"],
        "unanswerable_abstained": f"{sum(o.answer.abstained for o in unanswerable)}/{len(unanswerable)}",
        "abstain_rate": head["abstain_recall"],
        "wrong_abstentions": sum(o.answer.abstained for o in answerable),
        "citation_precision": head["citation_precision"],
        "citation_recall": head["citation_recall"],
        "p50_s": round(statistics.median(latencies), 3),
        "p95_s": round(percentile(latencies, 0.95), 3),
        "asks": len(latencies),
        "by_category": {k: f"{sum(v)}/{len(v)}" for k, v in sorted(by_category.items())},
    }


def main() -> None:
    """Run and report."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--generators", default="local,extractive,openai")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    assistant = Assistant.from_settings()
    server = None
    if "openai" in args.generators:
        # the openai generator talks HTTP to a llama.cpp OpenAI-compatible server on 127.0.0.1 (same GGUF)
        from assistant.adapters.llamacpp_generator import LlamaCppServer

        server = LlamaCppServer(assistant.settings.local)
        assistant.settings.openai.base_url, assistant.settings.openai.model = server.base_url, server.model_id
    rows = {}
    for name in args.generators.split(","):
        rows[name] = measure(assistant, name, args.repeats)
        print(name, rows[name], flush=True)
    lines = [
        f"- date: {dt.datetime.now().isoformat(timespec='minutes')}",
        f"- machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        f"- command: `.venv/bin/python bench/ask_latency.py --repeats {args.repeats}` (index of seeds/ built first)",
        f"- question set: `tests/eval/seed_questions.jsonl` without the date-arithmetic category "
        f"({rows[next(iter(rows))]['asks'] // args.repeats} questions)",
        "",
        "| generator | answerable correct + cited | unanswerable abstained | wrong abstentions | citation precision "
        "| citation recall | ask p50 (s) | ask p95 (s) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, r in rows.items():
        lines.append(
            f"| {name} | {r['answerable_correct_cited']} ({r['answerable_rate']}) | {r['unanswerable_abstained']} "
            f"({r['abstain_rate']}) | {r['wrong_abstentions']} | {r['citation_precision']} | {r['citation_recall']} "
            f"| {r['p50_s']} | {r['p95_s']} |"
        )
    lines += ["", "Per category (correct and cited, or abstained for unanswerable):", ""]
    for name, r in rows.items():
        lines.append(f"- {name}: " + ", ".join(f"{k} {v}" for k, v in r["by_category"].items()))
    lines += [
        "",
        "Latency is wall time of `Assistant.ask` in a warm process (models loaded), every question of the set",
        f"asked {args.repeats} times; abstentions are included (they skip generation and are fast).",
        "`openai` is the OpenAI-compatible HTTP adapter pointed at a llama.cpp server on 127.0.0.1 serving the",
        "same SmolLM2 GGUF, so it measures the adapter and HTTP overhead against `local` (in-process).",
        "",
    ]
    write_section("ask_latency", "\n".join(lines), RESULTS)
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
