"""Settings precedence: file < environment < explicit overrides."""

from pathlib import Path

import pytest

from assistant.errors import UnknownComponentError
from assistant.registry import GENERATORS
from assistant.settings import Settings, load_settings


def test_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "assistant.toml"
    config.write_text('generator = "openai"\nchunk_size = 321\n[retrieval]\ntop_k = 7\n')
    monkeypatch.setenv("ASSISTANT_CONFIG", str(config))
    settings = load_settings()
    assert (settings.generator, settings.chunk_size, settings.retrieval.top_k) == ("openai", 321, 7)
    monkeypatch.setenv("ASSISTANT_GENERATOR", "extractive")
    monkeypatch.setenv("ASSISTANT_RETRIEVAL__TOP_K", "5")
    settings = load_settings()
    assert (settings.generator, settings.retrieval.top_k) == ("extractive", 5)
    settings = load_settings(generator="local", **{"retrieval.top_k": 2})
    assert (settings.generator, settings.retrieval.top_k, settings.chunk_size) == ("local", 2, 321)


def test_unknown_generator_lists_valid_names() -> None:
    import assistant.components  # noqa: F401

    with pytest.raises(UnknownComponentError) as err:
        GENERATORS.create("gpt-17", load_settings())
    assert "extractive" in str(err.value) and "local" in str(err.value)


def _cli_settings(*argv: str) -> Settings:
    """Settings as `assistant ask` builds them from file + env + flags."""
    from assistant.interfaces.cli import _parser, _settings

    return _settings(_parser().parse_args(["ask", *argv, "q"]))


def test_cli_flags_override_env_and_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "assistant.toml"
    config.write_text('generator = "openai"\n[openai]\nmodel = "file-model"\nbase_url = "http://127.0.0.1:1/v1"\n')
    monkeypatch.setenv("ASSISTANT_CONFIG", str(config))
    assert (_cli_settings().openai.model, _cli_settings().openai.base_url) == ("file-model", "http://127.0.0.1:1/v1")
    monkeypatch.setenv("ASSISTANT_OPENAI__MODEL", "env-model")
    assert _cli_settings().openai.model == "env-model"
    flagged = _cli_settings("--model", "flag-model", "--base-url", "http://127.0.0.1:2/v1")
    assert (flagged.generator, flagged.openai.model, flagged.local.gguf_path) == ("openai", "flag-model", None)
    assert flagged.openai.base_url == "http://127.0.0.1:2/v1"
    monkeypatch.setenv("ASSISTANT_GENERATOR", "local")  # env picks local: --model is then a GGUF path
    local = _cli_settings("--model", "my.gguf")
    assert (local.generator, local.local.gguf_path, local.openai.model) == ("local", "my.gguf", "env-model")
    chosen = _cli_settings("--llm", "openai", "--model", "flag-model")
    assert (chosen.generator, chosen.openai.model, chosen.local.gguf_path) == ("openai", "flag-model", None)
