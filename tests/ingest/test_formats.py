"""DOCX, PPTX, XLSX, CSV and EPUB: text, sections and titles; bad files refused by name; scanned PDFs and OCR."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from assistant.errors import IngestError
from assistant.ingest import archive, ocr, tables
from assistant.ingest.loaders import SUPPORTED, load
from assistant.ingest.splitter import split
from assistant.models import Document
from assistant.service import Assistant
from assistant.settings import Settings
from tests.hostile import tiny_pdf

MB = 2**20


def make_docx(path: Path, title: str = "") -> Path:
    """A report with a Title, two heading levels, body text and a table."""
    import docx

    document = docx.Document()
    document.core_properties.title = title
    document.add_paragraph("Harbour Survey", style="Title")
    document.add_paragraph("This survey covers the eastern basin.")
    document.add_heading("Dredging", level=1)
    document.add_paragraph("The dredger removed 4000 cubic metres of silt in March.")
    document.add_heading("Costs", level=2)
    document.add_paragraph("fuel was the largest cost")
    document.add_paragraph("crew wages came second")
    table = document.add_table(rows=3, cols=2)
    for r, row in enumerate([("Vessel", "Tonnage"), ("Kestrel", "310"), ("Osprey", "95")]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    document.save(path)
    return path


def make_pptx(path: Path) -> Path:
    """Two slides: bullets and speaker notes, then a table."""
    from pptx import Presentation

    deck = Presentation()
    first = deck.slides.add_slide(deck.slide_layouts[1])
    first.shapes.title.text = "Ferry timetable"
    body = first.placeholders[1].text_frame
    body.text = "The night ferry leaves at 23:40"
    body.add_paragraph().text = "weekend sailings are doubled"
    first.notes_slide.notes_text_frame.text = "Remind everyone that the gangway was repainted green."
    second = deck.slides.add_slide(deck.slide_layouts[5])
    second.shapes.title.text = "Fares"
    table = second.shapes.add_table(3, 2, 0, 0, 1000, 1000).table
    for r, row in enumerate([("Ticket", "Price"), ("Adult", "12 euros"), ("Child", "5 euros")]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    deck.save(path)
    return path


def make_xlsx(path: Path) -> Path:
    """Two visible sheets and a hidden one; one cell holds a formula never computed."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Moorings"
    sheet.append(["Berth", "Length (m)", "Holder"])
    sheet.append(["A1", 12.0, "Blue Heron"])
    sheet.append(["A2", 7.5, None])
    sheet.append(["A3", "=B2*2", "Sea Lark"])
    book.create_sheet("Fees").append(["Item", "Amount"])
    book["Fees"].append(["Winter storage", 480])
    book.create_sheet("Scratch").append(["hidden sheet text"])
    book["Scratch"].sheet_state = "hidden"
    book.properties.title = "Marina register"
    book.save(path)
    return path


def make_epub(path: Path) -> Path:
    """A book of two chapters: one with its own headings, one without (titled from the table of contents)."""
    from ebooklib import epub

    book = epub.EpubBook()
    book.set_identifier("tides-1")
    book.set_title("Tide Tables Explained")
    book.set_language("en")
    one = epub.EpubHtml(title="One", file_name="one.xhtml", content=(
        "<html><body><h1>Spring tides</h1><p>Spring tides follow the new moon.</p>"
        "<h2>Heights</h2><p>The spring range at the pier is 4.2 metres.</p></body></html>"))
    two = epub.EpubHtml(title="Two", file_name="two.xhtml",
                        content="<html><body><p>Neap tides bring the smallest range of the month.</p></body></html>")
    book.add_item(one)
    book.add_item(two)
    book.toc = [epub.Link("one.xhtml", "Spring", "one"), epub.Link("two.xhtml", "Neap tides", "two")]
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    book.spine = ["nav", one, two]
    epub.write_epub(str(path), book)
    return path


def _sections(doc: Document) -> dict[str, str]:
    """Each sentence-sized paragraph of the document and the section path it sits in."""
    chunks = split(doc, size=2000, overlap=0)
    out = {}
    for chunk in chunks:
        offset = chunk.start
        for para in chunk.text.split("\n\n"):
            out[para] = chunk.section_at(offset)
            offset += len(para) + 2
    return out


def test_docx_headings_are_sections_and_table_rows_units(tmp_path: Path) -> None:
    doc = load(make_docx(tmp_path / "survey.docx"), "survey.docx", MB)
    assert doc.title == "Harbour Survey"  # no core title: the first heading
    assert [(level, t) for _, level, t in doc.headings] == [(1, "Harbour Survey"), (1, "Dredging"), (2, "Costs")]
    sections = _sections(doc)
    assert sections["The dredger removed 4000 cubic metres of silt in March."] == "Dredging"
    assert sections["Vessel: Kestrel; Tonnage: 310."] == "Dredging › Costs"
    assert sections["Vessel: Osprey; Tonnage: 95."] == "Dredging › Costs"
    assert sections["fuel was the largest cost"] == "Dredging › Costs"  # separate paragraphs stay separate
    assert sections["This survey covers the eastern basin."] == "Harbour Survey"
    assert load(make_docx(tmp_path / "t.docx", title="Basin report 2025"), "t.docx", MB).title == "Basin report 2025"


def test_docx_without_headings_is_titled_by_its_file_name(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_paragraph("just a line of notes about the pier lights")
    document.save(tmp_path / "pier-notes.docx")
    doc = load(tmp_path / "pier-notes.docx", "pier-notes.docx", MB)
    assert doc.title == "pier-notes" and doc.headings == []


def test_pptx_slides_are_sections_with_notes_and_tables(tmp_path: Path) -> None:
    doc = load(make_pptx(tmp_path / "ferry.pptx"), "ferry.pptx", MB)
    assert doc.title == "Ferry timetable"
    assert [t for _, _, t in doc.headings] == ["Slide 1: Ferry timetable", "Speaker notes", "Slide 2: Fares"]
    sections = _sections(doc)
    assert sections["The night ferry leaves at 23:40"] == "Slide 1: Ferry timetable"
    assert sections["weekend sailings are doubled"] == "Slide 1: Ferry timetable"
    notes = sections["Remind everyone that the gangway was repainted green."]
    assert notes == "Slide 1: Ferry timetable › Speaker notes"
    assert sections["Ticket: Adult; Price: 12 euros."] == "Slide 2: Fares"


def test_xlsx_sheets_are_sections_and_rows_units(tmp_path: Path) -> None:
    doc = load(make_xlsx(tmp_path / "marina.xlsx"), "marina.xlsx", MB)
    assert doc.title == "Marina register"
    assert [t for _, _, t in doc.headings] == ["Moorings", "Fees"]  # the hidden sheet is not read
    sections = _sections(doc)
    assert sections["Berth: A1; Length (m): 12; Holder: Blue Heron."] == "Moorings"
    assert sections["Berth: A2; Length (m): 7.5."] == "Moorings"  # an empty cell is left out
    assert sections["Item: Winter storage; Amount: 480."] == "Fees"
    assert "=B2*2" not in doc.text and "Berth: A3; Holder: Sea Lark." in doc.text  # cached values, no formulas
    assert "hidden sheet" not in doc.text


def test_csv_rows_with_sniffed_delimiter_and_headerless_data(tmp_path: Path) -> None:
    path = tmp_path / "buoys.csv"
    path.write_text("Buoy;Colour;Light\nNorth cardinal;black over yellow;quick flashing\nSafe water;red and white;\n")
    doc = load(path, "buoys.csv", MB)
    assert doc.title == "buoys"
    assert doc.text.split("\n\n") == ["Buoy: North cardinal; Colour: black over yellow; Light: quick flashing.",
                                      "Buoy: Safe water; Colour: red and white."]
    numbers = tmp_path / "depths.csv"
    numbers.write_text("1,4.5\n2,6\n")
    assert load(numbers, "depths.csv", MB).text.split("\n\n") == ["1; 4.5.", "2; 6."]


def test_every_row_is_its_own_sentence(tmp_path: Path) -> None:
    from assistant.text import sentence_spans

    path = tmp_path / "crew.csv"
    path.write_text("name,role\nalma,deck hand on the night shift\nbruno,engine room on the day shift\n")
    doc = load(path, "crew.csv", MB)
    sentences = [doc.text[s:e] for s, e in sentence_spans(doc.text)]
    assert sentences == ["name: alma; role: deck hand on the night shift.",
                         "name: bruno; role: engine room on the day shift."]


def test_epub_chapters_in_spine_order_through_the_html_path(tmp_path: Path) -> None:
    doc = load(make_epub(tmp_path / "tides.epub"), "tides.epub", MB)
    assert doc.title == "Tide Tables Explained"
    assert [t for _, _, t in doc.headings] == ["Spring tides", "Heights", "Neap tides"]
    sections = _sections(doc)
    assert sections["The spring range at the pier is 4.2 metres."] == "Spring tides › Heights"
    assert sections["Neap tides bring the smallest range of the month."] == "Neap tides"


def test_new_types_are_supported_and_offered_for_upload() -> None:
    from assistant.interfaces.chat.uploads import UPLOAD_TYPES

    for suffix in (".docx", ".pptx", ".xlsx", ".csv", ".epub"):
        assert suffix in SUPPORTED and suffix in UPLOAD_TYPES


def _zip_of(members: dict[str, bytes]) -> bytes:
    """A zip archive holding the members, deflated."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as handle:
        for name, data in members.items():
            handle.writestr(name, data)
    return out.getvalue()


def _good(kind: str, tmp_path: Path) -> bytes:
    """A valid file of the kind."""
    build = {"docx": make_docx, "pptx": make_pptx, "xlsx": make_xlsx, "epub": make_epub}[kind]
    return build(tmp_path / f"good.{kind}").read_bytes()


ZIPPED = ("docx", "pptx", "xlsx", "epub")


def _refused(tmp_path: Path, name: str, data: bytes) -> str:
    """The message of the IngestError loading the file raises."""
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(IngestError) as err:
        load(path, name, 50 * MB)
    message = str(err.value)
    assert message.startswith(f"{name}: "), message
    return message


@pytest.mark.parametrize("kind", ZIPPED)
def test_corrupt_zip_is_refused_by_name(tmp_path: Path, kind: str) -> None:
    assert "not a valid" in _refused(tmp_path, f"corrupt.{kind}", b"PK\x03\x04 this is no archive at all")


@pytest.mark.parametrize("kind", ZIPPED)
def test_truncated_file_is_refused_by_name(tmp_path: Path, kind: str) -> None:
    data = _good(kind, tmp_path)
    assert "not a valid" in _refused(tmp_path, f"cut.{kind}", data[: len(data) // 2])


@pytest.mark.parametrize("kind", ZIPPED)
def test_a_zip_of_something_else_is_refused_by_name(tmp_path: Path, kind: str) -> None:
    assert "unreadable" in _refused(tmp_path, f"other.{kind}", _zip_of({"readme.txt": b"not an office file"}))


@pytest.mark.parametrize("kind", (*ZIPPED, "csv"))
def test_empty_file_is_refused_by_name(tmp_path: Path, kind: str) -> None:
    assert "empty" in _refused(tmp_path, f"empty.{kind}", b"")


@pytest.mark.parametrize("kind", ("docx", "pptx", "xlsx"))
def test_password_protected_office_file_says_so(tmp_path: Path, kind: str) -> None:
    # what Office writes for a password-protected file: an OLE compound file holding an EncryptedPackage stream
    cfb = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 64
    assert "password-protected" in _refused(tmp_path, f"locked.{kind}", cfb)
    old = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + "WordDocument".encode("utf-16-le")
    assert "old binary Office file" in _refused(tmp_path, f"old.{kind}", old)


def test_encrypted_zip_members_are_refused(tmp_path: Path) -> None:
    data = bytearray(_zip_of({"word/document.xml": b"<w:document/>"}))
    for signature, flag_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):  # local header and central directory
        at = data.find(signature)
        data[at + flag_at] |= 0x1
    assert "encrypted" in _refused(tmp_path, "sealed.docx", bytes(data))


def test_drm_protected_epub_is_refused(tmp_path: Path) -> None:
    data = io.BytesIO(_good("epub", tmp_path))
    with zipfile.ZipFile(data, "a") as handle:
        handle.writestr("META-INF/encryption.xml", '<encryption><EncryptedData><CipherData>'
                        '<CipherReference URI="EPUB/one.xhtml"/></CipherData></EncryptedData></encryption>')
    path = tmp_path / "drm.epub"
    path.write_bytes(data.getvalue())
    with pytest.raises(IngestError, match="drm.epub: DRM-protected EPUB"):
        load(path, "drm.epub", MB)


@pytest.mark.parametrize("kind", ZIPPED)
def test_zip_bomb_is_refused_before_parsing(tmp_path: Path, kind: str) -> None:
    bomb = _zip_of({"[Content_Types].xml": b"<Types/>", "filler.xml": b"\x00" * (8 * MB)})  # ~8 KB on disk
    assert "zip bomb" in _refused(tmp_path, f"bomb.{kind}", bomb)


def test_unpacked_size_limit_counts_every_member(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _good("docx", tmp_path)
    monkeypatch.setattr(archive, "MAX_UNZIPPED_BYTES", 10_000)
    assert "limit" in _refused(tmp_path, "big.docx", data)


def test_row_limit_per_file_and_per_sheet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tables, "MAX_ROWS", 2)
    assert "2-row limit" in _refused(tmp_path, "long.csv", b"a,b\n1,2\n3,4\n5,6\n")
    message = _refused(tmp_path, "long.xlsx", make_xlsx(tmp_path / "m.xlsx").read_bytes())
    assert "sheet 'Moorings'" in message and "2-row limit" in message


def test_binary_data_named_csv_is_refused(tmp_path: Path) -> None:
    assert "binary" in _refused(tmp_path, "blob.csv", bytes(range(256)) * 8)


def test_scanned_pdf_without_ocr_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ocr.shutil, "which", lambda name: None)
    message = _refused(tmp_path, "scan.pdf", _scanned_pdf(["The pump station opened in 1962."]))
    assert "has no text layer (a scanned PDF?)" in message
    assert "Install tesseract-ocr and poppler-utils" in message and "a PDF with a text layer" in message


def test_a_text_pdf_is_never_sent_to_ocr(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> dict[int, str]:
        raise AssertionError("OCR run on a PDF with a text layer")

    monkeypatch.setattr(ocr, "ocr_pages", refuse)
    path = tmp_path / "text.pdf"
    path.write_bytes(tiny_pdf("The reactor was commissioned in 1987."))
    assert "commissioned in 1987" in load(path, "text.pdf", MB).text


def _scanned_pdf(lines: list[str]) -> bytes:
    """A PDF of page images only (no text layer), one line of large print per page."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.load_default(size=48)
    pages = []
    for line in lines:
        image = Image.new("L", (1700, 500), 255)
        ImageDraw.Draw(image).text((80, 200), line, fill=0, font=font)
        pages.append(image)
    out = io.BytesIO()
    pages[0].save(out, format="PDF", save_all=True, append_images=pages[1:], resolution=150)
    return out.getvalue()


@pytest.mark.skipif(not ocr.available(), reason="tesseract and pdftoppm are not installed (apt: tesseract-ocr, "
                    "poppler-utils)")
def test_scanned_pdf_is_read_by_ocr_with_page_numbers(tmp_path: Path) -> None:
    path = tmp_path / "scan.pdf"
    path.write_bytes(_scanned_pdf(["The pump station opened in 1962.", "The second valve was replaced."]))
    doc = load(path, "scan.pdf", MB)
    assert "pump station opened in 1962" in doc.text
    assert doc.page_at(doc.text.index("second valve")) == 2 and doc.page_at(0) == 1


QUESTIONS = [  # question, file, section the cited passage sits in, words it holds
    ("How much silt did the dredger remove?", "survey.docx", "Dredging", "4000 cubic metres"),
    ("What colour was the gangway repainted?", "ferry.pptx", "Slide 1: Ferry timetable › Speaker notes", "green"),
    ("What is the spring range at the pier?", "tides.epub", "Spring tides › Heights", "4.2 metres"),
    ("What light does the north cardinal buoy show?", "buoys.csv", "", "quick flashing"),
]


def test_a_folder_of_every_new_format_is_indexed_and_cited(fake_settings: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    make_docx(folder / "survey.docx")
    make_pptx(folder / "ferry.pptx")
    make_epub(folder / "tides.epub")
    make_xlsx(folder / "marina.xlsx")
    (folder / "buoys.csv").write_text("Buoy,Colour,Light\nNorth cardinal,black over yellow,quick flashing\n"
                                      "Safe water,red and white,isophase\n")
    (folder / "broken.docx").write_bytes(b"PK\x03\x04 truncated")
    assistant = Assistant(fake_settings)
    report = assistant.ingest([folder], progress=False)
    assert len(report.errors) == 1 and "broken.docx" in report.errors[0], report.errors
    assert report.indexed == 5
    for question, name, section, words in QUESTIONS:
        answer = assistant.ask(question, generator="extractive")
        assert answer.citations, (question, answer.text)
        cited = answer.citations[0]
        assert Path(cited.chunk.source).name == name, (question, cited.chunk.source)
        assert cited.section == section and words in cited.quote(), (question, cited.section, cited.quote())
