"""The chat UI in a real (headless Debian) Chromium: streaming, citations, follow-ups, abstention, upload, mobile."""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from assistant.service import Assistant
from assistant.settings import Settings
from tests.conftest import ROOT, SEEDS
from tests.integration.servers import free_port

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
ARTIFACTS = ROOT / "test-artifacts"
FINAL = "#chat .ans:not(.pending):not(.drafting)"
RUSSIAN = "Who leads the Russian delegation?"

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed at /usr/bin/chromium"),
]



@pytest.fixture(scope="module")
def app_url(real_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The UI on a copy of the seed index (uploads go there), default generator 'local'."""
    from assistant.ui import launch

    index = tmp_path_factory.mktemp("browser") / "index"
    shutil.copytree(real_index, index)
    settings = Settings(index_dir=index, seeds_dir=SEEDS, ui_port=free_port())
    app = launch(Assistant(settings), block=False)
    try:
        yield f"http://127.0.0.1:{settings.ui_port}/"
    finally:
        app.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium for the module."""
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


def _open(browser: Any, url: str, width: int = 1280, height: int = 860,
          ready: str = "#question textarea") -> tuple[Any, Any, list[str], list[str]]:
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
    page.goto(url)
    page.wait_for_selector(ready, timeout=30_000)
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


def _use(page: Any, generator: str) -> None:
    """Pick a generator in the 'Answer with' dropdown."""
    page.click("#generator input")
    page.click(f'#generator [role=option][aria-label="{generator}"]')
    page.wait_for_function(
        "g => document.querySelector('#generator input').value === g", arg=generator, timeout=5_000
    )


def test_streamed_answer_with_clickable_citation(session: Any) -> None:
    page = session
    assert page.locator("#chat [role=button], #chat button").filter(has_text="Who is named in").count() >= 1
    page.screenshot(path=str(ARTIFACTS / "desktop-start.png"))
    page.fill("#question textarea", RUSSIAN)
    page.keyboard.press("Enter")
    page.wait_for_selector("#chat .ans.drafting", timeout=60_000)  # draft tokens stream in, marked unchecked
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
    page.wait_for_selector("#doc-viewer[open] .doc-text mark", timeout=15_000)
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
    assert "American" in second.locator(".searched").inner_text()
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


def test_upload_then_ask_about_it(session: Any, tmp_path: Path) -> None:
    page = session
    _use(page, "extractive")
    doc = tmp_path / "zorblatt-notes.md"
    doc.write_text(
        "# The Zorblatt Lantern Festival\n\n"
        "The Zorblatt Lantern Festival is organised by the harbour master Quillon Marbeck in Vetherby.\n\n"
        'Visitors wrote <img src=x onerror="window.__xss=1"> and <script>window.__xss=2</script> on the wall.\n',
        encoding="utf-8",
    )
    other = tmp_path / "harbour.txt"
    other.write_text("Harbour log\n\nThe Vetherby harbour has exactly 41 moorings for boats.\n", encoding="utf-8")
    page.evaluate(
        """() => new MutationObserver(() => {
             if (document.querySelector('#upload-status progress')) window.__sawProgress = true;
           }).observe(document.body, {subtree: true, childList: true})"""
    )
    page.set_input_files("#upload input[type=file]", [str(doc), str(other)])
    page.wait_for_selector("#upload-status .status.ok", timeout=60_000)
    status = page.locator("#upload-status").inner_text()
    assert "Indexed 2 files" in status and "zorblatt-notes.md" in status and "harbour.txt" in status
    assert page.evaluate("window.__sawProgress") is True
    assert "Zorblatt Lantern Festival" in page.locator("#doc-list").inner_text()
    assert page.locator("#doc-list .doc-view[data-source$='uploads/zorblatt-notes.md']").count() == 1
    answer = _ask(page, "Who organises the Zorblatt Lantern Festival?")
    assert "Marbeck" in answer.locator(".answer-text").inner_text()
    assert "zorblatt-notes.md" in answer.locator(".cite-list").inner_text()
    page.locator("#doc-list li", has_text="Zorblatt").locator(".doc-view").click()
    page.wait_for_selector("#doc-viewer[open]")
    assert "<script>window.__xss=2</script>" in page.locator("#doc-viewer .doc-text").inner_text()
    page.screenshot(path=str(ARTIFACTS / "upload-viewer.png"))
    page.keyboard.press("Escape")
    assert page.evaluate("window.__xss") is None
    page.locator("#doc-list li", has_text="Zorblatt").locator(".doc-remove").click()
    page.wait_for_function("() => !document.querySelector('#doc-list').innerText.includes('Zorblatt')")


def test_mobile_width_and_keyboard(browser: Any, app_url: str) -> None:
    context, page, errors, external = _open(browser, app_url, width=375, height=800)
    try:
        page.screenshot(path=str(ARTIFACTS / "mobile-375-start.png"), full_page=True)
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
    from assistant.ui import launch

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
            page.get_by_text("Incorrect Credentials").wait_for(timeout=10_000)
            _log_in(page, "reader", password)
            page.wait_for_selector("#question textarea", timeout=30_000)  # Login reloads the page, now the app
            assert "Darchiyev" in _ask(page, RUSSIAN).locator(".answer-text").inner_text()
        finally:
            context.close()
    finally:
        app.close()
    wrong_password = "the server responded with a status of 400"  # the rejected POST /login
    assert [e for e in errors if wrong_password not in e] == [], f"console errors: {errors}"
    assert not external, f"requests to other hosts: {external}"
