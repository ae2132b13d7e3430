"""The OpenAI-compatible HTTP API, served by a real uvicorn on 127.0.0.1 and called with the official client."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from openai import OpenAI

from assistant.api import create_app
from assistant.service import Assistant
from assistant.settings import ApiSettings, Settings
from tests.conftest import ROOT, SEEDS
from tests.integration.servers import free_port, serve_app

pytestmark = pytest.mark.integration

TOKEN_ENV = "ASSISTANT_TEST_API_TOKEN"  # a name nobody sets, so the shared server runs without auth
RUSSIAN = "Who leads the Russian delegation?"



@pytest.fixture(scope="module")
def extractive(real_index: Path) -> Assistant:
    """The real assistant whose default generator is extractive."""
    assert TOKEN_ENV not in os.environ
    settings = Settings(index_dir=real_index, seeds_dir=SEEDS, generator="extractive",
                        api=ApiSettings(token_env=TOKEN_ENV))
    return Assistant(settings)


@pytest.fixture(scope="module")
def base_url(extractive: Assistant) -> Iterator[str]:
    """One server without auth, shared by the module."""
    with serve_app(create_app(extractive)) as url:
        yield url


@pytest.fixture
def client(base_url: str) -> OpenAI:
    """The official OpenAI client pointed at the server."""
    return OpenAI(base_url=f"{base_url}/v1", api_key="unused", max_retries=0, timeout=300)


def _ask(client: OpenAI, messages: list[dict[str, str]], model: str = "assistant-extractive") -> Any:
    return client.chat.completions.create(model=model, messages=messages)  # type: ignore[arg-type]


def test_models_lists_one_model_per_generator(client: OpenAI) -> None:
    ids = {m.id for m in client.models.list()}
    assert {"assistant-extractive", "assistant-local", "assistant-openai"} <= ids
    assert all(i.startswith("assistant-") for i in ids)


def test_answer_with_citations(client: OpenAI) -> None:
    reply = _ask(client, [{"role": "system", "content": "Be brief."}, {"role": "user", "content": RUSSIAN}])
    message = reply.choices[0].message
    assert reply.choices[0].finish_reason == "stop" and message.role == "assistant"
    content = message.content or ""
    answer, _, sources = content.partition("\n\nSources:\n")
    assert "Darchiyev" in answer and "[1]" in answer
    assert sources.startswith("[1] ") and '"' in sources
    citations = message.model_extra["citations"]
    assert citations[0]["id"] == 1 and "Darchiyev" in citations[0]["text"]
    assert set(citations[0]) == {"id", "source", "title", "text", "start", "end", "score"}


def test_streamed_answer_is_the_verified_text(client: OpenAI) -> None:
    messages = [{"role": "user", "content": [{"type": "text", "text": RUSSIAN}]}]
    chunks = list(client.chat.completions.create(model="assistant-extractive", messages=messages, stream=True))
    assert chunks[0].choices[0].delta.role == "assistant"
    pieces = [c.choices[0].delta.content for c in chunks if c.choices[0].delta.content]
    assert len(pieces) > 2
    streamed = "".join(pieces)
    assert "Darchiyev" in streamed and "[1]" in streamed
    assert streamed == _ask(client, [{"role": "user", "content": RUSSIAN}]).choices[0].message.content
    final = chunks[-1].choices[0]
    assert final.finish_reason == "stop"
    citations = final.delta.model_extra["citations"]
    assert any("Darchiyev" in c["text"] for c in citations)


def test_follow_up_uses_the_history(client: OpenAI) -> None:
    first = _ask(client, [{"role": "user", "content": RUSSIAN}]).choices[0].message.content
    follow = _ask(client, [
        {"role": "user", "content": RUSSIAN},
        {"role": "assistant", "content": first},
        {"role": "user", "content": "And the American one?"},
    ])
    assert "Coulter" in (follow.choices[0].message.content or "")
    alone = _ask(client, [{"role": "user", "content": "And the American one?"}]).choices[0].message.content
    assert "don't say" in (alone or "")  # without the history the follow-up cannot be answered


def test_abstention_is_a_normal_answer(client: OpenAI) -> None:
    reply = _ask(client, [{"role": "user", "content": "What is the capital of Australia?"}])
    message = reply.choices[0].message
    assert "don't say" in (message.content or "") and "Sources:" not in (message.content or "")
    assert message.model_extra["citations"] == []


def test_unknown_model_is_404(client: OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        _ask(client, [{"role": "user", "content": RUSSIAN}], model="gpt-17")
    assert caught.value.status_code == 404 and caught.value.code == "model_not_found"
    assert "assistant-extractive" in caught.value.message


def test_bad_requests_are_400_in_openai_shape(base_url: str) -> None:
    url = f"{base_url}/v1/chat/completions"
    broken = httpx.post(url, content=b"{not json", headers={"Content-Type": "application/json"})
    assert broken.status_code == 400 and broken.json()["error"]["code"] == "invalid_json"
    no_user = httpx.post(url, json={"model": "assistant-extractive", "messages": [{"role": "system", "content": "x"}]})
    assert no_user.status_code == 400 and no_user.json()["error"]["param"] == "messages"
    empty = httpx.post(url, json={"model": "assistant-extractive", "messages": [{"role": "user", "content": " "}]})
    assert empty.status_code == 400 and set(empty.json()["error"]) == {"message", "type", "param", "code"}
    route = httpx.get(f"{base_url}/v1/nothing-here")
    assert route.status_code == 404 and route.json()["error"]["code"] == "not_found"


def test_health_reports_documents(base_url: str) -> None:
    response = httpx.get(f"{base_url}/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["documents"] >= 1
    assert body["generator"] == {"name": "extractive", "status": "ok"}


def test_health_is_503_on_an_empty_index(tmp_path: Path) -> None:
    settings = Settings(index_dir=tmp_path / "empty", generator="extractive", embedder="fake",
                        api=ApiSettings(token_env=TOKEN_ENV))
    empty = Assistant(settings)  # the fake embedder (tests/conftest.py): nothing to embed here anyway
    with serve_app(create_app(empty)) as url:
        response = httpx.get(f"{url}/health")
        assert response.status_code == 503 and response.json()["status"] == "unavailable"
        ask = httpx.post(f"{url}/v1/chat/completions",
                         json={"model": "assistant-extractive", "messages": [{"role": "user", "content": RUSSIAN}]})
        assert ask.status_code == 503 and ask.json()["error"]["code"] == "index_empty"


def test_bearer_auth(extractive: Assistant, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TOKEN_ENV, "s3cret-token")
    with serve_app(create_app(extractive)) as url:
        for path in ("/health", "/v1/models"):
            missing = httpx.get(f"{url}{path}")
            assert missing.status_code == 401 and missing.json()["error"]["code"] == "invalid_api_key"
        wrong = OpenAI(base_url=f"{url}/v1", api_key="wrong-token", max_retries=0)
        with pytest.raises(openai.AuthenticationError):
            _ask(wrong, [{"role": "user", "content": RUSSIAN}])
        right = OpenAI(base_url=f"{url}/v1", api_key="s3cret-token", max_retries=0, timeout=300)
        assert "assistant-local" in {m.id for m in right.models.list()}
        assert "Darchiyev" in (_ask(right, [{"role": "user", "content": RUSSIAN}]).choices[0].message.content or "")
        health = httpx.get(f"{url}/health", headers={"Authorization": "Bearer s3cret-token"})
        assert health.status_code == 200


def test_oversize_body_is_413(extractive: Assistant) -> None:
    app = create_app(extractive, ApiSettings(token_env=TOKEN_ENV, max_body_bytes=2000))
    body = json.dumps({"model": "assistant-extractive", "messages": [{"role": "user", "content": "x" * 3000}]})
    with serve_app(app) as url:
        declared = httpx.post(f"{url}/v1/chat/completions", content=body, headers={"Content-Type": "application/json"})
        assert declared.status_code == 413 and declared.json()["error"]["code"] == "request_too_large"

        def chunked() -> Iterator[bytes]:  # no Content-Length: the server must count the bytes
            yield body[:1500].encode()
            yield body[1500:].encode()

        streamed = httpx.post(f"{url}/v1/chat/completions", content=chunked())
        assert streamed.status_code == 413
        small = httpx.post(f"{url}/v1/chat/completions", content=b"{}", headers={"Content-Type": "application/json"})
        assert small.status_code == 400  # under the limit, it reaches validation


def test_unexpected_errors_are_a_plain_500(extractive: Assistant) -> None:
    class Broken:
        settings = extractive.settings

        def ask(self, *args: object) -> None:
            raise RuntimeError("secret internals")

    with serve_app(create_app(Broken())) as url:
        response = httpx.post(f"{url}/v1/chat/completions",
                              json={"model": "assistant-extractive", "messages": [{"role": "user", "content": "Hi?"}]})
    assert response.status_code == 500
    assert response.json()["error"]["type"] == "server_error"
    assert "secret internals" not in response.text and "Traceback" not in response.text


def test_local_model_answers(client: OpenAI) -> None:
    reply = _ask(client, [{"role": "user", "content": RUSSIAN}], model="assistant-local")
    content = reply.choices[0].message.content or ""
    assert "Darchiyev" in content and "[1]" in content
    assert any("Darchiyev" in c["text"] for c in reply.choices[0].message.model_extra["citations"])


def test_cli_serve(real_index: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "ASSISTANT_API_TOKEN"}
    cmd = [sys.executable, "-m", "assistant.cli", "--index-dir", str(real_index), "serve", "--port", str(port),
           "--llm", "extractive"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline, health = time.monotonic() + 120, None
        while health is None and time.monotonic() < deadline and proc.poll() is None:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/health")
            except httpx.TransportError:
                time.sleep(0.5)
        assert health is not None and health.status_code == 200, proc.poll()
        models = httpx.get(f"http://127.0.0.1:{port}/v1/models").json()
        assert "assistant-extractive" in [m["id"] for m in models["data"]]
    finally:
        proc.terminate()
        output = proc.communicate(timeout=30)[0]
    assert f"http://127.0.0.1:{port}/v1" in output
