"""EPUB: the spine's XHTML chapters in reading order through the HTML path, so their headings become sections."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Any

from assistant.errors import IngestError
from assistant.ingest.archive import check_zip, reading
from assistant.ingest.document import structured
from assistant.ingest.html_text import has_heading, page_title, parse_html, visible_text
from assistant.ingest.structure import mark
from assistant.models import Document

_CIPHER_URI = re.compile(r"URI\s*=\s*[\"']([^\"']+)[\"']")
_CHAPTER_SUFFIXES = (".xhtml", ".html", ".htm", ".xml")


def load_epub(path: Path, data: bytes, source: str) -> Document:
    """EPUB 2 or 3: chapters in spine order; a chapter without headings is titled from the table of contents."""
    import ebooklib
    from ebooklib import epub

    check_zip(data, source, "EPUB")
    if _drm(data):
        raise IngestError(f"{source}: DRM-protected EPUB (its chapters are encrypted); it cannot be read")
    with reading(source, "EPUB"):
        book = epub.read_epub(io.BytesIO(data), {"ignore_ncx": False})
        labels = _toc_labels(book.toc)
        parts: list[str] = []
        for idref, *_ in book.spine:
            item = book.get_item_with_id(idref)
            if item is None or item.get_type() != ebooklib.ITEM_DOCUMENT:
                continue
            root = parse_html(item.get_content(), source)
            label = labels.get(item.get_name()) or page_title(root)
            if label and not has_heading(root):
                parts.append(mark(1, label))
            parts.append(visible_text(root))
        titles = book.get_metadata("DC", "title")
    title = " ".join(str(titles[0][0]).split()) if titles and titles[0][0] else path.stem
    return structured("\n\n".join(parts), Document(source=source, text="", title=title[:200]))


def _toc_labels(toc: Any) -> dict[str, str]:
    """The table of contents' label for each chapter file (the first entry naming it)."""
    labels: dict[str, str] = {}
    stack = list(toc or [])[::-1]
    while stack:
        entry = stack.pop()
        if isinstance(entry, (tuple, list)):  # (Section, [children])
            stack.extend(list(entry)[::-1])
            continue
        href, title = getattr(entry, "href", None), getattr(entry, "title", None)
        if href and title:
            labels.setdefault(str(href).split("#", 1)[0], " ".join(str(title).split()))
    return labels


def _drm(data: bytes) -> bool:
    """Whether META-INF/encryption.xml declares an encrypted chapter (obfuscated fonts alone do not count)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        if "META-INF/encryption.xml" not in archive.namelist():
            return False
        declared = archive.read("META-INF/encryption.xml").decode("utf-8", "replace")
    return any(uri.lower().endswith(_CHAPTER_SUFFIXES) for uri in _CIPHER_URI.findall(declared))
