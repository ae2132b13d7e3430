"""Failed logins throttled per client address: after a few failures a client must wait, longer each time."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

if TYPE_CHECKING:
    from assistant.settings import UISettings

LOGIN_ROUTES = frozenset({"/login", "/login/"})  # Gradio's login form posts here
SIGNED_IN = 200  # what Gradio's /login answers to the right user and password (400 otherwise)


@dataclass
class _Client:
    """One client address's recent failures and lockouts."""

    failures: list[float] = field(default_factory=list)
    strikes: int = 0  # lockouts so far; after the first, every failure locks again, for twice as long
    locked_until: float = 0.0
    last: float = 0.0


class LoginThrottle:
    """Counts failed logins per client; max_failures within window_s lock the client out for a growing time."""

    def __init__(
        self,
        max_failures: int = 5,
        lockout_s: float = 30.0,
        window_s: float = 300.0,
        max_lockout_s: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
        max_clients: int = 10_000,
    ) -> None:
        """Limits in seconds; clock is injectable for tests; at most max_clients addresses are remembered."""
        self.max_failures, self.lockout_s, self.window_s = max(1, max_failures), lockout_s, window_s
        self.max_lockout_s, self.clock, self.max_clients = max_lockout_s, clock, max_clients
        self._clients: dict[str, _Client] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, ui: UISettings, clock: Callable[[], float] = time.monotonic) -> LoginThrottle:
        """The throttle the UI settings describe (login_max_failures, login_window_s, login_lockout_s ...)."""
        return cls(ui.login_max_failures, ui.login_lockout_s, ui.login_window_s, ui.login_max_lockout_s, clock)

    def wait(self, client: str) -> float:
        """Seconds before this client may try again (0: now)."""
        with self._lock:
            now = self.clock()
            entry = self._current(client, now)
            return max(0.0, entry.locked_until - now) if entry else 0.0

    def failure(self, client: str) -> None:
        """Record a failed (or not yet decided) login; lock the client out when it has failed too often."""
        with self._lock:
            now = self.clock()
            entry = self._current(client, now) or self._new(client)
            entry.failures = [t for t in entry.failures if now - t < self.window_s] + [now]
            entry.last = now
            if len(entry.failures) >= (1 if entry.strikes else self.max_failures):
                entry.strikes += 1
                delay = self.lockout_s * 2 ** min(entry.strikes - 1, 32)
                entry.locked_until = now + min(self.max_lockout_s, delay)
                entry.failures.clear()

    def success(self, client: str) -> None:
        """A correct login: forget the client's failures."""
        with self._lock:
            self._clients.pop(client, None)

    def _current(self, client: str, now: float) -> _Client | None:
        """The client's entry, dropped once it is neither locked nor has failures within the window."""
        entry = self._clients.get(client)
        if entry and now >= entry.locked_until and now - entry.last >= self.window_s:
            del self._clients[client]
            return None
        return entry

    def _new(self, client: str) -> _Client:
        """A fresh entry; the oldest are forgotten when too many addresses are remembered."""
        if len(self._clients) >= self.max_clients:
            now = self.clock()
            for name in [n for n, e in self._clients.items() if now >= e.locked_until]:
                del self._clients[name]
            while len(self._clients) >= self.max_clients:
                del self._clients[next(iter(self._clients))]
        entry = self._clients[client] = _Client()
        return entry


def client_address(scope: Scope) -> str:
    """The address a request comes from (behind a reverse proxy: the proxy's)."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


async def too_many(wait: float, scope: Scope, receive: Receive, send: Send) -> None:
    """429 with Retry-After: the client is locked out for now."""
    seconds = max(1, math.ceil(wait))
    detail = f"Too many failed sign-ins. Try again in {seconds} s."
    response = JSONResponse({"detail": detail}, status_code=429, headers={"Retry-After": str(seconds)})
    await response(scope, receive, send)


async def throttled_login(app: ASGIApp, throttle: LoginThrottle, scope: Scope, receive: Receive, send: Send) -> None:
    """Pass a login attempt to Gradio unless the client is locked out; count it as failed unless it signs in."""
    client = client_address(scope)
    wait = throttle.wait(client)
    if wait > 0:
        await too_many(wait, scope, receive, send)
        return
    throttle.failure(client)  # counted before it is decided: parallel attempts cannot slip past the limit
    status = 0

    async def watch(message: Message) -> None:
        """Note the response status on its way out."""
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])
        await send(message)

    await app(scope, receive, watch)
    if status == SIGNED_IN:
        throttle.success(client)
