"""Benchmark: the HTTP API's time to the first streamed content against the generator's own first token.

Usage: .venv/bin/python bench/api_stream.py [--questions 10] [--repeats 1] [--llm local]
Builds an index of seeds/ in a temporary folder and serves the API (`create_app`, uvicorn on 127.0.0.1, in a
thread of this process) with the default generator (`local`: SmolLM2 through llama.cpp). After one warm-up
ask it asks `--questions` answerable questions of tests/eval/seed_questions.jsonl (spread over the file; no
date-arithmetic ones, which need no generator) with the official `openai` client, `stream=True`. Per ask:
- client first content: from sending the request to the first chunk with non-empty `delta.content`;
- generator first token: the generator's own `stream()` call inside that same request, from the call to its
  first non-blank piece (the generator is wrapped, so both figures see the same llama.cpp cache state);
- API before the answer: request sent -> `Assistant.ask_stream` starts on the answer thread (HTTP, parsing,
  queue, thread hop);
- pipeline before generation: `ask_stream` starts -> `stream()` called (condense, retrieve, evidence);
- delivery: the generator's first piece -> the client has it (answer thread -> event loop -> SSE -> client).
Prints the medians and two ratios: client first content / generator first token (the issue's goal, "the
everyday chat": within 1.5x), and client first content / in-process first token (`ask_stream` start -> the
generator's first piece: what the API itself adds). Writes the `api-stream` section of bench/RESULTS.md. Asks
whose generator wrote nothing (an abstention, a fallback) are counted but left out of the medians.
"""

from __future__ import annotations

import argparse
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from benchkit import ROOT, load_average, median, offline, percentile, run_header, write_section

from assistant.evaluation.runner import load_questions
from assistant.models import GenerationInput
from assistant.service import Assistant
from assistant.settings import ApiSettings, Settings

QUESTIONS = ROOT / "tests" / "eval" / "seed_questions.jsonl"
WARM_UP = "Who leads the Russian delegation?"
TOKEN_ENV = "ASSISTANT_BENCH_API_TOKEN"  # a name nobody sets: no auth on the loopback server
GOAL = 1.5


def time_first_pieces(generator: Any) -> list[tuple[float, float]]:
    """Wrap generator.stream in place; each call appends (called, first non-blank piece) perf_counter times."""
    marks: list[tuple[float, float]] = []
    inner: Callable[[GenerationInput], Iterator[str]] = generator.stream

    def stream(data: GenerationInput) -> Iterator[str]:
        """The generator's own stream, timed."""
        called, first = time.perf_counter(), True
        for piece in inner(data):
            if first and piece.strip():
                marks.append((called, time.perf_counter()))
                first = False
            yield piece

    generator.stream = stream
    return marks


def time_answer_starts(assistant: Assistant) -> list[float]:
    """Wrap assistant.ask_stream in place; each answer appends the perf_counter time its iteration starts."""
    starts: list[float] = []
    inner = assistant.ask_stream

    def ask_stream(*args: Any, **kwargs: Any) -> Iterator[Any]:
        """The assistant's own ask_stream, its start timed (on the answer thread, at the first next())."""
        starts.append(time.perf_counter())
        yield from inner(*args, **kwargs)

    assistant.ask_stream = ask_stream  # type: ignore[method-assign]
    return starts


def serve(app: Any) -> tuple[Any, str]:
    """Serve app with uvicorn in a thread on a free port of 127.0.0.1; (server, base URL)."""
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline:
            raise SystemExit("the API server did not start")
        time.sleep(0.05)
    return server, f"http://127.0.0.1:{port}"


def pick(count: int) -> list[dict[str, Any]]:
    """count answerable, non-date questions spread evenly over the question file."""
    items = [i for i in load_questions(QUESTIONS) if not i.get("unanswerable") and i["category"] != "date"]
    if count >= len(items):
        return items
    return [items[int(n * len(items) / count)] for n in range(count)]


def ask(
    client: Any, model: str, item: dict[str, Any], marks: list[tuple[float, float]], starts: list[float]
) -> dict[str, float] | None:
    """One streamed ask: the timings above, or None when the generator wrote nothing."""
    messages = [*(item.get("history") or []), {"role": "user", "content": item["question"]}]
    before, answers = len(marks), len(starts)
    sent = time.perf_counter()
    first: float | None = None
    for chunk in client.chat.completions.create(model=model, messages=messages, stream=True):
        if first is None and chunk.choices and (chunk.choices[0].delta.content or "").strip():
            first = time.perf_counter()
    done = time.perf_counter()
    if len(marks) == before or first is None:
        return None
    called, piece = marks[before]
    started = starts[answers]
    return {
        "client_first": first - sent,
        "generator_first": piece - called,
        "in_process_first": piece - started,
        "api_before": started - sent,
        "pipeline": called - started,
        "delivery": first - piece,
        "whole": done - sent,
    }


def measure(args: argparse.Namespace, index: Path) -> tuple[list[dict[str, float]], int, str]:
    """Serve the API over the index and time every ask; (rows, asks without a draft, generator name)."""
    from openai import OpenAI

    from assistant.interfaces.api import create_app

    settings = Settings(index_dir=index, api=ApiSettings(token_env=TOKEN_ENV))
    if args.llm:
        settings = settings.model_copy(update={"generator": args.llm})
    assistant = Assistant(settings)
    marks, starts = time_first_pieces(assistant.generator()), time_answer_starts(assistant)
    server, url = serve(create_app(assistant))
    model = f"assistant-{settings.generator}"
    client = OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0, timeout=600)
    rows: list[dict[str, float]] = []
    skipped = 0
    try:
        client.chat.completions.create(model=model, messages=[{"role": "user", "content": WARM_UP}])  # load models
        for _ in range(args.repeats):
            for item in pick(args.questions):
                row = ask(client, model, item, marks, starts)
                print(item["id"], row, flush=True)
                if row is None:
                    skipped += 1
                else:
                    rows.append(row)
    finally:
        server.should_exit = True
    return rows, skipped, settings.generator


def section(args: argparse.Namespace, rows: list[dict[str, float]], skipped: int, generator: str,
            load_before: str) -> str:
    """The RESULTS.md section."""
    command = f".venv/bin/python bench/api_stream.py --questions {args.questions} --repeats {args.repeats}"
    command += f" --llm {args.llm}" if args.llm else ""
    lines = ["## HTTP API: time to the first streamed content", "", *run_header(command, load_before)]
    lines += [
        f"- generator: `{generator}`; index of seeds/; the API served in this process by uvicorn on 127.0.0.1 and "
        "asked with the official `openai` client (`stream=True`) after one warm-up ask",
        f"- {len(rows)} asks timed ({args.questions} answerable non-date questions of "
        f"`tests/eval/seed_questions.jsonl` × {args.repeats}); {skipped} more in which the generator wrote nothing "
        "(abstained or fell back) are left out",
        "- generator first token = its own `stream()` call in the same request, from the call to the first "
        "non-blank piece; client first content = request sent → first non-empty `delta.content`",
        "",
        "| measure | median (s) | p95 (s) |",
        "|---|---|---|",
    ]
    names = {
        "client_first": "client first content",
        "generator_first": "generator first token",
        "in_process_first": "in-process first token (`ask_stream` start → generator's first piece)",
        "api_before": "API before the answer (HTTP, parsing, queue, thread hop)",
        "pipeline": "pipeline before generation (condense, retrieve, evidence)",
        "delivery": "delivery (generator's first piece → client)",
        "whole": "whole answer (→ `[DONE]`)",
    }
    for key, name in names.items():
        values = [r[key] for r in rows]
        lines.append(f"| {name} | {median(values):.3f} | {percentile(values, 0.95):.3f} |")
    client = median([r["client_first"] for r in rows])
    ratio, in_process = client / median([r["generator_first"] for r in rows]), client / median(
        [r["in_process_first"] for r in rows])
    per_ask = median([r["client_first"] / r["generator_first"] for r in rows])
    verdict = "met" if ratio <= GOAL else "**missed**"
    lines += [
        "",
        f"Client first content / generator first token: {ratio:.2f} (medians; median of the per-ask ratios "
        f"{per_ask:.2f}); goal ≤ {GOAL}: {verdict}. Client first content / in-process first token: "
        f"{in_process:.2f} (what the HTTP API adds). Before true streaming the first content came with the whole "
        "answer (the last row).",
    ]
    return "\n".join(lines)


def main() -> None:
    """Run and write the section."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--questions", type=int, default=10, help="answerable questions to ask (default 10)")
    parser.add_argument("--repeats", type=int, default=1, help="times to ask each question (default 1)")
    parser.add_argument("--llm", help="generator to serve (default: the settings' default, local)")
    args = parser.parse_args()
    offline()
    load_before = load_average()
    with tempfile.TemporaryDirectory() as tmp:
        index = Path(tmp) / "index"
        report = Assistant(Settings(index_dir=index)).ingest([ROOT / "seeds"], progress=False)
        assert report.indexed and not report.errors, report.summary()
        rows, skipped, generator = measure(args, index)
    if not rows:
        raise SystemExit("no ask streamed a draft: nothing to compare")
    text = section(args, rows, skipped, generator, load_before)
    print(text)
    write_section("api-stream", text)


if __name__ == "__main__":
    main()
