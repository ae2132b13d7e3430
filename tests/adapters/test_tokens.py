"""Generators report the completion tokens they produced, and the Answer carries the count."""

from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from assistant.adapters.llamacpp_generator import LlamaCppGenerator, LlamaCppServer
from assistant.adapters.openai_generator import OpenAIGenerator
from assistant.models import GenerationInput
from assistant.prompts import load_prompt
from assistant.service import Assistant
from assistant.settings import LocalLLMSettings, OpenAISettings, Settings

PROMPTS = Settings().prompts_dir


def _delta(text: str) -> dict[str, Any]:
    """A llama.cpp stream chunk carrying text."""
    return {"choices": [{"index": 0, "delta": {"content": text}}]}


class _FakeBinding:
    """Plays scripted stream chunks to the callback, like xllamacpp.Server.handle_chat_completions."""

    def __init__(self, chunks: list[dict[str, Any]]) -> None:
        self.chunks = chunks

    def handle_chat_completions(self, request: dict[str, Any], on_chunk: Callable[[Any], None]) -> None:
        for chunk in self.chunks:
            on_chunk(chunk)


def _local(chunks: list[dict[str, Any]]) -> LlamaCppGenerator:
    """A local generator whose server is the fake binding (no model is loaded)."""
    server = object.__new__(LlamaCppServer)
    server._server = _FakeBinding(chunks)
    generator = LlamaCppGenerator(LocalLLMSettings(), load_prompt(PROMPTS, "system"), load_prompt(PROMPTS, "answer"))
    generator._server = server
    return generator


@pytest.mark.parametrize(
    ("last", "tokens"),
    [({"timings": {"predicted_n": 7}}, 7), ({"usage": {"completion_tokens": 9}}, 9), ({}, 2)],
)
def test_local_generator_reports_tokens(last: dict[str, Any], tokens: int) -> None:
    data = GenerationInput(question="Who leads?", evidence=[(1, "Darchiyev leads.")])
    text = "".join(_local([_delta("Darchiyev"), _delta(" leads."), {"choices": [], **last}]).stream(data))
    assert text == "Darchiyev leads." and data.completion_tokens == tokens  # usage, timings, else the pieces


class _FakeClient:
    """A langchain chat client: streamed chunks (with usage on the last one if given) or one message."""

    def __init__(self, usage: dict[str, int] | None) -> None:
        self.usage = usage

    def stream(self, messages: object) -> Iterator[SimpleNamespace]:
        yield SimpleNamespace(content="Darchiyev", usage_metadata=None)
        yield SimpleNamespace(content=" leads.", usage_metadata=None)
        yield SimpleNamespace(content="", usage_metadata=self.usage)

    def invoke(self, messages: object) -> SimpleNamespace:
        return SimpleNamespace(content="Darchiyev leads.", usage_metadata=self.usage)


@pytest.mark.parametrize(
    ("stream", "usage", "tokens"),
    [(True, {"output_tokens": 5}, 5), (True, None, 2), (False, {"output_tokens": 5}, 5), (False, None, None)],
)
def test_openai_generator_reports_tokens(stream: bool, usage: dict[str, int] | None, tokens: int | None) -> None:
    options = OpenAISettings(stream=stream)
    generator = OpenAIGenerator(
        options, None, "OPENAI_API_KEY", load_prompt(PROMPTS, "system"), load_prompt(PROMPTS, "answer")
    )
    generator._client = lambda: _FakeClient(usage)  # type: ignore[method-assign]
    data = GenerationInput(question="Who leads?", evidence=[(1, "Darchiyev leads.")])
    assert "".join(generator.stream(data)) == "Darchiyev leads." and data.completion_tokens == tokens


class _Counting:
    """A generator that quotes the first evidence sentence and reports one token per word."""

    name = "counting"

    def stream(self, data: GenerationInput) -> Iterator[str]:
        words = data.evidence[0][1].split(" ")
        yield " ".join(words)
        data.completion_tokens = len(words)


def test_answer_carries_the_reported_tokens(fake_settings: Settings, seed_copy: Path) -> None:
    assistant = Assistant(fake_settings)
    assistant.ingest([seed_copy], progress=False)
    assistant._generators["counting"] = _Counting()
    answer = assistant.ask("Who will lead their respective delegations?", generator="counting")
    assert not answer.abstained and answer.tokens and answer.tokens > 3
    assert assistant.ask("Who will lead their respective delegations?", generator="extractive").tokens is None
