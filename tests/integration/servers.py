"""Local servers for integration tests: a free port on 127.0.0.1, an ASGI app under uvicorn in a thread."""

from __future__ import annotations

import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn
from fastapi import FastAPI


def cli_command(index_dir: Path, *args: str) -> list[str]:
    """The command line that runs the assistant CLI on an index."""
    return [sys.executable, "-m", "assistant.interfaces.cli", "--index-dir", str(index_dir), *args]


def free_port() -> int:
    """A TCP port nobody listens on right now, on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve_app(app: FastAPI, log_level: str = "warning") -> Iterator[str]:
    """Serve app with uvicorn in a background thread on 127.0.0.1; yield its base URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level=log_level))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 300
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{server.config.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
