"""Command line: assistant ingest | ask | backends | eval | serve | chat | serve-model."""

from __future__ import annotations

import argparse
import inspect
import json
import logging
import os
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.errors import AssistantError, QuestionError
from assistant.settings import Settings, load_settings
from assistant.text import plain_question

if TYPE_CHECKING:
    from assistant.ingest.pipeline import IngestReport
    from assistant.service import Assistant


def _parser() -> argparse.ArgumentParser:
    """Arguments of every command."""
    parser = argparse.ArgumentParser(prog="assistant", description="Ask questions about your documents.")
    parser.add_argument("--index-dir", type=Path, help="where the index lives (default: index/)")
    sub = parser.add_subparsers(dest="command", required=True)
    ingest = sub.add_parser("ingest", help="index files and folders (default: seeds/)")
    ingest.add_argument("paths", nargs="*", type=Path)
    _store_flags(ingest)
    ingest.add_argument("--quiet", action="store_true", help="no progress bar")
    ingest.add_argument("--rebuild", action="store_true",
                        help="empty the index first (e.g. after changing the embedder), then index the paths")
    ingest.add_argument("--watch", action="store_true", help="keep syncing the paths until Ctrl-C")
    ingest.add_argument("--interval", type=float, default=2.0, help="with --watch: seconds between polls")
    ask = sub.add_parser("ask", help="ask one question")
    ask.add_argument("question")
    _store_flags(ask)
    ask.add_argument("--json", action="store_true", help="print one JSON object")
    ask.add_argument("--history", type=Path, help="JSON list of earlier {role, content} messages")
    ask.add_argument("--source", action="append", dest="sources", metavar="NAME",
                     help="answer from this indexed document only, by file name or path (repeatable)")
    ask.add_argument("--since", type=date.fromisoformat, metavar="YYYY-MM-DD",
                     help="answer from documents dated on or after this day only")
    ask.add_argument("--until", type=date.fromisoformat, metavar="YYYY-MM-DD",
                     help="answer from documents dated on or before this day only")
    _generator_flags(ask)
    backends = sub.add_parser("backends", help="list the generators and check each can answer")
    _generator_flags(backends)
    evaluate = sub.add_parser("eval", help="score the assistant on a JSONL question set")
    evaluate.add_argument("questions", type=Path, nargs="?", help="JSONL file (omit with --generate)")
    _store_flags(evaluate)
    evaluate.add_argument("--report", type=Path, help="folder for report.json, report.md and the chart")
    evaluate.add_argument("--baseline", type=Path, help="report.json to compare with; exit 1 on a drop")
    evaluate.add_argument("--tolerance", type=float, default=0.05, help="allowed drop of a headline metric")
    evaluate.add_argument(
        "--judge", choices=("verifier", "llm"), default="verifier", help="who judges citation support"
    )
    evaluate.add_argument("--corpora", type=Path, help="folder of corpora (docs/ + dev/test.jsonl each): ask each")
    evaluate.add_argument("--half", choices=("dev", "test", "both"), default="test", help="with --corpora")
    evaluate.add_argument("--generate", type=Path, nargs="*", help="draft questions from these documents")
    evaluate.add_argument("--out", type=Path, help="with --generate: where to write the draft JSONL")
    _generator_flags(evaluate)
    serve = sub.add_parser("serve", help="OpenAI-compatible HTTP API (default http://127.0.0.1:8000/v1)")
    serve.add_argument("--host")
    _store_flags(serve)
    serve.add_argument("--port", type=int)
    _generator_flags(serve)
    chat = sub.add_parser("chat", help="open the chat UI at http://127.0.0.1:7860")
    chat.add_argument("--host")
    _store_flags(chat)
    chat.add_argument("--port", type=int)
    chat.add_argument("--browser", action=argparse.BooleanOptionalAction,
                      help="open the page in a browser (default: when this session has one)")
    _generator_flags(chat)
    _serve_model_parser(sub)
    return parser


def _serve_model_parser(sub: Any) -> None:
    """Arguments of `assistant serve-model`."""
    model = sub.add_parser("serve-model", help="serve a GGUF as an OpenAI-compatible server (for --llm openai)")
    model.add_argument("gguf", nargs="?", help="GGUF file (default: local.gguf_path, else the packaged SmolLM2)")
    model.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    model.add_argument("--port", type=int, default=8081, help="port (default 8081)")
    model.add_argument("--ctx", type=int, help="context size in tokens (default: local.n_ctx)")
    model.add_argument("--allow-remote", action="store_true", help="allow a host other than this machine")


def _store_flags(parser: argparse.ArgumentParser) -> None:
    """Flags that choose where the vectors live."""
    parser.add_argument("--chroma-url", help="Chroma server, e.g. http://127.0.0.1:8001 (default: embedded)")


def _generator_flags(parser: argparse.ArgumentParser) -> None:
    """Flags that choose the language model."""
    parser.add_argument("--llm", help="generator name: local, extractive, openai")
    parser.add_argument("--model", help="GGUF path (local) or model name (openai)")
    parser.add_argument("--base-url", help="OpenAI-compatible endpoint")


def _settings(args: argparse.Namespace) -> Settings:
    """Settings from file + env, with the command-line flags on top."""
    overrides: dict[str, Any] = {"index_dir": args.index_dir, "chroma_url": getattr(args, "chroma_url", None)}
    llm = getattr(args, "llm", None)
    overrides["generator"] = llm
    if model := getattr(args, "model", None):
        generator = llm or load_settings().generator  # the flag, else the file/env choice
        overrides["openai.model" if generator == "openai" else "local.gguf_path"] = model
    overrides["openai.base_url"] = getattr(args, "base_url", None)
    if args.command != "serve-model":  # its --host and --port are the model server's own
        prefix = "api." if args.command == "serve" else "ui_"
        overrides[f"{prefix}host"] = getattr(args, "host", None)
        overrides[f"{prefix}port"] = getattr(args, "port", None)
    return load_settings(**overrides)


def _history(path: Path | None) -> list[dict[str, str]]:
    """Read and check a --history file."""
    if path is None:
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise AssistantError(f"Cannot read history file {path}: {exc}") from exc
    if not isinstance(data, list) or not all(isinstance(m, dict) and "role" in m and "content" in m for m in data):
        raise AssistantError(f"{path}: history must be a JSON list of {{'role', 'content'}} objects")
    return data


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    """Index files; exit 0 when complete, 3 when partial."""
    from assistant.service import Assistant

    assistant = Assistant.for_rebuild(settings) if args.rebuild else Assistant(settings)
    if args.watch:
        return _watch(assistant, args)
    report = assistant.ingest(args.paths or None, progress=not args.quiet, rebuild=args.rebuild)
    _print_report(report)
    return 3 if report.partial else 0


def _print_report(report: IngestReport, changes_only: bool = False) -> None:
    """Summary line, skipped files, errors (with --watch: only the files that changed)."""
    print(report.summary(), flush=True)
    for line in [] if changes_only else report.skipped:
        print(f"  skipped: {line}")
    for line in report.errors:
        print(f"  error: {line}", file=sys.stderr, flush=True)


def _watch(assistant: Assistant, args: argparse.Namespace) -> int:
    """Sync, then keep polling the paths until Ctrl-C; exit 0, or 3 when the last sync was partial."""
    from assistant.ingest.watch import Watcher

    paths = args.paths or [assistant.settings.seeds_dir]
    watcher = Watcher(assistant.ingestor(), paths, progress=not args.quiet)
    last: list[IngestReport] = []

    def on_sync(report: IngestReport) -> None:
        if not last or report.changed or report.errors:
            _print_report(report, changes_only=bool(last))
        last[:] = [report]

    print(f"watching {', '.join(map(str, paths))} every {args.interval:g} s (Ctrl-C stops)", flush=True)
    try:
        watcher.run(max(0.1, args.interval), on_sync)
    except KeyboardInterrupt:
        print("stopped", flush=True)
    return 3 if last and last[0].partial else 0


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    """Answer one question, streaming unless --json."""
    from assistant.models import Answer
    from assistant.service import Assistant

    question = plain_question(args.question)
    assistant = Assistant(settings)
    history = _history(args.history)
    answer: Answer | None = None
    streamed = False
    sources = args.sources
    if args.since or args.until:  # dated documents only, within the named ones when both are given
        from assistant.retrieval.scope import resolve_sources

        dated = set(assistant.sources_dated(args.since, args.until))
        named = resolve_sources(sources, assistant.documents()) if sources else sorted(dated)
        sources = [s for s in named if s in dated]
        if not sources:
            raise QuestionError("No indexed document (of those named) is dated in that range.")
    for event in assistant.ask_stream(question, history, sources=sources):
        if isinstance(event, Answer):
            answer = event
        elif not args.json:
            print(event, end="", flush=True)
            streamed = True
    assert answer is not None
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False))
        return 0
    if not streamed:
        print(answer.answer)
    elif answer.answer.strip() == answer.draft.strip():
        print()  # the streamed draft was the verified answer: don't print it twice
    else:
        print("\n" + "-" * 20 + " verified:\n" + answer.answer)
    for note in answer.notes:
        print(f"  note: {note}")
    for c in answer.citations:
        print(f"  [{c.id}] {_shown(c.chunk.source)} ({c.chunk.title[:60]}): {c.chunk.text[:160]}…")
    return 0


def _shown(source: str) -> str:
    """A source as people read it on the command line: relative to the working folder when inside it."""
    relative = os.path.relpath(source) if os.path.isabs(source) else source
    return source if relative.startswith("..") else relative


def cmd_backends(args: argparse.Namespace, settings: Settings) -> int:
    """Print each generator with its status; exit 1 when the selected one is not usable."""
    from assistant.components import check_generator
    from assistant.registry import GENERATORS

    selected_ok = True
    for name in GENERATORS.names():
        status = check_generator(name, settings)
        mark = "*" if name == settings.generator else " "
        detail = {"local": settings.local.gguf_path or "packaged SmolLM2", "openai": settings.openai.base_url}
        print(f"{mark} {name:<11} {status:<40} {detail.get(name, '')}")
        if name == settings.generator and status != "ok":
            selected_ok = False
    return 0 if selected_ok else 1


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    """Run the evaluation (or draft questions with --generate)."""
    from assistant.interfaces.eval_cli import run_eval

    return run_eval(args, settings)


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    """Serve the OpenAI-compatible HTTP API until interrupted."""
    from assistant.interfaces.api import serve

    serve(settings)
    return 0


def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    """Launch the Gradio chat UI (a half-configured login stops it before anything is loaded)."""
    from assistant.interfaces.chat.app import launch
    from assistant.interfaces.chat.auth import auth_from_env
    from assistant.service import Assistant

    auth_from_env(settings.ui)
    assistant = Assistant(settings)
    assistant.check_index()  # logs what it repaired
    if not assistant.documents():
        print(assistant.ingest().summary())
    browser = _graphical_browser() if args.browser is None else args.browser
    if args.browser is None and not browser:
        print(f"No browser to open in this session: open {_page_url(settings)} in one.", flush=True)
    if "inbrowser" in inspect.signature(launch).parameters:
        launch(assistant, inbrowser=browser)
    else:
        launch(assistant)
    return 0


def _graphical_browser() -> bool:
    """Whether a browser can be opened without taking over this terminal (a desktop session that has one)."""
    import webbrowser

    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return False  # only text browsers are left, and they would take over the terminal the UI logs to
    try:
        webbrowser.get()
    except webbrowser.Error:
        return False
    return True


def _page_url(settings: Settings) -> str:
    """The chat page's address as a browser on this machine reaches it."""
    host = settings.ui_host
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else (f"[{host}]" if ":" in host else host)
    return f"http://{shown}:{settings.ui_port}"


def cmd_serve_model(args: argparse.Namespace, settings: Settings) -> int:
    """Serve a GGUF through llama.cpp's OpenAI-compatible server until interrupted."""
    from assistant.interfaces.serve_model import serve_model

    return serve_model(settings, args.gguf, args.host, args.port, args.ctx, args.allow_remote)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `assistant` console script."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = _parser().parse_args(argv)
    commands = {
        "ingest": cmd_ingest,
        "ask": cmd_ask,
        "backends": cmd_backends,
        "eval": cmd_eval,
        "serve": cmd_serve,
        "chat": cmd_chat,
        "serve-model": cmd_serve_model,
    }
    try:
        return commands[args.command](args, _settings(args))
    except AssistantError as exc:
        print(f"error: {exc.user_message()}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
