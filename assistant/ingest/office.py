"""DOCX and PPTX: Word headings and slides become sections, tables rows of 'Header: value' units, notes kept."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from assistant.ingest.archive import check_zip, reading
from assistant.ingest.document import Block, from_blocks, heading
from assistant.ingest.tables import table_blocks
from assistant.models import Document

_HEADING_STYLE = re.compile(r"heading\s*([1-9])", re.I)
NOTES_HEADING = "Speaker notes"


def load_docx(path: Path, data: bytes, source: str) -> Document:
    """DOCX: paragraphs and tables in reading order; Title and Heading n styles are sections."""
    import docx

    check_zip(data, source, "DOCX")
    with reading(source, "DOCX"):
        document = docx.Document(io.BytesIO(data))
        blocks = list(_docx_blocks(document, source))
        title = document.core_properties.title or ""
    first = next((block.text for block in blocks if block.level), "")
    return from_blocks(blocks, source, title.strip() or first or path.stem)


def _docx_blocks(container: Any, source: str) -> Iterator[Block]:
    """Blocks of a document body (or a table cell): headings, paragraphs, table rows."""
    from docx.table import Table

    for item in container.iter_inner_content():
        if isinstance(item, Table):
            yield from table_blocks(_docx_rows(item), source, "a table")
            continue
        level = _heading_level(item.style)
        yield heading(item.text, level) if level and item.text.strip() else Block(item.text)


def _heading_level(style: Any) -> int:
    """1 for the Title style, n for Heading n (or a style based on it), 0 for body text."""
    for _ in range(4):  # custom heading styles are based on the built-in ones
        if style is None:
            return 0
        name = (style.name or "").strip()
        if name.lower() == "title":
            return 1
        if m := _HEADING_STYLE.fullmatch(name):
            return int(m.group(1))
        style = style.base_style
    return 0


def _docx_rows(table: Any) -> Iterator[list[str]]:
    """A table's rows as cell texts, a merged cell counted once."""
    for row in table.rows:
        cells, seen = [], set()
        for cell in row.cells:
            if id(cell._tc) not in seen:
                seen.add(id(cell._tc))
                cells.append(cell.text)
        yield cells


def load_pptx(path: Path, data: bytes, source: str) -> Document:
    """PPTX: a section per slide ('Slide 3: Title'), its text, tables as rows, then its speaker notes."""
    from pptx import Presentation

    check_zip(data, source, "PPTX")
    with reading(source, "PPTX"):
        deck = Presentation(io.BytesIO(data))
        blocks: list[Block] = []
        first = ""
        for number, slide in enumerate(deck.slides, start=1):
            title = _slide_title(slide)
            first = first or title
            blocks.append(heading(f"Slide {number}: {title}" if title else f"Slide {number}", 1))
            blocks.extend(_shape_blocks(slide.shapes, source))
            blocks.extend(_notes_blocks(slide))
        title = deck.core_properties.title or ""
    return from_blocks(blocks, source, title.strip() or first or path.stem)


def _slide_title(slide: Any) -> str:
    """The text of a slide's title placeholder, if any."""
    shape = slide.shapes.title
    return " ".join(shape.text_frame.text.split()) if shape is not None and shape.has_text_frame else ""


def _shape_blocks(shapes: Any, source: str) -> Iterator[Block]:
    """Text of the shapes other than the title: a paragraph per line of text, table rows, groups opened."""
    for shape in shapes:
        if shape.is_placeholder and shape.placeholder_format.type in _title_types():
            continue
        if shape.shape_type == _group_type():
            yield from _shape_blocks(shape.shapes, source)
        elif getattr(shape, "has_table", False) and shape.has_table:
            rows = ([cell.text for cell in row.cells] for row in shape.table.rows)
            yield from table_blocks(rows, source, "a slide table")
        elif shape.has_text_frame:
            yield from (Block(p.text) for p in shape.text_frame.paragraphs)


def _notes_blocks(slide: Any) -> list[Block]:
    """The slide's speaker notes under their own subsection."""
    if not slide.has_notes_slide or slide.notes_slide.notes_text_frame is None:
        return []
    paragraphs = [Block(p.text) for p in slide.notes_slide.notes_text_frame.paragraphs if p.text.strip()]
    return [heading(NOTES_HEADING, 2), *paragraphs] if paragraphs else []


def _title_types() -> tuple[object, ...]:
    """Placeholder types that hold a slide's title."""
    from pptx.enum.shapes import PP_PLACEHOLDER

    return (PP_PLACEHOLDER.TITLE, PP_PLACEHOLDER.CENTER_TITLE)


def _group_type() -> object:
    """The shape type of a group."""
    from pptx.enum.shapes import MSO_SHAPE_TYPE

    return MSO_SHAPE_TYPE.GROUP
