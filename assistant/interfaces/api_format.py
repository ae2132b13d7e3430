"""The OpenAI wire format of the HTTP API: errors, chat requests, completions and their server-sent events.

Streaming (``stream: true``) is real: each piece of the generator's draft is sent as a ``chat.completion.chunk``
as soon as it is written. The draft is provisional (verification can rewrite or drop its sentences, and OpenAI
clients simply concatenate deltas), so draft chunks carry ``"draft": true`` in their delta, and one final chunk
(``finish_reason: "stop"``) carries the verified answer in an extension object ``delta.answer``: exactly the
``message`` a non-streamed request returns. A client that knows the extension replaces the draft with
``answer.content``. For one that does not, the final chunk's ``delta.content`` completes what it concatenated:
the Sources block (and note) when the draft was the verified answer word for word, else a line
``-------------------- verified:`` and the whole verified content (as ``assistant ask`` prints it), or the whole
content when no draft was written (abstentions, date answers). With ``stream_options: {"include_usage": true}``
a last chunk with empty ``choices`` carries ``usage`` (the others then have ``"usage": null``, as OpenAI does).
Then ``data: [DONE]``.

``usage`` counts the tokens the generator reports: ``completion_tokens`` (the local and openai generators report
them) and ``prompt_tokens`` (when a generator reports them); a count that is not reported is 0, as it is for the
extractive generator and for answers made without a generator (abstentions, date answers, summaries).

Extras next to ``content`` on the message: ``abstained``, ``citations`` (as ``ask --json``, plus ``quote``, the
cited sentence, and ``quote_start``/``quote_end``, its offsets in the document text: ``document_text[start:end]
== text`` and ``document_text[quote_start:quote_end] == quote``), ``fallback`` (true when the language model
failed and quoted evidence is shown instead) and ``notes`` (what went wrong or what the checker changed). Every
error is the OpenAI shape ``{"error": {"message", "type", "param", "code"}}``.

Requests: the body must be UTF-8 JSON nesting arrays/objects at most ``max_depth`` levels (checked on the raw
bytes before parsing, so deep input never reaches the recursive parser), and no string may hold a lone UTF-16
surrogate (a ``\\ud800`` escape is valid JSON but not text): each is a 400 saying so. ``sources``, when given, is a
non-empty list of document names (as indexed, or a file name that names one document) the answer is limited to.
"""

from __future__ import annotations

import json
import re
import textwrap
import time
import uuid
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from assistant.models import Answer, Citation

SOURCES_HEADER = "Sources:"
NOTE_HEADER = "Note:"
FALLBACK_HEADER = "x-assistant-fallback"
VERIFIED_HEADER = "-" * 20 + " verified:"
QUOTE_CHARS = 200
_DROPPED_ROLES = {"system", "developer", "tool", "function"}
_TRAILER = re.compile(rf"\n\n(?:{SOURCES_HEADER}\n|{NOTE_HEADER} )")
_VERIFIED = f"\n\n{VERIFIED_HEADER}\n\n"
MAX_DEPTH = 32
MAX_SOURCES, MAX_SOURCE_CHARS = 100, 1000  # a request's `sources`: names, and characters per name
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_AS_SQUARE = bytes.maketrans(b"{}", b"[]")  # which kind of bracket does not matter for depth (json checks pairing)
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")  # cheap test before walking the data
_SURROGATE = re.compile("[\ud800-\udfff]")  # json.loads pairs valid escapes, so any left is a lone one


class ApiError(Exception):
    """An error answered in the OpenAI shape with a status code."""

    def __init__(
        self,
        status: int,
        message: str,
        type_: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """Keep the fields of the OpenAI error object and any response headers (Retry-After)."""
        super().__init__(message)
        self.status, self.message, self.type, self.param, self.code = status, message, type_, param, code
        self.headers = headers or {}

    def response(self, headers: dict[str, str] | None = None) -> JSONResponse:
        """The JSON response for this error."""
        body = {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}
        return JSONResponse(body, status_code=self.status, headers={**self.headers, **(headers or {})})


# --- requests ----------------------------------------------------------------------------------
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


class StreamOptions(_Lenient):
    """stream_options: include_usage asks for a last chunk with the usage."""

    include_usage: bool | None = False


class ChatRequest(_Lenient):
    """The fields of a chat completion request that the assistant uses (sources is our extension)."""

    model: str
    messages: list[ChatMessage]
    stream: bool | None = False
    stream_options: StreamOptions | None = None
    sources: list[Annotated[str, StringConstraints(max_length=MAX_SOURCE_CHARS)]] | None = Field(
        default=None, max_length=MAX_SOURCES
    )

    @property
    def include_usage(self) -> bool:
        """Whether a streamed answer ends with a usage chunk."""
        return bool(self.stream_options and self.stream_options.include_usage)


def nesting_exceeds(body: bytes, limit: int) -> bool:
    """Whether JSON text nests arrays/objects deeper than limit, or its brackets do not pair up (strings skipped)."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    unescaped = body.replace(b"\\\\", b"").replace(b'\\"', b"")  # escaped backslashes first, then quotes
    outside = b"".join(unescaped.split(b'"')[::2])  # the text between string literals
    brackets = outside.translate(_AS_SQUARE, _NOT_BRACKETS)
    for _ in range(limit):  # each pass removes the innermost level
        inner = brackets.replace(b"[]", b"")
        if not inner or len(inner) == len(brackets):
            return bool(inner)  # all paired within the limit, or brackets that can never pair
        brackets = inner
    return True


def lone_surrogate(value: Any, path: tuple[str, ...] = ()) -> tuple[str, ...] | None:
    """Where in parsed JSON a string (or key) holds a lone UTF-16 surrogate, or None."""
    if isinstance(value, str):
        return None if _SURROGATE.search(value) is None else path
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        if isinstance(key, str) and _SURROGATE.search(key):
            return path
        if (found := lone_surrogate(item, (*path, str(key)))) is not None:
            return found
    return None


def parse_json(body: bytes, max_depth: int = MAX_DEPTH) -> Any:
    """Decode a UTF-8 JSON body nesting at most max_depth levels whose text is all encodable; else 400."""
    try:
        text = body.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        message = f"The request body cannot be decoded: it is not UTF-8 ({exc.reason} at byte {exc.start})."
        raise ApiError(400, message, code="invalid_request") from None
    deep = f"The request body nests arrays or objects deeper than {max_depth} levels (or its brackets do not pair up)."
    too_deep = ApiError(400, deep, code="invalid_json")
    if nesting_exceeds(body, max_depth):
        raise too_deep
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ApiError(400, f"The request body is not valid JSON: {exc}", code="invalid_json") from None
    except RecursionError:  # not reached after the check above; kept so deep input can never be a 500
        raise too_deep from None
    if _SURROGATE_ESCAPE.search(body) and (where := lone_surrogate(data)) is not None:
        message = "The request holds text that cannot be decoded: a lone UTF-16 surrogate (such as \\ud800)."
        raise ApiError(400, message, param=".".join(where) or None, code="invalid_request")
    return data


def parse_chat_request(body: bytes, max_depth: int = MAX_DEPTH) -> ChatRequest:
    """Parse and validate a chat completion body; problems are 400 errors."""
    data = parse_json(body, max_depth)
    if not isinstance(data, dict):
        raise ApiError(400, "The request body must be a JSON object.", code="invalid_json")
    try:
        chat = ChatRequest.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        param = ".".join(str(p) for p in first["loc"]) or None
        raise ApiError(400, f"Invalid request: {param}: {first['msg']}", param=param, code="invalid_value") from None
    if chat.sources is not None and not [s for s in chat.sources if s.strip()]:
        message = "sources must name at least one document (leave it out to search every document)."
        raise ApiError(400, message, param="sources", code="invalid_value")
    return chat


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
        if message.role == "assistant":  # our own earlier answers come back with a draft, sources and note
            text = _TRAILER.split(text.rpartition(_VERIFIED)[2], maxsplit=1)[0]
        turns.append({"role": message.role, "content": text})
    last = max((i for i, t in enumerate(turns) if t["role"] == "user"), default=None)
    if last is None:
        raise ApiError(400, "The conversation has no user message.", param="messages", code="no_user_message")
    history = [t for t in turns[:last] if t["content"].strip()]
    return turns[last]["content"], history


# --- responses ---------------------------------------------------------------------------------
def fallback_note(answer: Answer) -> str | None:
    """The note saying the language model failed and quoted evidence is shown instead, if it did."""
    return answer.notes[0] if answer.fallback and answer.notes else None  # the service puts it first


def source_line(citation: Citation) -> str:
    """One line of the Sources block: [n] title (source): "the supporting sentence (or passage start)"."""
    passage = textwrap.shorten(" ".join(citation.quote().split()), QUOTE_CHARS, placeholder=" …")
    title = citation.chunk.title or citation.chunk.source
    where = f" ({citation.chunk.source})" if citation.chunk.title else ""
    where += f" › {citation.section}" if citation.section else ""
    return f'[{citation.id}] {title}{where}: "{passage}"'


def render_content(answer: Answer) -> str:
    """The verified answer with its [n] markers, the Sources block, and a note when the model failed."""
    content = answer.answer
    if answer.citations:
        lines = "\n".join(source_line(c) for c in answer.citations)
        content += f"\n\n{SOURCES_HEADER}\n{lines}"
    if note := fallback_note(answer):
        content += f"\n\n{NOTE_HEADER} {note}"
    return content


def citation_dict(citation: Citation) -> dict[str, Any]:
    """A citation as `ask --json` gives it, plus the cited sentence and its offsets in the document text."""
    start = citation.chunk.start if citation.quote_start is None else citation.quote_start
    end = citation.chunk.end if citation.quote_end is None else citation.quote_end
    return {**citation.to_dict(), "quote": citation.quote(), "quote_start": start, "quote_end": end}


def message(answer: Answer) -> dict[str, Any]:
    """The assistant message: the content with its Sources block, and the extras next to it."""
    return {
        "role": "assistant",
        "content": render_content(answer),
        "abstained": answer.abstained,
        "citations": [citation_dict(c) for c in answer.citations],
        "fallback": answer.fallback,
        "notes": list(answer.notes),
    }


def usage(answer: Answer) -> dict[str, int]:
    """Token counts as the generator reported them; 0 for a count it did not report."""
    prompt, produced = answer.prompt_tokens or 0, answer.tokens or 0
    return {"prompt_tokens": prompt, "completion_tokens": produced, "total_tokens": prompt + produced}


def new_id() -> str:
    """A completion id, also the request id of the logs and the X-Request-Id header."""
    return f"chatcmpl-{uuid.uuid4().hex}"


def completion(answer: Answer, model: str, request_id: str) -> dict[str, Any]:
    """A chat.completion object whose message carries the extras, with the usage."""
    return {
        "id": request_id,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message(answer), "finish_reason": "stop", "logprobs": None}],
        "usage": usage(answer),
    }


def stream_tail(answer: Answer, streamed: str) -> str:
    """What completes the streamed draft for a client that only concatenates deltas (see the module docstring)."""
    content = render_content(answer)
    if not streamed.strip():
        return content
    if streamed.strip() == answer.answer.strip():
        return content[len(answer.answer) :]
    return f"{_VERIFIED}{content}"


class ChunkWriter:
    """The server-sent events of one streamed completion, as bytes: role, draft pieces, the final answer."""

    def __init__(self, request_id: str, model: str, include_usage: bool = False) -> None:
        """Events for this completion id and model; include_usage adds the usage chunk."""
        self.base = {"id": request_id, "object": "chat.completion.chunk", "created": int(time.time()), "model": model}
        self.include_usage = include_usage
        self.streamed = ""  # the draft text sent so far

    def _event(self, choices: list[dict[str, Any]], **extra: Any) -> bytes:
        """One `data:` line holding a chunk."""
        chunk = {**self.base, "choices": choices, **({"usage": None} if self.include_usage else {}), **extra}
        return f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode()

    def _delta(self, delta: dict[str, Any], finish: str | None = None) -> bytes:
        """A chunk with one choice holding this delta."""
        return self._event([{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}])

    def role(self) -> bytes:
        """The first chunk: the assistant's role."""
        return self._delta({"role": "assistant", "content": ""})

    def draft(self, piece: str) -> bytes:
        """A piece of the provisional draft, as the generator wrote it."""
        self.streamed += piece
        return self._delta({"content": piece, "draft": True})

    def final(self, answer: Answer) -> bytes:
        """The verified answer (delta.answer), the usage chunk when asked for, and [DONE]."""
        delta = {"content": stream_tail(answer, self.streamed), "answer": message(answer)}
        events = self._delta(delta, "stop")
        if self.include_usage:
            events += self._event([], usage=usage(answer))
        return events + DONE

    @staticmethod
    def failure(text: str) -> bytes:
        """An error event (the OpenAI client raises APIError on it) when the answer breaks mid-stream."""
        error = {"message": text, "type": "server_error", "param": None, "code": "internal_error"}
        return f"data: {json.dumps({'error': error})}\n\n".encode() + DONE


DONE = b"data: [DONE]\n\n"


def answer_headers(answer: Answer) -> dict[str, str]:
    """Response headers of a non-streamed answer: x-assistant-fallback says whether it is the quoted fallback."""
    return {FALLBACK_HEADER: "true" if answer.fallback else "false"}
