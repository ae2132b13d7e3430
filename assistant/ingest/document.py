"""Shared by every loader: text decoding and cleaning, metadata, and documents built from headed blocks and rows."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.errors import IngestError
from assistant.ingest.structure import extract_headings
from assistant.models import Document

_INLINE_TAG = re.compile(
    r"</?(?:u|b|i|em|strong|a|span|br|p|div|sup|sub|small|mark)(?:\s[^<>]*)?/?>", re.I
)
_URL = re.compile(r"https?://[^\s<>\"')]+")
_DATE = re.compile(
    r"\b(?:January|February|March|April|May|June|July|August|September|October|November|December)"
    r"\s+\d{1,2},\s+\d{4}\b|\b\d{4}-\d{2}-\d{2}\b"
)
_SENTENCE_END = (".", "!", "?")
_LABEL = re.compile(r"\([^()\s]+\)=")  # a MyST target label, never a title


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


def decode_text(data: bytes, source: str) -> str:
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


def metadata(text: str, doc: Document, dated: bool = True) -> Document:
    """Fill title, URL and (when dated) the date from the text when the document states them."""
    head = text[:1500]
    if not doc.title and doc.headings:  # a running header before the first heading, else the top heading
        top = min(level for _, level, _ in doc.headings[:20])
        doc.title = _lead_line(text[: doc.headings[0][0]]) or next(
            title for _, level, title in doc.headings if level == top
        )[:200]
    if not doc.title:
        for line in text.splitlines():
            line = line.strip().lstrip("#").strip()
            if line and not _LABEL.fullmatch(line):
                doc.title = line[:200]
                break
    if dated and not doc.date and (m := _DATE.search(head)):
        doc.date = m.group(0)
    if not doc.url:
        marker = re.search(r"(?:original|source)\s*url:\s*(\S+)", text, re.I)
        m = marker or _URL.search(text)
        doc.url = (m.group(1) if marker else m.group(0)) if m else ""
    return doc


def _lead_line(lead: str) -> str:
    """A running header alone before the first heading titles the document ("ls(1) User Commands ls(1)": once)."""
    lines = [line.strip() for line in lead.splitlines() if line.strip()]
    words = lines[0].split() if len(lines) == 1 and len(lines[0]) <= 100 else []
    return " ".join(words[:-1]) if len(words) > 2 and words[0] == words[-1] else ""


def structured(marked: str, doc: Document) -> Document:
    """Clean text with heading marks into the document's text and headings, then its metadata."""
    doc.text, doc.headings = extract_headings(clean_text(marked))
    return metadata(doc.text, doc)


@dataclass(frozen=True)
class Block:
    """One unit of a built document: a heading (level 1-6) or a paragraph/row (level 0)."""

    text: str
    level: int = 0


def heading(title: str, level: int) -> Block:
    """A heading block."""
    return Block(title, min(max(level, 1), 6))


def cell_text(value: object) -> str:
    """A table cell as one line of text (numbers without a spurious '.0', dates as ISO)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if hasattr(value, "isoformat"):
        text = value.isoformat()  # type: ignore[union-attr]
        return text.removesuffix("T00:00:00")
    return " ".join(str(value).split())


def row_line(headers: Sequence[str], values: Sequence[object]) -> str:
    """One table row as 'Header1: value1; Header2: value2.' (empty cells left out; one row, one sentence)."""
    parts = []
    for i, value in enumerate(values):
        text = cell_text(value)
        if not text:
            continue
        name = headers[i] if i < len(headers) else ""
        parts.append(f"{name}: {text}" if name and name != text else text)
    line = "; ".join(parts)
    return line if not line or line.endswith(_SENTENCE_END) else line + "."


def from_blocks(blocks: Sequence[Block], source: str, title: str = "") -> Document:
    """A document whose paragraphs, rows and headings are the blocks, each its own paragraph, headings recorded."""
    parts: list[str] = []
    headings: list[tuple[int, int, str]] = []
    offset = 0
    for block in blocks:
        text = " ".join(block.text.split()) if block.level else _tidy(block.text)
        if not text:
            continue
        if parts:
            offset += 2
        if block.level:
            headings.append((offset, block.level, text))
        parts.append(text)
        offset += len(text)
    doc = Document(source=source, text="\n\n".join(parts), title=" ".join(title.split())[:200], headings=headings)
    return metadata(doc.text, doc, dated=False)  # a date in a table cell or slide is data, not the document's date


def _tidy(text: str) -> str:
    """A paragraph's text with spaces collapsed and its line breaks kept (no blank lines inside)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " ").replace("\v", "\n")
    lines = (re.sub(r"[ \t\f]+", " ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)
