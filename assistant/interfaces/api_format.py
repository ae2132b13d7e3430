"""The OpenAI wire format of the HTTP API: errors, chat requests, completions and their server-sent events.

Streaming: verification can rewrite or drop sentences of the generator's draft, and OpenAI clients simply
concatenate deltas (there is no way to take one back). So a request with ``stream: true`` is answered like a
non-streamed one (generate, then verify) and only the verified text is streamed: a role chunk, several
content chunks, then a final chunk with ``finish_reason: "stop"`` whose delta carries the extras, then
``data: [DONE]``. A consequence is that errors still get their proper status code when streaming.

Extras next to ``content`` (on the message, or on the final chunk's delta): ``citations`` (as ``ask --json``),
``fallback`` (true when the language model failed and quoted evidence is shown instead) and ``notes`` (what
went wrong or what the checker changed). Every error is the OpenAI shape
``{"error": {"message", "type", "param", "code"}}``.

Requests: the body must be UTF-8 JSON nesting arrays/objects at most ``max_depth`` levels (checked on the raw
bytes before parsing, so deep input never reaches the recursive parser), and no string may hold a lone UTF-16
surrogate (a ``\ud800`` escape is valid JSON but not text): each is a 400 saying so.
"""

from __future__ import annotations

import json
import re
import textwrap
import time
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, ValidationError

from assistant.models import Answer, Citation

SOURCES_HEADER = "Sources:"
NOTE_HEADER = "Note:"
FALLBACK_HEADER = "x-assistant-fallback"
QUOTE_CHARS = 200
WORDS_PER_CHUNK = 6
_DROPPED_ROLES = {"system", "developer", "tool", "function"}
_TRAILER = re.compile(rf"\n\n(?:{SOURCES_HEADER}\n|{NOTE_HEADER} )")
MAX_DEPTH = 32
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


class ChatRequest(_Lenient):
    """The fields of a chat completion request that the assistant uses."""

    model: str
    messages: list[ChatMessage]
    stream: bool | None = False


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
        if message.role == "assistant":  # our own earlier answers come back with their sources and note
            text = _TRAILER.split(text, maxsplit=1)[0]
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


def extras(answer: Answer) -> dict[str, Any]:
    """The fields sent next to content: citations, whether this is the quoted fallback, and the notes."""
    return {
        "citations": [c.to_dict() for c in answer.citations],
        "fallback": answer.fallback,
        "notes": list(answer.notes),
    }


def completion(answer: Answer, model: str) -> dict[str, Any]:
    """A chat.completion object whose message carries the extras (citations, fallback, notes)."""
    message = {"role": "assistant", "content": render_content(answer), **extras(answer)}
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
    """Server-sent events of the verified answer: role, content pieces, final chunk with the extras, [DONE]."""
    base = {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
    }

    def event(delta: dict[str, Any], finish: str | None = None) -> str:
        """One `data:` line holding a chunk with this delta."""
        choice = {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}
        return f"data: {json.dumps({**base, 'choices': [choice]}, ensure_ascii=False)}\n\n"

    yield event({"role": "assistant", "content": ""})
    for piece in text_pieces(render_content(answer)):
        yield event({"content": piece})
    yield event(extras(answer), "stop")
    yield "data: [DONE]\n\n"


def answer_headers(answer: Answer) -> dict[str, str]:
    """Response headers of an answer: x-assistant-fallback says whether it is the quoted fallback."""
    return {FALLBACK_HEADER: "true" if answer.fallback else "false"}
