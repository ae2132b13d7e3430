"""OpenAI-compatible HTTP API over the Assistant: GET /v1/models, POST /v1/chat/completions, GET /health.

Streaming: verification can rewrite or drop sentences of the generator's draft, and OpenAI clients simply
concatenate deltas (there is no way to take one back). So a request with ``stream: true`` is answered like a
non-streamed one (generate, then verify) and only the verified text is streamed: a role chunk, several
content chunks, then a final chunk with ``finish_reason: "stop"`` whose delta carries ``citations``, then
``data: [DONE]``. A consequence is that errors still get their proper status code when streaming.

Answers are serialised by one lock (one answer at a time; the CPU is the limit). /health does not wait for
that lock: it only counts indexed documents and checks the default generator, so it stays responsive while
an answer is being generated.

Every error is returned in the OpenAI shape ``{"error": {"message", "type", "param", "code"}}``.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import re
import textwrap
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.components import check_generator
from assistant.errors import AssistantError, IndexEmptyError, QuestionError
from assistant.models import Answer, Citation
from assistant.registry import GENERATORS
from assistant.settings import ApiSettings, Settings

log = logging.getLogger(__name__)
MODEL_PREFIX = "assistant-"
SOURCES_HEADER = "Sources:"
QUOTE_CHARS = 200
WORDS_PER_CHUNK = 6
_DROPPED_ROLES = {"system", "developer", "tool", "function"}


class ApiError(Exception):
    """An error answered in the OpenAI shape with a status code."""

    def __init__(self, status: int, message: str, type_: str = "invalid_request_error", param: str | None = None,
                 code: str | None = None) -> None:
        """Keep the fields of the OpenAI error object."""
        super().__init__(message)
        self.status, self.message, self.type, self.param, self.code = status, message, type_, param, code

    def response(self, headers: dict[str, str] | None = None) -> JSONResponse:
        """The JSON response for this error."""
        body = {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}
        return JSONResponse(body, status_code=self.status, headers=headers)


# --- request models ----------------------------------------------------------------------------
class _Lenient(BaseModel):
    """Request objects keep fields we do not use (temperature, max_tokens, ...)."""

    model_config = ConfigDict(extra="allow")


class ContentPart(_Lenient):
    """One part of a message's content list."""

    type: str
    text: str | None = None


class ChatMessage(_Lenient):
    """A chat message; content is a string or a list of parts."""

    role: str
    content: str | list[ContentPart] | None = None


class ChatRequest(_Lenient):
    """The fields of a chat completion request that the assistant uses."""

    model: str
    messages: list[ChatMessage]
    stream: bool | None = False


def parse_chat_request(body: bytes) -> ChatRequest:
    """Parse and validate a chat completion body; problems are 400 errors."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApiError(400, f"The request body is not valid JSON: {exc}", code="invalid_json") from None
    if not isinstance(data, dict):
        raise ApiError(400, "The request body must be a JSON object.", code="invalid_json")
    try:
        return ChatRequest.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        param = ".".join(str(p) for p in first["loc"]) or None
        raise ApiError(400, f"Invalid request: {param}: {first['msg']}", param=param, code="invalid_value") from None


def message_text(message: ChatMessage) -> str:
    """The text of a message (string content, or its text parts joined)."""
    if message.content is None or isinstance(message.content, str):
        return message.content or ""
    texts = []
    for part in message.content:
        if part.type != "text":
            raise ApiError(400, f"Only text content is supported, not '{part.type}'.", param="messages")
        texts.append(part.text or "")
    return "\n".join(texts)


def split_conversation(messages: Sequence[ChatMessage]) -> tuple[str, list[dict[str, str]]]:
    """The last user message is the question; earlier user/assistant turns are the history."""
    turns: list[dict[str, str]] = []
    for message in messages:
        if message.role in _DROPPED_ROLES:
            continue
        if message.role not in ("user", "assistant"):
            raise ApiError(400, f"Unknown message role '{message.role}'.", param="messages", code="invalid_value")
        text = message_text(message)
        if message.role == "assistant":  # our own earlier answers come back with their sources block
            text = text.split(f"\n\n{SOURCES_HEADER}\n")[0]
        turns.append({"role": message.role, "content": text})
    last = max((i for i, t in enumerate(turns) if t["role"] == "user"), default=None)
    if last is None:
        raise ApiError(400, "The conversation has no user message.", param="messages", code="no_user_message")
    history = [t for t in turns[:last] if t["content"].strip()]
    return turns[last]["content"], history


def generator_for(model: str) -> str:
    """The generator name behind a model id such as 'assistant-local'; unknown ids are 404."""
    names = GENERATORS.names()
    name = model[len(MODEL_PREFIX) :] if model.startswith(MODEL_PREFIX) else ""
    if name not in names:
        valid = ", ".join(MODEL_PREFIX + n for n in names)
        raise ApiError(404, f"The model '{model}' does not exist. Available: {valid}.", param="model",
                       code="model_not_found")
    return name


# --- responses ---------------------------------------------------------------------------------
def source_line(citation: Citation) -> str:
    """One line of the Sources block: [n] title (source): "the supporting sentence (or passage start)"."""
    text = citation.chunk.text
    if citation.quote_start is not None and citation.quote_end is not None:
        text = text[citation.quote_start - citation.chunk.start : citation.quote_end - citation.chunk.start]
    passage = textwrap.shorten(" ".join(text.split()), QUOTE_CHARS, placeholder=" …")
    title = citation.chunk.title or citation.chunk.source
    where = f" ({citation.chunk.source})" if citation.chunk.title else ""
    return f'[{citation.id}] {title}{where}: "{passage}"'


def render_content(answer: Answer) -> str:
    """The verified answer with its [n] markers, then a blank line and the Sources block."""
    if not answer.citations:
        return answer.answer
    lines = "\n".join(source_line(c) for c in answer.citations)
    return f"{answer.answer}\n\n{SOURCES_HEADER}\n{lines}"


def completion(answer: Answer, model: str) -> dict[str, Any]:
    """A chat.completion object whose message carries the extra field `citations`."""
    message = {
        "role": "assistant",
        "content": render_content(answer),
        "citations": [c.to_dict() for c in answer.citations],
    }
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": "stop", "logprobs": None}],
    }


def text_pieces(text: str, words: int = WORDS_PER_CHUNK) -> list[str]:
    """Split text into pieces of a few words whose concatenation is exactly the text."""
    tokens = re.findall(r"\s*\S+\s*|\s+", text)
    return ["".join(tokens[i : i + words]) for i in range(0, len(tokens), words)]


def stream_events(answer: Answer, model: str) -> Iterator[str]:
    """Server-sent events of the verified answer: role, content pieces, final chunk with citations, [DONE]."""
    base = {"id": f"chatcmpl-{uuid.uuid4().hex}", "object": "chat.completion.chunk",
            "created": int(time.time()), "model": model}

    def event(delta: dict[str, Any], finish: str | None = None) -> str:
        """One `data:` line holding a chunk with this delta."""
        choice = {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}
        return f"data: {json.dumps({**base, 'choices': [choice]}, ensure_ascii=False)}\n\n"

    yield event({"role": "assistant", "content": ""})
    for piece in text_pieces(render_content(answer)):
        yield event({"content": piece})
    yield event({"citations": [c.to_dict() for c in answer.citations]}, "stop")
    yield "data: [DONE]\n\n"


def assistant_error(exc: AssistantError) -> ApiError:
    """Map a user-facing assistant error to a status code."""
    if isinstance(exc, QuestionError):
        return ApiError(400, exc.user_message(), param="messages", code="invalid_question")
    if isinstance(exc, IndexEmptyError):
        return ApiError(503, exc.user_message(), "server_error", code="index_empty")
    return ApiError(503, exc.user_message(), "server_error", code="backend_unavailable")


# --- middleware: auth, body size, unexpected errors ---------------------------------------------
class Guard:
    """ASGI middleware: bearer auth, request size limit, and a 500 in the OpenAI shape for crashes."""

    def __init__(self, app: ASGIApp, token: str | None, max_body_bytes: int) -> None:
        """Wrap app; token None means no auth."""
        self.app, self.token, self.max_body_bytes = app, token, max_body_bytes
        self.too_large = ApiError(413, f"The request body is larger than {max_body_bytes} bytes.",
                                  code="request_too_large")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the request, then run the app with the buffered body."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        refusal = self._refuse(headers)
        body = b"" if refusal is not None else await self._read_body(receive)
        if body is None:
            return  # the client went away
        if refusal is None and len(body) > self.max_body_bytes:
            refusal = self.too_large
        if refusal is not None:
            extra = {"WWW-Authenticate": "Bearer"} if refusal.status == 401 else None
            await refusal.response(extra)(scope, receive, send)
            return
        await self._run(scope, _replay(body, receive), send)

    def _refuse(self, headers: Headers) -> ApiError | None:
        """401 for a missing or wrong token, 413 for a declared length over the limit."""
        if self.token is not None:
            scheme, _, given = headers.get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), self.token.encode()):
                return ApiError(401, "Missing or invalid bearer token.", code="invalid_api_key")
        length = headers.get("content-length")
        if length is not None:
            if not length.strip().isdigit():
                return ApiError(400, "Invalid Content-Length header.", code="invalid_request")
            if int(length) > self.max_body_bytes:
                return self.too_large
        return None

    async def _read_body(self, receive: Receive) -> bytes | None:
        """Read the body, stopping just past the limit; None when the client disconnects."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            chunks.append(chunk)
            size += len(chunk)
            if size > self.max_body_bytes or not message.get("more_body", False):
                return b"".join(chunks)

    async def _run(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the app; an unexpected exception is logged and answered with a plain 500."""
        started = False

        async def tracking_send(message: Message) -> None:
            """Send, remembering whether the response has started."""
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            log.exception("unexpected error in %s %s", scope.get("method"), scope.get("path"))
            if not started:
                error = ApiError(500, "Internal server error.", "server_error", code="internal_error")
                await error.response()(scope, receive, send)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive callable that yields the buffered body once, then defers to the server."""
    sent = False

    async def replay() -> Message:
        """The body first, then the server's own messages (disconnect)."""
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


# --- routes ------------------------------------------------------------------------------------
class _Routes:
    """Route handlers bound to one Assistant and its lock."""

    def __init__(self, assistant: Any) -> None:
        """Bind to an Assistant (anything with settings, ask and documents)."""
        self.assistant = assistant
        self.lock = threading.Lock()
        self.created = int(time.time())

    def models(self) -> dict[str, Any]:
        """GET /v1/models: one model per generator."""
        data = [
            {"id": MODEL_PREFIX + name, "object": "model", "created": self.created, "owned_by": "assistant"}
            for name in GENERATORS.names()
        ]
        return {"object": "list", "data": data}

    async def chat(self, request: Request) -> Any:
        """POST /v1/chat/completions, streamed or not."""
        chat = parse_chat_request(await request.body())
        generator = generator_for(chat.model)
        question, history = split_conversation(chat.messages)
        answer = await run_in_threadpool(self._answer, question, history, generator)
        if chat.stream:
            headers = {"Cache-Control": "no-cache"}
            return StreamingResponse(stream_events(answer, chat.model), media_type="text/event-stream",
                                     headers=headers)
        return JSONResponse(completion(answer, chat.model))

    def _answer(self, question: str, history: list[dict[str, str]], generator: str) -> Answer:
        """One verified answer at a time."""
        with self.lock:
            try:
                return self.assistant.ask(question, history, generator)
            except AssistantError as exc:
                raise assistant_error(exc) from None

    def health(self) -> JSONResponse:
        """GET /health: 200 when documents are indexed and the default generator can answer."""
        settings: Settings = self.assistant.settings
        try:
            documents = len(self.assistant.documents())
        except Exception:  # noqa: BLE001 - reported as unavailable
            log.exception("health: cannot read the index")
            documents = 0
        status = check_generator(settings.generator, settings)
        ready = documents > 0 and status == "ok"
        body = {
            "status": "ok" if ready else "unavailable",
            "documents": documents,
            "generator": {"name": settings.generator, "status": status},
        }
        return JSONResponse(body, status_code=200 if ready else 503)


async def _error(request: Request, exc: Exception) -> JSONResponse:
    """ApiError, unknown routes (404), wrong methods (405) and other HTTP errors in the OpenAI shape."""
    if isinstance(exc, ApiError):
        return exc.response()
    status = getattr(exc, "status_code", 500)
    messages = {404: f"Unknown route: {request.method} {request.url.path}", 405: f"{request.method} is not allowed."}
    codes = {404: "not_found", 405: "method_not_allowed"}
    return ApiError(status, messages.get(status, str(getattr(exc, "detail", ""))), code=codes.get(status)).response()


def create_app(assistant: Any, api: ApiSettings | None = None) -> FastAPI:
    """The FastAPI app over an Assistant; `api` defaults to assistant.settings.api."""
    api = api or assistant.settings.api
    token = os.environ.get(api.token_env) or None
    app = FastAPI(title="assistant", docs_url=None, redoc_url=None, openapi_url=None)
    routes = _Routes(assistant)
    app.add_api_route("/v1/models", routes.models, methods=["GET"])
    app.add_api_route("/v1/chat/completions", routes.chat, methods=["POST"])
    app.add_api_route("/health", routes.health, methods=["GET"])
    app.add_exception_handler(StarletteHTTPException, _error)
    app.add_exception_handler(ApiError, _error)
    app.add_middleware(Guard, token=token, max_body_bytes=api.max_body_bytes)
    return app


def serve(settings: Settings) -> None:
    """Build the Assistant and serve the API with uvicorn on settings.api.host:port until interrupted."""
    import uvicorn

    from assistant.service import Assistant

    assistant = Assistant(settings)
    app = create_app(assistant)
    host, port = settings.api.host, settings.api.port
    if log.level == logging.NOTSET:
        log.setLevel(logging.INFO)
    auth = "on" if os.environ.get(settings.api.token_env) else f"off (set {settings.api.token_env} to enable)"
    if auth.startswith("off") and host not in ("127.0.0.1", "localhost", "::1"):
        log.warning("serving on %s without a bearer token: anyone who can reach it can query your documents", host)
    if not assistant.documents():
        log.warning("nothing is indexed yet: run `assistant ingest` first (chat requests will get 503)")
    log.info("OpenAI-compatible API on http://%s:%d/v1 (default model %s%s, auth %s)",
             host, port, MODEL_PREFIX, settings.generator, auth)
    uvicorn.run(app, host=host, port=port, log_level="info")
