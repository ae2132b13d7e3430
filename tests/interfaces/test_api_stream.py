"""True streaming in the HTTP API, in-process: draft pieces go out as the generator writes them, the verified
answer follows in one final chunk, a client that leaves stops the answer, and usage, sources, quote offsets,
request ids and the request log."""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from assistant.errors import GeneratorError, UnknownSourceError
from assistant.evaluation.runner import load_questions
from assistant.interfaces.api import create_app
from assistant.interfaces.api_format import (
    VERIFIED_HEADER,
    ChatMessage,
    ChunkWriter,
    completion,
    split_conversation,
)
from assistant.models import Answer, Chunk, Citation
from assistant.service import Assistant
from assistant.settings import ApiSettings, Settings
from tests.conftest import ROOT
from tests.interfaces.asgi_helpers import HANG_GUARD
from tests.interfaces.asgi_helpers import run_guarded as _run
from tests.interfaces.asgi_helpers import until as _until

TOKEN_ENV = "ASSISTANT_TEST_STREAM_TOKEN"  # a name nobody sets: no auth unless a test sets it
BASE = "http://127.0.0.1:8000"
DOCUMENT = "Intro line.\nThe harbour opens at nine. It closes at six.\n"
CHUNK = Chunk(id="c1", source="/docs/harbour.txt", text=DOCUMENT, start=0, end=len(DOCUMENT), title="Harbour")
QUOTE = (12, 38)  # "The harbour opens at nine."


def _answer(text: str = "The harbour opens at nine [1].", **fields: Any) -> Answer:
    """A verified answer citing the quote of CHUNK."""
    citation = Citation(1, CHUNK, 0.9, *QUOTE)
    base = {"citations": [citation], "tokens": 7, "timings_ms": {"retrieve": 5.0, "generate": 9.0, "total": 20.0}}
    return Answer(question="When?", answer=text, abstained=False, **{**base, **fields})


class Scripted:
    """ask_stream yields its pieces, each once its gate opens (if gated), then the answer; records what happened."""

    def __init__(self, pieces: list[str], answer: Answer | None = None, fail: Exception | None = None) -> None:
        """Pieces to write, the verified answer, and an exception to raise after the pieces instead of answering."""
        self.settings = Settings(index_dir=Path("unused"), generator="extractive", api=ApiSettings(token_env=TOKEN_ENV))
        self.pieces, self.answer, self.fail = pieces, answer or _answer(), fail
        self.gates = [threading.Event() for _ in pieces]
        self.produced: list[str] = []
        self.calls: list[dict[str, Any]] = []
        self.stopped = threading.Event()  # the answer was closed before it finished

    def open_all(self) -> None:
        """Let every piece through."""
        for gate in self.gates:
            gate.set()

    def documents(self) -> list[str]:
        """One indexed document."""
        return [CHUNK.source]

    def ask_stream(
        self, question: str, history: list[dict[str, str]], generator: str, sources: list[str] | None = None
    ) -> Iterator[str | Answer]:
        """The scripted pieces, then the answer; questions named 'next' are answered at once."""
        self.calls.append({"question": question, "sources": sources})
        if sources and "missing.txt" in sources:
            raise UnknownSourceError("The document 'missing.txt' is not indexed.")
        if question == "next":
            yield _answer("Next [1].")
            return
        try:
            for piece, gate in zip(self.pieces, self.gates, strict=True):
                gate.wait(HANG_GUARD)
                self.produced.append(piece)
                yield piece
        except GeneratorExit:
            self.stopped.set()
            raise
        if self.fail is not None:
            raise self.fail
        yield self.answer


def _chat(question: str = "When?", **extra: Any) -> dict[str, Any]:
    """A chat completion request body."""
    return {"model": "assistant-extractive", "messages": [{"role": "user", "content": question}], **extra}


def _events(body: bytes | str) -> list[Any]:
    """The data of each server-sent event: parsed JSON, or the string '[DONE]'."""
    text = body.decode() if isinstance(body, bytes) else body
    out = []
    for block in text.split("\n\n"):
        if block.startswith("data: "):
            data = block.removeprefix("data: ")
            out.append(data if data == "[DONE]" else json.loads(data))
    return out


def _content(events: list[Any]) -> str:
    """What a client that only concatenates delta.content shows."""
    return "".join(c["choices"][0]["delta"].get("content") or "" for c in events if c != "[DONE]" and c["choices"])


async def _drive(
    app: FastAPI, body: dict[str, Any], sent: list[dict[str, Any]], gone: anyio.Event, told: anyio.Event | None = None
) -> None:
    """Call the ASGI app as a server whose client leaves once `gone` is set (then sets `told`); keep what is sent."""
    raw, delivered = json.dumps(body).encode(), False

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": raw, "more_body": False}
        await gone.wait()
        if told is not None:
            told.set()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    headers = [(b"host", b"127.0.0.1:8000"), (b"content-type", b"application/json"),
               (b"content-length", str(len(raw)).encode())]
    scope = {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}, "http_version": "1.1",
             "method": "POST", "scheme": "http", "path": "/v1/chat/completions", "raw_path": b"/v1/chat/completions",
             "root_path": "", "query_string": b"", "headers": headers, "client": ("127.0.0.1", 50000),
             "server": ("127.0.0.1", 8000)}
    await app(scope, receive, send)


def _body(sent: list[dict[str, Any]]) -> bytes:
    """The response body sent so far."""
    return b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")


def _health(app: FastAPI) -> httpx.AsyncClient:
    """An in-process async client for /health (no sockets)."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE, timeout=HANG_GUARD)


# --- 1. pieces go out as they are written ------------------------------------------------------
def test_each_draft_piece_is_sent_before_the_next_is_written() -> None:
    fake = Scripted(["The harbour", " opens", " at nine."])
    app = create_app(fake)
    sent: list[dict[str, Any]] = []

    async def scenario() -> None:
        gone = anyio.Event()
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(_drive, app, _chat(stream=True), sent, gone)
            for n, piece in enumerate(fake.pieces):
                fake.gates[n].set()
                await _until(lambda p=piece: json.dumps(p) in _body(sent).decode(), f"piece {n} to be sent")
                assert fake.produced == fake.pieces[: n + 1]  # sent while the generator waits to write the next
            await _until(lambda: b"[DONE]" in _body(sent), "the end of the stream")
            gone.set()

    _run(scenario)
    start = next(m for m in sent if m["type"] == "http.response.start")
    headers = dict(start["headers"])
    assert start["status"] == 200 and headers[b"content-type"].startswith(b"text/event-stream")
    events = _events(_body(sent))
    assert events[-1] == "[DONE]" and events[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    drafts = [e["choices"][0]["delta"] for e in events[1:-2]]
    assert drafts == [{"content": p, "draft": True} for p in fake.pieces]
    final = events[-2]["choices"][0]
    assert final["finish_reason"] == "stop"
    expected = completion(fake.answer, "assistant-extractive", "x")["choices"][0]["message"]
    assert final["delta"]["answer"] == expected
    assert {e["id"] for e in events[:-1]} == {headers[b"x-request-id"].decode()}
    assert all("usage" not in e for e in events[:-1])  # not asked for


def test_a_client_that_leaves_mid_stream_stops_the_answer_and_frees_the_slot(caplog: pytest.LogCaptureFixture) -> None:
    fake = Scripted(["one", " two", " three", " four"])
    fake.settings = fake.settings.model_copy(update={"api": ApiSettings(token_env=TOKEN_ENV, max_queue=1)})
    app = create_app(fake)
    first: list[dict[str, Any]] = []
    second: list[dict[str, Any]] = []

    async def scenario() -> None:
        gone, told, stays = anyio.Event(), anyio.Event(), anyio.Event()
        async with _health(app) as http, anyio.create_task_group() as tasks:
            tasks.start_soon(_drive, app, _chat(stream=True), first, gone, told)
            fake.gates[0].set()
            await _until(lambda: b'"one"' in _body(first), "the first piece")
            tasks.start_soon(_drive, app, _chat("next"), second, stays)
            with anyio.fail_after(HANG_GUARD):
                while (await http.get("/health")).json()["queue"] != {"running": 1, "waiting": 1, "max_waiting": 1}:
                    await anyio.sleep(0.005)
            full = await http.post("/v1/chat/completions", json=_chat("refused"))
            assert full.status_code == 503  # the streaming request still holds the answer slot
            gone.set()  # the streaming client hangs up while the generator is writing its second piece
            await told.wait()
            await anyio.sleep(0.05)  # the disconnect is handled on the event loop: the response stops reading
            fake.open_all()
            await _until(fake.stopped.is_set, "the answer to be closed")
            await _until(lambda: b"Next [1]." in _body(second), "the waiting request to be answered")
            stays.set()

    with caplog.at_level(logging.INFO, logger="assistant.api"):
        _run(scenario)
    assert sum("client_left=true" in r.getMessage() for r in caplog.records) == 1  # the leaver, not the other
    assert fake.produced == ["one", " two"]  # closed at the piece after the disconnect: nothing more was asked
    assert b" three" not in _body(first) and b"[DONE]" not in _body(first)
    assert [c["question"] for c in fake.calls] == ["When?", "next"]


# --- 2. the final event and what a plain client sees --------------------------------------------
@pytest.mark.parametrize("draft", ["", "The harbour opens at nine [1].", "The harbour opens at 9 am [3]."])
def test_plain_clients_see_the_verified_answer_after_the_draft(draft: str) -> None:
    answer = _answer()
    writer = ChunkWriter("chatcmpl-x", "assistant-extractive")
    body = writer.role() + (writer.draft(draft) if draft else b"") + writer.final(answer)
    shown = _content(_events(body))
    content = completion(answer, "m", "x")["choices"][0]["message"]["content"]
    if draft in ("", answer.answer):
        assert shown == content  # nothing to take back: exactly the non-streamed content
    else:
        assert shown == f"{draft}\n\n{VERIFIED_HEADER}\n\n{content}"
    assert content.startswith(answer.answer + "\n\nSources:\n[1] Harbour")
    turns = [ChatMessage(role="user", content="When?"), ChatMessage(role="assistant", content=shown),
             ChatMessage(role="user", content="And on Sundays?")]
    assert split_conversation(turns)[1][1]["content"] == answer.answer  # the history keeps the verified answer only


def test_a_failure_mid_stream_ends_with_an_error_event(caplog: pytest.LogCaptureFixture) -> None:
    for error, message in ((RuntimeError("secret internals"), "Internal server error."),
                           (GeneratorError("The model stopped."), "The model stopped.")):
        fake = Scripted(["half"], fail=error)
        fake.open_all()
        with TestClient(create_app(fake), base_url=BASE) as http, caplog.at_level(logging.INFO, "assistant.api"):
            reply = http.post("/v1/chat/completions", json=_chat(stream=True))
        events = _events(reply.text)
        assert reply.status_code == 200 and events[1]["choices"][0]["delta"]["content"] == "half"
        assert events[-2] == {"error": {"message": message, "type": "server_error", "param": None,
                                        "code": "internal_error"}}
        assert "secret internals" not in reply.text
    assert "broke mid-stream" in caplog.text and "error=mid_stream_RuntimeError" in caplog.text
    assert "error=mid_stream_GeneratorError" in caplog.text


# --- 3. errors before the first event keep their status ---------------------------------------
def test_errors_before_the_first_piece_keep_their_status_code() -> None:
    fake = Scripted(["never"])
    with TestClient(create_app(fake), base_url=BASE) as http:
        for stream in (False, True):
            reply = http.post("/v1/chat/completions", json=_chat(stream=stream, sources=["missing.txt"]))
            assert reply.status_code == 400, reply.text
            error = reply.json()["error"]
            assert error == {"message": "The document 'missing.txt' is not indexed.", "type": "invalid_request_error",
                             "param": "sources", "code": "unknown_source"}
            assert re.fullmatch(r"chatcmpl-[0-9a-f]{32}", reply.headers["x-request-id"])
        empty = http.post("/v1/chat/completions", json=_chat(sources=[" "]))
        assert empty.status_code == 400 and empty.json()["error"]["param"] == "sources"
        wrong_type = http.post("/v1/chat/completions", json=_chat(sources="harbour.txt"))
        assert wrong_type.status_code == 400 and "x-request-id" in wrong_type.headers
    assert fake.produced == []


def test_sources_are_passed_to_the_answer() -> None:
    fake = Scripted([])
    with TestClient(create_app(fake), base_url=BASE) as http:
        assert http.post("/v1/chat/completions", json=_chat(sources=["harbour.txt"])).status_code == 200
        assert http.post("/v1/chat/completions", json=_chat()).status_code == 200
    assert [c["sources"] for c in fake.calls] == [["harbour.txt"], None]


# --- 4. usage ----------------------------------------------------------------------------------
def test_usage_in_completions_and_in_the_usage_chunk() -> None:
    fake = Scripted(["The harbour opens at nine [1]."], _answer(prompt_tokens=31))
    fake.open_all()
    with TestClient(create_app(fake), base_url=BASE) as http:
        plain = http.post("/v1/chat/completions", json=_chat()).json()
        streamed = _events(http.post("/v1/chat/completions", json=_chat(
            stream=True, stream_options={"include_usage": True})).text)
    expected = {"prompt_tokens": 31, "completion_tokens": 7, "total_tokens": 38}
    assert plain["usage"] == expected
    *chunks, last, done = streamed
    assert done == "[DONE]" and last["choices"] == [] and last["usage"] == expected
    assert all(c["usage"] is None for c in chunks) and chunks[-1]["choices"][0]["finish_reason"] == "stop"
    unreported = completion(_answer(tokens=None), "m", "x")["usage"]
    assert unreported == {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}


# --- 5. quote offsets --------------------------------------------------------------------------
def test_quote_offsets_are_document_offsets() -> None:
    moved = Chunk(id="c2", source="/docs/harbour.txt", text=DOCUMENT[12:], start=12, end=len(DOCUMENT))
    for chunk in (CHUNK, moved):
        cited = completion(Answer("q", "a [1]", False, [Citation(1, chunk, 0.5, *QUOTE)]), "m", "x")
        citation = cited["choices"][0]["message"]["citations"][0]
        assert DOCUMENT[citation["start"] : citation["end"]] == citation["text"] == chunk.text
        assert DOCUMENT[citation["quote_start"] : citation["quote_end"]] == citation["quote"]
        assert citation["quote"] == "The harbour opens at nine."
    whole = completion(Answer("q", "a [1]", False, [Citation(1, CHUNK, 0.5)]), "m", "x")["choices"][0]
    assert whole["message"]["citations"][0]["quote"] == DOCUMENT  # no sentence marked: the whole passage


def test_quotes_slice_an_ingested_document(fake_settings: Settings, seed_copy: Path) -> None:
    assistant = Assistant(fake_settings.model_copy(update={"generator": "extractive", "api": ApiSettings(
        token_env=TOKEN_ENV)}))
    assert assistant.ingest([seed_copy], progress=False).indexed == 1
    questions = [q["question"] for q in load_questions(ROOT / "tests" / "eval" / "seed_questions.jsonl")
                 if q["category"] == "factoid" and not q["unanswerable"]][:8]
    quoted = 0
    with TestClient(create_app(assistant), base_url=BASE) as http:
        for question in questions:
            message = http.post("/v1/chat/completions", json=_chat(question)).json()["choices"][0]["message"]
            for citation in message["citations"]:
                text = (assistant.document(citation["source"]) or {})["text"]
                assert text[citation["start"] : citation["end"]] == citation["text"]
                assert text[citation["quote_start"] : citation["quote_end"]] == citation["quote"]
                assert citation["start"] <= citation["quote_start"] < citation["quote_end"] <= citation["end"]
                if len(citation["quote"]) < len(citation["text"]):
                    quoted += 1
                    core = " ".join(citation["quote"].split()).strip('"“”.!? ')  # the marker goes before the stop
                    assert core in message["content"]  # the extractive answer quotes the cited sentence
    assert quoted >= 3, "the extractive answers should quote single sentences"


# --- 6. request ids and the request log --------------------------------------------------------
def test_request_log_names_the_request_and_never_the_token(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    token = "tok-3f9e1d7c-never-logged"
    monkeypatch.setenv(TOKEN_ENV, token)
    fake = Scripted(["The harbour opens at nine [1]."])
    fake.open_all()
    question = "When does the harbour open on weekdays?"
    auth = {"Authorization": f"Bearer {token}"}
    with (TestClient(create_app(fake), base_url=BASE) as http, caplog.at_level(logging.DEBUG),
          caplog.at_level(logging.DEBUG, logger="assistant.api")):
        reply = http.post("/v1/chat/completions", json=_chat(question), headers=auth)
        streamed = http.post("/v1/chat/completions", json=_chat(question, stream=True), headers=auth)
        assert http.post("/v1/chat/completions", json=_chat(question), headers={"Authorization": "Bearer no"}
                         ).status_code == 401
        assert http.post("/v1/chat/completions", json=_chat(question, model="gpt-9"), headers=auth).status_code == 404
    assert reply.status_code == 200 and reply.json()["id"] == reply.headers["x-request-id"]
    assert _events(streamed.text)[0]["id"] == streamed.headers["x-request-id"] != reply.headers["x-request-id"]
    lines = [r.getMessage() for r in caplog.records if r.name == "assistant.api" and r.levelno == logging.INFO]
    line = next(m for m in lines if reply.headers["x-request-id"] in m)
    for field in ("status=200", "generator=extractive", "stream=false", f"question_chars={len(question)}",
                  "queue_ms=", "first_piece_ms=", "retrieve_ms=5", "generate_ms=9", "total_ms=20", "request_ms=",
                  "abstained=false", "citations=1", "completion_tokens=7"):
        assert field in line, (field, line)
    assert any(streamed.headers["x-request-id"] in m and "stream=true" in m for m in lines)
    assert any("status=404" in m and "error=model_not_found" in m for m in lines)
    assert all(question not in m for m in lines)  # the question's words only at DEBUG
    assert any(question in r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG)
    assert token not in caplog.text
