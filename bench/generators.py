"""Answer quality per generator, one run: the multi-domain corpora (a half) and the seed set, generator by generator.

Usage: python bench/generators.py [--half dev|test] [--corpus NAME ...] [--no-seed] [--only LABEL ...]
       [--gguf models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf]
Rows: `extractive` (no model), `local` (the packaged SmolLM2-135M, its default profile), and, when the bigger GGUF
is there (`make model-1.5b`), `local-1.5b` (that GGUF through the local generator, reading whole passages) and
`openai-1.5b` (the same GGUF behind llama.cpp's OpenAI-compatible server on 127.0.0.1, through the openai
generator). Generators run one after another (one model process at a time). Writes the section "generators" of
bench/RESULTS.md and the reports under eval-report/generators/<label>/<corpus>/.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchkit import ROOT, load_average, run_header, write_section  # noqa: E402

from assistant.adapters.llamacpp_generator import LlamaCppServer  # noqa: E402
from assistant.answering.verify import make_judge  # noqa: E402
from assistant.evaluation.report import write_report  # noqa: E402
from assistant.evaluation.runner import evaluate, load_questions  # noqa: E402
from assistant.interfaces.corpora import row, run_corpus, table  # noqa: E402
from assistant.service import Assistant  # noqa: E402
from assistant.settings import GeneratorProfile, LocalLLMSettings, Settings  # noqa: E402

CORPORA = ROOT / "tests" / "eval" / "corpora"
SEED = ROOT / "tests" / "eval"  # seed_questions.jsonl (the seed article in seeds/)
BIG = ROOT / "models" / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
# a capable model reads whole passages, is believed when it finds no answer, and is checked sentence by sentence
READER = {"reads": "passages", "prompt": "answer_passages", "believe_abstention": True, "check": "claims",
          "abstain_threshold": 0.25}
BIG_MODEL = {"n_ctx": 4096, "max_tokens": 160}
# or it names which of the best evidence sentences answers (0: none), and that sentence is quoted
CHOOSER = {"reads": "choices", "prompt": "choose", "believe_abstention": True, "abstain_threshold": 0.25}


def configs(gguf: Path) -> list[tuple[str, str, dict[str, Any]]]:
    """(label, generator, settings overrides) per row; the bigger model's rows only when its GGUF is there."""
    rows: list[tuple[str, str, dict[str, Any]]] = [("extractive", "extractive", {}), ("local", "local", {})]
    if gguf.is_file():
        local = LocalLLMSettings(gguf_path=str(gguf), **BIG_MODEL)
        rows.append(("local-1.5b", "local", {"local": local, "profiles": {"local": GeneratorProfile(**READER)}}))
        rows.append(("openai-1.5b", "openai", {"profiles": {"openai": GeneratorProfile(**READER)}}))
        chooser = LocalLLMSettings(gguf_path=str(gguf), n_ctx=4096, max_tokens=8)
        rows.append(("local-1.5b-choose", "local", {"local": chooser,
                                                    "profiles": {"local": GeneratorProfile(**CHOOSER)}}))
    return rows


@contextmanager
def served(label: str, gguf: Path, base: Settings) -> Iterator[dict[str, Any]]:
    """For the openai row: the GGUF behind a llama.cpp server on 127.0.0.1 (stopped afterwards); else nothing."""
    if not label.startswith("openai"):
        yield {}
        return
    server = LlamaCppServer(LocalLLMSettings(gguf_path=str(gguf), **BIG_MODEL), host="127.0.0.1", port=0)
    try:
        openai = base.openai.model_copy(update={"base_url": server.base_url, "model": server.model_id,
                                                "max_tokens": BIG_MODEL["max_tokens"], "timeout_s": 600.0})
        yield {"openai": openai}
    finally:
        server.close()


def run_row(label: str, generator: str, update: dict[str, Any], args: argparse.Namespace) -> list[dict[str, Any]]:
    """Every chosen corpus (and the seed set) with one generator."""
    update = {"profiles": {}, **update}  # a row's profile is its own, never the one of a local assistant.toml
    base = Settings(index_dir=ROOT / "index", generator=generator).model_copy(update=update, deep=True)
    rows = []
    with served(label, args.gguf, base) as extra:
        base = base.model_copy(update=extra, deep=True)
        for name in args.corpus:
            measured = run_corpus(CORPORA, name, [args.half], base, ROOT / "eval-report" / "generators" / label)
            rows.append({"generator": label, **measured})
            print(table(rows[-1:]), flush=True)
        if args.seed:
            rows.append({"generator": label, **seed_row(base, label)})
            print(table(rows[-1:]), flush=True)
    return rows


def seed_row(base: Settings, label: str) -> dict[str, Any]:
    """The seed set on the seed article's own index (index/corpora/<embedder>/seed-article)."""
    index = base.index_dir / "corpora" / base.embedder / "seed-article"
    cache = base.encoder_cache_dir or index.parent / "encoders"
    settings = base.model_copy(update={"index_dir": index, "encoder_cache_dir": cache}, deep=True)
    assistant = Assistant(settings)
    assistant.ingest([ROOT / "seeds"], progress=False)
    judge = make_judge(assistant.embedder, settings.verify)
    generator = base.generator
    items = load_questions(SEED / "seed_questions.jsonl")
    report = evaluate(lambda q, h: assistant.ask(q, h, generator=generator), items, judge, generator)
    write_report(report, ROOT / "eval-report" / "generators" / label / "seed")
    return row("seed", report)


def run_apart(label: str, argv: list[str]) -> list[dict[str, Any]]:
    """One row in its own process: a loaded model's idle threads must not slow the next generator down."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "rows.json"
        done = subprocess.run([sys.executable, __file__, *argv, "--only", label, "--rows-json", str(out)], check=False)
        if done.returncode or not out.exists():  # the other rows are still measured and recorded
            print(f"{label}: failed with exit code {done.returncode}", file=sys.stderr)
            return [{"generator": label, "corpus": f"failed (exit {done.returncode})"}]
        return json.loads(out.read_text(encoding="utf-8"))


def main() -> None:
    """Run each generator over the corpora and the seed set; print and record one table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--half", choices=["dev", "test"], default="dev")
    parser.add_argument("--corpus", nargs="*", default=None)
    parser.add_argument("--no-seed", dest="seed", action="store_false")
    parser.add_argument("--only", nargs="*", default=None, help="labels to run (default: all available)")
    parser.add_argument("--gguf", type=Path, default=BIG)
    parser.add_argument("--section", default="generators", help="the section of bench/RESULTS.md to write")
    parser.add_argument("--rows-json", type=Path, default=None, help=argparse.SUPPRESS)  # one row, for run_apart
    args = parser.parse_args()
    args.corpus = sorted(p.parent.name for p in CORPORA.glob("*/dev.jsonl")) if args.corpus is None else args.corpus
    available = configs(args.gguf)
    unknown = set(args.only or []) - {label for label, _, _ in available}
    if unknown:
        parser.error(f"no such row: {', '.join(sorted(unknown))} (available: {', '.join(c[0] for c in available)})")
    chosen = [c for c in available if args.only is None or c[0] in args.only]
    if args.rows_json:
        label, generator, update = chosen[0]
        args.rows_json.write_text(json.dumps(run_row(label, generator, update, args)), encoding="utf-8")
        return
    load_before, started = load_average(), time.perf_counter()
    argv = ["--half", args.half, "--gguf", str(args.gguf), "--corpus", *args.corpus]
    argv += [] if args.seed else ["--no-seed"]
    rows = [r for label, _, _ in chosen for r in run_apart(label, argv)]
    text = table(rows)
    print(text)
    command = "python bench/generators.py " + " ".join(sys.argv[1:])
    header = run_header(command, load_before) + [f"- wall time: {time.perf_counter() - started:.0f} s"]
    body = "## Generators side by side (issue 16)\n\n" + "\n".join(header) + "\n\n" + text + "\n"
    write_section(args.section, body)


if __name__ == "__main__":
    main()
