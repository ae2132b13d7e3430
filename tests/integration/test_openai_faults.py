"""Faults of an OpenAI-compatible endpoint, over real sockets: each ends in an answer or the quoted fallback."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import pytest

from assistant.service import Assistant
from assistant.settings import GeneratorProfile, OpenAISettings, Settings
from tests.conftest import SEEDS
from tests.fake_openai import Step, serve
from tests.integration.servers import free_port

pytestmark = pytest.mark.integration
QUESTION = "Who leads the Russian delegation?"
SECRET = "sk-test-5ecret-never-shown-0123456789"


@pytest.fixture
def make(real_index: Path, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    monkeypatch.setenv("TEST_LLM_KEY", SECRET)

    def build(base_url: str, **options: object) -> Assistant:
        fields = {"base_url": base_url, "model": "m", "api_key_env": "TEST_LLM_KEY", "timeout_s": 2.0, **options}
        openai = OpenAISettings(**fields)
        return Assistant(Settings(index_dir=real_index, seeds_dir=SEEDS, generator="openai", openai=openai))

    return build


def _fell_back(answer) -> bool:  # noqa: ANN001
    return any("showing quoted evidence" in n for n in answer.notes)


@pytest.mark.parametrize("stream", [True, False])
def test_healthy_endpoint_answers(make, stream: bool) -> None:  # noqa: ANN001
    with serve([Step()]) as (url, script):
        answer = make(url, stream=stream).ask(QUESTION)
    assert not _fell_back(answer) and "Darchiyev" in answer.answer and answer.citations
    assert answer.answer.startswith("Alexander Darchiyev will lead the Russian delegation [1]")
    assert script.headers[0]["authorization"] == f"Bearer {SECRET}"


def test_server_not_listening(make) -> None:  # noqa: ANN001
    answer = make(f"http://127.0.0.1:{free_port()}/v1", max_retries=1).ask(QUESTION)
    assert _fell_back(answer) and "unreachable" in answer.notes[0] and "openai.base_url" in answer.notes[0]
    assert "Darchiyev" in answer.answer and answer.citations


def test_server_that_hangs_times_out(make) -> None:  # noqa: ANN001
    with serve([Step(hang=6)]) as (url, _):
        answer = make(url, timeout_s=1.0, max_retries=0).ask(QUESTION)
    # the generator's own clock, so building the assistant and retrieval on a busy machine don't count
    assert 900 <= answer.timings_ms["generate"] < 6000  # the 1 s timeout, not the 6 s hang, bounded the wait
    assert _fell_back(answer) and "did not respond within 1s" in answer.notes[0]


def test_stream_broken_midway_shows_quotes_not_the_partial_draft(make) -> None:  # noqa: ANN001
    with serve([Step(cut=3)]) as (url, script):
        events = list(make(url, max_retries=2).ask_stream(QUESTION))
    pieces, answer = events[:-1], events[-1]
    assert "".join(pieces) == "Alexander Darchiyev will" and len(script.requests) == 1  # not retried mid-answer
    assert _fell_back(answer) and answer.draft == ""
    assert answer.answer.endswith(" [1]") and "Darchiyev will lead" not in answer.answer
    assert answer.answer.removesuffix(" [1]") in " ".join(answer.citations[0].chunk.text.split())


def test_500_then_200_is_retried(make) -> None:  # noqa: ANN001
    with serve([Step(status=500, body='{"error": {"message": "boom"}}'), Step()]) as (url, script):
        answer = make(url, max_retries=2).ask(QUESTION)
    assert len(script.requests) == 2 and not _fell_back(answer) and "Darchiyev" in answer.answer


def test_429_honours_retry_after(make) -> None:  # noqa: ANN001
    limited = Step(status=429, body='{"error": {"message": "slow down"}}', headers={"Retry-After": "1"})
    start = time.perf_counter()
    with serve([limited, Step()]) as (url, script):
        answer = make(url, max_retries=2).ask(QUESTION)
    assert time.perf_counter() - start >= 1.0
    assert len(script.requests) == 2 and not _fell_back(answer)


def test_malformed_json_body(make) -> None:  # noqa: ANN001
    with serve([Step(body="this is { not json")]) as (url, _):
        answer = make(url, stream=False).ask(QUESTION)
    assert _fell_back(answer) and "could not be read" in answer.notes[0]
    assert "Darchiyev" in answer.answer


def test_wrong_model_name(make) -> None:  # noqa: ANN001
    missing = Step(status=404, body='{"error": {"message": "model not found", "type": "invalid_request_error"}}')
    with serve([missing]) as (url, script):
        answer = make(url, max_retries=2).ask(QUESTION)
    assert len(script.requests) == 1  # not retried
    assert _fell_back(answer) and "openai.model" in answer.notes[0]


def test_api_key_never_shown(make, caplog: pytest.LogCaptureFixture) -> None:  # noqa: ANN001
    caplog.set_level(logging.DEBUG)
    refused = Step(status=401, body=json.dumps({"error": {"message": f"Incorrect API key provided: {SECRET}"}}))
    with serve([refused]) as (url, _):
        assistant = make(url)
        answer = assistant.ask(QUESTION)
    from assistant.interfaces.chat.app import render

    shown = " ".join([answer.answer, *answer.notes, render(answer), caplog.text, repr(assistant.settings)])
    assert "TEST_LLM_KEY" in answer.notes[0]
    assert SECRET not in shown


def test_a_reading_profile_sends_whole_passages_and_believes_not_in_the_documents(
    real_index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_LLM_KEY", SECRET)
    reader = GeneratorProfile(reads="passages", prompt="answer_passages", believe_abstention=True, check="claims")
    with serve([Step(text="NOT IN THE DOCUMENTS")]) as (url, script):
        openai = OpenAISettings(base_url=url, model="m", api_key_env="TEST_LLM_KEY", timeout_s=5.0)
        settings = Settings(index_dir=real_index, seeds_dir=SEEDS, generator="openai", openai=openai,
                            profiles={"openai": reader})
        answer = Assistant(settings).ask(QUESTION)
    prompt = script.requests[0]["messages"][-1]["content"]
    assert "[1] (" in prompt and "reply with exactly: NOT IN THE DOCUMENTS" in prompt  # numbered, headed passages
    assert len(prompt) > 1500  # whole chunks, not three sentences
    assert answer.abstained and answer.draft_outcome == "abstained" and not answer.citations
