"""The chat's conversation features in real headless Chromium: saved conversations (reload, list, rename, export,
delete), Stop, Regenerate, edit-and-resend, the locked box while drafting, the document filter, answers during
an upload, remove-with-confirmation, office uploads, and screenshots of the main screen at two sizes."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.interfaces.chat.conversations import ConversationStore
from assistant.service import Assistant
from tests.integration import test_browser as harness
from tests.integration.chat_harness import SLOW, remove_confirmed
from tests.integration.test_browser import ARTIFACTS, FINAL, RUSSIAN, _ask, _open, _upload_files, _use

# the browser harness's fixtures, shared by name (this module gets its own server and browser)
browser, served, app_url, session = harness.browser, harness.served, harness.app_url, harness.session
uploads_removed = harness.uploads_removed

SHOTS = ARTIFACTS / "shots"  # the review screenshots at 1366x768 and 375x812
CURRENT = "#conv-list li.conv.current"
DRAFTING = "#chat .ans.drafting:has(.draft-text)"
AMERICAN = "Who leads the American delegation?"

pytestmark = pytest.mark.integration


def _store(served: tuple[str, Assistant]) -> ConversationStore:
    """The conversations the served UI saves."""
    return ConversationStore.in_index(served[1].settings.index_dir)


def _current_id(page: Any) -> str:
    """The id of the conversation on screen (from the sidebar)."""
    page.wait_for_selector(CURRENT, timeout=120_000)
    return str(page.locator(CURRENT).get_attribute("data-id"))


def _answers(page: Any) -> int:
    """How many finished answers the chat shows."""
    return page.locator(FINAL).count()


def test_conversation_survives_a_reload_and_is_listed(session: Any, served: tuple[str, Assistant]) -> None:
    page = session
    _use(page, "extractive")
    _ask(page, RUSSIAN)
    _ask(page, "And the American one?")
    conversation = _current_id(page)
    assert RUSSIAN in page.locator(CURRENT).inner_text()  # titled by the first question
    page.reload()
    page.wait_for_function("sel => document.querySelectorAll(sel).length === 2", arg=FINAL, timeout=120_000)
    assert _current_id(page) == conversation
    texts = page.locator("#chat .q").all_inner_texts()
    assert texts == [RUSSIAN, "And the American one?"]
    assert "Coulter" in page.locator(FINAL).nth(1).inner_text()
    page.locator("#chat a.cite").last.click()  # the restored sources panel answers the chips
    page.wait_for_function("() => !!document.querySelector('#sources-panel .src.active')")
    second = _ask(page, "And who leads the Russian one?")  # the follow-up history came back too
    assert "Darchiyev" in second.inner_text()
    saved = _store(served).get(conversation, "")
    assert saved is not None and len(saved.turns) == 3


def test_rename_export_and_delete_from_the_list(session: Any, served: tuple[str, Assistant]) -> None:
    page = session
    _use(page, "extractive")
    _ask(page, RUSSIAN)
    conversation = _current_id(page)
    page.locator(f"{CURRENT} .conv-rename").click()
    page.fill(f"{CURRENT} .conv-rename-form input", "Delegation leaders")
    page.keyboard.press("Enter")
    page.wait_for_function("sel => document.querySelector(sel).innerText.includes('Delegation leaders')", arg=CURRENT)
    assert _store(served).get(conversation, "").title == "Delegation leaders"  # type: ignore[union-attr]
    with page.expect_download() as download:
        page.locator(f"{CURRENT} .conv-export").click()
    assert download.value.suggested_filename == "Delegation-leaders.md"
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert text.startswith("# Delegation leaders") and f"## 1. {RUSSIAN}" in text and "Darchiyev" in text
    assert "- [1] " in text and "“" in text  # a numbered source with its quoted sentence
    page.locator(f"{CURRENT} .conv-delete").click()
    confirm = page.locator(f"{CURRENT} [role=alertdialog]")
    assert confirm.is_visible() and "Delete this conversation?" in confirm.inner_text()
    page.locator(f"{CURRENT} .conv-cancel").click()  # Cancel keeps it
    assert _store(served).get(conversation, "") is not None
    page.locator(f"{CURRENT} .conv-delete").click()
    page.locator(f"{CURRENT} .conv-delete-yes").click()
    page.wait_for_function(
        "id => !document.querySelector(`#conv-list li[data-id='${id}']`) && !document.querySelector('#chat .q')",
        arg=conversation, timeout=120_000,
    )
    assert _store(served).get(conversation, "") is None


def test_a_new_conversation_starts_empty_and_the_old_one_can_be_reopened(session: Any) -> None:
    page = session
    _use(page, "extractive")
    _ask(page, RUSSIAN)
    first = _current_id(page)
    page.click("#new-chat")
    page.wait_for_function("sel => !document.querySelector('#chat .q') && !document.querySelector(sel)", arg=CURRENT)
    _ask(page, AMERICAN)
    assert _current_id(page) != first
    titles = page.locator("#conv-list li.conv .conv-title").all_inner_texts()
    assert titles[0] == AMERICAN and RUSSIAN in titles  # newest first
    page.locator(f"#conv-list li[data-id='{first}'] .conv-open").click()
    page.wait_for_function("q => document.querySelector('#chat .q')?.innerText === q", arg=RUSSIAN)
    assert _current_id(page) == first


def test_stop_halts_the_draft_and_the_box_is_locked_meanwhile(session: Any, served: tuple[str, Assistant]) -> None:
    page = session
    _use(page, SLOW)
    page.fill("#question textarea", RUSSIAN)
    page.keyboard.press("Enter")
    page.wait_for_selector(DRAFTING, timeout=60_000)
    # while the draft streams, another question cannot be sent: the box is locked and says why
    assert page.locator("#question textarea").is_disabled()
    assert "Answering…" in page.locator("#turn-note").inner_text()
    assert "Answering" in (page.locator("#question textarea").get_attribute("placeholder") or "")
    page.screenshot(path=str(ARTIFACTS / "answering-locked.png"))
    page.click("#stop")
    page.wait_for_selector("#chat .ans.stopped:has-text('Stopped.')", timeout=120_000)
    shown = page.locator("#chat .q, #chat .ans")  # the messages (the chat's own timer may come and go)
    stopped_at = shown.all_inner_texts()
    page.wait_for_timeout(2_000)  # the slow draft would have grown by now
    assert shown.all_inner_texts() == stopped_at and page.locator(DRAFTING).count() == 0
    assert not page.locator("#question textarea").is_disabled() and page.locator("#stop").is_hidden()
    page.screenshot(path=str(ARTIFACTS / "stopped.png"))
    assert page.locator(CURRENT).count() == 0  # nothing was saved
    page.reload()
    page.wait_for_selector("#question textarea")
    page.wait_for_timeout(1_000)
    assert page.locator("#chat .q").count() == 0


def test_regenerate_replaces_the_last_answer(session: Any, served: tuple[str, Assistant]) -> None:
    page = session
    _use(page, "extractive")
    _ask(page, RUSSIAN)
    conversation = _current_id(page)
    before = _store(served).get(conversation, "")
    _use(page, SLOW)
    page.click("#regenerate")
    page.wait_for_selector(DRAFTING, timeout=60_000)  # asked again, with the generator chosen now
    assert page.locator("#chat .q").count() == 1  # the turn being replaced is not shown twice
    page.wait_for_selector(FINAL, timeout=90_000)
    assert page.locator("#chat .q").all_inner_texts() == [RUSSIAN] and _answers(page) == 1
    assert "Darchiyev" in page.locator(FINAL).first.inner_text()
    after = _store(served).get(conversation, "")
    assert before is not None and after is not None and len(after.turns) == 1
    assert after.updated > before.updated  # the last turn was answered again and saved again


def test_edit_and_resend_the_last_question(session: Any, served: tuple[str, Assistant]) -> None:
    page = session
    _use(page, "extractive")
    _ask(page, RUSSIAN)
    page.click("#edit-last")
    page.wait_for_function("q => document.querySelector('#question textarea').value === q", arg=RUSSIAN)
    assert "Editing" in page.locator("#turn-note").inner_text()
    assert page.locator("#edit-last").inner_text() == "Cancel edit"
    page.fill("#question textarea", AMERICAN)
    page.keyboard.press("Enter")
    page.wait_for_function("q => document.querySelector('#chat .q')?.innerText === q", arg=AMERICAN, timeout=120_000)
    page.wait_for_selector(FINAL, timeout=60_000)
    assert page.locator("#chat .q").all_inner_texts() == [AMERICAN]
    assert "Coulter" in page.locator(FINAL).first.inner_text()
    saved = _store(served).get(_current_id(page), "")
    assert saved is not None and [t.question for t in saved.turns] == [AMERICAN]


def test_document_filter_limits_the_sources(session: Any, tmp_path: Path, uploads_removed: None) -> None:
    page = session
    _use(page, "extractive")
    files = _upload_files(tmp_path)
    page.set_input_files("#upload input[type=file]", [str(f) for f in files])
    page.wait_for_selector("#upload-status .status.ok", timeout=120_000)
    answer = _ask(page, "How many moorings does the Vetherby harbour have?")
    assert "harbour.txt" in answer.locator(".cite-list").inner_text()
    page.click("#doc-filter input")
    page.locator("#doc-filter [role=option]", has_text="zorblatt-notes.md").click()
    page.keyboard.press("Escape")
    limited = _ask(page, "How many moorings does the Vetherby harbour have?")
    cited = limited.locator(".cite-list").all_inner_texts() if limited.locator(".cite-list").count() else []
    assert "harbour.txt" not in " ".join(cited) and "41" not in limited.locator(".answer-text").inner_text()
    page.screenshot(path=str(ARTIFACTS / "document-filter.png"))


def test_answers_keep_coming_while_an_upload_is_indexed(session: Any, tmp_path: Path, uploads_removed: None) -> None:
    page = session
    _use(page, "extractive")
    almanac = tmp_path / "long-almanac.md"
    days = (f"On day {d} the gauge at pier {d % 13} read {d % 7 + 2} metres at noon, with wind from the "
            f"{['north', 'east', 'south', 'west'][d % 4]} at {d % 30} knots." for d in range(6000))
    almanac.write_text("# Long almanac\n\n" + "\n\n".join(days) + "\n", encoding="utf-8")
    page.set_input_files("#upload input[type=file]", [str(almanac)])
    page.wait_for_selector("#upload-status progress", timeout=60_000)
    answer = _ask(page, RUSSIAN, timeout=60_000)
    still_indexing = page.locator("#upload-status progress").count() == 1
    assert "Darchiyev" in answer.inner_text()
    assert still_indexing, "the answer waited for the upload"
    page.wait_for_selector("#upload-status .status.ok", timeout=300_000)


def test_remove_asks_for_confirmation(session: Any, tmp_path: Path, uploads_removed: None) -> None:
    page = session
    note = tmp_path / "removable.txt"
    note.write_text("Removable note\n\nThe lighthouse keeper paints the door blue every spring.\n", encoding="utf-8")
    page.set_input_files("#upload input[type=file]", [str(note)])
    page.wait_for_selector("#upload-status .status.ok", timeout=120_000)
    row = page.locator("#doc-list li", has_text="removable.txt")
    row.locator(".doc-remove").click()
    assert "Remove this document" in row.locator(".doc-confirm").inner_text()
    page.locator("#docs").screenshot(path=str(ARTIFACTS / "remove-confirm.png"))
    row.locator(".doc-remove-no").click()
    page.wait_for_timeout(500)
    assert row.count() == 1 and row.locator(".doc-confirm").count() == 0  # Cancel keeps it
    remove_confirmed(page, "removable.txt")
    page.wait_for_function("() => !document.querySelector('#doc-list').innerText.includes('removable.txt')")
    assert "Removed removable.txt" in page.locator("#upload-status").inner_text()


def test_office_and_csv_uploads_can_be_asked_about(session: Any, tmp_path: Path, uploads_removed: None) -> None:
    docx = pytest.importorskip("docx")
    page = session
    _use(page, "extractive")
    report = tmp_path / "orchard-report.docx"
    document = docx.Document()
    document.add_heading("Orchard report", level=1)
    document.add_paragraph("The Quenby orchard planted 312 pear trees along the eastern slope this year.")
    document.save(str(report))
    table = tmp_path / "kiln-firings.csv"
    with table.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["kiln", "firing temperature", "glaze"])
        writer.writerows([["Brambleworth kiln", "1280 C", "celadon"], ["Osterley kiln", "1040 C", "tin white"]])
    page.set_input_files("#upload input[type=file]", [str(report), str(table)])
    page.wait_for_selector("#upload-status .status.ok", timeout=120_000)
    pears = _ask(page, "How many pear trees did the Quenby orchard plant?")
    assert "312" in pears.locator(".answer-text").inner_text()
    assert "orchard-report.docx" in pears.locator(".cite-list").inner_text()
    glaze = _ask(page, "Which glaze does the Brambleworth kiln use?")
    assert "celadon" in glaze.locator(".answer-text").inner_text()
    assert "kiln-firings.csv" in glaze.locator(".cite-list").inner_text()


@pytest.fixture
def shots() -> Iterator[Path]:
    """Where the review screenshots go."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    yield SHOTS


@pytest.mark.parametrize(("width", "height"), [(1366, 768), (375, 812)])
def test_screenshots_of_a_conversation_and_the_sidebar(
    browser: Any, app_url: str, shots: Path, width: int, height: int
) -> None:
    context, page, errors, external = _open(browser, app_url, width=width, height=height)
    try:
        _use(page, "extractive")
        _ask(page, RUSSIAN)
        _ask(page, "And the American one?")
        page.locator("#chat a.cite").last.click()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.screenshot(path=str(shots / f"chat-{width}x{height}.png"))
        sidebar_open = page.locator("#conversations.open").count() == 1
        assert sidebar_open is (width > 768)  # beside the page when there is room, folded on a phone
        if not sidebar_open:
            page.click("#conversations .toggle-button")
            page.wait_for_selector("#conversations.open")
        page.wait_for_timeout(400)  # the slide-in
        assert page.locator(CURRENT).is_visible()
        page.screenshot(path=str(shots / f"sidebar-{width}x{height}.png"))
        page.locator(f"{CURRENT} .conv-open").click()  # opening one closes the list again on a phone
        if width <= 768:
            page.wait_for_selector("#conversations:not(.open)", timeout=120_000)
        assert page.locator("#chat .q").count() == 2
    finally:
        context.close()
    assert not errors, f"console errors: {errors}"
    assert not external, f"requests to other hosts: {external}"


def test_slides_and_book_uploads_and_a_summary(session: Any, tmp_path: Path, uploads_removed: None) -> None:
    """A PPTX and an EPUB are answerable with a citation naming their section; a summary cites its sentences."""
    pytest.importorskip("pptx")
    pytest.importorskip("ebooklib")
    from tests.ingest.test_formats import make_epub, make_pptx

    page = session
    _use(page, "extractive")
    deck, book = make_pptx(tmp_path / "ferry-briefing.pptx"), make_epub(tmp_path / "tide-tables.epub")
    page.set_input_files("#upload input[type=file]", [str(deck), str(book)])
    page.wait_for_selector("#upload-status .status.ok", timeout=120_000)
    fares = _ask(page, "How much is a child ticket on the ferry?")
    assert "5 euros" in fares.locator(".answer-text").inner_text()
    assert "ferry-briefing.pptx" in fares.locator(".cite-list").inner_text()
    tides = _ask(page, "What is the spring range at the pier?")
    assert "4.2 metres" in tides.locator(".answer-text").inner_text()
    assert "tide-tables.epub" in tides.locator(".cite-list").inner_text()
    summary = _ask(page, "Summarize the tide tables book in two sentences")
    text = summary.locator(".answer-text").inner_text()
    assert text.count("[") == 2 and "tide" in text.lower()
    assert "tide-tables.epub" in summary.locator(".cite-list").inner_text()
