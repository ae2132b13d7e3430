"""The "Answer with" choices: each generator's state (ready / not configured / unreachable), checked cheaply and
cached. No model is loaded: `local` needs its binding and GGUF file, `openai` a base URL that answers GET /models
within a second (asked only when the URL is loopback or was configured explicitly)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from assistant.interfaces.netnames import is_loopback

if TYPE_CHECKING:
    from assistant.settings import Settings

READY, NOT_CONFIGURED, UNREACHABLE = "ready", "not configured", "unreachable"
CACHE_S = 60.0  # a state is checked again after this long
PROBE_TIMEOUT_S = 1.0

# (url, headers, timeout) -> HTTP status; raises OSError-like errors when nothing answers
Probe = Callable[[str, dict[str, str], float], int]


@dataclass(frozen=True)
class GeneratorState:
    """One generator and whether it can answer now; reason says why not (or what was checked)."""

    name: str
    state: str
    reason: str = ""

    @property
    def usable(self) -> bool:
        """Whether a question may be sent to it."""
        return self.state == READY

    @property
    def label(self) -> str:
        """How the dropdown shows it."""
        return f"{self.name} — {self.state}"

    def refusal(self) -> str:
        """The message shown when a question is sent to it while it cannot answer."""
        return f"“{self.name}” cannot answer now ({self.state}: {self.reason}). Pick another under “Answer with”."


def http_status(url: str, headers: dict[str, str], timeout: float) -> int:
    """GET url and return the status code (httpx errors propagate)."""
    import httpx

    return httpx.get(url, headers=headers, timeout=timeout).status_code


def check_local(settings: Settings) -> GeneratorState:
    """`local`: the llama.cpp binding is installed and the GGUF file exists (nothing is loaded)."""
    from assistant.components import check_generator

    result = check_generator("local", settings)
    return GeneratorState("local", READY) if result == "ok" else GeneratorState("local", NOT_CONFIGURED, result)


def check_openai(settings: Settings, probe: Probe) -> GeneratorState:
    """`openai`: a base URL is set, and it answers GET /models (only loopback or explicitly configured URLs)."""
    options = settings.openai
    base = (options.base_url or "").strip().rstrip("/")
    host = urlparse(base).hostname or ""
    if not base or not host:
        return GeneratorState("openai", NOT_CONFIGURED, "no base URL (setting openai.base_url)")
    if not (is_loopback(host) or "base_url" in options.model_fields_set):
        return GeneratorState("openai", READY, f"{base} (not checked)")
    key = settings.api_key()
    headers = {"Authorization": f"Bearer {key.get_secret_value()}"} if key else {}
    try:
        status = probe(f"{base}/models", headers, PROBE_TIMEOUT_S)
    except Exception as exc:  # noqa: BLE001 - any failure to connect means it cannot answer now
        kind = "timed out" if "timeout" in type(exc).__name__.lower() else "no answer"
        return GeneratorState("openai", UNREACHABLE, f"{base} {kind} (setting openai.base_url)")
    if status in (401, 403):
        return GeneratorState("openai", NOT_CONFIGURED, f"{base} refused the API key (variable {options.api_key_env})")
    if status != 200:
        return GeneratorState("openai", UNREACHABLE, f"{base}/models answered HTTP {status}")
    return GeneratorState("openai", READY, base)


class GeneratorStates:
    """Each registered generator's state, cached for CACHE_S seconds (a check never loads a model)."""

    def __init__(
        self,
        settings: Settings,
        probe: Probe = http_status,
        clock: Callable[[], float] = time.monotonic,
        ttl: float = CACHE_S,
    ) -> None:
        """States for these settings; probe and clock are injectable for tests."""
        self.settings, self.probe, self.clock, self.ttl = settings, probe, clock, ttl
        self._cache: dict[str, tuple[float, GeneratorState]] = {}
        self._lock = threading.Lock()

    def check(self, name: str) -> GeneratorState:
        """One generator's state (from the cache when it is recent)."""
        with self._lock:
            cached = self._cache.get(name)
            if cached and self.clock() - cached[0] < self.ttl:
                return cached[1]
        state = self._check_now(name)
        with self._lock:
            self._cache[name] = (self.clock(), state)
        return state

    def states(self, names: Sequence[str]) -> list[GeneratorState]:
        """The states of several generators, in order."""
        return [self.check(name) for name in names]

    def _check_now(self, name: str) -> GeneratorState:
        """Check a generator without the cache."""
        if name == "local":
            return check_local(self.settings)
        if name == "openai":
            return check_openai(self.settings, self.probe)
        return GeneratorState(name, READY)  # extractive, and generators registered by plugins or tests


def choices(states: Sequence[GeneratorState]) -> list[tuple[str, str]]:
    """Dropdown choices: (label with state, generator name)."""
    return [(state.label, state.name) for state in states]


def state_note(state: GeneratorState | None) -> str:
    """The line under the dropdown: empty when ready, else what is wrong and how to fix it."""
    if state is None or state.usable:
        return ""
    return f"{state.name} is {state.state}: {state.reason}"
