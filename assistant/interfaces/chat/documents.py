"""The documents side of the page: the list (view, remove after a confirmation), uploads indexed with visible
progress on a queue of their own (answers keep flowing meanwhile), and the choices of the document filter."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr

from assistant.errors import AssistantError
from assistant.interfaces.chat import render as r
from assistant.interfaces.chat.indexing import writer
from assistant.interfaces.chat.uploads import index_files

if TYPE_CHECKING:
    from assistant.service import Assistant

INDEXING = "indexing"  # uploads and removals: one at a time (the ingest lock), beside the answering queue


def document_rows(assistant: Assistant) -> list[dict[str, Any]]:
    """Title, date and source of every indexed document (no text)."""
    return [{"source": source, "title": title, "date": day} for source, title, day in assistant.catalog()]


def examples(rows: Sequence[dict[str, Any]]) -> list[dict[str, str]]:
    """Chatbot example messages built from the indexed documents' titles."""
    pairs = r.example_questions(rows)
    return [{"text": question, "display_text": label} for question, label in pairs]


def filter_choices(rows: Sequence[dict[str, Any]]) -> list[tuple[str, str]]:
    """The document filter's choices: (title and file name, source name as the service knows it)."""
    out = []
    for row in rows:
        name = Path(str(row["source"])).name
        title = str(row.get("title") or "").strip()
        out.append((f"{r.shorten(title, 48)} ({name})" if title and title != name else name, str(row["source"])))
    return out


def filter_update(rows: Sequence[dict[str, Any]], chosen: Sequence[str] | None) -> Any:
    """The filter with the current documents; chosen documents that are gone are dropped."""
    choices = filter_choices(rows)
    known = {value for _, value in choices}
    return gr.Dropdown(choices=choices, value=[c for c in (chosen or []) if c in known])


def remove_document(assistant: Assistant, source: str) -> str:
    """Drop a document from the index (and its uploaded copy); a status line."""
    try:
        with writer(assistant) as ingestor:
            removed = bool(source) and ingestor.remove(source)
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


def wire(assistant: Assistant, ui: dict[str, Any]) -> None:
    """Upload with visible progress, remove, and a refresh of the list, examples and filter on page load."""

    def refreshed(chosen: list[str] | None = None) -> tuple[Any, Any, Any]:
        """The document list, the chat examples and the filter for the index as it is now."""
        rows = document_rows(assistant)
        return r.render_documents(rows), gr.Chatbot(examples=examples(rows) or None), filter_update(rows, chosen)

    def upload(files: list[str] | None, chosen: list[str] | None) -> Iterator[tuple[Any, ...]]:
        """Index the uploaded files, showing progress."""
        total = len(files or [])
        done: list[str] = []
        problems: list[str] = []
        for step, done, problems in index_files(assistant, files):
            if step:
                yield r.render_upload(step, done, problems, total), *([gr.skip()] * 4)
        yield (r.render_upload("", done, problems, total), *refreshed(chosen), None)

    def remove(chosen: list[str] | None, evt: gr.EventData) -> tuple[Any, ...]:
        """Remove the document whose (confirmed) Remove button was pressed."""
        message = remove_document(assistant, str(getattr(evt, "source", "") or ""))
        return (r.render_status([message], "ok"), *refreshed(chosen))

    shown = [ui["docs"], ui["chat"], ui["filter"]]
    queue = {"concurrency_id": INDEXING, "concurrency_limit": 1, "api_visibility": "private"}
    ui["files"].upload(
        upload, [ui["files"], ui["filter"]], [ui["status"], *shown, ui["files"]], show_progress="hidden", **queue
    )
    ui["docs"].remove_doc(remove, [ui["filter"]], [ui["status"], *shown], **queue)
    ui["app"].load(refreshed, [ui["filter"]], shown, show_progress="hidden", api_visibility="private")
