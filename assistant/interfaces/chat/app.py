"""Gradio chat UI: streamed, verified answers with clickable citations, a sources panel and document uploads."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.errors import AssistantError
from assistant.interfaces.chat import assets
from assistant.interfaces.chat import render as r
from assistant.interfaces.chat.auth import launch_gated
from assistant.interfaces.chat.uploads import UPLOAD_TYPES, index_files
from assistant.interfaces.chat.uploads import safe_name as safe_name  # re-exported: the names this module had
from assistant.interfaces.chat.uploads import save_uploads as save_uploads
from assistant.models import Answer
from assistant.registry import GENERATORS
from assistant.service import Assistant

log = logging.getLogger(__name__)
render = r.render_turn  # an answer as HTML (the name the previous UI module exported)

SERIAL = "assistant"  # one queue for answering, indexing and removing: the indexes are shared
GENERIC_ERROR = "Something went wrong while answering; the error was logged. Please try again."
SYSTEM_FONTS = ["ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "Roboto", "sans-serif"]

HEADER = (
    '<header id="app-head"><h1>Ask your documents</h1><p>Answers come only from the documents indexed here. '
    "Every sentence cites the passage it rests on and is checked against it; when the documents don't say, "
    "you are told so.</p></header>"
)
UPLOAD_HINT = (
    '<p class="upload-hint"><strong>Add documents</strong>: .txt, .md, .html or .pdf, several at once; '
    "each is indexed right away.</p>"
)
PLACEHOLDER = (
    "**Ask a question about your documents.**<br>Pick an example or type below and press Enter. "
    "Markers like [1] open the exact passage an answer rests on."
)



@dataclass
class ChatState:
    """One browser session's conversation: OpenAI-style history and each answer's sources section."""

    history: list[dict[str, str]] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)

    @property
    def turn(self) -> int:
        """Number of answered turns so far."""
        return len(self.sections)


# --- uploads and documents ----------------------------------------------------------------------
def document_rows(assistant: Assistant) -> list[dict[str, Any]]:
    """Title, date and source of every indexed document (no text)."""
    rows = []
    for source in assistant.documents():
        doc = assistant.document(source) or {}
        rows.append({"source": source, "title": doc.get("title", ""), "date": doc.get("date", "")})
    return rows


def examples(rows: Sequence[dict[str, Any]]) -> list[dict[str, str]]:
    """Chatbot example messages built from the indexed documents' titles."""
    pairs = r.example_questions(rows)
    return [{"text": question, "display_text": label} for question, label in pairs]


def remove_document(assistant: Assistant, source: str) -> str:
    """Drop a document from the index (and its uploaded copy); a status line."""
    try:
        removed = bool(source) and assistant.ingestor().remove(source)
    except AssistantError as exc:  # another ingest holds the index for longer than the lock wait
        return f"{Path(source).name} was not removed: {exc.user_message()}"
    if not removed:
        return f"{Path(source).name or 'That document'} was not indexed."
    path = Path(source)
    uploads = assistant.settings.uploads_dir.resolve()
    if path.is_file() and path.resolve().parent == uploads:
        path.unlink()
    return f"Removed {path.name}. Add it again to restore it."


def document_request(assistant: Assistant, request: Any) -> tuple[dict[str, Any] | None, int, int]:
    """The indexed document and span a viewer request names ({source, start, end}); bad input shows nothing."""
    request = request if isinstance(request, dict) else {}
    try:
        start, end = int(request.get("start", -1)), int(request.get("end", -1))
    except (TypeError, ValueError):
        start, end = -1, -1
    return assistant.document(str(request.get("source", ""))), start, end


# --- answering ----------------------------------------------------------------------------------
def ask_text(assistant: Assistant, question: str, generator: str | None) -> str:
    """The /ask API: a verified answer as plain text with numbered sources."""
    try:
        return r.plain_answer(assistant.ask(question, None, generator or None))
    except AssistantError as exc:
        return f"⚠ {exc.user_message()}"


def respond(
    assistant: Assistant, message: str, chat: list[Any], state: ChatState, generator: str | None
) -> Iterator[tuple[list[dict[str, str]], str | None, ChatState | None]]:
    """Stream one turn: pending, draft tokens, then the verified answer; yields (chat, sources panel, state)."""
    chat = list(chat or []) + [{"role": "user", "content": r.render_user(message)}]
    chat.append({"role": "assistant", "content": r.render_pending()})
    yield chat, None, None
    turn, draft, answer = state.turn + 1, "", None
    try:
        for event in assistant.ask_stream(message, state.history, generator or None):
            if isinstance(event, Answer):
                answer = event
                break
            draft += event
            chat[-1] = {"role": "assistant", "content": r.render_draft(draft)}
            yield chat, None, None
    except AssistantError as exc:
        chat[-1] = {"role": "assistant", "content": r.render_error(exc.user_message())}
    except Exception:  # noqa: BLE001 - never a stack trace in the chat
        log.exception("answering failed")
        chat[-1] = {"role": "assistant", "content": r.render_error(GENERIC_ERROR)}
    if answer is None:
        yield chat, None, None
        return
    chat[-1] = {"role": "assistant", "content": r.render_answer(answer, turn)}
    turns = [{"role": "user", "content": message}, {"role": "assistant", "content": answer.answer}]
    state = replace(state, history=state.history + turns, sections=state.sections + [r.render_sources(answer, turn)])
    yield chat, r.render_panel(state.sections), state


# --- the app ------------------------------------------------------------------------------------
def _chat_column(assistant: Assistant, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Conversation, question box and controls."""
    with gr.Column(scale=3, min_width=340, elem_id="chat-col"):
        chat = gr.Chatbot(
            elem_id="chat",
            show_label=False,
            height="64vh",
            render_markdown=False,
            latex_delimiters=[],
            buttons=[],
            feedback_options=None,
            placeholder=PLACEHOLDER,
            examples=examples(rows) or None,
        )
        box = gr.Textbox(
            elem_id="question",
            show_label=False,
            placeholder="Ask a question about your documents…",
            autofocus=True,
            submit_btn="Ask",
            max_length=assistant.settings.max_question_chars,
        )
        with gr.Row(elem_id="controls"):
            gen = gr.Dropdown(
                GENERATORS.names(),
                value=assistant.settings.generator,
                label="Answer with",
                elem_id="generator",
                scale=2,
                min_width=150,
            )
            new = gr.Button("New conversation", elem_id="new-chat", scale=1, min_width=150)
    return {"chat": chat, "box": box, "gen": gen, "new": new}


def _side_column(view_document: Callable[[dict[str, Any]], str], rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Sources panel and the documents section (upload, list, remove)."""
    with gr.Column(scale=2, min_width=300, elem_id="side-col"):
        sources = gr.HTML(
            r.render_panel([]), elem_id="sources-panel", js_on_load=assets.JS_SOURCES, server_functions=[view_document]
        )
        with gr.Accordion("Documents", open=True, elem_id="docs"):
            gr.HTML(UPLOAD_HINT, elem_id="upload-hint", js_on_load=None)  # a File label would cover the drop icon
            files = gr.File(
                file_count="multiple",
                file_types=list(UPLOAD_TYPES),
                elem_id="upload",
                height=150,
                label="Add documents",
                show_label=False,
            )
            status = gr.HTML("", elem_id="upload-status", js_on_load=None)
            docs = gr.HTML(
                r.render_documents(rows),
                elem_id="doc-list",
                js_on_load=assets.JS_DOCS,
                server_functions=[view_document],
            )
    return {"sources": sources, "files": files, "status": status, "docs": docs}


def _wire_chat(assistant: Assistant, ui: dict[str, Any]) -> None:
    """Asking (Enter, the Ask button, examples), new conversation, clearing."""

    def chat_turn(message: str, chat: list[Any], state: ChatState, generator: str) -> Iterator[tuple[Any, ...]]:
        """Stream a turn into the chat, sources panel and session state."""
        if not (message or "").strip():
            yield gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return
        first = True
        for chat_value, panel, new_state in respond(assistant, message, chat, state, generator):
            yield (
                chat_value,
                gr.skip() if panel is None else panel,
                gr.skip() if new_state is None else new_state,
                "" if first else gr.skip(),
            )
            first = False

    def reset() -> tuple[Any, ...]:
        """A fresh conversation, with examples from the documents indexed now."""
        return (
            gr.Chatbot(value=[], examples=examples(document_rows(assistant)) or None),
            r.render_panel([]),
            ChatState(),
            "",
        )

    outputs = [ui["chat"], ui["sources"], ui["state"], ui["box"]]
    event = {
        "fn": chat_turn,
        "inputs": [ui["box"], ui["chat"], ui["state"], ui["gen"]],
        "outputs": outputs,
        "show_progress": "hidden",
        "concurrency_id": SERIAL,
        "concurrency_limit": 1,
        "api_visibility": "private",
    }
    typed = ui["box"].submit(trigger_mode="once", **event)
    pick = ui["chat"].example_select(_example_text, None, ui["box"], api_visibility="private")
    running = [typed, pick.then(**event)]  # a new conversation stops an answer still streaming
    ui["new"].click(reset, None, outputs, api_visibility="private", cancels=running)
    ui["chat"].clear(reset, None, outputs, api_visibility="private", cancels=running)


def _example_text(evt: gr.SelectData) -> str:
    """The question of a clicked example."""
    value = getattr(evt, "value", None)
    return str(value.get("text", "")) if isinstance(value, dict) else str(value or "")


def _wire_documents(assistant: Assistant, ui: dict[str, Any]) -> None:
    """Upload with visible progress, remove, and a refresh of the list and examples on page load."""

    def refreshed() -> tuple[Any, Any]:
        """The document list and the chat examples for the index as it is now."""
        rows = document_rows(assistant)
        return r.render_documents(rows), gr.Chatbot(examples=examples(rows) or None)

    def upload(files: list[str] | None) -> Iterator[tuple[Any, ...]]:
        """Index the uploaded files, showing progress."""
        total = len(files or [])
        for step, done, problems in index_files(assistant, files):
            if step:
                yield r.render_upload(step, done, problems, total), gr.skip(), gr.skip(), gr.skip()
        yield (r.render_upload("", done, problems, total), *refreshed(), None)

    def remove(evt: gr.EventData) -> tuple[Any, ...]:
        """Remove the document whose button was pressed."""
        message = remove_document(assistant, str(getattr(evt, "source", "") or ""))
        return (r.render_status([message], "ok"), *refreshed())

    serial = {"concurrency_id": SERIAL, "concurrency_limit": 1, "api_visibility": "private"}
    ui["files"].upload(
        upload, ui["files"], [ui["status"], ui["docs"], ui["chat"], ui["files"]], show_progress="hidden", **serial
    )
    ui["docs"].remove_doc(remove, None, [ui["status"], ui["docs"], ui["chat"]], **serial)
    ui["app"].load(refreshed, None, [ui["docs"], ui["chat"]], show_progress="hidden", api_visibility="private")


def build(assistant: Assistant) -> Any:
    """The Gradio Blocks app."""

    def view_document(request: dict[str, Any]) -> str:
        """The whole extracted document with the cited span highlighted (viewer HTML); request from the page."""
        return r.render_document(*document_request(assistant, request))

    rows = document_rows(assistant)
    with gr.Blocks(title="Ask your documents", analytics_enabled=False) as app:
        gr.HTML(HEADER, js_on_load=None)
        with gr.Row(equal_height=False, elem_id="layout"):
            ui = _chat_column(assistant, rows)
            ui.update(_side_column(view_document, rows))
        ui.update(app=app, state=gr.State(ChatState()))
        _wire_chat(assistant, ui)
        _wire_documents(assistant, ui)

        def ask(question: str, generator: str = "") -> str:
            """Answer a question from the documents: verified text with [n] markers, then numbered sources."""
            return ask_text(assistant, question, generator)

        gr.api(ask, api_name="ask", concurrency_id=SERIAL, concurrency_limit=1)
    return app


def launch(assistant: Assistant, block: bool = True) -> Any:
    """Serve the UI on the configured host and port (127.0.0.1:7860 by default), with login if configured."""
    app = build(assistant)
    app.queue(default_concurrency_limit=1)
    theme = gr.themes.Soft(primary_hue="indigo", font=SYSTEM_FONTS, font_mono=["ui-monospace", "monospace"])
    return launch_gated(app, assistant, block, theme=theme, css=assets.CSS)
