"""The command line's input: undecodable bytes and terminal escapes in a question; `assistant chat` start-up checks."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.errors import QuestionError
from assistant.interfaces import cli
from assistant.service import Assistant
from assistant.settings import Settings
from assistant.text import plain_question
from tests.conftest import ROOT
from tests.interfaces.test_chat_uploads import PASSWORD, USER, FakeBlocks

QUESTION = "What does the widget spool hold?"
DOC = (
    "# Widget spool\n\nThe widget spool holds forty metres of copper cable.\n\n"
    "The spool is wound by hand every morning before the shift starts.\n"
)


@pytest.fixture
def index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An index of one small document built through the CLI with the fake embedder; answers are extractive."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "spool.md").write_text(DOC)
    monkeypatch.setenv("ASSISTANT_EMBEDDER", "fake")
    monkeypatch.setenv("ASSISTANT_GENERATOR", "extractive")
    monkeypatch.setenv("ASSISTANT_SEEDS_DIR", str(docs))
    for name in (USER, PASSWORD):
        monkeypatch.delenv(name, raising=False)
    folder = tmp_path / "index"
    assert cli.main(["--index-dir", str(folder), "ingest", "--quiet", str(docs)]) == 0
    return folder


def _ask_json(index: Path, question: str, capsys: pytest.CaptureFixture[str]) -> dict:
    """Ask through main() with --json; the printed object."""
    capsys.readouterr()
    assert cli.main(["--index-dir", str(index), "ask", "--json", question]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("dressed", [
    f"\x1b[31m{QUESTION}\x1b[0m",  # colour codes around the question
    f"\x1b[1;4m{QUESTION}\x1b[m",  # bold, underline, reset
    f"\x1b]0;window title\x07{QUESTION}",  # an OSC sequence (terminal title)
    f"\x9b31m{QUESTION}\x9b0m",  # 8-bit CSI
    f"{QUESTION}\x08\x00\x7f",  # backspace, NUL, DEL
])
def test_terminal_escapes_are_stripped_before_answering(
    index: Path, capsys: pytest.CaptureFixture[str], dressed: str
) -> None:
    plain = _ask_json(index, QUESTION, capsys)
    assert not plain["abstained"]
    data = _ask_json(index, dressed, capsys)
    assert data["question"] == QUESTION
    assert data["answer"] == plain["answer"] and not data["abstained"]


def test_clean_question_keeps_ordinary_text() -> None:
    text = "Wie lang ist das Kabel? — 40 m, naïve café 日本語 ✓"
    assert plain_question(text) == text
    assert plain_question("  two\tspaces\nand a line  ") == "two spaces and a line"


def test_undecodable_byte_in_the_question_is_a_plain_error(
    index: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    code = cli.main(["--index-dir", str(index), "ask", "What does the widget spool hold\udcff?"])
    err = capsys.readouterr().err
    assert code == 2 and "error:" in err and "UTF-8" in err and "Traceback" not in err


def test_undecodable_byte_in_argv_from_a_real_process(tmp_path: Path) -> None:
    cmd = [sys.executable, "-m", "assistant.interfaces.cli", "--index-dir", str(tmp_path / "none"), "ask",
           os.fsdecode(b"caf\xe9 \xff?")]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "ASSISTANT_CONFIG": str(tmp_path / "absent.toml")}
    result = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and "UTF-8" in result.stderr


# --- assistant chat -----------------------------------------------------------------------------
@pytest.fixture
def blocks(monkeypatch: pytest.MonkeyPatch) -> FakeBlocks:
    """The chat app as built by `assistant chat`, recorded instead of served."""
    from assistant.interfaces.chat import app

    fake = FakeBlocks()
    monkeypatch.setattr(app, "build", lambda assistant: fake)
    return fake


def test_chat_with_only_a_password_refuses_to_start(
    index: Path, blocks: FakeBlocks, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(PASSWORD, "lonely-password")
    capsys.readouterr()
    code = cli.main(["--index-dir", str(index), "chat"])
    err = capsys.readouterr().err
    assert code == 2 and blocks.launched is None
    assert USER in err and PASSWORD in err and "Traceback" not in err


def test_chat_on_every_interface_without_login_warns(
    index: Path, blocks: FakeBlocks, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        assert cli.main(["--index-dir", str(index), "chat", "--host", "0.0.0.0"]) == 0
    assert blocks.launched is not None and blocks.launched["server_name"] == "0.0.0.0"
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert any("0.0.0.0" in w and "login" in w for w in warnings), warnings


def test_every_entry_point_cleans_the_question_the_same_way(fake_settings: Settings) -> None:
    assistant = Assistant(fake_settings)
    assert assistant.clean_question(f"\x1b[31m{QUESTION}\x1b[0m") == QUESTION
    with pytest.raises(QuestionError, match="not valid UTF-8"):
        assistant.clean_question("What is \ud800 this?")
