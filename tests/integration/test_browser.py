"""The chat UI in a real (headless Debian) Chromium: streaming, citations, follow-ups, examples, upload, layouts."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from assistant.interfaces.chat.app import remove_document
from assistant.service import Assistant
from assistant.settings import Settings
from tests.conftest import ROOT, SEEDS
from tests.integration.chat_harness import remove_confirmed, slow_generator
from tests.integration.servers import free_port

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
ARTIFACTS = ROOT / "test-artifacts"
FINAL = "#chat .ans:not(.pending):not(.drafting)"
RUSSIAN = "Who leads the Russian delegation?"
SEED_NAME = "000_7e4ab87e524eadcc.txt"
EXAMPLES = "#chat button[aria-label^='Select example']"
# Where the keyboard focus is: the nearest of these ids, the element's tag, and its accessible label.
FOCUS_JS = """() => {
  const e = document.activeElement;
  const ids = ['question', 'generator', 'doc-filter', 'new-chat', 'upload', 'doc-list', 'docs', 'chat', 'conv-list'];
  const where = ids.find((id) => e.closest('#' + id)) || '';
  const label = e.getAttribute('aria-label') || (e.innerText || '').trim().split('\\n')[0];
  return `${where}:${e.tagName.toLowerCase()}:${label}`;
}"""

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed at /usr/bin/chromium"),
]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Assistant]]:
    """The UI on a copy of the seed index (uploads go there), default generator 'local'; its URL and assistant."""
    from assistant.interfaces.chat.app import launch

    index = tmp_path_factory.mktemp("browser") / "index"
    # its own index, not a file copy of the shared one: copying a live SQLite file from this process would drop
    # this process's locks on it while other processes write (answering stores sentence vectors)
    settings = Settings(index_dir=index, seeds_dir=SEEDS, ui_port=free_port())
    assistant = Assistant(settings)
    assert assistant.ingest([SEEDS], progress=False).indexed == 1
    with slow_generator():  # a test generator that drafts slowly, so that a draft can be stopped
        app = launch(assistant, block=False)
        try:
            yield f"http://127.0.0.1:{settings.ui_port}/", assistant
        finally:
            app.close()


@pytest.fixture(scope="module")
def app_url(served: tuple[str, Assistant]) -> str:
    """The URL of the shared UI."""
    return served[0]


@pytest.fixture
def uploads_removed(served: tuple[str, Assistant]) -> Iterator[None]:
    """After the test, whatever it uploaded is out of the shared index, even when the test failed half-way."""
    yield
    assistant = served[1]
    uploads = assistant.settings.uploads_dir.resolve()
    for source in assistant.documents():
        if Path(source).resolve().parent == uploads:
            remove_document(assistant, source)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium for the module."""
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


APP_READY = (
    "() => document.body.dataset.generators === 'listed'"
    " && !document.querySelector('#question textarea')?.disabled"
)


def _open(
    browser: Any, url: str, width: int = 1280, height: int = 860, ready: str = "#question textarea"
) -> tuple[Any, Any, list[str], list[str]]:
    """A fresh session, once `ready` shows; console errors and any non-loopback request are recorded (and blocked)."""
    context = browser.new_context(viewport={"width": width, "height": height})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=url.rstrip("/"))
    errors: list[str] = []
    external: list[str] = []

    def route(r: Any) -> None:
        """Let loopback requests through; record and abort the rest."""
        if urlparse(r.request.url).hostname in ("127.0.0.1", "localhost") or r.request.url.startswith("data:"):
            r.continue_()
        else:
            external.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    context.set_default_timeout(120_000)  # hang guards only: a busy machine is slow, not broken
    page.goto(url)
    page.wait_for_selector(ready, timeout=120_000)
    if ready == "#question textarea":  # the page's own start: conversation restored (box open), generators listed
        page.wait_for_function(APP_READY, timeout=120_000)
    return context, page, errors, external


@pytest.fixture
def session(browser: Any, app_url: str) -> Iterator[Any]:
    """A desktop page; the test fails on console errors or traffic to other hosts."""
    context, page, errors, external = _open(browser, app_url)
    yield page
    context.close()
    assert not errors, f"console errors: {errors}"
    assert not external, f"requests to other hosts: {external}"


def _ask(page: Any, question: str, timeout: float = 60_000) -> Any:
    """Type a question, press Enter, and wait for its verified answer; returns the answer element."""
    before = page.locator(FINAL).count()
    page.fill("#question textarea", question)
    page.keyboard.press("Enter")
    page.wait_for_function(
        "([sel, n]) => document.querySelectorAll(sel).length > n", arg=[FINAL, before], timeout=timeout
    )
    return page.locator(FINAL).nth(before)


def _new_conversation(page: Any) -> None:
    """Click "New conversation" and wait for the empty chat with its examples."""
    page.click("#new-chat")
    empty = "() => !document.querySelector('#chat .ans, #chat .q') && !!document.querySelector('.panel-empty')"
    page.wait_for_function(empty, timeout=120_000)
    page.wait_for_selector(EXAMPLES, timeout=120_000)


def _use(page: Any, generator: str) -> None:
    """Pick a generator in the 'Answer with' dropdown."""
    page.click("#generator input")
    page.click(f'#generator [role=option][aria-label^="{generator} — "]')  # "extractive — ready"
    page.wait_for_function(
        "g => document.querySelector('#generator input').value.startsWith(g + ' — ')", arg=generator, timeout=120_000
    )


def test_streamed_answer_with_clickable_citation(session: Any) -> None:
    page = session
    assert page.locator(EXAMPLES).filter(has_text="What is “U.S.-Russia Embassy Talks").count() == 1
    assert "1 document indexed" in page.locator("#doc-list").inner_text()
    page.screenshot(path=str(ARTIFACTS / "desktop-start.png"))
    page.fill("#question textarea", RUSSIAN)
    page.keyboard.press("Enter")
    # draft tokens stream in, marked unchecked (one wait: the draft may be replaced right after)
    badge = "#chat .ans.drafting:has(.draft-text) .badge:has-text('not yet checked')"
    assert page.wait_for_selector(badge, timeout=60_000) is not None
    page.screenshot(path=str(ARTIFACTS / "desktop-streaming.png"))
    page.wait_for_selector(FINAL, timeout=90_000)
    answer = page.locator(FINAL).first
    assert "Darchiyev" in answer.locator(".answer-text").inner_text()
    assert answer.locator(".badge").inner_text().strip()
    if "edited" in (answer.get_attribute("class") or ""):
        assert answer.locator("details.draft-was").count() == 1
    answer.locator("a.cite", has_text="[1]").first.click()
    card = page.locator("#src-1-1")
    page.wait_for_function("() => document.querySelector('#src-1-1').classList.contains('active')")
    assert card.is_visible() and "Darchiyev" in card.locator("mark").inner_text()
    page.screenshot(path=str(ARTIFACTS / "desktop-answer.png"))
    card.locator(".view-doc").click()
    page.wait_for_selector("#doc-viewer[open] .doc-text mark", timeout=120_000)
    assert "Darchiyev" in page.locator("#doc-viewer .doc-text mark").inner_text()
    page.screenshot(path=str(ARTIFACTS / "document-viewer.png"))
    page.keyboard.press("Escape")
    page.wait_for_selector("#doc-viewer", state="hidden")
    answer.locator(".copy-answer").click()
    page.wait_for_function("() => document.querySelector('.copy-answer').textContent.includes('Copied')")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "Darchiyev" in copied and "[1]" in copied and "Sources" in copied


def test_follow_up_uses_the_conversation(session: Any) -> None:
    page = session
    _use(page, "extractive")
    _ask(page, RUSSIAN)
    second = _ask(page, "And the American one?")
    assert "Coulter" in second.locator(".answer-text").inner_text()
    searched = second.locator(".searched").inner_text()
    assert searched.startswith("Searched for:") and re.search(r"\b(American|U\.S\.) delegation\b", searched), searched
    second.locator("a.cite").first.click()
    assert page.locator("#turn-2").is_visible() and not page.locator("#turn-1").is_visible()
    page.screenshot(path=str(ARTIFACTS / "follow-up.png"))


def test_unanswerable_question_shows_abstention(session: Any) -> None:
    page = session
    _use(page, "extractive")
    answer = _ask(page, "What is the capital of Australia?")
    assert "abstained" in (answer.get_attribute("class") or "")
    assert "don't say" in answer.inner_text()
    assert answer.locator("a.cite").count() == 0
    assert "nothing is cited" in page.locator("#turn-1").inner_text()
    page.screenshot(path=str(ARTIFACTS / "abstained.png"))


def test_new_conversation_clears_chat_and_sources(session: Any) -> None:
    page = session
    _use(page, "extractive")
    _ask(page, RUSSIAN)
    _ask(page, "And the American one?")
    assert page.locator("#sources-panel #turn-2").count() == 1
    _new_conversation(page)
    assert page.locator("#chat .ans").count() == 0 and page.locator("#sources-panel .src").count() == 0
    assert page.input_value("#question textarea") == ""
    page.screenshot(path=str(ARTIFACTS / "new-conversation.png"))
    again = _ask(page, "And the American one?")  # no earlier turn to lean on now
    assert again.locator(".searched").count() == 0
    assert page.locator("#sources-panel section.turn").count() == 1


def test_each_example_question_gets_an_answer(session: Any) -> None:
    page = session
    _use(page, "extractive")
    labels = page.locator(EXAMPLES).all_inner_texts()
    assert [label.split("“")[0] for label in labels] == ["What is ", "When was the article "]
    for i, label in enumerate(labels):
        page.locator(EXAMPLES).nth(i).click()
        page.wait_for_selector(FINAL, timeout=60_000)
        answer = page.locator(FINAL).first
        assert "abstained" not in (answer.get_attribute("class") or ""), label
        assert answer.locator("a.cite").count() >= 1 and SEED_NAME in answer.locator(".cite-list").inner_text()
        assert page.locator("#chat .q").first.inner_text().startswith(label.split("“")[0])
        page.screenshot(path=str(ARTIFACTS / f"example-{i + 1}.png"))
        _new_conversation(page)


def test_keyboard_focus_order(session: Any) -> None:
    page = session
    _use(page, "extractive")
    page.focus("#question textarea")
    order = [page.evaluate(FOCUS_JS)]
    for _ in range(8):
        page.keyboard.press("Tab")
        order.append(page.evaluate(FOCUS_JS))
    assert order[:5] == [
        "question:textarea:",
        "question:button:Ask",
        "generator:input:Answer with",
        "doc-filter:input:Only from",
        "new-chat:button:New conversation",
    ], order
    assert order[5].startswith("docs:button:Documents") and order[6].startswith("upload:"), order
    assert order[7:] == [f"doc-list:button:View {SEED_NAME}", f"doc-list:button:Remove {SEED_NAME}"], order
    page.fill("#question textarea", RUSSIAN)
    page.focus("#question textarea")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # the Ask button, by keyboard
    page.wait_for_selector(FINAL, timeout=60_000)
    assert "Darchiyev" in page.locator(FINAL).first.inner_text()


def test_wide_screen(browser: Any, app_url: str) -> None:
    context, page, errors, external = _open(browser, app_url, width=1920, height=1080)
    try:
        _use(page, "extractive")
        answer = _ask(page, RUSSIAN)
        answer.locator("a.cite").first.click()
        page.wait_for_function("() => document.querySelector('#src-1-1').classList.contains('active')")
        chat = page.locator("#chat-col").bounding_box()
        side = page.locator("#side-col").bounding_box()
        assert side["x"] >= chat["x"] + chat["width"] and abs(side["y"] - chat["y"]) < 5  # side by side
        assert page.evaluate("document.documentElement.scrollWidth") <= 1920
        assert page.locator("#src-1-1 mark").is_visible() and answer.is_visible()
        page.screenshot(path=str(ARTIFACTS / "wide-1920.png"))
    finally:
        context.close()
    assert not errors, f"console errors: {errors}"
    assert not external, f"requests to other hosts: {external}"


def _upload_files(folder: Path) -> list[Path]:
    """A hostile note only it can answer, a long almanac (slow enough to see the progress bar), a short log."""
    almanac = folder / "tide-almanac.md"
    days = (f"On day {d} of the season the Vetherby tide gauge read {d % 7 + 2} metres at noon." for d in range(600))
    almanac.write_text("# Tide almanac\n\n" + "\n\n".join(days) + "\n", encoding="utf-8")
    doc = folder / "zorblatt-notes.md"
    doc.write_text(
        "# The Zorblatt Lantern Festival\n\n"
        "The Zorblatt Lantern Festival is organised by the harbour master Quillon Marbeck in Vetherby.\n\n"
        'Visitors wrote <img src=x onerror="window.__xss=1"> and <script>window.__xss=2</script> on the wall.\n',
        encoding="utf-8",
    )
    other = folder / "harbour.txt"
    other.write_text("Harbour log\n\nThe Vetherby harbour has exactly 41 moorings for boats.\n", encoding="utf-8")
    return [doc, almanac, other]


def test_upload_then_ask_about_it(session: Any, tmp_path: Path, uploads_removed: None) -> None:
    page = session
    _use(page, "extractive")
    files = _upload_files(tmp_path)
    page.evaluate(
        """() => new MutationObserver(() => {
             if (document.querySelector('#upload-status progress')) window.__sawProgress = true;
           }).observe(document.body, {subtree: true, childList: true})"""
    )
    page.set_input_files("#upload input[type=file]", [str(f) for f in files])
    page.wait_for_selector("#upload-status:has-text('Indexing 2 of 3') progress", timeout=60_000)
    page.locator("#docs").screenshot(path=str(ARTIFACTS / "upload-progress.png"))
    page.wait_for_selector("#upload-status .status.ok", timeout=120_000)
    assert page.evaluate("window.__sawProgress") is True
    status = page.locator("#upload-status").inner_text()
    assert "Indexed 3 files" in status and all(f.name in status for f in files)
    assert "4 documents indexed" in page.locator("#doc-list").inner_text()
    assert page.locator("#doc-list .doc-view[data-source$='uploads/zorblatt-notes.md']").count() == 1
    page.locator("#docs").screenshot(path=str(ARTIFACTS / "upload-status.png"))
    answer = _ask(page, "Who organises the Zorblatt Lantern Festival?")
    assert "Marbeck" in answer.locator(".answer-text").inner_text()
    assert "zorblatt-notes.md" in answer.locator(".cite-list").inner_text()
    answer.locator("a.cite").first.click()
    page.wait_for_function("() => document.querySelector('#src-1-1').classList.contains('active')")
    assert "Marbeck" in page.locator("#src-1-1 mark").inner_text()
    page.screenshot(path=str(ARTIFACTS / "upload-answer.png"))
    page.locator("#doc-list li", has_text="Zorblatt").locator(".doc-view").click()
    page.wait_for_selector("#doc-viewer[open]")
    assert "<script>window.__xss=2</script>" in page.locator("#doc-viewer .doc-text").inner_text()
    page.screenshot(path=str(ARTIFACTS / "upload-viewer.png"))
    page.keyboard.press("Escape")
    page.wait_for_selector("#doc-viewer", state="hidden")
    assert page.evaluate("window.__xss") is None
    for f in files:  # leave the shared index as it was
        remove_confirmed(page, f.name)
        page.wait_for_function("n => !document.querySelector('#doc-list').innerText.includes(n)", arg=f.name)
        assert f"Removed {f.name}" in page.locator("#upload-status").inner_text()
    assert "1 document indexed" in page.locator("#doc-list").inner_text()
    page.locator("#docs").screenshot(path=str(ARTIFACTS / "upload-removed.png"))


def test_mobile_width_and_keyboard(browser: Any, app_url: str) -> None:
    context, page, errors, external = _open(browser, app_url, width=375, height=800)
    try:
        page.screenshot(path=str(ARTIFACTS / "mobile-375-start.png"), full_page=True)
        assert "1 document indexed" in page.locator("#doc-list").inner_text()  # nothing left by the upload test
        _use(page, "extractive")
        answer = _ask(page, RUSSIAN)
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        answer.locator("a.cite").first.focus()
        page.keyboard.press("Enter")
        page.wait_for_function("() => document.querySelector('#src-1-1').classList.contains('active')")
        assert page.evaluate("document.activeElement.id") == "src-1-1"
        page.screenshot(path=str(ARTIFACTS / "mobile-375.png"), full_page=True)
    finally:
        context.close()
    assert not errors, f"console errors: {errors}"
    assert not external, f"requests to other hosts: {external}"


def _log_in(page: Any, user: str, password: str) -> None:
    """Fill in Gradio's login form and press Login."""
    page.get_by_label("username").fill(user)
    page.get_by_label("password").fill(password)
    page.get_by_role("button", name="Login").click()


def test_login_form_then_ask(browser: Any, real_index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.interfaces.chat.app import launch

    password = "ui-pass-" + secrets.token_urlsafe(12)
    monkeypatch.setenv("ASSISTANT_UI_USER", "reader")
    monkeypatch.setenv("ASSISTANT_UI_PASSWORD", password)
    settings = Settings(index_dir=real_index, seeds_dir=SEEDS, ui_port=free_port(), generator="extractive")
    app = launch(Assistant(settings), block=False)
    try:
        context, page, errors, external = _open(browser, f"http://127.0.0.1:{settings.ui_port}/", ready="text=Sign in")
        try:
            assert page.locator("#question, #chat, #doc-list").count() == 0  # nothing of the app before login
            assert page.evaluate("window.gradio_api_info") == {"named_endpoints": {}, "unnamed_endpoints": {}}
            page.screenshot(path=str(ARTIFACTS / "login.png"))
            _log_in(page, "reader", password + "x")
            page.get_by_text("Incorrect Credentials").wait_for(timeout=120_000)
            _log_in(page, "reader", password)
            page.wait_for_selector("#question textarea", timeout=120_000)  # Login reloads the page, now the app
            assert "Darchiyev" in _ask(page, RUSSIAN).locator(".answer-text").inner_text()
        finally:
            context.close()
    finally:
        app.close()
    wrong_password = "the server responded with a status of 400"  # the rejected POST /login
    assert [e for e in errors if wrong_password not in e] == [], f"console errors: {errors}"
    assert not external, f"requests to other hosts: {external}"
