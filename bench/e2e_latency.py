"""Benchmark: end-to-end latency with the default generator: warm answer and first streamed token, cold CLI ask.

Usage: .venv/bin/python bench/e2e_latency.py [--repeats 2] [--cold 3]
Builds an index of seeds/ in a temporary folder. Warm: one process, models loaded, every question of
tests/eval/seed_questions.jsonl except the date-arithmetic ones asked `--repeats` times through
Assistant.ask_stream. Cold: `assistant ask` as a fresh process (imports, model loads, answer), median of `--cold`.
Writes the `e2e` section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchkit import ROOT, load_average, median, offline, percentile, run_header, write_section

from assistant.evaluate import load_questions
from assistant.models import Answer
from assistant.service import Assistant
from assistant.settings import Settings

QUESTIONS = ROOT / "tests" / "eval" / "seed_questions.jsonl"
COLD_QUESTION = "Who leads the Russian delegation?"


def timed_stream(assistant: Assistant, question: str, history: list[dict[str, str]]) -> tuple[float | None, float,
                                                                                            Answer]:
    """(seconds to the first streamed draft piece or None, seconds to the verified answer, the answer)."""
    start = time.perf_counter()
    first: float | None = None
    answer: Answer | None = None
    for event in assistant.ask_stream(question, history):
        if isinstance(event, Answer):
            answer = event
        elif first is None and event.strip():
            first = time.perf_counter() - start
    assert answer is not None
    return first, time.perf_counter() - start, answer


def warm(assistant: Assistant, repeats: int) -> dict[str, float]:
    """Warm answer and first-token latencies over the question set."""
    items = [i for i in load_questions(QUESTIONS) if i["category"] != "date"]
    assistant.ask(COLD_QUESTION)  # load the models
    firsts, totals, abstained = [], [], 0
    for _ in range(repeats):
        for item in items:
            first, total, answer = timed_stream(assistant, item["question"], item.get("history") or [])
            totals.append(total)
            abstained += answer.abstained
            if first is not None:
                firsts.append(first)
    return {
        "questions": len(items), "asks": len(totals), "abstained": abstained, "streamed": len(firsts),
        "answer_p50": median(totals), "answer_p95": percentile(totals, 0.95),
        "first_p50": median(firsts), "first_p95": percentile(firsts, 0.95),
    }


def cold(index: Path, runs: int) -> list[float]:
    """Wall time of `assistant ask` in a new process, `runs` times."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    cli = Path(sys.executable).parent / "assistant"
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run([str(cli), "--index-dir", str(index), "ask", COLD_QUESTION], capture_output=True,
                              text=True, env=env, cwd=ROOT, timeout=600)
        times.append(time.perf_counter() - start)
        if done.returncode != 0 or "Darchiyev" not in done.stdout:
            sys.exit(f"cold ask failed: {done.stdout}\n{done.stderr}")
    return times


def section(args: argparse.Namespace, w: dict[str, float], cold_s: list[float], load_before: str,
            generator: str) -> str:
    """The RESULTS.md section."""
    lines = ["## End-to-end latency (default generator)", ""]
    lines += run_header(f".venv/bin/python bench/e2e_latency.py --repeats {args.repeats} --cold {args.cold}",
                        load_before)
    lines += [
        f"- generator: `{generator}` (SmolLM2-135M-Instruct Q4_1 through llama.cpp, 2 threads); index of seeds/",
        f"- warm: {w['questions']} questions of `tests/eval/seed_questions.jsonl` (no date-arithmetic ones) × "
        f"{args.repeats} in one process after a warm-up ask; {w['abstained']} of {w['asks']} asks abstained "
        "(no generation, no token streamed). First token = first draft piece yielded by `Assistant.ask_stream` "
        f"({w['streamed']} asks streamed). Cold = `assistant ask \"{COLD_QUESTION}\"` as a new process.",
        "",
        "| measure | p50 | p95 | goal |",
        "|---|---|---|---|",
        f"| warm answer (verified, all asks) | {w['answer_p50']:.2f} s | {w['answer_p95']:.2f} s | p50 ≤ 3 s |",
        f"| warm time to first streamed token | {w['first_p50']:.2f} s | {w['first_p95']:.2f} s | ≤ 1 s |",
        f"| cold `assistant ask` process (median of {len(cold_s)}) | {median(cold_s):.2f} s | | ≤ 5 s |",
        "",
        "Cold runs (s): " + ", ".join(f"{t:.2f}" for t in cold_s),
    ]
    return "\n".join(lines)


def main() -> None:
    """Run and write the section."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--cold", type=int, default=3)
    args = parser.parse_args()
    offline()
    load_before = load_average()
    with tempfile.TemporaryDirectory() as tmp:
        index = Path(tmp) / "index"
        assistant = Assistant(Settings(index_dir=index))
        report = assistant.ingest([ROOT / "seeds"], progress=False)
        assert report.indexed and not report.errors, report.summary()
        cold_s = cold(index, args.cold)
        print(f"cold: {cold_s}", flush=True)
        w = warm(assistant, args.repeats)
        print(w, flush=True)
        text = section(args, w, cold_s, load_before, assistant.settings.generator)
    print(text)
    write_section("e2e", text)


if __name__ == "__main__":
    main()
