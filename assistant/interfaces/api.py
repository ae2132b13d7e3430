"""OpenAI-compatible HTTP API over the Assistant: GET /v1/models, POST /v1/chat/completions, GET /health.

The wire format (errors, requests, completions, streamed chunks) lives in assistant/api_format.py.

When the language model fails mid-request the answer is still a 200: the quoted-evidence fallback, with a note
in ``content``, ``fallback: true`` and ``notes`` next to ``citations``, and the header ``x-assistant-fallback:
true``. A 503 means the assistant cannot answer at all (nothing indexed, or the generator cannot be built).

Answers are serialised by one lock (one answer at a time; the CPU is the limit). /health does not wait for
that lock: it only counts indexed documents and checks the default generator, so it stays responsive while
an answer is being generated.
"""

from __future__ import annotations

import hmac
import logging
import os
import threading
import time
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.components import check_generator
from assistant.errors import AssistantError, IndexEmptyError, QuestionError
from assistant.interfaces.api_format import (
    ApiError,
    answer_headers,
    completion,
    parse_chat_request,
    split_conversation,
    stream_events,
)
from assistant.models import Answer
from assistant.registry import GENERATORS
from assistant.settings import ApiSettings, Settings

log = logging.getLogger(__name__)
MODEL_PREFIX = "assistant-"


def generator_for(model: str) -> str:
    """The generator name behind a model id such as 'assistant-local'; unknown ids are 404."""
    names = GENERATORS.names()
    name = model[len(MODEL_PREFIX) :] if model.startswith(MODEL_PREFIX) else ""
    if name not in names:
        valid = ", ".join(MODEL_PREFIX + n for n in names)
        raise ApiError(
            404, f"The model '{model}' does not exist. Available: {valid}.", param="model", code="model_not_found"
        )
    return name


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
        self.too_large = ApiError(
            413, f"The request body is larger than {max_body_bytes} bytes.", code="request_too_large"
        )

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
        headers = answer_headers(answer)
        if chat.stream:
            headers["Cache-Control"] = "no-cache"
            events = stream_events(answer, chat.model)
            return StreamingResponse(events, media_type="text/event-stream", headers=headers)
        return JSONResponse(completion(answer, chat.model), headers=headers)

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
    log.info(
        "OpenAI-compatible API on http://%s:%d/v1 (default model %s%s, auth %s)",
        host,
        port,
        MODEL_PREFIX,
        settings.generator,
        auth,
    )
    uvicorn.run(app, host=host, port=port, log_level="info")
