"""`assistant serve-model`: a GGUF behind llama.cpp's OpenAI-compatible HTTP server, for `generator = "openai"`."""

from __future__ import annotations

import signal
import socket
import time
from types import FrameType
from typing import TYPE_CHECKING

from assistant.adapters.llamacpp_generator import LlamaCppServer, packaged_gguf
from assistant.errors import ConfigError
from assistant.interfaces.netnames import is_loopback
from assistant.settings import LocalLLMSettings, Settings

if TYPE_CHECKING:
    from collections.abc import Callable

ANY_ADDRESS = {"0.0.0.0", "::", "[::]", ""}


def model_options(settings: Settings, gguf: str | None, ctx: int | None) -> LocalLLMSettings:
    """The local-model settings with the command's GGUF and context size on top (default: the packaged SmolLM2)."""
    path = gguf or settings.local.gguf_path or packaged_gguf()
    return settings.local.model_copy(update={"gguf_path": path, "n_ctx": ctx or settings.local.n_ctx})


def check_address(host: str, port: int, allow_remote: bool) -> None:
    """Refuse a non-loopback host without allow_remote, and a port something already listens on."""
    if not is_loopback(host) and not allow_remote:
        raise ConfigError(
            f"Refusing to serve the model on {host}: anyone who can reach it could use it, and it has no login.",
            "Use --host 127.0.0.1 (the default), or add --allow-remote to serve it beyond this machine anyway.",
        )
    if port == 0:
        return
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as probe:
        try:
            probe.bind((host.strip("[]"), port))
        except OSError as exc:
            raise ConfigError(f"Cannot listen on {host}:{port}: {exc.strerror}.", "Pick another --port.") from exc


def usage_lines(base_url: str, model_id: str) -> list[str]:
    """What to print: where the model is served and the settings that make the assistant answer with it."""
    return [
        f"Serving {model_id} at {base_url} (OpenAI-compatible; Ctrl-C stops).",
        "To answer with it, put these lines in assistant.toml:",
        '    generator = "openai"',
        "    [openai]",
        f'    base_url = "{base_url}"',
        f'    model = "{model_id}"',
        f"or run: assistant ask --llm openai --base-url {base_url} --model {model_id} \"your question\"",
    ]


def client_url(server: LlamaCppServer, host: str, port: int) -> str:
    """The base URL a client on this machine uses (the server's own, or loopback when bound to every address)."""
    if host.strip() in ANY_ADDRESS:
        bound = server.base_url.rsplit(":", 1)[-1].split("/")[0] or str(port)
        return f"http://127.0.0.1:{bound}/v1"
    return server.base_url


def _say(line: str) -> None:
    """Print a line at once (a script reading the output waits for the URL)."""
    print(line, flush=True)


def _stop(signum: int, frame: FrameType | None) -> None:
    """SIGTERM ends the server like Ctrl-C."""
    raise KeyboardInterrupt


def serve_model(
    settings: Settings,
    gguf: str | None = None,
    host: str = "127.0.0.1",
    port: int = 8081,
    ctx: int | None = None,
    allow_remote: bool = False,
    echo: Callable[[str], None] = _say,
) -> int:
    """Serve the GGUF until Ctrl-C or SIGTERM; exit 0."""
    check_address(host, port, allow_remote)
    options = model_options(settings, gguf, ctx)
    server = LlamaCppServer(options, host=host, port=port)
    if not is_loopback(host):
        echo(f"warning: serving on {host} without a login: anyone who can reach this port can use the model.")
    for line in usage_lines(client_url(server, host, port), server.model_id):
        echo(line)
    signal.signal(signal.SIGTERM, _stop)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        echo("stopped")
    return 0
