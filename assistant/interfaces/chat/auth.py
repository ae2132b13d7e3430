"""Serving the chat UI with an optional login that covers every route, Gradio's own API endpoints included.

Gradio checks the login on most of its routes but not all (heartbeat, cancel, reset, stream, startup-events,
app_id, FastAPI's /openapi.json), and its login page embeds the app's API description. With a login configured,
LoginGate sits in front of all of them: a request without a logged-in session gets only static assets, the login
flow, and the login page with an empty API description; anything else is refused with 401. Login attempts are
throttled per client address (throttle.py). A login needs both variables; only one of them set refuses to start.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from starlette.middleware import Middleware
from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.errors import ConfigError
from assistant.interfaces.chat.throttle import LOGIN_ROUTES, LoginThrottle, throttled_login
from assistant.interfaces.netnames import is_loopback

if TYPE_CHECKING:
    import gradio as gr

    from assistant.service import Assistant
    from assistant.settings import UISettings

log = logging.getLogger(__name__)

AUTH_MESSAGE = "Sign in to ask your documents."
# Open without a session: the login flow, the login page's "who am I" probes (they answer "nobody") and assets.
OPEN_PATHS = frozenset({
    "/login", "/login/", "/logout", "/gradio_api/user", "/gradio_api/user/", "/gradio_api/token", "/gradio_api/token/",
    "/favicon.ico", "/robots.txt", "/manifest.json", "/theme.css", "/gradio_api/theme.css", "/pwa_icon",
})
OPEN_PREFIXES = ("/assets/", "/static/", "/svelte/", "/pwa_icon/")  # gradio's file routes for its bundled assets
STARTUP = "/gradio_api/startup-events"
LOGIN_PAGES = frozenset({"/", "/gradio_api/runs", "/gradio_api/runs/"})  # HTML shells: the login form when logged out
_API_INFO = re.compile(rb"window\.gradio_api_info = .*?;</script>", re.DOTALL)  # '<' is escaped inside the JSON
# An empty API description rather than none: with none, the page's client fetches one (401) and logs an error.
_NO_API_INFO = b'window.gradio_api_info = {"named_endpoints":{},"unnamed_endpoints":{}};</script>'
_LOGIN_CONFIG = b'"auth_required":true'


def auth_from_env(ui: UISettings, environ: Mapping[str, str] | None = None) -> tuple[str, str] | None:
    """(user, password) when both configured variables are set; None when neither is; ConfigError for one alone."""
    environ = os.environ if environ is None else environ
    user, password = environ.get(ui.user_env, ""), environ.get(ui.password_env, "")
    if bool(user) != bool(password):
        present, missing = (ui.user_env, ui.password_env) if user else (ui.password_env, ui.user_env)
        raise ConfigError(
            f"The chat login needs both {ui.user_env} and {ui.password_env}; only {present} is set.",
            f"Set {missing} as well, or unset {present} to run without a login.",
        )
    return (user, password) if user else None


def route_path(scope: Scope) -> str:
    """The path the router matches: scope path without the root path (as Starlette computes it)."""
    path, root = scope["path"], scope.get("root_path", "")
    if root and path.startswith(root) and (path == root or path[len(root)] == "/"):
        return path[len(root):]
    return path


def is_open(scope: Scope) -> bool:
    """Whether a request may go through without a session: the login flow, static assets, and launch's own call."""
    path = route_path(scope)
    if path == STARTUP:  # Blocks.launch calls it once, without a session, before it returns; nobody after that
        return getattr(scope.get("app"), "startup_events_triggered", True) is False
    return path in OPEN_PATHS or path.startswith(OPEN_PREFIXES)


def session_user(scope: Scope) -> str | None:
    """The logged-in user of a request, looked up exactly as Gradio does (its token cookie in App.tokens)."""
    app = scope.get("app")
    tokens, cookie_id = getattr(app, "tokens", None), getattr(app, "cookie_id", None)
    if not isinstance(tokens, dict) or not cookie_id:
        return None
    cookies = HTTPConnection(scope).cookies
    token = cookies.get(f"access-token-{cookie_id}") or cookies.get(f"access-token-unsecure-{cookie_id}")
    return tokens.get(token) if token else None


async def refuse(scope: Scope, receive: Receive, send: Send) -> None:
    """401 for HTTP; a WebSocket is closed before it is accepted (the server answers 403)."""
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008})
        return
    detail = {"error": "Not authenticated", "auth_message": AUTH_MESSAGE}
    await JSONResponse({"detail": detail}, status_code=401)(scope, receive, send)


def blank_api_info(status: int, body: bytes) -> bytes | None:
    """Gradio's login page with an empty embedded API description; None unless it is exactly that page."""
    page, found = _API_INFO.subn(_NO_API_INFO, body)
    return page if status == 200 and found == 1 and _LOGIN_CONFIG in page else None


async def login_page(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    """Gradio's logged-out page shell with window.gradio_api_info emptied; refused if anything else comes back."""
    start: dict[str, Any] = {}
    chunks: list[bytes] = []

    async def keep(message: Message) -> None:
        """Collect the response instead of sending it."""
        if message["type"] == "http.response.start":
            start.update(message)
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app({**scope, "method": "GET"}, receive, keep)  # HEAD too: its length must be the cleaned page's
    page = blank_api_info(int(start.get("status", 0)), b"".join(chunks))
    if page is None:  # fail closed: not the login page this gate knows how to clean
        await refuse(scope, receive, send)
        return
    headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
    headers.append((b"content-length", str(len(page)).encode()))
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else page})


class LoginGate:
    """ASGI middleware on Gradio's app: without a logged-in session, only the (throttled) login flow and assets."""

    def __init__(self, app: ASGIApp, throttle: LoginThrottle | None = None) -> None:
        """Wrap the next ASGI app (Gradio's routes); failed logins are counted by throttle."""
        self.app = app
        self.throttle = throttle or LoginThrottle()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass a request through, throttle a login, serve the bare login page, or refuse it."""
        if scope["type"] == "http" and scope["method"] == "POST" and route_path(scope) in LOGIN_ROUTES:
            await throttled_login(self.app, self.throttle, scope, receive, send)
        elif scope["type"] not in ("http", "websocket") or is_open(scope) or session_user(scope) is not None:
            await self.app(scope, receive, send)
        elif scope["type"] == "http" and scope["method"] in ("GET", "HEAD") and route_path(scope) in LOGIN_PAGES:
            await login_page(self.app, scope, receive, send)
        else:
            await refuse(scope, receive, send)


def launch_gated(blocks: gr.Blocks, assistant: Assistant, block: bool, **options: Any) -> gr.Blocks:
    """Launch blocks on the configured host and port; with a login configured, behind LoginGate."""
    settings = assistant.settings
    auth = auth_from_env(settings.ui)
    if auth is None and not is_loopback(settings.ui_host):
        log.warning(
            "serving the chat UI on %s without a login: anyone who can reach it can read, add and remove "
            "your documents (set %s and %s to require one)",
            settings.ui_host, settings.ui.user_env, settings.ui.password_env,
        )
    gate = Middleware(LoginGate, throttle=LoginThrottle.from_settings(settings.ui))
    blocks.launch(
        server_name=settings.ui_host,
        server_port=settings.ui_port,
        prevent_thread_lock=not block,
        show_error=False,
        quiet=not block,
        auth=auth,
        auth_message=AUTH_MESSAGE,
        max_file_size=f"{settings.ui.max_upload_mb:g}mb",
        app_kwargs={"middleware": [gate]} if auth else None,
        **options,
    )
    return blocks
