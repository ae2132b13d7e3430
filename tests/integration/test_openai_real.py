"""The `openai` generator against a real llama.cpp OpenAI-compatible server on 127.0.0.1 serving the GGUF."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.adapters.llamacpp_generator import LlamaCppServer
from assistant.components import check_generator
from assistant.service import Assistant
from assistant.settings import LocalLLMSettings, OpenAISettings, Settings
from tests.conftest import SEEDS

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def server() -> Iterator[LlamaCppServer]:
    server = LlamaCppServer(LocalLLMSettings())
    assert server.base_url.startswith("http://127.0.0.1:")
    yield server


@pytest.mark.parametrize("stream", [True, False])
def test_cited_answer_through_http(real_index: Path, server: LlamaCppServer, stream: bool) -> None:
    options = OpenAISettings(base_url=server.base_url, model=server.model_id, stream=stream, timeout_s=600)
    settings = Settings(index_dir=real_index, seeds_dir=SEEDS, generator="openai", openai=options)
    assert check_generator("openai", settings) == "ok"
    events = list(Assistant(settings).ask_stream("Who leads the Russian delegation?"))
    pieces, answer = events[:-1], events[-1]
    assert len(pieces) > 1 if stream else len(pieces) == 1  # streamed token by token, or in one reply
    assert answer.backend == "openai" and answer.draft.strip()  # the model answered over HTTP
    assert not any("showing quoted evidence" in n or "did not" in n for n in answer.notes)  # no fallback
    assert answer.answer.split(" [")[0] in " ".join(answer.draft.split())  # the verified text is the model's
    assert "Darchiyev" in answer.answer and "Darchiyev" in answer.citations[0].chunk.text
