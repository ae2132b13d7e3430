"""OpenAI-compatible HTTP API over the Assistant: GET /v1/models, POST /v1/chat/completions, GET /health.

The wire format (errors, requests, completions, streamed chunks) lives in api_format.py; the front door
(bearer token, Host/Origin checks without a token, JSON-only bodies, size limit, plain 500s) in api_guard.py.

When the language model fails mid-request the answer is still a 200: the quoted-evidence fallback, with a note
in ``content``, ``fallback: true`` and ``notes`` next to ``citations``, and the header ``x-assistant-fallback:
true``. A 503 means the assistant cannot answer at all (nothing indexed, or the generator cannot be built), or
that the answer queue is full.

Refused with a 400 before anything runs: a body that is not UTF-8, JSON nesting deeper than
``api.max_json_depth``, text holding a lone UTF-16 surrogate. See api_guard.py for 401, 403, 413 and 415.

Answers run one at a time (the CPU is the limit) on a worker thread of their own, never AnyIO's shared pool.
At most ``api.max_queue`` chat requests wait behind the running one; the next gets a 503 ``queue_full`` with a
``Retry-After`` estimated from recent answer times. A client that disconnects while waiting gives up its place
at once and its answer never runs. /health and /v1/models never queue: /v1/models is computed on the event
loop, /health runs its checks on its own two threads and also reports the queue (running, waiting).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import AsyncIterator, Callable, Iterator
from functools import partial
from typing import Any, TypeVar

import anyio
import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Receive

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
from assistant.interfaces.api_guard import WILDCARD, Guard, read_token
from assistant.interfaces.netnames import is_loopback
from assistant.models import Answer
from assistant.registry import GENERATORS
from assistant.settings import ApiSettings, Settings

log = logging.getLogger(__name__)
MODEL_PREFIX = "assistant-"
HEALTH_THREADS = 2
T = TypeVar("T")


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


# --- the answer queue --------------------------------------------------------------------------
class AnswerQueue:
    """One answer at a time on a worker thread of its own, behind a bounded line of waiters who may leave."""

    def __init__(self, max_waiting: int) -> None:
        """At most max_waiting requests wait while one runs."""
        self.max_waiting = max_waiting
        self.slot = anyio.Lock()  # fair: waiters get their turn in arrival order
        self.thread = anyio.CapacityLimiter(1)  # answers never borrow AnyIO's default worker threads
        self.waiting = 0
        self.seconds = 1.0  # how long an answer takes, smoothed over recent answers (for Retry-After)

    def status(self) -> dict[str, int]:
        """Running and waiting answers, for /health."""
        return {"running": int(self.slot.locked()), "waiting": self.waiting, "max_waiting": self.max_waiting}

    async def run(self, work: Callable[[], T], receive: Receive) -> tuple[bool, T | None]:
        """(True, work()) in its turn, or (False, None) when the client disconnected first; 503 when full."""
        if self.slot.locked() and self.waiting >= self.max_waiting:
            raise self._full()
        done: list[T] = []
        failed: list[Exception] = []
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(_cancel_on_disconnect, receive, tasks.cancel_scope)
            try:
                done.append(await self._turn(work))
            except Exception as exc:  # noqa: BLE001 - raised below, outside the task group (no ExceptionGroup)
                failed.append(exc)
            tasks.cancel_scope.cancel()
        if failed:
            raise failed[0]
        return (True, done[0]) if done else (False, None)

    async def _turn(self, work: Callable[[], T]) -> T:
        """Wait for the slot (cancellable: leaving frees the place), then run work on the answer thread."""
        try:
            self.slot.acquire_nowait()
        except anyio.WouldBlock:
            self.waiting += 1
            try:
                await self.slot.acquire()
            finally:
                self.waiting -= 1
        try:
            started = time.monotonic()
            result = await anyio.to_thread.run_sync(work, limiter=self.thread)
            self.seconds = 0.7 * self.seconds + 0.3 * (time.monotonic() - started)
            return result
        finally:
            self.slot.release()

    def _full(self) -> ApiError:
        """The 503 for a full queue, with a Retry-After estimate in seconds."""
        retry = min(3600, max(1, math.ceil(self.seconds * (self.waiting + 1))))
        message = f"The assistant is busy: {self.waiting} questions are waiting already. Retry in about {retry} s."
        return ApiError(503, message, "server_error", code="queue_full", headers={"Retry-After": str(retry)})


async def _cancel_on_disconnect(receive: Receive, scope: anyio.CancelScope) -> None:
    """Cancel scope when the server reports that the client went away (the body is already read)."""
    while (await receive())["type"] != "http.disconnect":
        pass
    scope.cancel()


async def _events(events: Iterator[str]) -> AsyncIterator[str]:
    """The server-sent events without a worker thread per chunk (they are already computed)."""
    for event in events:
        yield event


# --- routes ------------------------------------------------------------------------------------
class _Routes:
    """Route handlers bound to one Assistant and its answer queue."""

    def __init__(self, assistant: Any, api: ApiSettings) -> None:
        """Bind to an Assistant (anything with settings, ask and documents)."""
        self.assistant, self.api = assistant, api
        self.queue = AnswerQueue(api.max_queue)
        self.probes = anyio.CapacityLimiter(HEALTH_THREADS)
        self.created = int(time.time())

    async def models(self) -> dict[str, Any]:
        """GET /v1/models: one model per generator."""
        data = [
            {"id": MODEL_PREFIX + name, "object": "model", "created": self.created, "owned_by": "assistant"}
            for name in GENERATORS.names()
        ]
        return {"object": "list", "data": data}

    async def chat(self, request: Request) -> Response:
        """POST /v1/chat/completions, streamed or not."""
        chat = parse_chat_request(await request.body(), self.api.max_json_depth)
        generator = generator_for(chat.model)
        question, history = split_conversation(chat.messages)
        answered, answer = await self.queue.run(partial(self._answer, question, history, generator), request.receive)
        if not answered or answer is None:
            log.info("the client left before its turn: its place in the queue is freed, nothing answered")
            return Response(status_code=499)  # nobody is listening any more
        headers = answer_headers(answer)
        if chat.stream:
            headers["Cache-Control"] = "no-cache"
            events = _events(stream_events(answer, chat.model))
            return StreamingResponse(events, media_type="text/event-stream", headers=headers)
        return JSONResponse(completion(answer, chat.model), headers=headers)

    def _answer(self, question: str, history: list[dict[str, str]], generator: str) -> Answer:
        """One verified answer (on the answer thread)."""
        try:
            return self.assistant.ask(question, history, generator)
        except AssistantError as exc:
            raise assistant_error(exc) from None

    async def health(self) -> JSONResponse:
        """GET /health: 200 when documents are indexed and the default generator can answer; never queued."""
        body, ready = await anyio.to_thread.run_sync(self._checks, limiter=self.probes)
        body["queue"] = self.queue.status()
        return JSONResponse(body, status_code=200 if ready else 503)

    def _checks(self) -> tuple[dict[str, Any], bool]:
        """The health body (documents, generator) and whether the assistant can answer."""
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
        return body, ready


async def _error(request: Request, exc: Exception) -> JSONResponse:
    """ApiError, unknown routes (404), wrong methods (405) and other HTTP errors in the OpenAI shape."""
    if isinstance(exc, ApiError):
        return exc.response()
    status = getattr(exc, "status_code", 500)
    messages = {404: f"Unknown route: {request.method} {request.url.path}", 405: f"{request.method} is not allowed."}
    codes = {404: "not_found", 405: "method_not_allowed"}
    return ApiError(status, messages.get(status, str(getattr(exc, "detail", ""))), code=codes.get(status)).response()


def create_app(assistant: Any, api: ApiSettings | None = None) -> FastAPI:
    """The FastAPI app over an Assistant; `api` (bound host, limits, token variable) defaults to its settings.api."""
    api = api or assistant.settings.api
    app = FastAPI(title="assistant", docs_url=None, redoc_url=None, openapi_url=None)
    routes = _Routes(assistant, api)
    app.add_api_route("/v1/models", routes.models, methods=["GET"])
    app.add_api_route("/v1/chat/completions", routes.chat, methods=["POST"])
    app.add_api_route("/health", routes.health, methods=["GET"])
    app.add_exception_handler(StarletteHTTPException, _error)
    app.add_exception_handler(ApiError, _error)
    app.add_middleware(Guard, api=api, token=read_token(api.token_env))
    return app


def serve(settings: Settings) -> None:
    """Build the Assistant and serve the API with uvicorn on settings.api.host:port until interrupted."""
    import uvicorn

    from assistant.service import Assistant

    assistant = Assistant(settings)
    assistant.check_index()  # finishes interrupted removals, deletes orphans, logs what it did
    app = create_app(assistant, settings.api)
    host, port = settings.api.host, settings.api.port
    if log.level == logging.NOTSET:
        log.setLevel(logging.INFO)
    token = read_token(settings.api.token_env)
    auth = "on" if token else f"off (set {settings.api.token_env} to enable)"
    if token is None and not is_loopback(host):
        log.warning(
            "serving on %s without a bearer token: anyone who can reach it can query your documents "
            "(their Host header must be %s, a loopback name or one of api.allowed_hosts; set %s to require a token)",
            host,
            "an IP address" if host.strip("[]") in WILDCARD else host,
            settings.api.token_env,
        )
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
