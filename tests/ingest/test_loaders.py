"""Loading .txt, .md, .html and .pdf into clean text with metadata."""

from pathlib import Path

import pytest

from assistant.errors import IngestError
from assistant.ingest.loaders import load
from tests.conftest import SEED_FILE
from tests.hostile import tiny_pdf

MB = 2**20


def test_seed_text_is_clean_with_metadata() -> None:
    doc = load(SEED_FILE, "seed.txt", 50 * MB)
    assert "<u>" not in doc.text and "</u>" not in doc.text
    assert "the Kremlin said Tuesday" in doc.text
    assert "operations of their diplomatic missions" in doc.text  # mended page-break artefact
    assert doc.title.startswith("U.S.-Russia Embassy Talks")
    assert doc.date == "April 08, 2025"
    assert doc.url.startswith("https://www.themoscowtimes.com/2025/04/08/")
    assert doc.content_hash.startswith("x") and len(doc.content_hash.split(":")[1]) == 64


def test_html_visible_text_and_title(tmp_path: Path) -> None:
    page = tmp_path / "p.html"
    page.write_text(
        "<html><head><title>Quarterly memo</title><style>p{}</style></head><body>"
        "<h1>Memo</h1><p>Budget is <b>12 million</b>.</p><script>alert(1)</script></body></html>"
    )
    doc = load(page, "p.html", MB)
    assert doc.title == "Quarterly memo"
    assert "Budget is 12 million." in doc.text
    assert "alert" not in doc.text and "p{}" not in doc.text


def test_pdf_text_and_pages(tmp_path: Path) -> None:
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(tiny_pdf("The reactor was commissioned in 1987."))
    doc = load(pdf, "report.pdf", MB)
    assert "commissioned in 1987" in doc.text
    assert doc.pages == [(1, 0)] and doc.page_at(5) == 1


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("empty.txt", b"", "empty"),
        ("binary.txt", b"\x00\x01\x02\x03" * 100, "binary"),
        ("fake.pdf", b"PK\x03\x04 this is a zip", "unreadable PDF"),
        ("notes.odt", b"hello", "unsupported"),
    ],
)
def test_bad_files_raise_with_name(tmp_path: Path, name: str, data: bytes, reason: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(IngestError) as err:
        load(path, name, MB)
    assert name in str(err.value) and reason in str(err.value)


def test_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_text("word " * 1000)
    with pytest.raises(IngestError, match="limit"):
        load(path, "big.txt", 100)


def test_a_lone_line_before_the_first_heading_titles_a_text(tmp_path: Path) -> None:
    page = tmp_path / "widget.1.txt"
    page.write_text("widget(1)          General Commands Manual          widget(1)\n\nNAME\n"
                    "       widget - turn input into widgets\n\nDESCRIPTION\n       widget reads its input.\n")
    doc = load(page, "widget.1.txt", 10_000)
    assert doc.title == "widget(1) General Commands Manual"  # not "NAME", and the repeated name once
    prose = tmp_path / "notes.txt"
    prose.write_text("Some words first.\nAnd a second line.\n\nUSAGE\n\nRun it.\n")
    assert load(prose, "notes.txt", 10_000).title == "USAGE"  # two lines before the heading: not a title
