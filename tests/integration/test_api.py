"""The OpenAI-compatible HTTP API, served by a real uvicorn on 127.0.0.1 and called with the official client."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from openai import OpenAI

from assistant.answering.extractive import extractive_answer
from assistant.interfaces.api import create_app
from assistant.interfaces.api_format import ChatMessage, split_conversation
from assistant.service import Assistant
from assistant.settings import ApiSettings, OpenAISettings, Settings
from tests.conftest import ROOT, SEEDS
from tests.fake_openai import Step, serve
from tests.integration.servers import cli_command, free_port, serve_app

pytestmark = pytest.mark.integration

TOKEN_ENV = "ASSISTANT_TEST_API_TOKEN"  # a name nobody sets, so the shared server runs without auth
RUSSIAN = "Who leads the Russian delegation?"


@pytest.fixture(scope="module")
def extractive(real_index: Path) -> Assistant:
    """The real assistant whose default generator is extractive."""
    assert TOKEN_ENV not in os.environ
    settings = Settings(
        index_dir=real_index, seeds_dir=SEEDS, generator="extractive", api=ApiSettings(token_env=TOKEN_ENV)
    )
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
    assert set(citations[0]) == {"id", "source", "title", "section", "text", "start", "end", "score", "quote",
                                 "quote_start", "quote_end"}
    assert message.model_extra["abstained"] is False
    assert reply.usage is not None and reply.usage.total_tokens == 0  # the extractive generator reads no tokens


def test_streamed_answer_ends_with_the_verified_text(client: OpenAI) -> None:
    messages = [{"role": "user", "content": [{"type": "text", "text": RUSSIAN}]}]
    raw = client.chat.completions.with_raw_response.create(
        model="assistant-extractive", messages=messages, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(raw.parse())
    assert chunks[0].choices[0].delta.role == "assistant"
    drafts = [c.choices[0].delta for c in chunks[1:] if c.choices and c.choices[0].finish_reason is None]
    assert drafts and all(d.model_extra["draft"] is True and d.content for d in drafts)
    final = next(c.choices[0] for c in chunks if c.choices and c.choices[0].finish_reason == "stop")
    verified = _ask(client, [{"role": "user", "content": RUSSIAN}]).choices[0].message
    answer = final.delta.model_extra["answer"]
    assert answer["content"] == verified.content and answer["citations"] == verified.model_extra["citations"]
    shown = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert shown.startswith("".join(d.content for d in drafts)) and shown.endswith(answer["content"])
    assert chunks[-1].choices == [] and chunks[-1].usage is not None and chunks[-1].usage.total_tokens == 0
    assert {c.id for c in chunks} == {raw.headers["x-request-id"]}


def test_stream_arrives_as_the_generator_writes(extractive: Assistant) -> None:
    pause = 0.3

    class Unhurried(Assistant):
        """The real assistant whose generator writes the extractive answer a few words at a time, pausing first."""

        def generator(self, name: str | None = None) -> Any:
            return PausingGenerator(pause)

    with serve_app(create_app(Unhurried(extractive.settings))) as url:
        client = OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0, timeout=300)
        start, seen = time.perf_counter(), []
        for chunk in client.chat.completions.create(
            model="assistant-extractive", messages=[{"role": "user", "content": RUSSIAN}], stream=True
        ):
            delta = chunk.choices[0].delta
            seen.append((time.perf_counter() - start, delta.content or "", (delta.model_extra or {}).get("draft")))
    drafts = [t for t, text, draft in seen if draft and text]
    end = seen[-1][0]
    assert len(drafts) >= 4
    assert end - drafts[0] >= (len(drafts) - 2) * pause  # the first piece came while the rest were being written


class PausingGenerator:
    """The extractive answer, a few words at a time, after a pause each."""

    name = "pausing"

    def __init__(self, pause: float) -> None:
        self.pause = pause

    def stream(self, data: Any) -> Iterator[str]:
        words = re.findall(r"\S+\s*", extractive_answer(data))
        for i in range(0, len(words), 6):
            time.sleep(self.pause)
            yield "".join(words[i : i + 6])
        data.completion_tokens = len(words)


def test_quote_offsets_slice_the_document(client: OpenAI, extractive: Assistant) -> None:
    for question in (RUSSIAN, "And the American one?"):
        history = [] if question == RUSSIAN else [{"role": "user", "content": RUSSIAN}]
        message = _ask(client, [*history, {"role": "user", "content": question}]).choices[0].message
        citations = message.model_extra["citations"]
        assert citations
        for citation in citations:
            text = (extractive.document(citation["source"]) or {})["text"]
            assert text[citation["start"] : citation["end"]] == citation["text"]
            assert text[citation["quote_start"] : citation["quote_end"]] == citation["quote"]
            assert len(citation["quote"]) < len(citation["text"])  # a sentence, not the whole passage
            assert " ".join(citation["quote"].split()).strip('"“”.!? ') in (message.content or "")


def test_sources_limit_the_answer(client: OpenAI, extractive: Assistant) -> None:
    source = extractive.documents()[0]
    for name in (source, source.rsplit("/", 1)[-1]):
        reply = client.chat.completions.create(
            model="assistant-extractive",
            messages=[{"role": "user", "content": RUSSIAN}],
            extra_body={"sources": [name]},
        )
        assert {c["source"] for c in reply.choices[0].message.model_extra["citations"]} == {source}
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(
            model="assistant-extractive", messages=[{"role": "user", "content": RUSSIAN}],
            extra_body={"sources": ["no-such-file.txt"]}, stream=True,
        )
    assert caught.value.code == "unknown_source" and caught.value.param == "sources"
    assert "no-such-file.txt" in caught.value.message


def test_follow_up_uses_the_history(client: OpenAI) -> None:
    first = _ask(client, [{"role": "user", "content": RUSSIAN}]).choices[0].message.content
    follow = _ask(
        client,
        [
            {"role": "user", "content": RUSSIAN},
            {"role": "assistant", "content": first},
            {"role": "user", "content": "And the American one?"},
        ],
    )
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
    settings = Settings(
        index_dir=tmp_path / "empty", generator="extractive", embedder="fake", api=ApiSettings(token_env=TOKEN_ENV)
    )
    empty = Assistant(settings)  # the fake embedder (tests/conftest.py): nothing to embed here anyway
    with serve_app(create_app(empty)) as url:
        response = httpx.get(f"{url}/health")
        assert response.status_code == 503 and response.json()["status"] == "unavailable"
        ask = httpx.post(
            f"{url}/v1/chat/completions",
            json={"model": "assistant-extractive", "messages": [{"role": "user", "content": RUSSIAN}]},
        )
        assert ask.status_code == 503 and ask.json()["error"]["code"] == "index_empty"


def _openai_assistant(index: Path, base_url: str, **fields: Any) -> Assistant:
    """The real assistant whose default generator is an OpenAI-compatible endpoint at base_url (on 127.0.0.1)."""
    llm = OpenAISettings(
        base_url=base_url, model="m", api_key_env="ASSISTANT_TEST_LLM_KEY", timeout_s=2.0, max_retries=0
    )
    return Assistant(
        Settings(
            index_dir=index,
            seeds_dir=SEEDS,
            generator="openai",
            openai=llm,
            api=ApiSettings(token_env=TOKEN_ENV),
            **fields,
        )
    )


@pytest.fixture(scope="module")
def dead_llm_url(real_index: Path) -> Iterator[str]:
    """A server whose default generator points at a port on 127.0.0.1 where nothing listens."""
    with serve_app(create_app(_openai_assistant(real_index, f"http://127.0.0.1:{free_port()}/v1"))) as url:
        yield url


def test_health_is_503_when_the_llm_is_unreachable(dead_llm_url: str) -> None:
    response = httpx.get(f"{dead_llm_url}/health")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable" and body["documents"] >= 1
    assert body["generator"]["name"] == "openai" and body["generator"]["status"].startswith("unreachable")


def test_health_is_200_when_the_llm_is_reachable(real_index: Path) -> None:
    with serve([Step()]) as (llm_url, _), serve_app(create_app(_openai_assistant(real_index, llm_url))) as url:
        response = httpx.get(f"{url}/health")
    assert response.status_code == 200
    assert response.json()["generator"] == {"name": "openai", "status": "ok"}


def test_failing_llm_gives_the_quoted_fallback_marked_as_such(dead_llm_url: str) -> None:
    client = OpenAI(base_url=f"{dead_llm_url}/v1", api_key="unused", max_retries=0, timeout=300)
    raw = client.chat.completions.with_raw_response.create(
        model="assistant-openai", messages=[{"role": "user", "content": RUSSIAN}]
    )
    assert raw.status_code == 200 and raw.headers["x-assistant-fallback"] == "true"
    message = raw.parse().choices[0].message
    answer, _, rest = (message.content or "").partition("\n\nSources:\n")
    assert "Darchiyev" in answer and "[1]" in answer
    assert "\n\nNote: " in rest and "unreachable" in rest and "showing quoted evidence" in rest
    extra = message.model_extra
    assert extra["fallback"] is True and "unreachable" in extra["notes"][0]
    assert any("Darchiyev" in c["text"] for c in extra["citations"])
    streamed = list(
        client.chat.completions.create(
            model="assistant-openai", messages=[{"role": "user", "content": RUSSIAN}], stream=True
        )
    )
    assert "".join(c.choices[0].delta.content or "" for c in streamed) == message.content  # no draft was written
    final = streamed[-1].choices[0].delta.model_extra["answer"]
    assert final["fallback"] is True and final["notes"] == extra["notes"] and final["citations"] == extra["citations"]


def test_history_drops_the_sources_and_note_of_a_fallback(dead_llm_url: str) -> None:
    fallback = OpenAI(base_url=f"{dead_llm_url}/v1", api_key="unused", max_retries=0, timeout=300)
    first = _ask(fallback, [{"role": "user", "content": RUSSIAN}], model="assistant-openai").choices[0].message.content
    assert first and "\n\nNote: " in first
    turns = [("user", RUSSIAN), ("assistant", first), ("user", "And the American one?")]
    question, history = split_conversation([ChatMessage(role=r, content=c) for r, c in turns])
    assert question == "And the American one?"
    assert history[1]["content"] == first.split("\n\n")[0] and "Darchiyev" in history[1]["content"]


def test_working_answer_is_not_marked_as_fallback(client: OpenAI) -> None:
    raw = client.chat.completions.with_raw_response.create(
        model="assistant-extractive", messages=[{"role": "user", "content": RUSSIAN}]
    )
    assert raw.headers["x-assistant-fallback"] == "false"
    message = raw.parse().choices[0].message
    assert message.model_extra["fallback"] is False and "Note:" not in (message.content or "")


def test_generator_that_cannot_be_built_is_503(real_index: Path, tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{free_port()}/v1"
    broken = _openai_assistant(real_index, dead, prompts_dir=tmp_path / "no-prompts")  # the prompt files are missing
    with serve_app(create_app(broken)) as url:
        client = OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0, timeout=300)
        with pytest.raises(openai.InternalServerError) as caught:
            _ask(client, [{"role": "user", "content": RUSSIAN}], model="assistant-openai")
        with pytest.raises(openai.InternalServerError) as streamed:
            client.chat.completions.create(
                model="assistant-openai", messages=[{"role": "user", "content": RUSSIAN}], stream=True
            )
    for error in (caught.value, streamed.value):
        assert error.status_code == 503 and error.code == "backend_unavailable"
        assert error.type == "server_error" and "prompt file missing" in error.message


def test_bearer_auth(extractive: Assistant, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TOKEN_ENV, "s3cret-token")
    with serve_app(create_app(extractive)) as url:
        for path in ("/health", "/v1/models"):
            missing = httpx.get(f"{url}{path}")
            assert missing.status_code == 401 and missing.json()["error"]["code"] == "invalid_api_key"
        omitted = {"Authorization": openai.Omit()}  # the official client then sends no Authorization header
        for key, headers in (("unused", omitted), ("wrong-token", {})):
            refused = OpenAI(base_url=f"{url}/v1", api_key=key, max_retries=0)
            with pytest.raises(openai.AuthenticationError) as caught:
                refused.chat.completions.create(
                    model="assistant-extractive", messages=[{"role": "user", "content": RUSSIAN}], extra_headers=headers
                )
            assert caught.value.status_code == 401 and caught.value.code == "invalid_api_key"
            assert caught.value.response.headers["www-authenticate"] == "Bearer"
            assert "authorization" not in caught.value.request.headers or key == "wrong-token"
        right = OpenAI(base_url=f"{url}/v1", api_key="s3cret-token", max_retries=0, timeout=300)
        assert "assistant-local" in {m.id for m in right.models.list()}
        assert "Darchiyev" in (_ask(right, [{"role": "user", "content": RUSSIAN}]).choices[0].message.content or "")
        health = httpx.get(f"{url}/health", headers={"Authorization": "Bearer s3cret-token"})
        assert health.status_code == 200


def test_oversize_body_is_413(extractive: Assistant) -> None:
    app = create_app(extractive, ApiSettings(token_env=TOKEN_ENV, max_body_bytes=2000))
    body = json.dumps({"model": "assistant-extractive", "messages": [{"role": "user", "content": "x" * 3000}]})
    with serve_app(app) as url:
        client = OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0)
        with pytest.raises(openai.APIStatusError) as caught:
            _ask(client, [{"role": "user", "content": "x" * 3000}])
        assert caught.value.status_code == 413 and caught.value.code == "request_too_large"
        assert "2000 bytes" in caught.value.message

        def chunked() -> Iterator[bytes]:  # no Content-Length: the server must count the bytes
            yield body[:1500].encode()
            yield body[1500:].encode()

        json_type = {"Content-Type": "application/json"}
        streamed = httpx.post(f"{url}/v1/chat/completions", content=chunked(), headers=json_type)
        assert streamed.status_code == 413
        small = httpx.post(f"{url}/v1/chat/completions", content=b"{}", headers={"Content-Type": "application/json"})
        assert small.status_code == 400  # under the limit, it reaches validation


def test_unexpected_errors_are_a_plain_500(extractive: Assistant) -> None:
    class Broken:
        settings = extractive.settings

        def ask_stream(self, *args: object, **kwargs: object) -> None:
            raise RuntimeError("secret internals")

    with serve_app(create_app(Broken())) as url:
        response = httpx.post(
            f"{url}/v1/chat/completions",
            json={"model": "assistant-extractive", "messages": [{"role": "user", "content": "Hi?"}]},
        )
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
    cmd = cli_command(real_index, "serve", "--port", str(port), "--llm", "extractive")
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline, health = time.monotonic() + 600, None
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
        output = proc.communicate(timeout=120)[0]
    assert f"http://127.0.0.1:{port}/v1" in output


JSON = {"Content-Type": "application/json"}


def test_undecodable_and_deeply_nested_bodies_are_400(base_url: str) -> None:
    url = f"{base_url}/v1/chat/completions"
    body = b'{"model":"assistant-extractive","messages":[{"role":"user","content":"\\ud800 hi"}]}'
    surrogate = httpx.post(url, content=body, headers=JSON)
    assert surrogate.status_code == 400 and surrogate.json()["error"]["code"] == "invalid_request"
    assert "cannot be decoded" in surrogate.json()["error"]["message"]
    for deep in (b"[" * 100_000, b'{"a":' * 100_000):
        nested = httpx.post(url, content=deep, headers=JSON)
        assert nested.status_code == 400 and "deeper than 32 levels" in nested.json()["error"]["message"]


def test_cross_site_requests_are_refused_without_a_token(base_url: str) -> None:
    url = f"{base_url}/v1/chat/completions"
    body = json.dumps({"model": "assistant-extractive", "messages": [{"role": "user", "content": RUSSIAN}]})
    plain = httpx.post(url, content=body, headers={"Content-Type": "text/plain"})
    assert plain.status_code == 415 and plain.json()["error"]["code"] == "unsupported_media_type"
    rebound = httpx.post(url, content=body, headers={"Content-Type": "text/plain", "Host": "evil.example:8000"})
    assert rebound.status_code == 403 and rebound.json()["error"]["code"] == "host_not_allowed"
    origin = httpx.post(url, content=body, headers={**JSON, "Origin": "http://evil.example"})
    assert origin.status_code == 403 and origin.json()["error"]["code"] == "origin_not_allowed"
    assert httpx.get(f"{base_url}/v1/models", headers={"Host": f"localhost:{base_url.rsplit(':', 1)[1]}"}).is_success


def test_padded_and_non_ascii_tokens_over_http(extractive: Assistant, monkeypatch: pytest.MonkeyPatch) -> None:
    umlauts = "pässwörd-ü"
    accepted = {
        "  s3cret  ": [b"Bearer s3cret", b"Bearer   s3cret"],  # HTTP itself drops trailing whitespace
        umlauts: [f"Bearer {umlauts}".encode(), f"Bearer {umlauts}".encode("latin-1")],  # httpx, http.client
    }
    for token, headers in accepted.items():
        monkeypatch.setenv(TOKEN_ENV, token)
        with serve_app(create_app(extractive)) as url:
            for header in headers:
                assert httpx.get(f"{url}/v1/models", headers={"Authorization": header}).status_code == 200, header
            wrong = httpx.get(f"{url}/v1/models", headers={"Authorization": "Bearer pässwörd".encode()})
            assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"


def _until(condition: Callable[[], bool], what: str, limit: float = 60.0) -> None:
    """Poll condition; fail after a generous hang guard."""
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def test_a_client_that_leaves_the_queue_frees_its_place(extractive: Assistant) -> None:
    gate, asked = threading.Event(), []

    class Slow:
        """The real assistant, whose answers wait for the gate."""

        settings = extractive.settings
        documents = extractive.documents

        def ask_stream(self, question: str, history: list[dict[str, str]], generator: str, **kwargs: Any) -> Any:
            asked.append(question)
            gate.wait(60)
            return extractive.ask_stream(question, history, generator, **kwargs)

    chat = {"model": "assistant-extractive", "messages": [{"role": "user", "content": RUSSIAN}]}
    app = create_app(Slow(), ApiSettings(token_env=TOKEN_ENV, max_queue=1))
    with serve_app(app) as url, ThreadPoolExecutor(1) as pool:
        waiting = lambda: httpx.get(f"{url}/health", timeout=10).json()["queue"]["waiting"]  # noqa: E731
        try:
            first = pool.submit(httpx.post, f"{url}/v1/chat/completions", json=chat, timeout=120)
            _until(lambda: bool(asked), "the first answer to start")
            body = json.dumps({**chat, "messages": [{"role": "user", "content": "Who leaves?"}]}).encode()
            port = int(url.rsplit(":", 1)[1])
            with socket.create_connection(("127.0.0.1", port), timeout=10) as leaver:
                leaver.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                               b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
                _until(lambda: waiting() == 1, "the second request to wait")
                full = httpx.post(f"{url}/v1/chat/completions", json=chat, timeout=10)
                assert full.status_code == 503 and full.json()["error"]["code"] == "queue_full"
                assert int(full.headers["retry-after"]) >= 1
            _until(lambda: waiting() == 0, "the leaver's place to be freed")  # while the first answer still runs
            assert httpx.get(f"{url}/v1/models", timeout=10).status_code == 200
        finally:
            gate.set()
        assert first.result().status_code == 200
    assert asked == [RUSSIAN]  # the leaver's question was never answered
