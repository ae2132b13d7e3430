"""Gradio chat page: streamed answers, verified text, numbered sources under each answer."""

from __future__ import annotations

import html
import logging
from collections.abc import Iterator
from typing import Any

from assistant.errors import AssistantError
from assistant.models import Answer
from assistant.service import Assistant

log = logging.getLogger(__name__)


def _esc(text: str) -> str:
    """Escape markup in document and model text (quotes stay readable)."""
    return html.escape(text, quote=False)


def _text(content: Any) -> str:
    """Plain text of a Gradio message content (string or list of parts)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in content)
    if isinstance(content, dict):
        return str(content.get("text", ""))
    return str(content or "")


def to_history(history: list[Any]) -> list[dict[str, str]]:
    """OpenAI-style history from Gradio messages; assistant turns keep only the answer line."""
    out = []
    for message in history or []:
        if isinstance(message, dict) and message.get("role") in ("user", "assistant"):
            text = _text(message.get("content")).split("\n\n**Sources**")[0]
            out.append({"role": message["role"], "content": text})
    return out


def render(answer: Answer) -> str:
    """Markdown for a verified answer with its sources and notes."""
    if answer.abstained:
        return f"🛈 **{_esc(answer.answer)}**"
    parts = [_esc(answer.answer)]
    if answer.standalone_question and answer.standalone_question != answer.question:
        parts.append(f"<sub>searched for: {_esc(answer.standalone_question)}</sub>")
    for note in answer.notes:
        parts.append(f"<sub>⚠ {_esc(note)}</sub>")
    sources = ["**Sources**"]
    for c in answer.citations:
        where = c.chunk.source + (f", page {c.chunk.page}" if c.chunk.page else "")
        quote = c.chunk.text
        if c.quote_start is not None and c.quote_end is not None:
            a, b = c.quote_start - c.chunk.start, c.quote_end - c.chunk.start
            quote = f"{_esc(quote[:a])}<mark>{_esc(quote[a:b])}</mark>{_esc(quote[b:])}"
        else:
            quote = _esc(quote)
        title = _esc(c.chunk.title or where)
        sources.append(f"[{c.id}] *{title}* — {_esc(where)}\n> {' '.join(quote.split())}")
    return "\n\n".join(parts + ["\n\n".join(sources)])


def respond(assistant: Assistant, message: str, history: list[Any], generator: str | None) -> Iterator[str]:
    """Stream the draft, then replace it with the verified answer."""
    draft = ""
    try:
        for event in assistant.ask_stream(message, to_history(history), generator):
            if isinstance(event, Answer):
                yield render(event)
            else:
                draft += event
                yield _esc(draft) + " ▌"
    except AssistantError as exc:
        yield f"⚠ {_esc(exc.user_message())}"
    except Exception:  # noqa: BLE001 - never a stack trace in the chat
        log.exception("answering failed")
        yield "⚠ Something went wrong while answering; the error was logged. Please try again."


def build(assistant: Assistant) -> Any:
    """The Gradio app."""
    import gradio as gr

    from assistant.registry import GENERATORS

    def fn(message: str, history: list[Any], generator: str) -> Iterator[str]:
        yield from respond(assistant, message, history, generator)

    choice = gr.Dropdown(GENERATORS.names(), value=assistant.settings.generator, label="Answer with")
    return gr.ChatInterface(
        fn,
        additional_inputs=[choice],
        title="Ask your documents",
        description="Every sentence is checked against the passage it cites; if the documents don't say, "
        "the assistant says so.",
        examples=[["Who leads the Russian delegation?", assistant.settings.generator]],
        cache_examples=False,
        api_name="ask",
        fill_height=True,
    )


def launch(assistant: Assistant, block: bool = True) -> Any:
    """Serve the UI on the configured host and port (127.0.0.1:7860 by default)."""
    app = build(assistant)
    app.queue(default_concurrency_limit=2)
    app.launch(
        server_name=assistant.settings.ui_host,
        server_port=assistant.settings.ui_port,
        prevent_thread_lock=not block,
        show_error=False,
        quiet=not block,
    )
    return app
