"""Settings precedence: file < environment < explicit overrides."""

from pathlib import Path

import pytest

from assistant.errors import UnknownComponentError
from assistant.registry import GENERATORS
from assistant.settings import load_settings


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
