"""Any OpenAI-compatible chat endpoint (OpenAI, Ollama, vLLM, LM Studio, llama.cpp) via langchain-openai."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

from pydantic import SecretStr

from assistant.errors import GeneratorError
from assistant.models import GenerationInput
from assistant.prompts import Prompt
from assistant.settings import OpenAISettings

log = logging.getLogger(__name__)
MAX_RETRY_AFTER_S = 10.0


class OpenAIGenerator:
    """Chat completions with timeouts, bounded retries with backoff, and plain-language errors."""

    name = "openai"

    def __init__(
        self, options: OpenAISettings, api_key: SecretStr | None, api_key_env: str, system: Prompt, answer: Prompt
    ) -> None:
        self.options = options
        self._api_key = api_key
        self._api_key_env = api_key_env
        self.system = system
        self.answer = answer
        self.sleep: Callable[[float], None] = time.sleep

    def _client(self) -> Any:
        """A langchain ChatOpenAI client; retries are ours, not the SDK's."""
        from langchain_openai import ChatOpenAI

        key = self._api_key.get_secret_value() if self._api_key else "not-needed"
        return ChatOpenAI(
            base_url=self.options.base_url,
            api_key=SecretStr(key),
            model=self.options.model,
            timeout=self.options.timeout_s,
            max_retries=0,
            temperature=self.options.temperature,
            max_completion_tokens=self.options.max_tokens,
        )

    def messages(self, data: GenerationInput) -> list[tuple[str, str]]:
        """System and user messages for the answer prompt."""
        user = self.answer.render(question=data.question, sources=data.sources_block())
        return [("system", self.system.render()), ("user", user)]

    def stream(self, data: GenerationInput) -> Iterator[str]:
        """Stream the answer; retry transient failures until the first token, then give up cleanly."""
        client, messages = self._client(), self.messages(data)
        for attempt in range(self.options.max_retries + 1):
            produced, reported = 0, None
            try:
                if self.options.stream:
                    for chunk in client.stream(messages):
                        reported = _output_tokens(chunk) or reported
                        data.prompt_tokens = _output_tokens(chunk, "input_tokens") or data.prompt_tokens
                        text = chunk.content if isinstance(chunk.content, str) else ""
                        if text:
                            produced += 1
                            yield text
                    data.completion_tokens = reported or produced  # usage when the server sends it
                else:
                    reply = client.invoke(messages)
                    data.completion_tokens = _output_tokens(reply)
                    data.prompt_tokens = _output_tokens(reply, "input_tokens")
                    yield str(reply.content)
                return
            except Exception as exc:  # noqa: BLE001 - classified below, re-raised as GeneratorError
                wait = self._retry_wait(exc, attempt)
                if produced or wait is None:
                    raise self._error(exc) from None
                log.warning("LLM endpoint attempt %d failed (%s); retrying in %.1fs", attempt + 1, _kind(exc), wait)
                self.sleep(wait)

    def _retry_wait(self, exc: Exception, attempt: int) -> float | None:
        """Seconds to wait before retrying, or None when the error is not transient or retries are spent."""
        import openai

        if attempt >= self.options.max_retries:
            return None
        transient = (openai.APIConnectionError, openai.RateLimitError, openai.InternalServerError)
        status = getattr(exc, "status_code", None)
        if not isinstance(exc, transient) and status not in (429, 500, 502, 503, 504):
            return None
        backoff = 0.5 * 2**attempt
        response = getattr(exc, "response", None)
        header = response.headers.get("retry-after") if response is not None else None
        if header:
            try:
                return min(MAX_RETRY_AFTER_S, max(backoff, float(header)))
            except ValueError:
                return backoff
        return backoff

    def _error(self, exc: Exception) -> GeneratorError:
        """A one-line message naming the setting to fix; never the key."""
        import openai

        where = f"The language model at {self.options.base_url}"
        if isinstance(exc, openai.APITimeoutError):
            message = f"{where} did not respond within {self.options.timeout_s:g}s (setting openai.timeout_s)"
        elif isinstance(exc, openai.APIConnectionError):
            message = f"{where} is unreachable (check setting openai.base_url)"
        elif isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
            message = f"{where} refused the API key (set the environment variable {self._api_key_env})"
        elif isinstance(exc, openai.NotFoundError):
            message = f"{where} has no model '{self.options.model}' (check setting openai.model)"
        elif isinstance(exc, openai.RateLimitError):
            message = f"{where} kept answering 'too many requests' (try later, or raise setting openai.max_retries)"
        elif isinstance(exc, openai.APIStatusError):
            message = f"{where} answered HTTP {exc.status_code} (check the server at setting openai.base_url)"
        else:
            message = f"{where} sent a response that could not be read ({_kind(exc)})"
        return GeneratorError(self._redact(message))

    def _redact(self, text: str) -> str:
        """Remove the API key from any text."""
        if self._api_key and self._api_key.get_secret_value():
            text = text.replace(self._api_key.get_secret_value(), "***")
        return text


def _output_tokens(message: Any, key: str = "output_tokens") -> int | None:
    """Completion (or, with key="input_tokens", prompt) tokens from a message's usage metadata, when reported."""
    usage = getattr(message, "usage_metadata", None) or {}
    count = usage.get(key)
    return count if isinstance(count, int) and count > 0 else None


def _kind(exc: Exception) -> str:
    """The error's class name only (messages may echo request details)."""
    return exc.__class__.__name__


def check_endpoint(options: OpenAISettings, api_key: SecretStr | None) -> str:
    """'ok' or the reason the endpoint cannot be used, by listing its models."""
    import httpx

    headers = {"Authorization": f"Bearer {api_key.get_secret_value()}"} if api_key else {}
    try:
        response = httpx.get(f"{options.base_url.rstrip('/')}/models", headers=headers, timeout=3.0)
    except httpx.HTTPError as exc:
        return f"unreachable ({_kind(exc)})"
    if response.status_code in (401, 403):
        return "API key refused"
    if response.status_code != 200:
        return f"HTTP {response.status_code}"
    try:
        ids = [m.get("id") for m in response.json().get("data", [])]
    except (ValueError, AttributeError):
        return "malformed /models response"
    if ids and options.model not in ids and options.model != "default":
        return f"model '{options.model}' not offered (has: {', '.join(map(str, ids[:5]))})"
    return "ok"
