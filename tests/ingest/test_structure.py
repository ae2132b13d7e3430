"""Structure at load time: headings in every format, markup remnants gone, PDF layout mended, sections on chunks."""

from pathlib import Path

from assistant.ingest import loaders
from assistant.ingest.loaders import load
from assistant.ingest.splitter import split
from assistant.ingest.structure import dehyphenate, drop_running_lines, running_lines
from assistant.models import Chunk

MB = 2**20

MARKDOWN = """[![Build](https://ci.example/badge.svg)](https://ci.example/run)

Widget
======

Widget is a **small** tool for _tidy_ files. See [the guide](https://example.org/guide "Guide") or [INSTALL][].

## Building

Run `make build` first:

```sh
make build PREFIX=/opt/widget
```

[INSTALL]: https://example.org/install
"""


def _doc(tmp_path: Path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return load(path, name, 50 * MB)


def test_markdown_headings_and_inline_markup(tmp_path: Path) -> None:
    doc = _doc(tmp_path, "README.md", MARKDOWN)
    assert doc.title == "Widget"
    assert [(level, title) for _, level, title in doc.headings] == [(1, "Widget"), (2, "Building")]
    assert "Widget is a small tool for tidy files. See the guide or INSTALL." in doc.text
    for remnant in ("**", "](", "![", "```", "`make", "[INSTALL]", "https://example.org/install", "====", "## "):
        assert remnant not in doc.text, remnant
    assert "make build PREFIX=/opt/widget" in doc.text  # the code itself stays
    assert all(doc.text[offset:].startswith(title) for offset, _, title in doc.headings)


def test_plain_text_underlines_and_man_page_sections(tmp_path: Path) -> None:
    policy = _doc(
        tmp_path,
        "policy.txt",
        "Manual\n******\n\nIntro.\n\n1.1. Scope\n==========\n\nIt covers :class:`all` of ``this``.\n",
    )
    assert [(lv, t) for _, lv, t in policy.headings] == [(1, "Manual"), (2, "1.1. Scope")]
    assert "It covers all of this." in policy.text
    man = _doc(
        tmp_path,
        "kill.2.txt",
        "kill(2)   Manual   kill(2)\n\nNAME\n       kill - send signal\n\nRETURN VALUE\n"
        "       On success, zero is re\u2010\n       turned.\n",
    )
    assert [t for _, _, t in man.headings] == ["NAME", "RETURN VALUE"]
    assert "zero is returned." in man.text  # a typographic line-end hyphen joins the word


def test_html_headings_give_chunks_their_section(tmp_path: Path) -> None:
    page = (
        "<html><head><title>Tutorial</title></head><body><h1>Modules<a href='#m'>¶</a></h1><p>Intro text.</p>"
        "<h2>Packages<a href='#p'>¶</a></h2><p>Packages are a way of structuring modules.</p></body></html>"
    )
    doc = _doc(tmp_path, "modules.html", page)
    assert [t for _, _, t in doc.headings] == ["Modules", "Packages"] and "¶" not in doc.text
    chunks = split(doc, size=60, overlap=0)
    last = chunks[-1]
    at = doc.text.index("Packages are")
    assert last.section_at(at) == "Modules › Packages"
    assert last.is_heading(doc.text.index("Packages\n"))
    again = Chunk.from_metadata(last.id, last.text, last.metadata())  # the outline survives the stores
    assert again.section_at(at) == "Modules › Packages"


def test_pdf_running_headers_page_numbers_and_hyphens() -> None:
    pages = [f"Chapter 2: Lists {n}\nBody of page {n} was con-\nducted well.\n{n}" for n in range(10, 16)]
    running = running_lines(pages)
    cleaned = [dehyphenate(drop_running_lines(p, running), ascii_hyphens=True) for p in pages]
    assert all("Chapter 2" not in p for p in cleaned)
    assert cleaned[0] == "Body of page 10 was conducted well."
    assert running_lines(pages[:2]) == set()  # two pages prove nothing


def test_a_new_extraction_version_reads_every_file_again(tmp_path: Path, monkeypatch) -> None:
    first = _doc(tmp_path, "a.md", "# A\n\ntext\n").content_hash
    monkeypatch.setattr(loaders, "EXTRACTION_VERSION", loaders.EXTRACTION_VERSION + 1)
    assert _doc(tmp_path, "a.md", "# A\n\ntext\n").content_hash != first
