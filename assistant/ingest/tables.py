"""CSV and XLSX: every row one unit ('Header1: value1; Header2: value2.'), each XLSX sheet a section."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from assistant.errors import IngestError
from assistant.ingest.archive import check_zip, reading
from assistant.ingest.document import Block, cell_text, decode_text, from_blocks, heading, row_line
from assistant.models import Document

MAX_ROWS = 100_000  # rows with content in one CSV file or one sheet
MAX_COLUMNS = 1_000
MAX_SHEETS = 200
_NUMBER = re.compile(r"[-+]?\d[\d,.]*%?")


def _looks_like_header(cells: Sequence[str]) -> bool:
    """A first row of names, not data: no cell is a number or empty."""
    return all(cell and not _NUMBER.fullmatch(cell) for cell in cells)


def table_blocks(rows: Iterable[Sequence[object]], source: str, where: str) -> list[Block]:
    """Rows (first non-empty one the header, when it looks like one) as row blocks; more than the limits: refused."""
    headers: list[str] | None = None
    blocks: list[Block] = []
    for row in rows:
        cells = [cell_text(value) for value in row]
        while cells and not cells[-1]:
            cells.pop()
        if not cells:
            continue
        if len(cells) > MAX_COLUMNS:
            raise IngestError(f"{source}: a row of {where} has {len(cells)} columns, more than the "
                              f"{MAX_COLUMNS}-column limit")
        if headers is None:
            headers = cells if _looks_like_header(cells) else []
            if headers:
                continue
        if len(blocks) >= MAX_ROWS:
            raise IngestError(f"{source}: {where} has more than the {MAX_ROWS}-row limit")
        blocks.append(Block(row_line(headers, cells)))
    return blocks


def load_csv(path: Path, data: bytes, source: str) -> Document:
    """CSV (or TSV): the delimiter sniffed, each row one unit; the title is the file's stem."""
    text = decode_text(data, source)
    dialect: type[csv.Dialect] | csv.Dialect = csv.excel_tab  # a .tsv is split on tabs only, never sniffed
    if path.suffix.lower() != ".tsv":
        try:
            dialect = csv.Sniffer().sniff(text[:8192], delimiters=",;\t|")
        except csv.Error:
            dialect = csv.excel
    try:
        blocks = table_blocks(csv.reader(io.StringIO(text, newline=""), dialect), source, "the file")
    except csv.Error as exc:
        raise IngestError(f"{source}: unreadable CSV ({exc})") from None
    return from_blocks(blocks, source, path.stem)


def load_xlsx(path: Path, data: bytes, source: str) -> Document:
    """XLSX: cached cell values (no formulas run), each visible sheet a section of row units."""
    from openpyxl import load_workbook

    check_zip(data, source, "XLSX")
    with reading(source, "XLSX"):
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            title = book.properties.title or path.stem
            blocks = list(_sheet_blocks(book.worksheets, source))
        finally:
            book.close()
    return from_blocks(blocks, source, title)


def _sheet_blocks(sheets: Sequence[object], source: str) -> Iterator[Block]:
    """A heading per visible sheet, then its rows."""
    visible = [sheet for sheet in sheets if getattr(sheet, "sheet_state", "visible") == "visible"]
    if len(visible) > MAX_SHEETS:
        raise IngestError(f"{source}: {len(visible)} sheets, more than the {MAX_SHEETS}-sheet limit")
    for sheet in visible:
        if hasattr(sheet, "reset_dimensions"):
            sheet.reset_dimensions()  # a wrong stored dimension would hide cells in read-only mode
        rows = table_blocks(sheet.iter_rows(values_only=True), source, f"sheet {sheet.title!r}")  # type: ignore[attr-defined]
        if rows:
            yield heading(sheet.title, 1)  # type: ignore[attr-defined]
            yield from rows
