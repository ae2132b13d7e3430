"""Gradio chat UI: the page layout. Streamed, verified answers with clickable citations (turns.py), saved
conversations in a sidebar (sidebar.py), a sources panel, documents with uploads and a filter (documents.py)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import gradio as gr

from assistant.errors import AssistantError
from assistant.interfaces.chat import assets, documents, sidebar, turns
from assistant.interfaces.chat import generators as gs
from assistant.interfaces.chat import render as r
from assistant.interfaces.chat.auth import launch_gated
from assistant.interfaces.chat.conversations import ConversationStore
from assistant.interfaces.chat.documents import document_request, document_rows, examples, filter_choices
from assistant.interfaces.chat.documents import remove_document as remove_document  # re-exported
from assistant.interfaces.chat.session import EDIT_LABELS, LOADING_PLACEHOLDER, ChatState, Services
from assistant.interfaces.chat.sidebar import STORAGE_KEY, conversation_list, export_function
from assistant.interfaces.chat.turns import SERIAL
from assistant.interfaces.chat.uploads import UPLOAD_TYPES
from assistant.interfaces.chat.uploads import index_files as index_files  # re-exported: the names this module had
from assistant.interfaces.chat.uploads import safe_name as safe_name
from assistant.interfaces.chat.uploads import save_uploads as save_uploads
from assistant.registry import GENERATORS
from assistant.service import Assistant

log = logging.getLogger(__name__)
render = r.render_turn  # an answer as HTML (the name the previous UI module exported)

SYSTEM_FONTS = ["ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "Roboto", "sans-serif"]

HEADER = (
    '<header id="app-head"><h1>Ask your documents</h1><p>Answers come only from the documents indexed here. '
    "Every sentence cites the passage it rests on and is checked against it; when the documents don't say, "
    "you are told so.</p></header>"
)
UPLOAD_HINT = (
    '<p class="upload-hint"><strong>Add documents</strong>: .txt, .md, .html, .pdf, .docx, .pptx, .xlsx, .csv '
    "or .epub, several at once; "
    "each is indexed right away.</p>"
)
PLACEHOLDER = (
    "**Ask a question about your documents.**<br>Pick an example or type below and press Enter. "
    "Markers like [1] open the exact passage an answer rests on."
)


# --- the page -----------------------------------------------------------------------------------
def _sidebar(services: Services, current: str | None) -> dict[str, Any]:
    """The conversations sidebar (at narrow widths Gradio folds it behind a toggle)."""
    with gr.Sidebar(label="Conversations", open=False, width=290, elem_id="conversations"):
        gr.HTML('<h2 class="side-title">Conversations</h2>', js_on_load=None)
        convs = gr.HTML(
            conversation_list(services, "", current),
            elem_id="conv-list",
            js_on_load=assets.JS_CONVERSATIONS,
            server_functions=[export_function(services)],
        )
    return {"convs": convs}


# Closed at first (on a phone it would cover the page); opened on load when the screen is wide enough for both.
OPEN_WIDE = """() => { let tries = 40; const go = () => {
  const bar = document.getElementById('conversations'), button = bar && bar.querySelector('.toggle-button');
  if (button) { if (window.innerWidth > 768 && !bar.classList.contains('open')) button.click(); return; }
  if (tries-- > 0) setTimeout(go, 50); }; go(); }"""


def _chat_column(services: Services, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Conversation, question box, the turn controls and the answer options."""
    settings = services.assistant.settings
    with gr.Column(scale=3, min_width=340, elem_id="chat-col"):
        chat = gr.Chatbot(
            elem_id="chat", show_label=False, height="50vh", render_markdown=False, latex_delimiters=[],
            buttons=[], feedback_options=None, placeholder=PLACEHOLDER, examples=examples(rows) or None,
        )
        box = gr.Textbox(
            elem_id="question", show_label=False, placeholder=LOADING_PLACEHOLDER, autofocus=True, interactive=False,
            submit_btn="Ask", max_length=settings.max_question_chars,
        )
        note = gr.HTML("", elem_id="turn-note", js_on_load=None)
        with gr.Row(elem_id="turn-tools"):
            stop = gr.Button("Stop", elem_id="stop", variant="stop", visible=False, size="sm", min_width=80)
            regen = gr.Button("Regenerate", elem_id="regenerate", visible=False, size="sm", min_width=110)
            edit = gr.Button(EDIT_LABELS[False], elem_id="edit-last", visible=False, size="sm", min_width=140)
        with gr.Row(elem_id="controls"):
            states = services.states.states(GENERATORS.names())
            gen = gr.Dropdown(
                gs.choices(states), value=settings.generator, label="Answer with", elem_id="generator",
                scale=1, min_width=200,
            )
            only = gr.Dropdown(
                filter_choices(rows), value=[], multiselect=True, label="Only from",
                elem_id="doc-filter", scale=1, min_width=200, info="Empty: all documents.",
            )
            new = gr.Button("New conversation", elem_id="new-chat", scale=0, min_width=140)
        chosen = next((s for s in states if s.name == settings.generator), None)
        gen_note = gr.HTML(_gen_note(chosen), elem_id="generator-note", js_on_load=None)
    return {"chat": chat, "box": box, "note": note, "stop": stop, "regen": regen, "edit": edit, "gen": gen,
            "filter": only, "new": new, "gen_note": gen_note}


def _gen_note(state: gs.GeneratorState | None) -> str:
    """The chosen generator's problem, shown under the controls (empty when it is ready)."""
    text = gs.state_note(state)
    return f'<p class="gen-note" role="status">⚠ {r.esc(text)}</p>' if text else ""


def _side_column(view_document: Callable[[dict[str, Any]], str], rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Sources panel and the documents section (upload, list, remove)."""
    with gr.Column(scale=2, min_width=300, elem_id="side-col"):
        sources = gr.HTML(
            r.render_panel([]), elem_id="sources-panel", js_on_load=assets.JS_SOURCES, server_functions=[view_document]
        )
        with gr.Accordion("Documents", open=True, elem_id="docs"):
            gr.HTML(UPLOAD_HINT, elem_id="upload-hint", js_on_load=None)  # a File label would cover the drop icon
            files = gr.File(
                file_count="multiple", file_types=list(UPLOAD_TYPES), elem_id="upload", height=150,
                label="Add documents", show_label=False,
            )
            status = gr.HTML("", elem_id="upload-status", js_on_load=None)
            docs = gr.HTML(
                r.render_documents(rows), elem_id="doc-list", js_on_load=assets.JS_DOCS,
                server_functions=[view_document],
            )
    return {"sources": sources, "files": files, "status": status, "docs": docs}


LISTED = "() => { document.body.dataset.generators = 'listed'; }"  # the states are shown (pages and tests wait on it)


def _wire_generators(services: Services, ui: dict[str, Any]) -> None:
    """Fresh generator states when the page loads; the chosen one's problem shown as soon as it is picked."""

    def listed(chosen: str) -> tuple[Any, str]:
        """The dropdown with every generator's state now (cached), and the note for the chosen one."""
        states = services.states.states(GENERATORS.names())
        picked = next((s for s in states if s.name == chosen), None)
        return gr.Dropdown(choices=gs.choices(states)), _gen_note(picked)

    def picked(chosen: str) -> str:
        """The note for a newly chosen generator."""
        return _gen_note(services.states.check(chosen) if chosen else None)

    private = {"api_visibility": "private", "show_progress": "hidden"}
    shown = ui["app"].load(listed, [ui["gen"]], [ui["gen"], ui["gen_note"]], **private)
    shown.then(None, js=LISTED, api_visibility="private")
    ui["gen"].change(picked, [ui["gen"]], [ui["gen_note"]], queue=False, **private)


def ask_text(assistant: Assistant, question: str, generator: str | None) -> str:
    """The /ask API: a verified answer as plain text with numbered sources."""
    try:
        return r.plain_answer(assistant.ask(question, None, generator or None))
    except AssistantError as exc:
        return f"⚠ {exc.user_message()}"


def build(assistant: Assistant, store: ConversationStore | None = None) -> Any:
    """The Gradio Blocks app."""

    def view_document(request: dict[str, Any]) -> str:
        """The whole extracted document with the cited span highlighted (viewer HTML); request from the page."""
        return r.render_document(*document_request(assistant, request))

    store = store or ConversationStore.in_index(assistant.settings.index_dir)
    services = Services(assistant, store, gs.GeneratorStates(assistant.settings))
    rows = document_rows(assistant)
    with gr.Blocks(title="Ask your documents", analytics_enabled=False) as app:
        ui: dict[str, Any] = {"app": app, "state": gr.State(ChatState())}
        ui["current"] = gr.BrowserState(None, storage_key=STORAGE_KEY, secret=store.secret())
        ui.update(_sidebar(services, None))
        gr.HTML(HEADER, js_on_load=None)
        with gr.Row(equal_height=False, elem_id="layout"):
            ui.update(_chat_column(services, rows))
            ui.update(_side_column(view_document, rows))
        running = turns.wire(services, ui)
        sidebar.wire(services, ui, running)
        documents.wire(assistant, ui)
        _wire_generators(services, ui)
        app.load(None, None, None, js=OPEN_WIDE, api_visibility="private")

        def ask(question: str, generator: str = "") -> str:
            """Answer a question from the documents: verified text with [n] markers, then numbered sources."""
            return ask_text(assistant, question, generator)

        gr.api(ask, api_name="ask", concurrency_id=SERIAL, concurrency_limit=1)
    return app


def launch(assistant: Assistant, block: bool = True, inbrowser: bool = False) -> Any:
    """Serve the UI on the configured host and port (127.0.0.1:7860 by default), with login if configured.

    The URL is always printed; with inbrowser the default browser (when there is one) opens it."""
    app = build(assistant)
    app.queue(default_concurrency_limit=1)
    theme = gr.themes.Soft(primary_hue="indigo", font=SYSTEM_FONTS, font_mono=["ui-monospace", "monospace"])
    served = launch_gated(app, assistant, block, theme=theme, css=assets.CSS, inbrowser=inbrowser)
    settings = assistant.settings
    url = getattr(served, "local_url", None) or f"http://{settings.ui_host}:{settings.ui_port}/"
    if not block:
        print(f"Chat UI: {url}", flush=True)
    return served
