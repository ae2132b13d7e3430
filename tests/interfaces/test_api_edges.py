"""Edges of the HTTP API, in-process over a fake assistant: undecodable text, deep JSON, cross-site requests,
tokens that are not plain ASCII, and the bounded answer queue (503 + Retry-After, disconnects, /health)."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

import assistant.service
from assistant.interfaces import api as api_module
from assistant.interfaces.api import create_app
from assistant.models import Answer
from assistant.settings import ApiSettings, Settings
from tests.interfaces.asgi_helpers import HANG_GUARD
from tests.interfaces.asgi_helpers import run_guarded as _run
from tests.interfaces.asgi_helpers import until as _until

TOKEN_ENV = "ASSISTANT_TEST_EDGES_TOKEN"  # a name nobody sets: no auth unless a test sets it
BASE = "http://127.0.0.1:8000"
JSON = {"Content-Type": "application/json"}


class FakeAssistant:
    """Echoes the question; ask may block on a gate (a threading.Event) or take a fixed delay."""

    def __init__(self, settings: Settings, gate: threading.Event | None = None, delay: float = 0.0) -> None:
        """Answer with these settings; ask waits for gate (if any), then sleeps delay seconds."""
        self.settings, self.gate, self.delay = settings, gate, delay
        self.asked: list[str] = []
        self.started = threading.Event()

    def check_index(self) -> None:
        """Nothing to repair."""

    def ask_stream(
        self, question: str, history: list[dict[str, str]], generator: str, sources: list[str] | None = None
    ) -> Iterator[str | Answer]:
        """The question echoed, after the gate opens (run on the answer thread when first iterated)."""
        self.asked.append(question)
        self.started.set()
        if self.gate is not None:
            self.gate.wait(HANG_GUARD)
        if self.delay:
            time.sleep(self.delay)
        yield Answer(question=question, answer=f"You asked: {question}", abstained=False)

    def documents(self) -> list[str]:
        """One indexed document."""
        return ["doc"]


def _settings(tmp_path: Path, **api: Any) -> Settings:
    """Extractive default generator (health checks it without any I/O) and the test's token variable."""
    return Settings(index_dir=tmp_path / "index", generator="extractive", api=ApiSettings(token_env=TOKEN_ENV, **api))


def _chat(question: str = "Who?", **extra: Any) -> dict[str, Any]:
    """A chat completion request body."""
    return {"model": "assistant-extractive", "messages": [{"role": "user", "content": question}], **extra}


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    """An in-process client of an app over the fake assistant, addressed as 127.0.0.1:8000."""
    with TestClient(create_app(FakeAssistant(_settings(tmp_path))), base_url=BASE) as http:
        yield http


def _error(response: httpx.Response, status: int) -> dict[str, Any]:
    """The OpenAI error object of a response that must have this status."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body["error"]) == {"message", "type", "param", "code"}
    return body["error"]


# --- 1. text that cannot be decoded ------------------------------------------------------------
def test_lone_surrogate_is_400(client: TestClient) -> None:
    body = b'{"model":"assistant-extractive","messages":[{"role":"user","content":"\\ud800 hi"}]}'
    error = _error(client.post("/v1/chat/completions", content=body, headers=JSON), 400)
    assert error["code"] == "invalid_request" and "cannot be decoded" in error["message"]
    assert error["param"] == "messages.0.content"
    key = b'{"model":"assistant-extractive","messages":[{"role":"user","content":"hi"}],"\\udfff":1}'
    assert _error(client.post("/v1/chat/completions", content=key, headers=JSON), 400)["code"] == "invalid_request"
    pair = b'{"model":"assistant-extractive","messages":[{"role":"user","content":"\\ud83d\\ude00 hi"}]}'
    reply = client.post("/v1/chat/completions", content=pair, headers=JSON)
    assert reply.status_code == 200 and "\U0001f600 hi" in reply.json()["choices"][0]["message"]["content"]


def test_invalid_utf8_is_400(client: TestClient) -> None:
    body = json.dumps(_chat("caf\u00e9"), ensure_ascii=False).encode("latin-1")
    error = _error(client.post("/v1/chat/completions", content=body, headers=JSON), 400)
    assert "utf-8" in error["message"].lower()


# --- 2. deeply nested JSON ---------------------------------------------------------------------
def test_deeply_nested_json_is_400(client: TestClient) -> None:
    for body in (b"[" * 100_000, b'{"a":' * 100_000, b"[" * 100_000 + b"]" * 100_000):
        error = _error(client.post("/v1/chat/completions", content=body, headers=JSON), 400)
        assert "32 levels" in error["message"] and error["code"] == "invalid_json"
    deep = json.dumps(_chat(metadata=json.loads("[" * 40 + "]" * 40)))
    assert _error(client.post("/v1/chat/completions", content=deep, headers=JSON), 400)["code"] == "invalid_json"


def test_brackets_inside_strings_and_shallow_nesting_are_fine(client: TestClient) -> None:
    question = '[{"\\' * 2000 + "?"  # brackets, quotes and backslashes inside a string are not nesting
    ok = json.dumps(_chat(question, metadata=json.loads("[" * 25 + "]" * 25)))
    reply = client.post("/v1/chat/completions", content=ok, headers=JSON)
    assert reply.status_code == 200 and question in reply.json()["choices"][0]["message"]["content"]


# --- 3. cross-site requests and DNS rebinding without a token ----------------------------------
def test_post_must_be_json(client: TestClient) -> None:
    body = json.dumps(_chat()).encode()
    for kind in ("text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded",
                 "multipart/form-data; boundary=x", "application/json; charset=latin-1", "application/jsonx"):
        error = _error(client.post("/v1/chat/completions", content=body, headers={"Content-Type": kind}), 415)
        assert "application/json" in error["message"] and error["code"] == "unsupported_media_type"
    _error(client.post("/v1/chat/completions", content=body), 415)  # no Content-Type at all
    for kind in ("application/json", "application/json; charset=utf-8", "Application/JSON;charset=UTF-8"):
        assert client.post("/v1/chat/completions", content=body, headers={"Content-Type": kind}).status_code == 200


def test_foreign_host_or_origin_is_403_without_a_token(client: TestClient) -> None:
    body = json.dumps(_chat()).encode()
    for host in ("evil.example", "evil.example:8000", "127.0.0.1.evil.example", "localhost.evil.example:8000"):
        error = _error(client.get("/v1/models", headers={"Host": host}), 403)
        assert error["code"] == "host_not_allowed" and host.split(":")[0] in error["message"]
        plain = {"Host": host, "Content-Type": "text/plain"}  # the DNS-rebinding / cross-site pattern
        assert client.post("/v1/chat/completions", content=body, headers=plain).status_code == 403
    for origin in ("http://evil.example", "https://evil.example:8000", "null"):
        error = _error(client.post("/v1/chat/completions", content=body, headers={**JSON, "Origin": origin}), 403)
        assert error["code"] == "origin_not_allowed"
    for host in ("127.0.0.1:8000", "localhost", "LOCALHOST:8000", "[::1]:8000", "localhost."):
        assert client.get("/health", headers={"Host": host}).status_code == 200, host
    for origin in ("http://localhost:3000", "http://127.0.0.1:8000", "http://[::1]:8000"):
        reply = client.post("/v1/chat/completions", content=body, headers={**JSON, "Origin": origin})
        assert reply.status_code == 200, origin


def test_configured_and_allowed_hosts_pass(tmp_path: Path) -> None:
    settings = _settings(tmp_path, host="assistant.lan", allowed_hosts=["ask.example.org"])
    with TestClient(create_app(FakeAssistant(settings)), base_url=BASE) as http:
        for host in ("assistant.lan:8000", "ASSISTANT.LAN", "ask.example.org", "localhost:8000"):
            assert http.get("/v1/models", headers={"Host": host}).status_code == 200, host
        assert http.get("/v1/models", headers={"Origin": "http://assistant.lan:8000"}).status_code == 200
        assert http.get("/v1/models", headers={"Host": "evil.example"}).status_code == 403
    wildcard = _settings(tmp_path, host="0.0.0.0")
    with TestClient(create_app(FakeAssistant(wildcard)), base_url=BASE) as http:
        for host in ("192.168.1.5:8000", "[fe80::1]:8000", "localhost"):  # an address literal cannot be rebound
            assert http.get("/v1/models", headers={"Host": host}).status_code == 200, host
        assert http.get("/v1/models", headers={"Host": "evil.example"}).status_code == 403
        assert http.get("/v1/models", headers={"Origin": "http://192.168.1.9"}).status_code == 403


def test_a_token_makes_host_and_origin_irrelevant(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TOKEN_ENV, "s3cret")
    with TestClient(create_app(FakeAssistant(_settings(tmp_path))), base_url=BASE) as http:
        foreign = {"Host": "proxy.example", "Origin": "https://chat.example"}
        assert http.get("/v1/models", headers={**foreign, "Authorization": "Bearer s3cret"}).status_code == 200
        assert _error(http.get("/v1/models", headers=foreign), 401)["code"] == "invalid_api_key"
        plain = {"Authorization": "Bearer s3cret", "Content-Type": "text/plain"}
        assert http.post("/v1/chat/completions", content=json.dumps(_chat()), headers=plain).status_code == 415


def test_serve_passes_the_bound_host_to_the_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    apps: list[FastAPI] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: apps.append(app))
    monkeypatch.setattr(assistant.service, "Assistant", FakeAssistant)
    with caplog.at_level(logging.WARNING, logger="assistant.api"):
        api_module.serve(_settings(tmp_path, host="assistant.lan", port=9123))
    assert "without a bearer token" in caplog.text
    with TestClient(apps[0], base_url="http://assistant.lan:9123") as http:
        assert http.get("/v1/models").status_code == 200
        assert http.get("/v1/models", headers={"Host": "evil.example:9123"}).status_code == 403


# --- 4. tokens with padding or non-ASCII characters --------------------------------------------
@pytest.mark.parametrize("token", ["  s3cret  ", "pässwörd-ü", "s3cret\n"])
def test_tokens_work_as_set(token: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TOKEN_ENV, token)
    with TestClient(create_app(FakeAssistant(_settings(tmp_path))), base_url=BASE) as http:
        sent = [f"Bearer {token}".encode(), f"Bearer {token.strip()}".encode()]  # as set, and as most servers pass it
        if token.isascii():
            sent.append(f"Bearer  {token}".encode())
        else:
            sent.append(f"Bearer {token}".encode("latin-1"))  # http.client (requests, urllib) sends latin-1
        for header in sent:
            assert http.get("/v1/models", headers={"Authorization": header}).status_code == 200, header
        for wrong in (b"Bearer ", f"Bearer {token.strip()}x".encode(), f"Bearer {token.strip()[:-1]}".encode(),
                      f"Basic {token}".encode()):
            assert _error(http.get("/v1/models", headers={"Authorization": wrong}), 401)["code"] == "invalid_api_key"


def test_blank_token_means_no_auth(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TOKEN_ENV, "   ")
    with TestClient(create_app(FakeAssistant(_settings(tmp_path))), base_url=BASE) as http:
        assert http.get("/v1/models").status_code == 200
        assert http.get("/v1/models", headers={"Host": "evil.example"}).status_code == 403  # the no-token checks apply


# --- 5. the bounded answer queue ---------------------------------------------------------------
async def _until_queued(http: httpx.AsyncClient, count: int) -> None:
    """Poll /health until exactly count answers wait."""
    with anyio.fail_after(HANG_GUARD):
        while (await http.get("/health")).json()["queue"]["waiting"] != count:
            await anyio.sleep(0.01)


async def _post(http: httpx.AsyncClient, replies: dict[str, httpx.Response], name: str) -> None:
    """POST the question `name`; keep the reply under that name."""
    replies[name] = await http.post("/v1/chat/completions", json=_chat(name))


def _client(app: FastAPI) -> httpx.AsyncClient:
    """An in-process async client (no sockets)."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE, timeout=HANG_GUARD * 2)


def test_full_queue_is_503_with_retry_after(tmp_path: Path) -> None:
    gate = threading.Event()
    fake = FakeAssistant(_settings(tmp_path, max_queue=2), gate=gate)
    app = create_app(fake)
    replies: dict[str, httpx.Response] = {}

    async def scenario() -> None:
        async with _client(app) as http, anyio.create_task_group() as tasks:
            try:
                tasks.start_soon(_post, http, replies, "running")
                await _until(fake.started.is_set, "the first answer starts")
                tasks.start_soon(_post, http, replies, "first waiter")
                tasks.start_soon(_post, http, replies, "second waiter")
                await _until_queued(http, 2)
                with anyio.fail_after(HANG_GUARD):
                    full = await http.post("/v1/chat/completions", json=_chat("one too many"))
                error = _error(full, 503)
                assert error["code"] == "queue_full" and error["type"] == "server_error"
                assert int(full.headers["Retry-After"]) >= 1
            finally:
                gate.set()
        assert [replies[n].status_code for n in ("running", "first waiter", "second waiter")] == [200, 200, 200]
        assert fake.asked == ["running", "first waiter", "second waiter"]

    _run(scenario)


async def _raw_post(app: FastAPI, body: bytes, gone: anyio.Event) -> list[dict[str, Any]]:
    """Drive the ASGI app like a server whose client disconnects once `gone` is set; the messages it sent."""
    sent: list[dict[str, Any]] = []
    delivered = False

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    headers = [(b"host", b"127.0.0.1:8000"), (b"content-type", b"application/json"),
               (b"content-length", str(len(body)).encode())]
    scope = {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}, "http_version": "1.1",
             "method": "POST", "scheme": "http", "path": "/v1/chat/completions", "raw_path": b"/v1/chat/completions",
             "root_path": "", "query_string": b"", "headers": headers, "client": ("127.0.0.1", 50000),
             "server": ("127.0.0.1", 8000)}
    await app(scope, receive, send)
    return sent


def test_disconnected_waiter_gives_up_its_place(tmp_path: Path) -> None:
    gate = threading.Event()
    fake = FakeAssistant(_settings(tmp_path, max_queue=1), gate=gate)
    app = create_app(fake)
    replies: dict[str, httpx.Response] = {}
    gone, left = anyio.Event(), anyio.Event()

    async def leaver() -> None:
        await _raw_post(app, json.dumps(_chat("leaver")).encode(), gone)
        left.set()

    async def scenario() -> None:
        async with _client(app) as http, anyio.create_task_group() as tasks:
            try:
                tasks.start_soon(_post, http, replies, "running")
                await _until(fake.started.is_set, "the first answer starts")
                tasks.start_soon(leaver)
                await _until_queued(http, 1)
                with anyio.fail_after(HANG_GUARD):
                    refused = await http.post("/v1/chat/completions", json=_chat("refused"))
                assert refused.status_code == 503
                gone.set()  # the waiting client hangs up: its place is freed at once, not when its turn comes
                with anyio.fail_after(HANG_GUARD):
                    await left.wait()
                await _until_queued(http, 0)
                tasks.start_soon(_post, http, replies, "next")
                await _until_queued(http, 1)
            finally:
                gate.set()
        assert replies["running"].status_code == 200 and replies["next"].status_code == 200
        assert fake.asked == ["running", "next"]  # the leaver's answer never ran

    _run(scenario)


def test_health_and_models_answer_while_answers_queue(tmp_path: Path) -> None:
    gate = threading.Event()
    fake = FakeAssistant(_settings(tmp_path, max_queue=8), gate=gate)
    app = create_app(fake)
    statuses: list[int] = []

    async def post(http: httpx.AsyncClient, n: int) -> None:
        statuses.append((await http.post("/v1/chat/completions", json=_chat(f"q{n}"))).status_code)

    async def scenario() -> None:
        async with _client(app) as http, anyio.create_task_group() as tasks:
            try:
                for n in range(60):  # more than AnyIO's 40 default worker threads
                    tasks.start_soon(post, http, n)
                await _until(fake.started.is_set, "the first answer starts")
                await _until_queued(http, 8)
                with anyio.fail_after(HANG_GUARD):
                    health = await http.get("/health")
                    models = await http.get("/v1/models")
                assert health.status_code == 200 and health.json()["queue"]["waiting"] == 8
                assert models.status_code == 200
                await _until(lambda: len(statuses) == 51, "the requests beyond the queue are refused")
                assert set(statuses) == {503}
            finally:
                gate.set()
        assert statuses.count(200) == 9 and statuses.count(503) == 51

    _run(scenario)


def test_probe_100_concurrent_requests(tmp_path: Path) -> None:
    fake = FakeAssistant(_settings(tmp_path), delay=0.02)  # ~20 ms per answer, default max_queue
    app = create_app(fake)
    results: list[tuple[int, float]] = []
    health_ms: list[float] = []

    async def post(http: httpx.AsyncClient, n: int) -> None:
        start = time.perf_counter()
        status = (await http.post("/v1/chat/completions", json=_chat(f"q{n}"))).status_code
        results.append((status, (time.perf_counter() - start) * 1000))

    async def probe_health(http: httpx.AsyncClient) -> None:
        await _until(fake.started.is_set, "the first answer starts")
        start = time.perf_counter()
        assert (await http.get("/health")).status_code == 200
        health_ms.append((time.perf_counter() - start) * 1000)

    async def scenario() -> None:
        async with _client(app) as http, anyio.create_task_group() as tasks:
            for n in range(100):
                tasks.start_soon(post, http, n)
            tasks.start_soon(probe_health, http)

    _run(scenario)
    answered, refused = ([ms for status, ms in results if status == code] for code in (200, 503))
    assert len(results) == 100 and answered and len(refused) + len(answered) == 100

    def p95(values: list[float]) -> float:
        return sorted(values)[max(0, round(0.95 * len(values)) - 1)] if values else float("nan")

    print(f"\nprobe: 100 concurrent requests, ~20 ms each: {len(answered)} answered (p95 {p95(answered):.0f} ms), "
          f"{len(refused)} refused with 503 (p95 {p95(refused):.0f} ms); /health while queued {health_ms[0]:.1f} ms")
