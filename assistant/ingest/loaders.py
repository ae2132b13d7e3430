"""Load documents into clean text with metadata: picks the loader for a file's type and checks what all share.

Text (.txt) here; Markdown in `markdown`, HTML in `html_text`, PDF (and OCR of scanned pages) in `pdf`, DOCX and
PPTX in `office`, CSV and XLSX in `tables`, EPUB in `epub`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from assistant.errors import IngestError
from assistant.ingest.document import clean_text, decode_text, structured
from assistant.ingest.epub import load_epub
from assistant.ingest.html_text import load_html
from assistant.ingest.markdown import load_markdown
from assistant.ingest.office import load_docx, load_pptx
from assistant.ingest.pdf import PdfLimits, load_pdf, page_texts
from assistant.ingest.structure import clean_rest, dehyphenate, mark_text_headings
from assistant.ingest.tables import load_csv, load_xlsx
from assistant.models import Document

__all__ = ["EXTRACTION_VERSION", "LOADERS", "SUPPORTED", "PdfLimits", "clean_text", "file_hash", "load",
           "load_html", "load_markdown", "load_pdf", "load_text", "page_texts"]

_MD_TXT, _MARKDOWN_TXT = [".md", ".txt"], [".markdown", ".txt"]

# raised whenever extraction changes what a file's text or structure becomes: every file is then read again
EXTRACTION_VERSION = 5


def file_hash(data: bytes) -> str:
    """Content hash used to detect changed files, tagged with the extraction version that read them."""
    return f"x{EXTRACTION_VERSION}:{hashlib.sha256(data).hexdigest()}"


def load_text(path: Path, data: bytes, source: str) -> Document:
    """Plain text: headings (underlined, upper-case) found, reST roles and typographic line-end hyphens removed.

    Markdown saved as text (Sphinx publishes a MyST page's source as 'page.md.txt') is read as Markdown.
    """
    if [s.lower() for s in path.suffixes[-2:]] in (_MD_TXT, _MARKDOWN_TXT):
        return load_markdown(path, data, source)
    raw = mark_text_headings(decode_text(data, source).replace("\r\n", "\n"), markdown=False)
    return structured(dehyphenate(clean_rest(raw)), Document(source=source, text=""))


LOADERS: dict[str, Callable[[Path, bytes, str], Document]] = {
    ".txt": load_text,
    ".md": load_markdown,
    ".markdown": load_markdown,
    ".html": load_html,
    ".htm": load_html,
    ".pdf": load_pdf,
    ".docx": load_docx,
    ".pptx": load_pptx,
    ".xlsx": load_xlsx,
    ".csv": load_csv,
    ".tsv": load_csv,
    ".epub": load_epub,
}
SUPPORTED = tuple(LOADERS)


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
