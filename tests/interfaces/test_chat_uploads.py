"""Chat UI: stored names and truthful status for uploads; the login's configuration, bind warning and throttle."""

from __future__ import annotations

import logging
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from assistant.errors import AssistantError
from assistant.interfaces.chat import render as r
from assistant.interfaces.chat.app import index_files, save_uploads
from assistant.interfaces.chat.auth import launch_gated
from assistant.service import Assistant
from assistant.settings import Settings, UISettings

USER, PASSWORD = "ASSISTANT_UI_USER", "ASSISTANT_UI_PASSWORD"
FIRST = "# Spools\n\nThe widget spool holds forty metres of cable.\n"
SECOND = "# Gears\n\nThe gearbox has seven forward ratios.\n"


def _upload(tmp_path: Path, folder: str, name: str, text: str) -> str:
    """A file as Gradio hands it over: its own temporary folder, the name the browser sent."""
    path = tmp_path / "incoming" / folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return str(path)


# --- uploads ------------------------------------------------------------------------------------
def test_same_name_twice_in_one_batch_keeps_both(tmp_path: Path) -> None:
    uploads = tmp_path / "uploads"
    files = [_upload(tmp_path, "a", "report.md", FIRST), _upload(tmp_path, "b", "report.md", SECOND)]
    saved, problems = save_uploads(files, uploads, max_mb=1)
    assert [p.name for p in saved] == ["report.md", "report (2).md"], problems
    assert [p.read_text() for p in saved] == [FIRST, SECOND]


def test_a_later_upload_of_a_name_replaces_the_earlier_version(fake_settings: Settings, tmp_path: Path) -> None:
    assistant = Assistant(fake_settings)
    _finish(assistant, [_upload(tmp_path, "a", "report.md", FIRST)])
    done, problems, _ = _finish(assistant, [_upload(tmp_path, "b", "report.md", SECOND)])
    assert problems == [] and "replaced the earlier upload" in done[0]
    assert [Path(s).name for s in assistant.documents()] == ["report.md"]
    assert assistant.lexical.search("gearbox forward ratios", 1) and not assistant.lexical.search("widget spool", 1)


def test_stored_name_reuses_same_bytes_and_skips_names_this_batch_took(tmp_path: Path) -> None:
    from assistant.interfaces.chat.uploads import stored_name

    folder = tmp_path / "uploads"
    folder.mkdir()
    same = Path(_upload(tmp_path, "a", "notes.txt", "same"))
    other = Path(_upload(tmp_path, "b", "notes.txt", "other"))
    assert stored_name("notes.txt", folder, same) == ("notes.txt", True)  # free
    (folder / "notes.txt").write_text("same")
    assert stored_name("notes.txt", folder, same) == ("notes.txt", False)  # the same bytes are already there
    assert stored_name("notes.txt", folder, other) == ("notes.txt", True)  # a new version of an earlier upload
    assert stored_name("notes.txt", folder, other, {folder / "notes.txt"}) == ("notes (2).txt", True)


def _finish(assistant: Assistant, files: list[str]) -> tuple[list[str], list[str], str]:
    """Run an upload to the end: (indexed labels, problems, the final status HTML)."""
    *_, (step, done, problems) = index_files(assistant, files)  # the last yield is the result
    assert step == ""
    return done, problems, r.render_upload("", done, problems, len(files))


def test_batch_with_a_repeated_name_indexes_both_and_says_so(fake_settings: Settings, tmp_path: Path) -> None:
    assistant = Assistant(fake_settings)
    files = [_upload(tmp_path, "a", "report.md", FIRST), _upload(tmp_path, "b", "report.md", SECOND)]
    done, problems, html = _finish(assistant, files)
    stored = sorted(Path(s).name for s in assistant.documents())
    assert stored == ["report (2).md", "report.md"] and problems == []
    assert done[0] == "report.md" and done[1].startswith("report (2).md") and "renamed" in done[1]
    assert "Indexed 2 files" in html
    assert assistant.lexical.search("gearbox forward ratios", 1) and assistant.lexical.search("widget spool", 1)


def test_identical_file_twice_is_stored_once_and_reported(fake_settings: Settings, tmp_path: Path) -> None:
    assistant = Assistant(fake_settings)
    files = [_upload(tmp_path, "a", "report.md", FIRST), _upload(tmp_path, "b", "report.md", FIRST)]
    done, problems, html = _finish(assistant, files)
    assert done == ["report.md"] and len(assistant.documents()) == 1
    assert len(problems) == 1 and "report.md" in problems[0] and "twice" in problems[0]
    assert "Indexed 1 file: report.md" in html


def test_a_file_that_fails_to_index_is_not_left_stored(fake_settings: Settings, tmp_path: Path) -> None:
    assistant = Assistant(fake_settings)
    files = [_upload(tmp_path, "a", "broken.pdf", "not a PDF at all"), _upload(tmp_path, "b", "ok.md", FIRST)]
    done, problems, _ = _finish(assistant, files)
    assert done == ["ok.md"] and len(problems) == 1 and "broken.pdf" in problems[0]
    assert sorted(p.name for p in fake_settings.uploads_dir.iterdir()) == ["ok.md"]


# --- login configuration and binding ------------------------------------------------------------
class FakeBlocks:
    """Records launch() instead of serving."""

    def __init__(self) -> None:
        self.launched: dict[str, Any] | None = None

    def queue(self, **options: Any) -> FakeBlocks:
        """Gradio's queue(): nothing to set up."""
        return self

    def launch(self, **options: Any) -> None:
        """Keep the options launch was given."""
        self.launched = options


def _owner(tmp_path: Path, **settings: Any) -> Any:
    """What launch_gated reads from an Assistant: its settings."""
    return SimpleNamespace(settings=Settings(index_dir=tmp_path / "index", **settings))


@pytest.mark.parametrize("present", [PASSWORD, USER])
def test_half_configured_login_refuses_to_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, present: str
) -> None:
    monkeypatch.delenv(USER, raising=False)
    monkeypatch.delenv(PASSWORD, raising=False)
    monkeypatch.setenv(present, "only-this-one")
    blocks = FakeBlocks()
    with pytest.raises(AssistantError) as err:
        launch_gated(blocks, _owner(tmp_path), block=False)  # type: ignore[arg-type]
    assert blocks.launched is None
    assert USER in err.value.user_message() and PASSWORD in err.value.user_message()


def test_full_login_is_passed_to_gradio(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(USER, "reader")
    monkeypatch.setenv(PASSWORD, "pw-123456")
    blocks = FakeBlocks()
    launch_gated(blocks, _owner(tmp_path), block=False)  # type: ignore[arg-type]
    assert blocks.launched is not None and blocks.launched["auth"] == ("reader", "pw-123456")
    assert blocks.launched["app_kwargs"]["middleware"]


@pytest.mark.parametrize(("host", "login", "warned"), [
    ("0.0.0.0", False, True), ("192.168.1.20", False, True), ("::", False, True),
    ("0.0.0.0", True, False), ("127.0.0.1", False, False), ("localhost", False, False), ("::1", False, False),
])
def test_binding_beyond_loopback_without_login_warns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
    host: str, login: bool, warned: bool,
) -> None:
    for name in (USER, PASSWORD):
        if login:
            monkeypatch.setenv(name, "x-" + name)
        else:
            monkeypatch.delenv(name, raising=False)
    blocks = FakeBlocks()
    with caplog.at_level(logging.WARNING):
        launch_gated(blocks, _owner(tmp_path, ui_host=host), block=False)  # type: ignore[arg-type]
    warnings = [rec.getMessage() for rec in caplog.records if rec.levelno >= logging.WARNING]
    assert blocks.launched is not None and blocks.launched["server_name"] == host
    assert bool([w for w in warnings if host in w and USER in w]) is warned, warnings


# --- login throttle -----------------------------------------------------------------------------
class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        """The current time."""
        return self.now


def test_throttle_locks_after_failures_and_the_lock_grows() -> None:
    from assistant.interfaces.chat.throttle import LoginThrottle

    clock = Clock()
    throttle = LoginThrottle(max_failures=5, lockout_s=30.0, window_s=300.0, clock=clock)
    for _ in range(4):
        throttle.failure("10.0.0.1")
    assert throttle.wait("10.0.0.1") == 0
    throttle.failure("10.0.0.1")
    assert throttle.wait("10.0.0.1") == pytest.approx(30.0) and throttle.wait("10.0.0.2") == 0
    clock.now += 29
    assert throttle.wait("10.0.0.1") == pytest.approx(1.0)
    clock.now += 1
    assert throttle.wait("10.0.0.1") == 0
    throttle.failure("10.0.0.1")  # the first failure after a lockout locks again, for twice as long
    assert throttle.wait("10.0.0.1") == pytest.approx(60.0)
    clock.now += 60
    throttle.success("10.0.0.1")
    for _ in range(4):
        throttle.failure("10.0.0.1")
    assert throttle.wait("10.0.0.1") == 0  # a success forgets the history


def test_throttle_counts_failures_within_the_window_only() -> None:
    from assistant.interfaces.chat.throttle import LoginThrottle

    clock = Clock()
    throttle = LoginThrottle(max_failures=5, lockout_s=30.0, window_s=300.0, clock=clock)
    for _ in range(4):
        throttle.failure("a")
    clock.now += 301
    for _ in range(4):
        throttle.failure("a")
    assert throttle.wait("a") == 0
    throttle.failure("a")
    assert throttle.wait("a") > 0


def test_throttle_lockout_is_capped_and_settings_build_it() -> None:
    from assistant.interfaces.chat.throttle import LoginThrottle

    clock = Clock()
    ui = UISettings(login_max_failures=2, login_lockout_s=10.0, login_max_lockout_s=25.0)
    throttle = LoginThrottle.from_settings(ui, clock=clock)
    throttle.failure("a")
    throttle.failure("a")
    assert throttle.wait("a") == pytest.approx(10.0)
    for _ in range(5):
        clock.now += throttle.wait("a")
        throttle.failure("a")
    assert throttle.wait("a") == pytest.approx(25.0)


def _gated_app(password: str, **gate: Any) -> Any:
    """Gradio's own server app for a tiny Blocks with a login, behind LoginGate (nothing is launched)."""
    import gradio as gr
    from gradio.routes import App
    from starlette.middleware import Middleware

    from assistant.interfaces.chat.auth import LoginGate

    with gr.Blocks(analytics_enabled=False) as blocks:
        gr.Markdown("hello")
    blocks.auth = [("reader", password)]
    return App.create_app(blocks, app_kwargs={"middleware": [Middleware(LoginGate, **gate)]})


def test_login_route_is_throttled_per_client() -> None:
    from starlette.testclient import TestClient

    with TestClient(_gated_app("right-pass")) as http:
        codes = [http.post("/login", data={"username": "reader", "password": f"wrong{i}"}).status_code
                 for i in range(5)]
        assert codes == [400] * 5
        refused = http.post("/login", data={"username": "reader", "password": "right-pass"})
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
        assert http.get("/config").status_code == 401
    with TestClient(_gated_app("right-pass"), client=("10.9.9.9", 5000)) as other:  # a fresh app, another client
        assert other.post("/login", data={"username": "reader", "password": "right-pass"}).status_code == 200


def test_correct_login_after_the_lockout_expires_works() -> None:
    from starlette.testclient import TestClient

    from assistant.interfaces.chat.throttle import LoginThrottle

    clock = Clock()
    throttle = LoginThrottle(max_failures=3, lockout_s=30.0, clock=clock)
    with TestClient(_gated_app("right-pass", throttle=throttle)) as http:
        for i in range(3):
            assert http.post("/login", data={"username": "reader", "password": f"no{i}"}).status_code == 400
        assert http.post("/login", data={"username": "reader", "password": "right-pass"}).status_code == 429
        clock.now += 30
        good = http.post("/login", data={"username": "reader", "password": "right-pass"})
        assert good.status_code == 200 and http.get("/config").status_code == 200
        assert throttle.wait("testclient") == 0
