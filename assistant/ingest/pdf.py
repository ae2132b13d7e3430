"""PDF: text per page within page and content limits, running headers dropped; scanned pages read by OCR."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.errors import IngestError
from assistant.ingest import ocr
from assistant.ingest.document import clean_text, metadata
from assistant.ingest.structure import dehyphenate, drop_running_lines, running_lines
from assistant.models import Document

if TYPE_CHECKING:
    from pypdf import PageObject, PdfReader

    from assistant.settings import Settings

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
    path: Path,
    data: bytes,
    source: str,
    max_pages: int | None = None,
    limits: PdfLimits | None = None,
    ocr_limits: ocr.OcrLimits | None = None,
) -> Document:
    """PDF: text per page, page starts recorded; more pages or page content than the limits is an error.

    Pages without a text layer are read by OCR when tesseract and pdftoppm are installed.
    """
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
        images = {n for n, page in enumerate(reader.pages, start=1) if not raw[n - 1].strip() and draws_image(page)}
        meta_title = (reader.metadata.title if reader.metadata else None) or ""
    except IngestError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, OSError, AttributeError, IndexError, RecursionError) as exc:
        raise IngestError(f"{source}: unreadable PDF ({exc.__class__.__name__})") from exc
    return _pdf_document(with_ocr(raw, images, data, source, ocr_limits), source, meta_title)


def draws_image(page: PageObject) -> bool:
    """Whether a page draws an image (directly or inside a form): a scanned page does."""
    from pypdf.generic import DictionaryObject

    def images(resources: object, depth: int) -> bool:
        xobjects = resources.get("/XObject") if isinstance(resources, DictionaryObject) else None
        xobjects = xobjects.get_object() if xobjects is not None else None
        if not isinstance(xobjects, DictionaryObject):
            return False
        for ref in xobjects.values():
            obj = ref.get_object()
            subtype = obj.get("/Subtype") if isinstance(obj, DictionaryObject) else None
            if subtype == "/Image" or (subtype == "/Form" and depth > 0 and images(obj.get("/Resources"), depth - 1)):
                return True
        return False

    try:
        resources = page.get("/Resources")
        return images(resources.get_object() if resources is not None else None, 2)
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return False


def with_ocr(
    raw: list[str], images: set[int], data: bytes, source: str, limits: ocr.OcrLimits | None = None
) -> list[str]:
    """The pages' text; blank pages that draw an image are read by OCR when it is installed (without it a PDF with
    no text at all is refused, saying what to install)."""
    blank = [number for number, text in enumerate(raw, start=1) if not text.strip()]
    if not blank:
        return raw
    if not ocr.available():
        if len(blank) == len(raw):
            raise ocr.no_text_error(source)
        return raw
    scanned = [number for number in blank if number in images]
    read = ocr.ocr_pages(data, scanned, source, limits) if scanned else {}
    return [read.get(number, text) for number, text in enumerate(raw, start=1)]


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
        raise (IngestError(f"{source}: PDF has no extractable text, and OCR found none in its page images")
               if ocr.available() else ocr.no_text_error(source))
    return metadata(text, Document(source=source, text=text, title=title, pages=pages))
