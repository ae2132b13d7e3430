"""The command line with wrong settings, `ask --source`, `chat --browser` and `serve-model`'s checks."""

from __future__ import annotations

import json
import socket
import tomllib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

import assistant.service
from assistant.adapters.llamacpp_generator import SMOLLM2_FILE
from assistant.errors import ConfigError, UnknownSourceError
from assistant.interfaces import cli, serve_model
from assistant.interfaces.chat import app
from assistant.models import Answer
from assistant.settings import Settings, load_settings


class FakeAssistant:
    """Records what ask_stream and the chat start-up are given; answers with a fixed sentence."""

    calls: list[dict[str, Any]] = []

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def ask_stream(self, question: str, history: Sequence[dict[str, str]] | None = None,
                   generator: str | None = None, sources: Sequence[str] | None = None) -> Iterator[str | Answer]:
        """Yield one piece, then the answer; an unknown source is refused like the real one."""
        FakeAssistant.calls.append({"question": question, "sources": sources})
        if sources and "missing.md" in sources:
            raise UnknownSourceError("No indexed document is named 'missing.md'.")
        yield "It holds cable."
        yield Answer(question=question, answer="It holds cable.", abstained=False, draft="It holds cable.")

    def check_index(self) -> None:
        """Nothing to repair."""

    def documents(self) -> list[str]:
        """One document is indexed."""
        return ["spool.md"]


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> type[FakeAssistant]:
    """The CLI builds FakeAssistant instead of the real one."""
    FakeAssistant.calls = []
    monkeypatch.setattr(assistant.service, "Assistant", FakeAssistant)
    return FakeAssistant


# --- wrong settings ----------------------------------------------------------------------------------
def test_unknown_environment_variable_is_a_message_not_a_traceback(
    fake: type[FakeAssistant], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ASSISTANT_GENERATR", "extractive")
    assert cli.main(["ask", "What does the spool hold?"]) == 2
    err = capsys.readouterr().err
    assert "unknown setting 'ASSISTANT_GENERATR' in the environment; did you mean 'ASSISTANT_GENERATOR'?" in err
    assert "Traceback" not in err and fake.calls == []


def test_unknown_name_in_the_settings_file_stops_every_command(
    fake: type[FakeAssistant], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "assistant.toml"
    config.write_text('[retrieval]\ntop_kk = 3\n')
    monkeypatch.setenv("ASSISTANT_CONFIG", str(config))
    for argv in (["ask", "q"], ["backends"], ["chat"], ["serve-model"]):
        assert cli.main(argv) == 2, argv
        err = capsys.readouterr().err
        assert f"error: unknown setting 'retrieval.top_kk' in {config}; did you mean 'retrieval.top_k'?" in err
        assert "Traceback" not in err
    assert fake.calls == []


def test_wrong_kind_of_value_from_the_environment(
    fake: type[FakeAssistant], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ASSISTANT_RETRIEVAL__TOP_K", "several")
    assert cli.main(["ask", "q"]) == 2
    err = capsys.readouterr().err
    assert "invalid setting 'retrieval.top_k'" in err and "Traceback" not in err


# --- ask --source ----------------------------------------------------------------------------------------
def test_source_flags_reach_ask(fake: type[FakeAssistant], capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["ask", "--source", "spool.md", "--source", "docs/reel.md", "What does it hold?"]) == 0
    assert fake.calls[-1] == {"question": "What does it hold?", "sources": ["spool.md", "docs/reel.md"]}
    assert "It holds cable." in capsys.readouterr().out
    assert cli.main(["ask", "What does it hold?"]) == 0
    assert fake.calls[-1]["sources"] is None  # no flag: every document


def test_unknown_source_is_a_message(fake: type[FakeAssistant], capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["ask", "--source", "missing.md", "What does it hold?"]) == 2
    err = capsys.readouterr().err
    assert "missing.md" in err and "Traceback" not in err


def test_source_limits_a_real_answer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    docs, index = tmp_path / "docs", tmp_path / "index"
    docs.mkdir()
    (docs / "spool.md").write_text("# Spool\n\nThe widget spool holds 40 metres of copper cable.\n")
    (docs / "reel.md").write_text("# Reel\n\nThe widget reel holds 9 metres of copper cable.\n")
    monkeypatch.setenv("ASSISTANT_EMBEDDER", "fake")
    monkeypatch.setenv("ASSISTANT_GENERATOR", "extractive")
    assert cli.main(["--index-dir", str(index), "ingest", "--quiet", str(docs)]) == 0
    for name in ("reel.md", "spool.md"):
        capsys.readouterr()
        argv = ["--index-dir", str(index), "ask", "--json", "--source", name, "How much cable does it hold?"]
        assert cli.main(argv) == 0
        cited = {Path(c["source"]).name for c in json.loads(capsys.readouterr().out)["citations"]}
        assert cited == {name}
    assert cli.main(["--index-dir", str(index), "ask", "--source", "drum.md", "How much cable?"]) == 2
    err = capsys.readouterr().err
    assert "drum.md" in err and "Traceback" not in err



def test_dates_limit_a_real_answer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    docs, index = tmp_path / "docs", tmp_path / "index"
    docs.mkdir()
    (docs / "old.md").write_text("---\ndate: 2023-05-02\n---\n# Old\n\nThe old spool holds 40 metres of cable.\n")
    (docs / "new.md").write_text("---\ndate: 2025-05-02\n---\n# New\n\nThe new spool holds 9 metres of cable.\n")
    monkeypatch.setenv("ASSISTANT_EMBEDDER", "fake")
    monkeypatch.setenv("ASSISTANT_GENERATOR", "extractive")
    assert cli.main(["--index-dir", str(index), "ingest", "--quiet", str(docs)]) == 0
    for flag, day, name in (("--since", "2024-01-01", "new.md"), ("--until", "2024-01-01", "old.md")):
        capsys.readouterr()
        assert cli.main(["--index-dir", str(index), "ask", "--json", flag, day, "What does the spool hold?"]) == 0
        cited = {Path(c["source"]).name for c in json.loads(capsys.readouterr().out)["citations"]}
        assert cited == {name}
    assert cli.main(["--index-dir", str(index), "ask", "--since", "2030-01-01", "What does the spool hold?"]) == 2
    assert "dated in that range" in capsys.readouterr().err

# --- chat --browser ---------------------------------------------------------------------------------------
def _launches(monkeypatch: pytest.MonkeyPatch, accepts_inbrowser: bool) -> list[dict[str, Any]]:
    """Replace the chat launch with one that records its keyword arguments (with or without inbrowser)."""
    seen: list[dict[str, Any]] = []

    def with_browser(assistant: Any, block: bool = True, inbrowser: bool = False) -> None:
        seen.append({"inbrowser": inbrowser})

    def without_browser(assistant: Any, block: bool = True) -> None:
        seen.append({})

    monkeypatch.setattr(app, "launch", with_browser if accepts_inbrowser else without_browser)
    monkeypatch.setattr("assistant.interfaces.chat.auth.auth_from_env", lambda ui: None)
    return seen


def test_chat_browser_flags(fake: type[FakeAssistant], monkeypatch: pytest.MonkeyPatch,
                            capsys: pytest.CaptureFixture[str]) -> None:
    seen = _launches(monkeypatch, accepts_inbrowser=True)
    assert cli.main(["chat", "--browser"]) == 0
    assert cli.main(["chat", "--no-browser", "--port", "7999"]) == 0
    assert seen == [{"inbrowser": True}, {"inbrowser": False}]
    assert "No browser" not in capsys.readouterr().out  # asked for: nothing to explain


def test_chat_opens_a_browser_only_in_a_desktop_session(
    fake: type[FakeAssistant], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import webbrowser

    seen = _launches(monkeypatch, accepts_inbrowser=True)
    monkeypatch.setattr(cli.sys, "platform", "linux")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert cli.main(["chat", "--port", "7999"]) == 0  # a terminal-only session: the address is printed instead
    assert "No browser to open in this session: open http://127.0.0.1:7999 in one." in capsys.readouterr().out
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setattr(webbrowser, "get", lambda using=None: object())
    assert cli.main(["chat"]) == 0
    assert "No browser" not in capsys.readouterr().out
    assert seen == [{"inbrowser": False}, {"inbrowser": True}]


def test_chat_launch_without_inbrowser_is_called_as_before(
    fake: type[FakeAssistant], monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = _launches(monkeypatch, accepts_inbrowser=False)
    assert cli.main(["chat", "--browser"]) == 0
    assert seen == [{}]


# --- serve-model ---------------------------------------------------------------------------------------
def test_serve_model_refuses_a_remote_host_before_loading(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def no_model(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the model must not be loaded")

    monkeypatch.setattr(serve_model, "LlamaCppServer", no_model)
    assert cli.main(["serve-model", "--host", "0.0.0.0"]) == 2
    err = capsys.readouterr().err
    assert "Refusing to serve the model on 0.0.0.0" in err and "--allow-remote" in err and "Traceback" not in err
    serve_model.check_address("0.0.0.0", 0, allow_remote=True)
    serve_model.check_address("::1", 0, allow_remote=False)


def test_serve_model_refuses_a_port_in_use() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ConfigError, match=f"Cannot listen on 127.0.0.1:{port}"):
            serve_model.check_address("127.0.0.1", port, allow_remote=False)


def test_serve_model_defaults_to_the_packaged_model() -> None:
    options = serve_model.model_options(Settings(), None, None)
    assert Path(options.gguf_path or "").name == SMOLLM2_FILE and options.n_ctx == Settings().local.n_ctx
    chosen = serve_model.model_options(Settings(), "/models/x.gguf", 512)
    assert (chosen.gguf_path, chosen.n_ctx) == ("/models/x.gguf", 512)


def test_printed_settings_lines_are_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lines = serve_model.usage_lines("http://127.0.0.1:8081/v1", "SmolLM2-135M-Instruct.Q4_1")
    toml = "\n".join(line.strip() for line in lines if line.startswith("    "))
    config = tmp_path / "assistant.toml"
    config.write_text(toml)
    monkeypatch.setenv("ASSISTANT_CONFIG", str(config))
    settings = load_settings()
    assert settings.generator == "openai" and settings.openai.base_url == "http://127.0.0.1:8081/v1"
    assert settings.openai.model == "SmolLM2-135M-Instruct.Q4_1" and tomllib.loads(toml)


def test_serve_model_prints_the_address_and_stops_on_ctrl_c(monkeypatch: pytest.MonkeyPatch) -> None:
    class FakeServer:
        model_id = "tiny"

        def __init__(self, options: Any, host: str, port: int) -> None:
            self.base_url = f"http://{host}:{port}/v1"
            started.append((options.gguf_path, host, port))

    def interrupted(seconds: float) -> None:
        raise KeyboardInterrupt

    started: list[tuple[str | None, str, int]] = []
    monkeypatch.setattr(serve_model, "LlamaCppServer", FakeServer)
    monkeypatch.setattr(serve_model.time, "sleep", interrupted)
    monkeypatch.setattr(serve_model.signal, "signal", lambda *args: None)
    printed: list[str] = []
    code = serve_model.serve_model(Settings(), "/m/tiny.gguf", "0.0.0.0", 0, None, allow_remote=True,
                                   echo=printed.append)
    assert code == 0 and started == [("/m/tiny.gguf", "0.0.0.0", 0)]
    assert printed[0].startswith("warning: serving on 0.0.0.0 without a login")
    assert '    base_url = "http://127.0.0.1:0/v1"' in printed and printed[-1] == "stopped"
