"""HTML (and the XHTML inside EPUB): the visible text, headings h1-h6 marked as sections, one linear pass."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assistant.errors import IngestError
from assistant.ingest.document import decode_text, structured
from assistant.ingest.structure import mark
from assistant.models import Document

_DROP = ("script", "style", "noscript", "template", "nav", "footer", "head")
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "tr", "br", "pre", "section", "article",
           "blockquote", "table", "ul", "ol", "dd", "dt", "header", "main", "title"}


def parse_html(markup: str | bytes, source: str) -> Any:
    """The lxml tree of a page (bytes let an XML declaration name the encoding)."""
    import lxml.etree
    import lxml.html

    try:
        return lxml.html.document_fromstring(markup)
    except (lxml.etree.ParserError, ValueError) as exc:
        raise IngestError(f"{source}: unreadable HTML ({exc.__class__.__name__})") from exc


def page_title(root: Any) -> str:
    """A page's <title>, else its first <h1>."""
    title = " ".join((root.findtext(".//title") or "").split())
    if not title and (h1 := root.find(".//h1")) is not None:
        title = " ".join(h1.text_content().split())
    return title


def has_heading(root: Any) -> bool:
    """Whether the page has an h1-h6 element."""
    return next(root.iter(*_HEADINGS), None) is not None


def load_html(path: Path, data: bytes, source: str) -> Document:
    """HTML: visible text only, title from <title> or <h1>; one linear pass, however deep the nesting."""
    root = parse_html(decode_text(data, source), source)
    return structured(visible_text(root), Document(source=source, text="", title=page_title(root)[:200]))


def visible_text(root: Any) -> str:
    """Text of the elements outside scripts, styles and navigation; blocks end with a blank line, headings marked."""
    import lxml.etree

    parts: list[str] = []
    skipping = 0  # inside dropped elements, or inside a heading already emitted whole
    for event, el in lxml.etree.iterwalk(root, events=("start", "end")):
        tag = el.tag if isinstance(el.tag, str) else ""
        if event == "start":
            if not skipping and tag in _HEADINGS:
                parts.append(mark(int(tag[1]), " ".join(el.text_content().split())))
            skipping += tag in _DROP or tag in _HEADINGS
            if not skipping and tag and el.text:
                parts.append(el.text)
            continue
        if tag in _DROP or tag in _HEADINGS:
            skipping -= 1
        elif not skipping and tag in _BLOCKS:
            parts.append("\n\n")
        if not skipping and el.tail:
            parts.append(el.tail)
    return "".join(parts)
