"""Prompt files declare their variables and render."""

from pathlib import Path

import pytest

from assistant.errors import ConfigError
from assistant.prompts import load_prompt
from assistant.settings import Settings

PROMPTS = Settings().prompts_dir


@pytest.mark.parametrize("name", sorted(p.stem for p in PROMPTS.glob("*.txt")))
def test_every_prompt_renders(name: str) -> None:
    prompt = load_prompt(PROMPTS, name)
    text = prompt.render(**{v: f"<{v}>" for v in prompt.variables})
    assert all(f"<{v}>" in text for v in prompt.variables)


def test_missing_variable_fails() -> None:
    prompt = load_prompt(PROMPTS, "answer")
    with pytest.raises(ConfigError, match="sources"):
        prompt.render(question="q")


def test_undeclared_placeholder_fails_at_load(tmp_path: Path) -> None:
    (tmp_path / "bad.txt").write_text("# variables: a\n{a} {b}\n")
    with pytest.raises(ConfigError, match="declares"):
        load_prompt(tmp_path, "bad")
