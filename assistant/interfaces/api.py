"""OpenAI-compatible HTTP API over the Assistant: GET /v1/models, POST /v1/chat/completions, GET /health.

The wire format (errors, requests, completions, streamed chunks) lives in api_format.py; the front door
(bearer token, Host/Origin checks without a token, JSON-only bodies, size limit, plain 500s) in api_guard.py;
the answer queue, true streaming and the per-request log in api_answer.py.

When the language model fails mid-request the answer is still a 200: the quoted-evidence fallback, with a note
in ``content``, ``fallback: true`` and ``notes`` next to ``citations``, and (not streamed) the header
``x-assistant-fallback: true``. A 503 means the assistant cannot answer at all (nothing indexed, or the
generator cannot be built), or that the answer queue is full. ``sources`` naming a document that is not indexed
is a 400 (code ``unknown_source``).

Refused with a 400 before anything runs: a body that is not UTF-8, JSON nesting deeper than
``api.max_json_depth``, text holding a lone UTF-16 surrogate. See api_guard.py for 401, 403, 413 and 415.

Every chat response past the front door carries ``X-Request-Id``, the completion's ``id`` and the id its log
line names. /health and /v1/models never queue: /v1/models is computed on the event loop, /health runs its
checks on its own two threads and also reports the queue (running, waiting).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

import anyio
import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant.components import check_generator
from assistant.interfaces.api_answer import (
    REQUEST_ID,
    AnswerQueue,
    AnswerResponse,
    Event,
    Job,
    log_arrival,
    log_request,
)
from assistant.interfaces.api_format import ApiError, new_id, parse_chat_request, split_conversation
from assistant.interfaces.api_guard import WILDCARD, Guard, read_token
from assistant.interfaces.netnames import is_loopback
from assistant.registry import GENERATORS
from assistant.settings import ApiSettings, Settings

log = logging.getLogger("assistant.api")  # one logger for the whole API
MODEL_PREFIX = "assistant-"
HEALTH_THREADS = 2


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


# --- routes ------------------------------------------------------------------------------------
class _Routes:
    """Route handlers bound to one Assistant and its answer queue."""

    def __init__(self, assistant: Any, api: ApiSettings) -> None:
        """Bind to an Assistant (anything with settings, ask_stream and documents)."""
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

    async def documents(self) -> dict[str, Any]:
        """GET /v1/documents: the indexed documents (the names a request's `sources` may use), never queued."""
        listed = await anyio.to_thread.run_sync(self._documents, limiter=self.probes)
        return {"object": "list", "data": listed}

    def _documents(self) -> list[dict[str, Any]]:
        """Each indexed document's source name, title and date."""
        return [{"source": src, "title": title, "date": day} for src, title, day in self.assistant.catalog()]

    async def chat(self, request: Request) -> Response:
        """POST /v1/chat/completions, streamed or not: answered in its turn by an AnswerResponse."""
        job = Job(id=new_id(), model="", generator="", question="", history=[])
        try:
            chat = parse_chat_request(await request.body(), self.api.max_json_depth)
            job.model, job.generator = chat.model, generator_for(chat.model)
            job.question, job.history = split_conversation(chat.messages)
        except ApiError as exc:
            job.status = exc.status
            log_request(job, exc)
            exc.headers = {**exc.headers, REQUEST_ID: job.id}
            raise
        job.sources, job.stream, job.include_usage = chat.sources, bool(chat.stream), chat.include_usage
        log_arrival(job)
        return AnswerResponse(job, self.queue, lambda: self._events(job))

    def _events(self, job: Job) -> Iterator[Event]:
        """The answer's events: draft pieces, then the verified Answer (iterated on the answer thread)."""
        return self.assistant.ask_stream(job.question, job.history, job.generator, sources=job.sources)

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
    app.add_api_route("/v1/documents", routes.documents, methods=["GET"])
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
