"""How the HTTP API answers one chat request: the bounded answer queue, the answer thread's feed of events, and
the response that sends the completion or streams the events as they come, then logs the request.

Answers run one at a time (the CPU is the limit) on a worker thread of their own, never AnyIO's shared pool.
At most ``api.max_queue`` chat requests wait behind the running one; the next gets a 503 ``queue_full`` with a
``Retry-After`` estimated from recent answer times. A request keeps its turn until its answer is sent: a stream
until its last event is sent or its client disconnects. A client that disconnects while waiting gives up its
place at once and its answer never runs. One that disconnects during its answer stops it: the answer thread
closes ``Assistant.ask_stream`` when the generator hands over its next piece, and the next turn starts then.

The answer thread iterates ``Assistant.ask_stream`` and pushes each event (draft piece, then the verified
``Answer``, or the exception) into an AnyIO memory object stream that the response reads. Errors raised before
the first event (a bad question, an unknown source, nothing indexed, a generator that cannot be built) still get
their own status code, since a stream's headers are only sent with its first event.

Each request is logged once at INFO on the ``assistant.api`` logger as ``key=value`` pairs: its id (also the
completion ``id`` and the ``X-Request-Id`` header), status, generator, question length, timings, whether it
abstained and why, citation count and tokens. The question's first 80 characters are logged at DEBUG only;
headers (the bearer token) never are.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import anyio
import anyio.from_thread
import anyio.to_thread
from fastapi.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send

from assistant.errors import AssistantError, IndexEmptyError, QuestionError, UnknownSourceError
from assistant.interfaces.api_format import ApiError, ChunkWriter, answer_headers, completion
from assistant.models import Answer

log = logging.getLogger("assistant.api")  # one logger for the whole API
REQUEST_ID = "X-Request-Id"
Event = str | Answer


def assistant_error(exc: AssistantError) -> ApiError:
    """Map a user-facing assistant error to a status code."""
    if isinstance(exc, UnknownSourceError):
        return ApiError(400, exc.user_message(), param="sources", code="unknown_source")
    if isinstance(exc, QuestionError):
        return ApiError(400, exc.user_message(), param="messages", code="invalid_question")
    if isinstance(exc, IndexEmptyError):
        return ApiError(503, exc.user_message(), "server_error", code="index_empty")
    return ApiError(503, exc.user_message(), "server_error", code="backend_unavailable")


def _ms(since: float) -> float:
    """Milliseconds since a perf_counter reading."""
    return (time.perf_counter() - since) * 1000


@dataclass
class Job:
    """One chat request to answer, and what happened to it (for the log line)."""

    id: str
    model: str
    generator: str
    question: str
    history: list[dict[str, str]]
    sources: list[str] | None = None
    stream: bool = False
    include_usage: bool = False
    received: float = field(default_factory=time.perf_counter)
    marks: dict[str, float] = field(default_factory=dict)  # queue, first_piece: ms after `received`
    status: int | None = None
    answer: Answer | None = None
    sent: bool = False  # the whole response went out
    broke: str = ""  # the exception class that ended a stream early


# --- the answer queue --------------------------------------------------------------------------
class AnswerQueue:
    """One answer at a time on a worker thread of its own, behind a bounded line of waiters who may leave."""

    def __init__(self, max_waiting: int) -> None:
        """At most max_waiting requests wait while one runs."""
        self.max_waiting = max_waiting
        self.slot = anyio.Lock()  # fair: waiters get their turn in arrival order
        self.thread = anyio.CapacityLimiter(1)  # answers never borrow AnyIO's default worker threads
        self.waiting = 0
        self.seconds = 1.0  # how long a turn takes, smoothed over recent turns (for Retry-After)

    def status(self) -> dict[str, int]:
        """Running and waiting answers, for /health."""
        return {"running": int(self.slot.locked()), "waiting": self.waiting, "max_waiting": self.max_waiting}

    async def acquire(self) -> None:
        """Wait for the turn (cancellable: leaving frees the place); 503 when the line is full."""
        if self.slot.locked() and self.waiting >= self.max_waiting:
            raise self._full()
        try:
            self.slot.acquire_nowait()
        except anyio.WouldBlock:
            self.waiting += 1
            try:
                await self.slot.acquire()
            finally:
                self.waiting -= 1

    def release(self, seconds: float) -> None:
        """End the turn, which took this long."""
        self.seconds = 0.7 * self.seconds + 0.3 * seconds
        self.slot.release()

    async def run(self, work: Callable[[], None]) -> None:
        """Run work on the answer thread (waited for even when cancelled: the thread stops itself)."""
        await anyio.to_thread.run_sync(work, limiter=self.thread)

    def _full(self) -> ApiError:
        """The 503 for a full queue, with a Retry-After estimate in seconds."""
        retry = min(3600, max(1, math.ceil(self.seconds * (self.waiting + 1))))
        message = f"The assistant is busy: {self.waiting} questions are waiting already. Retry in about {retry} s."
        return ApiError(503, message, "server_error", code="queue_full", headers={"Retry-After": str(retry)})


class Feed:
    """The events of one answer, handed from the answer thread to the event loop as they are made."""

    def __init__(self, events: Callable[[], Iterator[Event]]) -> None:
        """events() starts the answer (Assistant.ask_stream); nothing runs until produce()."""
        self.events = events
        self.sender, self.receiver = anyio.create_memory_object_stream[Event | Exception](math.inf)

    def produce(self) -> None:
        """On the answer thread: send each event; close the answer as soon as nobody receives any more."""
        iterator: Iterator[Event] | None = None
        try:
            iterator = self.events()
            for event in iterator:
                anyio.from_thread.run_sync(self.sender.send_nowait, event)
        except anyio.BrokenResourceError:
            pass  # the response stopped reading (client gone): stop generating
        except Exception as exc:  # noqa: BLE001 - raised on the event loop, which knows the status code
            self._send(exc)
        finally:
            self._close(iterator)
            anyio.from_thread.run_sync(self.sender.close)

    @staticmethod
    def _close(iterator: Iterator[Event] | None) -> None:
        """Close the answer: GeneratorExit inside ask_stream, which stops consuming the generator."""
        try:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()
        except Exception:  # noqa: BLE001 - the answer is over either way
            log.exception("closing an answer failed")

    def _send(self, event: Event | Exception) -> None:
        """Send one event unless nobody receives any more."""
        try:
            anyio.from_thread.run_sync(self.sender.send_nowait, event)
        except anyio.BrokenResourceError:
            pass


async def _cancel_on_disconnect(receive: Receive, scope: anyio.CancelScope) -> None:
    """Cancel scope when the server reports that the client went away (the body is already read)."""
    while (await receive())["type"] != "http.disconnect":
        pass
    scope.cancel()


# --- the response ------------------------------------------------------------------------------
class AnswerResponse(Response):
    """The answer to one chat request, sent in its turn: the completion, or the event stream as it is written."""

    def __init__(self, job: Job, queue: AnswerQueue, events: Callable[[], Iterator[Event]]) -> None:
        """Answer job in its turn of queue; events() starts the answer on the answer thread."""
        super().__init__(status_code=200)
        self.job, self.queue, self.events = job, queue, events

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Wait for the turn and answer, until done or the client disconnects; then log the request."""
        failed: list[Exception] = []
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(_cancel_on_disconnect, receive, tasks.cancel_scope)
            try:
                await self._turn(scope, receive, send)
            except Exception as exc:  # noqa: BLE001 - answered below, outside the task group (no ExceptionGroup)
                failed.append(exc)
            tasks.cancel_scope.cancel()
        error = failed[0] if failed else None
        if isinstance(error, ApiError) and self.job.status is None:
            self.job.status = error.status
            await error.response({REQUEST_ID: self.job.id})(scope, receive, send)
            self.job.sent = True
        log_request(self.job, error)
        if error is not None and not isinstance(error, ApiError):
            raise error  # the front door logs it and answers a plain 500

    async def _turn(self, scope: Scope, receive: Receive, send: Send) -> None:
        """In the answer slot: run the answer on the answer thread while the events are sent."""
        await self.queue.acquire()
        self.job.marks["queue"] = _ms(self.job.received)
        started, failed = time.perf_counter(), []
        feed = Feed(self.events)
        try:
            async with anyio.create_task_group() as work:
                work.start_soon(self.queue.run, feed.produce)
                with feed.receiver:  # closed when sending ends, however it ends: the answer thread then stops
                    try:
                        if self.job.stream:
                            await self._stream(feed, send)
                        else:
                            await self._complete(feed, scope, receive, send)
                    except Exception as exc:  # noqa: BLE001 - raised below, outside the task group
                        failed.append(exc)
        finally:
            self.queue.release(time.perf_counter() - started)
        if failed:
            raise failed[0]

    async def _next(self, feed: Feed) -> Event | Exception | None:
        """The next event of the answer (None at its end), noting when the first draft piece arrived."""
        try:
            event = await feed.receiver.receive()
        except anyio.EndOfStream:
            return None
        if isinstance(event, str) and event and "first_piece" not in self.job.marks:
            self.job.marks["first_piece"] = _ms(self.job.received)
        return event

    async def _complete(self, feed: Feed, scope: Scope, receive: Receive, send: Send) -> None:
        """Wait for the verified answer and send it as one chat.completion."""
        answer = None
        while (event := await self._next(feed)) is not None:
            if isinstance(event, Exception):
                raise _api_error(event)
            if isinstance(event, Answer):
                answer = event
        answer = self.job.answer = _required(answer)
        headers = {**answer_headers(answer), REQUEST_ID: self.job.id}
        body = completion(answer, self.job.model, self.job.id)
        self.job.status = 200
        await JSONResponse(body, headers=headers)(scope, receive, send)
        self.job.sent = True

    async def _stream(self, feed: Feed, send: Send) -> None:
        """Send each event as it comes: the draft pieces, then the verified answer (see api_format)."""
        event = await self._next(feed)
        if event is None:
            raise RuntimeError("the answer ended without any event")
        if isinstance(event, Exception):
            raise _api_error(event)
        headers = [(b"content-type", b"text/event-stream; charset=utf-8"), (b"cache-control", b"no-cache"),
                   (b"x-accel-buffering", b"no"), (REQUEST_ID.lower().encode(), self.job.id.encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        self.job.status = 200
        writer = ChunkWriter(self.job.id, self.job.model, self.job.include_usage)
        await _body(send, writer.role())
        while event is not None:
            if isinstance(event, Exception):
                await _body(send, ChunkWriter.failure(_broken(self.job, event)))
                break
            if isinstance(event, Answer):
                self.job.answer = event
                await _body(send, writer.final(event))
            elif event:
                await _body(send, writer.draft(event))
            event = await self._next(feed)
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        self.job.sent = True


async def _body(send: Send, data: bytes) -> None:
    """Send part of a streamed body right away."""
    await send({"type": "http.response.body", "body": data, "more_body": True})


def _api_error(exc: Exception) -> Exception:
    """The error to answer for an exception of the answer: ApiError for the user's errors, else itself (a 500)."""
    return assistant_error(exc) if isinstance(exc, AssistantError) else exc


def _required(answer: Answer | None) -> Answer:
    """The verified answer, which every answer ends with."""
    if answer is None:
        raise RuntimeError("the answer ended without a verified answer")
    return answer


def _broken(job: Job, exc: Exception) -> str:
    """Log an answer that broke after its stream started; the message for the client's error event."""
    job.broke = type(exc).__name__
    if isinstance(exc, AssistantError):
        log.warning("request=%s broke mid-stream: %s", job.id, exc)
        return exc.user_message()
    log.error("request=%s broke mid-stream", job.id, exc_info=exc)
    return "Internal server error."


# --- the request log ---------------------------------------------------------------------------
def log_request(job: Job, error: Exception | None = None) -> None:
    """One INFO line per chat request (never its headers; the question itself only at DEBUG)."""
    fields: dict[str, Any] = {
        "request": job.id,
        "status": job.status if job.status is not None else 500 if error else "none",
        "generator": job.generator,
        "stream": str(job.stream).lower(),
        "question_chars": len(job.question),
        "sources": len(job.sources) if job.sources is not None else "all",
    }
    fields.update({f"{k}_ms": round(v) for k, v in job.marks.items()})
    if isinstance(error, ApiError) or job.broke:
        fields["error"] = error.code if isinstance(error, ApiError) else f"mid_stream_{job.broke}"
    if (answer := job.answer) is not None:
        fields.update({f"{k}_ms": round(v) for k, v in answer.timings_ms.items()})
        fields["abstained"] = str(answer.abstained).lower()
        if answer.abstained or answer.fallback:
            fields["reason"] = repr(_reason(answer)[:200])
        fields.update(citations=len(answer.citations), completion_tokens=answer.tokens or 0)
    if not job.sent and error is None:
        fields["client_left"] = "true"
    fields["request_ms"] = round(_ms(job.received))
    log.info("%s", " ".join(f"{k}={v}" for k, v in fields.items()))


def _reason(answer: Answer) -> str:
    """Why the answer abstained or fell back: the service's notes (never the question's own words)."""
    if answer.notes:
        return "; ".join(answer.notes)
    return "nothing retrieved" if not answer.retrieved else "no passage supports an answer"


def log_arrival(job: Job) -> None:
    """At DEBUG only: the start of the question."""
    log.debug("request=%s question=%r", job.id, job.question[:80])
