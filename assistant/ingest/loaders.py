"""Load .txt, .md, .html and .pdf files into clean text with metadata."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from pypdf import PageObject, PdfReader

    from assistant.settings import Settings

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
MAX_PDF_PAGE_CONTENT_BYTES = 5 * 2**20  # decoded content streams of one page
MAX_PDF_CONTENT_BYTES = 200 * 2**20  # decoded content streams of a whole document (a shared stream counts once)
_DECODE_LIMITS = ("zlib_maximum_output_length", "lzw_maximum_output_length", "run_length_maximum_output_length",
                  "brotli_maximum_output_length", "array_based_stream_maximum_output_length")


@dataclass(frozen=True)
class PdfLimits:
    """How much a PDF may hold: pages, decoded content per page and per document (bytes)."""

    max_pages: int = MAX_PDF_PAGES
    max_page_content_bytes: int = MAX_PDF_PAGE_CONTENT_BYTES
    max_content_bytes: int = MAX_PDF_CONTENT_BYTES

    @classmethod
    def from_settings(cls, settings: Settings) -> PdfLimits:
        """The limits the settings give (max_pdf_pages, max_pdf_page_content_mb, max_pdf_content_mb)."""
        return cls(
            settings.max_pdf_pages,
            int(settings.max_pdf_page_content_mb * 2**20),
            int(settings.max_pdf_content_mb * 2**20),
        )


def _mb(size: int) -> str:
    """A byte count as a short MB figure."""
    return f"{size / 2**20:.3g} MB"


def _bounded(limit: int) -> AbstractContextManager[object]:
    """pypdf's decoders stop past limit bytes of output while this is entered (pypdf 7: apply_configuration)."""
    try:
        from pypdf import apply_configuration, get_configuration
    except ImportError:  # older pypdf: its own fixed caps apply; the size is still checked after decoding
        return nullcontext()
    current = get_configuration()
    return apply_configuration(**{name: max(1, limit) for name in _DECODE_LIMITS if hasattr(current, name)})


def _streams(page: PageObject) -> list[object]:
    """The content stream objects a page shows, in order (an array may name several, or one several times)."""
    from pypdf.generic import ArrayObject

    contents = page.get("/Contents")
    contents = contents.get_object() if contents is not None else None
    items = list(contents) if isinstance(contents, ArrayObject) else [contents] if contents is not None else []
    return [item.get_object() for item in items]


def _content_size(page: PageObject, limit: int) -> int:
    """Decoded size of a page's content streams; decoding stops once it is past limit (then limit + 1)."""
    from pypdf.errors import LimitReachedError
    from pypdf.generic import StreamObject

    total = 0
    try:
        with _bounded(limit):
            for stream in _streams(page):
                if isinstance(stream, StreamObject):
                    total += len(stream.get_data())
                if total > limit:
                    return limit + 1
    except LimitReachedError:
        return limit + 1
    return total


def _content_key(page: PageObject) -> tuple[object, ...] | None:
    """What a page's extracted text depends on (content stream and resource objects); None when not shared."""
    from pypdf.generic import ArrayObject, IndirectObject

    contents = page.raw_get("/Contents") if "/Contents" in page else None
    items = list(contents) if isinstance(contents, ArrayObject) else [contents]
    if not all(isinstance(item, IndirectObject) for item in items):
        return None
    resources = page.raw_get("/Resources") if "/Resources" in page else page.get_inherited("/Resources")
    refs = tuple((item.idnum, item.generation) for item in items)
    return refs, _fingerprint(resources, 4), repr(page.get_inherited("/Rotate", 0))


def _fingerprint(value: object, depth: int) -> object:
    """A hashable picture of a resources object: indirect objects by number, direct ones by value."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    if isinstance(value, IndirectObject):
        return ("ref", value.idnum, value.generation)
    if depth <= 0:
        return ("id", id(value))  # too deep to compare: this page shares with no other
    if isinstance(value, DictionaryObject):
        return tuple(sorted((str(k), _fingerprint(value.raw_get(k), depth - 1)) for k in value))
    if isinstance(value, ArrayObject):
        return tuple(_fingerprint(item, depth - 1) for item in value)
    return repr(value)


def _page_text(page: PageObject, number: int, source: str, limit: int) -> str:
    """A page's text, with every stream it draws (form objects too) decoded to at most limit bytes."""
    from pypdf.errors import LimitReachedError

    try:
        with _bounded(limit):
            return page.extract_text() or ""
    except LimitReachedError:
        raise IngestError(
            f"{source}: page {number} draws a stream of more than the {_mb(limit)} limit of page content "
            "(max_pdf_page_content_mb)"
        ) from None


def page_texts(reader: PdfReader, source: str, limits: PdfLimits) -> list[str]:
    """Each page's text; a page's content is measured before it is extracted, pages sharing content read once."""
    texts: list[str] = []
    seen: dict[tuple[object, ...], str] = {}
    budget = limits.max_content_bytes
    for number, page in enumerate(reader.pages, start=1):
        key = _content_key(page)
        if key is not None and key in seen:
            texts.append(seen[key])
            continue
        size = _content_size(page, min(limits.max_page_content_bytes, budget))
        if size > limits.max_page_content_bytes:
            raise IngestError(f"{source}: page {number} holds more than the {_mb(limits.max_page_content_bytes)} "
                              "limit of page content (max_pdf_page_content_mb)")
        if size > budget:
            raise IngestError(f"{source}: more than the {_mb(limits.max_content_bytes)} limit of page content "
                              f"in one PDF, reached at page {number} (max_pdf_content_mb)")
        budget -= size
        texts.append(_page_text(page, number, source, limits.max_page_content_bytes))
        if key is not None:
            seen[key] = texts[-1]
    return texts


def load_pdf(
    path: Path, data: bytes, source: str, max_pages: int | None = None, limits: PdfLimits | None = None
) -> Document:
    """PDF: text per page, page starts recorded; more pages or page content than the limits is an error."""
    import io

    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    limits = limits or PdfLimits()
    if max_pages:
        limits = replace(limits, max_pages=max_pages)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise IngestError(f"{source}: encrypted PDF")
        if len(reader.pages) > limits.max_pages:
            raise IngestError(
                f"{source}: {len(reader.pages)} pages, more than the {limits.max_pages}-page limit (max_pdf_pages)"
            )
        raw = page_texts(reader, source, limits)
        meta_title = (reader.metadata.title if reader.metadata else None) or ""
    except IngestError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, OSError, AttributeError, IndexError, RecursionError) as exc:
        raise IngestError(f"{source}: unreadable PDF ({exc.__class__.__name__})") from exc
    return _pdf_document(raw, source, meta_title)


def _pdf_document(raw: list[str], source: str, title: str) -> Document:
    """The document made of the pages' raw text: running headers and footers dropped, page starts recorded."""
    running = running_lines(raw)
    parts: list[str] = []
    pages: list[tuple[int, int]] = []
    offset = 0
    for number, page_raw in enumerate(raw, start=1):
        page_text = clean_text(dehyphenate(drop_running_lines(page_raw, running), ascii_hyphens=True))
        pages.append((number, offset))
        parts.append(page_text)
        offset += len(page_text) + 2
    text = "\n\n".join(parts)
    if not text.strip():
        raise IngestError(f"{source}: PDF has no extractable text (scanned?)")
    return _metadata(text, Document(source=source, text=text, title=title, pages=pages))


LOADERS: dict[str, Callable[[Path, bytes, str], Document]] = {
    ".txt": load_text,
    ".md": load_text,
    ".markdown": load_text,
    ".html": load_html,
    ".htm": load_html,
    ".pdf": load_pdf,
}


def load(path: Path, source: str, max_bytes: int, pdf: PdfLimits | None = None) -> Document:
    """Load one file; raises IngestError with the file's name and the reason (pdf: PDF limits, default PdfLimits())."""
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
    doc = load_pdf(path, data, source, limits=pdf) if suffix == ".pdf" else LOADERS[suffix](path, data, source)
    if not doc.text.strip():
        raise IngestError(f"{source}: no text found")
    doc.content_hash = file_hash(data)
    return doc
