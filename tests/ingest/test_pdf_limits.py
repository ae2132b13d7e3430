"""PDF limits: the page limit is applied, page content is bounded before text extraction, shared streams read once."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.errors import IngestError
from assistant.ingest.loaders import load, load_pdf
from assistant.service import Assistant
from assistant.settings import Settings
from tests.hostile import form_pdf, hang_guard, pages_pdf, shared_stream_pdf

MB = 2**20
THREE = ["First page about valves.", "Second page about pumps.", "Third page about gauges."]


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    """A file in a fresh folder of its own."""
    path = tmp_path / "docs" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_page_limit_refuses_the_file_by_name(tmp_path: Path) -> None:
    from assistant.ingest.loaders import PdfLimits

    path = _write(tmp_path, "three.pdf", pages_pdf(THREE))
    with pytest.raises(IngestError) as err:
        load(path, "three.pdf", MB, PdfLimits(max_pages=1))
    assert "three.pdf" in str(err.value) and "3 pages" in str(err.value) and "1-page limit" in str(err.value)
    doc = load(path, "three.pdf", MB, PdfLimits(max_pages=3))
    assert [n for n, _ in doc.pages] == [1, 2, 3] and "gauges" in doc.text


def test_load_pdf_still_takes_the_page_limit_positionally(tmp_path: Path) -> None:
    data = pages_pdf(THREE)
    with pytest.raises(IngestError, match="1-page limit"):
        load_pdf(tmp_path / "three.pdf", data, "three.pdf", 1)


def test_limits_come_from_the_settings() -> None:
    from assistant.ingest.loaders import PdfLimits

    settings = Settings(max_pdf_pages=7, max_pdf_page_content_mb=0.5, max_pdf_content_mb=3)
    assert PdfLimits.from_settings(settings) == PdfLimits(7, MB // 2, 3 * MB)


def test_ingest_applies_max_pdf_pages(fake_settings: Settings, tmp_path: Path) -> None:
    folder = _write(tmp_path, "three.pdf", pages_pdf(THREE)).parent
    _write(tmp_path, "note.md", b"# Note\n\nThe valve log is kept in the workshop.\n")
    assistant = Assistant(fake_settings.model_copy(update={"max_pdf_pages": 1}))
    report = assistant.ingest([folder], progress=False)
    assert [Path(s).name for s in assistant.documents()] == ["note.md"]
    assert len(report.errors) == 1 and "three.pdf" in report.errors[0] and "1-page limit" in report.errors[0]


def test_shared_huge_content_stream_is_refused_before_extraction(tmp_path: Path) -> None:
    path = _write(tmp_path, "shared.pdf", shared_stream_pdf(50, 8))  # ~30 KB on disk, 8 MB shown on each page
    assert path.stat().st_size < MB // 4
    with hang_guard(20), pytest.raises(IngestError) as err:  # unbounded: about a second per page, 50 pages
        load(path, "shared.pdf", 50 * MB)  # the default limits: 5 MB of content per page
    message = str(err.value)
    assert "shared.pdf" in message and "page 1" in message and "5 MB" in message


def test_a_huge_form_object_drawn_by_every_page_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, "forms.pdf", form_pdf(20, 8))  # each page's own content is 10 bytes
    with hang_guard(20), pytest.raises(IngestError) as err:  # unbounded: about a second per page
        load(path, "forms.pdf", 50 * MB)  # pypdf stops decoding the form at the limit: nothing is extracted
    assert str(err.value).startswith("forms.pdf: ")


def test_page_content_limit_can_be_set_low(tmp_path: Path) -> None:
    from assistant.ingest.loaders import PdfLimits

    path = _write(tmp_path, "padded.pdf", shared_stream_pdf(3, 1.5))
    with hang_guard(20), pytest.raises(IngestError) as err:
        load(path, "padded.pdf", MB, PdfLimits(max_page_content_bytes=MB))
    assert "padded.pdf" in str(err.value) and "1 MB" in str(err.value)
    assert "Shared heading" in load(path, "padded.pdf", MB, PdfLimits(max_page_content_bytes=2 * MB)).text


def test_content_split_over_several_streams_counts_together(tmp_path: Path) -> None:
    from assistant.ingest.loaders import PdfLimits
    from tests.hostile import build_pdf, text_stream

    streams = [text_stream(["Part one of the page."], 0.4), text_stream(["Part two of the page."], 0.4)]
    path = _write(tmp_path, "split.pdf", build_pdf(streams, [[0, 1]]))
    with pytest.raises(IngestError, match="split.pdf.*page 1"):
        load(path, "split.pdf", MB, PdfLimits(max_page_content_bytes=MB // 2))
    assert "Part two" in load(path, "split.pdf", MB, PdfLimits(max_page_content_bytes=MB)).text


def test_a_shared_stream_is_extracted_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pypdf import PageObject

    calls: list[int] = []
    real = PageObject.extract_text

    def counted(self: PageObject, *args: object, **kwargs: object) -> str:
        calls.append(1)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(PageObject, "extract_text", counted)
    path = _write(tmp_path, "shared.pdf", shared_stream_pdf(40, 0.5))
    with hang_guard(20):
        doc = load(path, "shared.pdf", MB)
    assert len(calls) == 1 and len(doc.pages) == 40
    assert doc.text.count("The shared page body names the gauge reading.") == 40


def test_document_content_budget_bounds_many_distinct_pages(tmp_path: Path) -> None:
    from assistant.ingest.loaders import PdfLimits
    from tests.hostile import build_pdf, text_stream

    streams = [text_stream([f"Distinct page {i}."], 0.3) for i in range(12)]
    path = _write(tmp_path, "many.pdf", build_pdf(streams, [[i] for i in range(12)]))
    with hang_guard(20), pytest.raises(IngestError) as err:
        load(path, "many.pdf", MB, PdfLimits(max_content_bytes=2 * MB))
    assert "many.pdf" in str(err.value) and "2 MB" in str(err.value)


def test_ingest_reports_the_oversized_pdf_and_indexes_the_rest(fake_settings: Settings, tmp_path: Path) -> None:
    folder = _write(tmp_path, "shared.pdf", shared_stream_pdf(50, 8)).parent
    _write(tmp_path, "fine.pdf", pages_pdf(THREE))
    assistant = Assistant(fake_settings)
    with hang_guard(30):
        report = assistant.ingest([folder], progress=False)
    assert sorted(Path(s).name for s in assistant.documents()) == ["fine.pdf"]
    assert len(report.errors) == 1 and "shared.pdf" in report.errors[0]


def test_a_decompression_bomb_page_is_refused_by_name(tmp_path: Path) -> None:
    path = _write(tmp_path, "bomb.pdf", shared_stream_pdf(1, 80))  # ~200 KB on disk, 80 MB decoded
    with hang_guard(20), pytest.raises(IngestError) as err:
        load(path, "bomb.pdf", MB)
    assert "bomb.pdf" in str(err.value) and "page 1" in str(err.value)


def test_pypdf_limit_errors_are_reported_by_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pypdf import PageObject
    from pypdf.errors import LimitReachedError

    def refuse(self: PageObject, *args: object, **kwargs: object) -> str:
        raise LimitReachedError("Reached maximum number of tokens.")  # not a PdfReadError: it used to escape load()

    monkeypatch.setattr(PageObject, "extract_text", refuse)
    path = _write(tmp_path, "limits.pdf", pages_pdf(THREE))
    with pytest.raises(IngestError, match=r"limits\.pdf: page 1 draws a stream of more than"):
        load(path, "limits.pdf", MB)
