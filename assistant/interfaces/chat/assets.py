"""The chat page's stylesheet and scripts, kept as files in static/ and read once at import."""

from __future__ import annotations

from pathlib import Path

_STATIC = Path(__file__).resolve().parent / "static"


def _read(name: str) -> str:
    """One static file's text."""
    return (_STATIC / name).read_text(encoding="utf-8")


CSS = _read("chat.css")
# Shared helpers, installed once per page: the document viewer, chip clicks and copy buttons.
JS_COMMON = _read("common.js")
JS_SOURCES = JS_COMMON + _read("sources.js")  # sources panel: scroll to the mark, "View whole document"
JS_DOCS = JS_COMMON + _read("documents.js")  # the document list: View and Remove
JS_CONVERSATIONS = _read("conversations.js")  # the conversations sidebar: open, rename, export, delete
