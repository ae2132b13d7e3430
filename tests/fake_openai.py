"""A scripted OpenAI-compatible server on 127.0.0.1 for fault tests (real sockets, real HTTP)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

GOOD = "Alexander Darchiyev will lead the Russian delegation."


@dataclass
class Step:
    """One scripted response: status, body (default: `text` as a completion), headers, a hang, or a cut stream."""

    status: int = 200
    text: str = GOOD
    body: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    hang: float = 0.0  # seconds to wait before not answering at all
    cut: int = 0  # with streaming: send only this many events, then drop the connection


def completion(text: str, stream: bool) -> str:
    """A chat completion (or its SSE stream) carrying text."""
    if not stream:
        return json.dumps(
            {
                "id": "c1",
                "object": "chat.completion",
                "created": 0,
                "model": "m",
                "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}],
            }
        )
    events = []
    for i, word in enumerate(text.split(" ")):
        delta = {"content": word if i == 0 else " " + word}
        chunk = {
            "id": "c1",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": "m",
            "choices": [{"index": 0, "delta": delta, "finish_reason": None}],
        }
        events.append(f"data: {json.dumps(chunk)}\n\n")
    return "".join(events) + "data: [DONE]\n\n"


class Script:
    """The steps to play, one per request (the last one repeats), and what was received."""

    def __init__(self, steps: list[Step]) -> None:
        self.steps = steps
        self.requests: list[dict] = []
        self.headers: list[dict[str, str]] = []

    def next(self) -> Step:
        """The step for the current request."""
        index = min(len(self.requests) - 1, len(self.steps) - 1)
        return self.steps[index]


def _handler(script: Script) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            body = json.dumps({"object": "list", "data": [{"id": "m", "object": "model"}]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            request = json.loads(self.rfile.read(length) or b"{}")
            script.requests.append(request)
            script.headers.append({k.lower(): v for k, v in self.headers.items()})
            step = script.next()
            if step.hang:
                time.sleep(step.hang)
                return
            stream = bool(request.get("stream"))
            body = (step.body if step.body is not None else completion(step.text, stream)).encode()
            self.send_response(step.status)
            kind = "text/event-stream" if stream and step.status == 200 and step.body is None else "application/json"
            self.send_header("Content-Type", kind)
            for k, v in step.headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if step.cut:  # promise the whole body, send the first events, then drop the connection
                body = b"".join(part + b"\n\n" for part in body.split(b"\n\n")[: step.cut])
            self.wfile.write(body)

    return Handler


@contextmanager
def serve(steps: list[Step]) -> Iterator[tuple[str, Script]]:
    """Run the scripted server; yields its base URL (…/v1) and the script."""
    script = Script(steps)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(script))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", script
    finally:
        server.shutdown()
        server.server_close()
