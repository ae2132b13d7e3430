"""Rendering for the chat UI: escaping, highlight offsets, answer states, plain text; upload file names."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.interfaces.chat import render as r
from assistant.models import Answer, Chunk, Citation, Hit

DOC = "Intro line.\n\n\nThe ambassador Alexander Darchiyev will lead. Then <script>alert(1)</script> ends."
EVIL = '<script>alert(1)</script><img src=x onerror="alert(2)"> ${1+1} {{value}}'


def _citation(quote: str = "The ambassador Alexander Darchiyev will lead.", cid: int = 1, **chunk: object) -> Citation:
    """A citation of DOC whose quote is the given sentence."""
    start = DOC.index("The ambassador")
    fields: dict = {
        "id": "c1",
        "source": "docs/report.txt",
        "text": DOC[start:],
        "start": start,
        "end": len(DOC),
        "title": "Embassy talks",
        "date": "April 08, 2025",
    }
    fields.update(chunk)
    q = DOC.index(quote)
    return Citation(id=cid, chunk=Chunk(**fields), score=0.9, quote_start=q, quote_end=q + len(quote))


def _answer(**kw: object) -> Answer:
    """A verified one-citation answer; keyword arguments override fields."""
    base: dict = {
        "question": "Who leads?",
        "answer": "Alexander Darchiyev will lead [1].",
        "abstained": False,
        "citations": [_citation()],
        "draft": "Alexander Darchiyev will lead. [1]",
        "standalone_question": "Who leads?",
        "backend": "extractive",
    }
    base.update(kw)
    return Answer(**base)


def test_escape_makes_markup_and_templates_inert() -> None:
    out = r.esc(EVIL)
    assert "<" not in out and ">" not in out and '"' not in out
    assert "${" not in out and "{{" not in out
    assert "&lt;script&gt;" in out and "onerror=" in out  # visible as text, not an attribute


def test_model_and_document_text_is_escaped_everywhere() -> None:
    evil_chunk = {"title": EVIL, "text": EVIL, "source": "x/<b>.md", "start": 0, "end": len(EVIL)}
    citation = Citation(id=1, chunk=Chunk(id="c", **evil_chunk), score=0.5, quote_start=0, quote_end=8)
    answer = _answer(answer=f"{EVIL} [1]", draft=EVIL, notes=[EVIL], citations=[citation], question=EVIL)
    doc = {"source": "x/<b>.md", "title": EVIL, "text": EVIL, "date": EVIL}
    html = "".join(
        [
            r.render_answer(answer, 1),
            r.render_sources(answer, 1),
            r.render_user(EVIL),
            r.render_draft(EVIL),
            r.render_error(EVIL),
            r.render_document(doc, 0, 8),
            r.render_documents([doc]),
            r.render_status([EVIL]),
            r.render_abstained(_answer(abstained=True, answer=EVIL, citations=[])),
        ]
    )
    assert "<script" not in html and "<img" not in html and "${" not in html and "{{" not in html
    assert 'onerror="' not in html and "<b>" not in html


def test_highlight_marks_exact_offsets_and_clamps() -> None:
    assert r.highlight("abcdef", 2, 4) == "ab<mark>cd</mark>ef"
    assert r.highlight("a<b>c", 1, 4) == "a<mark>&lt;b&gt;</mark>c"
    assert r.highlight("abcdef", -5, 99) == "<mark>abcdef</mark>"
    assert r.highlight("abcdef", None, None) == "abcdef"
    assert r.highlight("abcdef", 4, 2) == "abcdef"


def test_passage_highlights_the_cited_sentence_inside_its_chunk() -> None:
    citation = _citation()
    html = r.passage(citation)
    assert "<mark>The ambassador Alexander Darchiyev will lead.</mark>" in html
    assert html.endswith("ends.") and "&lt;script&gt;" in html
    no_quote = Citation(id=1, chunk=citation.chunk, score=0.1)
    assert "<mark>" not in r.passage(no_quote)


def test_source_card_has_title_date_file_page_and_viewer_offsets() -> None:
    citation = _citation(page=3)
    html = r.render_sources(_answer(citations=[citation]), 2)
    assert 'id="src-2-1"' in html and "Embassy talks" in html and "April 08, 2025" in html
    assert "report.txt, page 3" in html
    assert f'data-start="{citation.quote_start}"' in html and f'data-end="{citation.quote_end}"' in html


def test_verified_answer_has_chips_copy_and_no_edit_marks() -> None:
    html = r.render_answer(_answer(), 3)
    assert 'class="ans verified"' in html
    assert '<a class="cite" href="#src-3-1">[1]</a>' in html
    assert "copy-answer" in html and "draft-was" not in html and "notes-box" not in html


def test_unknown_marker_stays_plain_text() -> None:
    assert "[7]" in r.with_chips("See [7].", 1, {1}) and "cite" not in r.with_chips("See [7].", 1, {1})


def test_notes_and_changed_draft_are_marked() -> None:
    answer = _answer(
        notes=["Removed a sentence the sources do not support: “Made up.”"],
        draft="Made up. Alexander Darchiyev will lead.",
    )
    html = r.render_answer(answer, 1)
    assert 'class="ans edited"' in html and "What the checker changed (1)" in html
    assert "Removed a sentence" in html and "Show the unchecked draft" in html and "Made up." in html
    assert r.draft_differs(answer) and not r.draft_differs(_answer())


def test_generator_fallback_is_distinct() -> None:
    answer = _answer(notes=["The local model timed out; showing quoted evidence instead."], fallback=True)
    html = r.render_answer(answer, 1)
    assert 'class="ans fallback"' in html and "language model failed" in html and "What went wrong (1)" in html


def test_abstention_is_distinct_and_cites_nothing() -> None:
    hit = Hit(chunk=_citation().chunk, score=0.1)
    answer = _answer(abstained=True, answer="The documents don't say.", citations=[], retrieved=[hit])
    html = r.render_answer(answer, 1)
    assert 'class="ans abstained"' in html and "don't say" in html and "cite" not in html
    sources = r.render_sources(answer, 1)
    assert "nothing is cited" in sources and "Closest passages searched" in sources


def test_searched_for_only_when_the_question_was_rewritten() -> None:
    assert r.searched_for(_answer()) == ""
    line = r.searched_for(_answer(question="And the American one?", standalone_question="Who leads the American?"))
    assert "Searched for" in line and "American" in line


def test_panel_shows_only_the_latest_turn() -> None:
    panel = r.render_panel([r.render_sources(_answer(), 1), r.render_sources(_answer(), 2)])
    assert '<section hidden class="turn" id="turn-1"' in panel and '<section class="turn" id="turn-2"' in panel
    assert "Click a" in r.render_panel([])


def test_plain_answer_lists_sources_with_the_quote() -> None:
    text = r.plain_answer(_answer())
    assert text.startswith("Alexander Darchiyev will lead [1].") and "\nSources\n" in text
    assert "[1] Embassy talks — report.txt: “The ambassador Alexander Darchiyev will lead.”" in text
    chunk = _answer().citations[0].chunk
    assert text.endswith(f"(passage docs/report.txt[{chunk.start}:{chunk.end}])")
    assert r.plain_answer(_answer(abstained=True, answer="The documents don't say.")) == "The documents don't say."


def test_document_viewer_keeps_paragraphs_and_marks_span() -> None:
    start = DOC.index("Alexander")
    html = r.render_document({"source": "a/b.txt", "title": "T", "text": DOC}, start, start + 9)
    assert "<mark>Alexander</mark>" in html and "Intro line.\n\nThe" in html and "b.txt" in html
    assert "no longer indexed" in r.render_document(None)


def test_documents_list_and_examples_from_titles() -> None:
    html = r.render_documents([{"source": "up/a.md", "title": "Alpha", "date": ""}])
    assert "1 document indexed" in html and 'data-source="up/a.md"' in html and "Remove" in html
    assert "Nothing is indexed" in r.render_documents([])
    assert 'aria-label="View a.md"' in html and 'aria-label="Remove a.md"' in html


def test_examples_ask_what_each_document_is_about_and_when_the_first_was_published() -> None:
    docs = [{"title": "Alpha report", "date": "April 08, 2025"}, {"title": ""}, {"title": "Beta " * 20, "date": ""}]
    pairs = r.example_questions(docs)
    assert [q for q, _ in pairs] == [
        "What is “Alpha report” about?",
        "When was the article “Alpha report” published?",
        f"What is “{('Beta ' * 20).strip()}” about?",
    ]
    assert len(pairs[2][1]) < len(pairs[2][0]) and pairs[2][1].endswith("…” about?")
    assert [q for q, _ in r.example_questions([{"title": "Undated notes", "date": ""}])] == [
        "What is “Undated notes” about?"
    ]
    assert len(r.example_questions([{"title": f"Doc {i}", "date": "2025"} for i in range(9)])) == 4


def test_upload_status_shows_progress_then_result() -> None:
    assert "<progress" in r.render_upload("Indexing 1 of 2: a.md…", [], [], 2)
    done = r.render_upload("", ["a.md"], ["b.pdf: not indexed"], 2)
    assert "Indexed 1 file: a.md" in done and "b.pdf: not indexed" in done and 'class="status error"' in done


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("report.md", "report.md"),
        ("../../etc/passwd.txt", "passwd.txt"),
        ("C:\\temp\\notes.PDF", "notes.pdf"),
        (".hidden.md", "hidden.md"),
        ("a\x00b.html", "ab.html"),
        ("evil<script>.htm", "evil_script_.htm"),
        ("program.exe", None),
        ("..md", None),
        ("noext", None),
    ],
)
def test_upload_names_are_sanitised(name: str, expected: str | None) -> None:
    from assistant.interfaces.chat.app import safe_name

    assert safe_name(name) == expected


def test_save_uploads_stays_in_the_uploads_folder(tmp_path: Path) -> None:
    from assistant.interfaces.chat.app import save_uploads

    src = tmp_path / "in"
    src.mkdir()
    (src / "good.md").write_text("# Good\n\nText.")
    (src / "bad.exe").write_text("x")
    (src / "big.txt").write_text("x" * 3000)
    saved, problems = save_uploads([str(p) for p in sorted(src.iterdir())], tmp_path / "uploads", max_mb=0.002)
    assert saved == [tmp_path / "uploads" / "good.md"] and saved[0].read_text().startswith("# Good")
    assert any("bad.exe" in p for p in problems) and any("big.txt" in p and "MB" in p for p in problems)
