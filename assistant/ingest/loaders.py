"""Load .txt, .md, .html and .pdf files into clean text with metadata."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from pathlib import Path

from assistant.errors import IngestError
from assistant.ingest.structure import (
    clean_markdown,
    clean_rest,
    dehyphenate,
    drop_running_lines,
    extract_headings,
    mark,
    mark_text_headings,
    running_lines,
)
from assistant.models import Document

SUPPORTED = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf")
_INLINE_TAG = re.compile(
    r"</?(?:u|b|i|em|strong|a|span|br|p|div|sup|sub|small|mark)(?:\s[^<>]*)?/?>", re.I
)
_URL = re.compile(r"https?://[^\s<>\"')]+")
_DATE = re.compile(
    r"\b(?:January|February|March|April|May|June|July|August|September|October|November|December)"
    r"\s+\d{1,2},\s+\d{4}\b|\b\d{4}-\d{2}-\d{2}\b"
)


# raised whenever extraction changes what a file's text or structure becomes: every file is then read again
EXTRACTION_VERSION = 2


def file_hash(data: bytes) -> str:
    """Content hash used to detect changed files, tagged with the extraction version that read them."""
    return f"x{EXTRACTION_VERSION}:{hashlib.sha256(data).hexdigest()}"


def clean_text(text: str) -> str:
    """Normalise whitespace, drop stray inline tags, mend paragraph breaks inside sentences."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " ")
    text = _INLINE_TAG.sub("", text)
    text = re.sub(r"[ \t]+", " ", text)
    text = re.sub(r" *\n *", "\n", text)
    # a paragraph break between a lower-case word and a lower-case word is a layout artefact
    text = re.sub(r"(?<=[a-z,;])\n{2,}(?=[a-z])", " ", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def _decode(data: bytes, source: str) -> str:
    """Decode text bytes: UTF-8 (with BOM), UTF-16 by BOM; reject binary."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    if b"\x00" in data[:4096]:
        raise IngestError(f"{source}: looks like a binary file, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("utf-8", errors="replace")
        if text.count("\ufffd") > max(10, len(text) // 100):
            raise IngestError(f"{source}: not valid UTF-8 text") from None
        return text


def _metadata(text: str, doc: Document) -> Document:
    """Fill title, date and URL from the text when the document states them."""
    head = text[:1500]
    if not doc.title and doc.headings:
        top = min(level for _, level, _ in doc.headings[:20])
        doc.title = next(title for _, level, title in doc.headings if level == top)[:200]
    if not doc.title:
        for line in text.splitlines():
            line = line.strip().lstrip("#").strip()
            if line:
                doc.title = line[:200]
                break
    if not doc.date and (m := _DATE.search(head)):
        doc.date = m.group(0)
    if not doc.url:
        marker = re.search(r"(?:original|source)\s*url:\s*(\S+)", text, re.I)
        m = marker or _URL.search(text)
        doc.url = (m.group(1) if marker else m.group(0)) if m else ""
    return doc


def structured(marked: str, doc: Document) -> Document:
    """Clean text with heading marks into the document's text and headings, then its metadata."""
    doc.text, doc.headings = extract_headings(clean_text(marked))
    return _metadata(doc.text, doc)


def load_text(path: Path, data: bytes, source: str) -> Document:
    """Plain text or Markdown: headings found, inline markup and typographic line-end hyphens removed."""
    markdown = path.suffix.lower() in (".md", ".markdown")
    raw = mark_text_headings(_decode(data, source).replace("\r\n", "\n"), markdown)
    raw = clean_markdown(raw) if markdown else clean_rest(raw)
    return structured(dehyphenate(raw), Document(source=source, text=""))


_DROP = ("script", "style", "noscript", "template", "nav", "footer", "head")
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "tr", "br", "pre", "section", "article",
           "blockquote", "table", "ul", "ol", "dd", "dt", "header", "main", "title"}


def load_html(path: Path, data: bytes, source: str) -> Document:
    """HTML: visible text only, title from <title> or <h1>; one linear pass, however deep the nesting."""
    import lxml.etree
    import lxml.html

    try:
        root = lxml.html.document_fromstring(_decode(data, source))
    except (lxml.etree.ParserError, ValueError) as exc:
        raise IngestError(f"{source}: unreadable HTML ({exc.__class__.__name__})") from exc
    title = (root.findtext(".//title") or "").strip()
    if not title and (h1 := root.find(".//h1")) is not None:
        title = " ".join(h1.text_content().split())
    return structured(_visible_text(root), Document(source=source, text="", title=title[:200]))


def _visible_text(root: object) -> str:
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


MAX_PDF_PAGES = 2000


def load_pdf(path: Path, data: bytes, source: str, max_pages: int | None = None) -> Document:
    """PDF: text per page, page starts recorded; more pages than the limit is an error."""
    import io

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise IngestError(f"{source}: encrypted PDF")
        limit = max_pages or MAX_PDF_PAGES
        if len(reader.pages) > limit:
            raise IngestError(f"{source}: {len(reader.pages)} pages, more than the {limit}-page limit")
        raw = [page.extract_text() or "" for page in reader.pages]
        running = running_lines(raw)
        parts: list[str] = []
        pages: list[tuple[int, int]] = []
        offset = 0
        for number, page_raw in enumerate(raw, start=1):
            page_text = clean_text(dehyphenate(drop_running_lines(page_raw, running), ascii_hyphens=True))
            pages.append((number, offset))
            parts.append(page_text)
            offset += len(page_text) + 2
        meta_title = (reader.metadata.title if reader.metadata else None) or ""
    except IngestError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, AttributeError, IndexError, RecursionError) as exc:
        raise IngestError(f"{source}: unreadable PDF ({exc.__class__.__name__})") from exc
    text = "\n\n".join(parts)
    if not text.strip():
        raise IngestError(f"{source}: PDF has no extractable text (scanned?)")
    return _metadata(text, Document(source=source, text=text, title=meta_title, pages=pages))


LOADERS: dict[str, Callable[[Path, bytes, str], Document]] = {
    ".txt": load_text,
    ".md": load_text,
    ".markdown": load_text,
    ".html": load_html,
    ".htm": load_html,
    ".pdf": load_pdf,
}


def load(path: Path, source: str, max_bytes: int) -> Document:
    """Load one file; raises IngestError with the file's name and the reason."""
    suffix = path.suffix.lower()
    if suffix not in LOADERS:
        raise IngestError(f"{source}: unsupported file type '{suffix}'")
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise IngestError(f"{source}: larger than the {max_bytes // 2**20} MB limit")
        data = path.read_bytes()
    except OSError as exc:
        raise IngestError(f"{source}: cannot read ({exc.strerror or exc})") from exc
    if not data.strip():
        raise IngestError(f"{source}: empty file")
    doc = LOADERS[suffix](path, data, source)
    if not doc.text.strip():
        raise IngestError(f"{source}: no text found")
    doc.content_hash = file_hash(data)
    return doc
