"""The HTTP API's front door (ASGI middleware): bearer token, Host/Origin without a token, JSON bodies only,
body size, and a plain 500 in the OpenAI shape for crashes.

Token: the value of ``api.token_env`` with surrounding whitespace (space, tab, CR, LF) removed; blank means no
auth. The credential of ``Authorization: Bearer ...`` loses the same whitespace and is compared in constant
time on bytes: the token's UTF-8 bytes, or its latin-1 bytes (what ``http.client`` sends), so a token such as
"pässwörd-ü" works from any client.

Without a token, the Host header must name this server: 127.0.0.1, localhost, ::1, the configured ``api.host``
or one of ``api.allowed_hosts`` (any port; with a wildcard bind such as 0.0.0.0 also any IP address literal,
which DNS rebinding cannot produce), and an Origin header, when sent, must name one of those too (a page from
another site) - else 403. POST bodies must be ``application/json`` (charset utf-8, if any) - else 415 - so a
browser cannot send one cross-site without a CORS preflight, which this server never grants.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.interfaces.api_format import ApiError
from assistant.interfaces.netnames import is_loopback
from assistant.settings import ApiSettings

log = logging.getLogger("assistant.api")  # one logger for the whole API
WHITESPACE = " \t\r\n"
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
WILDCARD = frozenset({"", "0.0.0.0", "::"})
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def read_token(env: str) -> str | None:
    """The bearer token from the environment variable env, surrounding whitespace removed; None when blank."""
    return os.environ.get(env, "").strip(WHITESPACE) or None


def token_matches(header: str, token: str) -> bool:
    """Whether an Authorization header (as Starlette decodes it: latin-1) carries the bearer token."""
    raw = header.encode("latin-1").strip(WHITESPACE.encode())
    scheme, _, credential = raw.partition(b" ")
    credential = credential.strip(WHITESPACE.encode())
    utf8 = token.encode("utf-8")
    try:
        latin = token.encode("latin-1")
    except UnicodeEncodeError:
        latin = utf8
    matches = [hmac.compare_digest(credential, form) for form in (utf8, latin)]  # both, always: same timing
    return scheme.lower() == b"bearer" and bool(credential) and any(matches)


def _name(host: str) -> str:
    """A host name compared case-insensitively, without brackets or a trailing dot."""
    return host.strip().strip("[]").rstrip(".").lower()


def _host_of(header: str) -> str:
    """The name part of a Host header ('[::1]:8000' -> '::1', 'Localhost.:80' -> 'localhost')."""
    header = header.strip()
    if header.startswith("["):
        return _name(header.partition("]")[0])
    name, colon, port = header.rpartition(":")
    return _name(name if colon and port.isdigit() and ":" not in name else header)


def _is_address(name: str) -> bool:
    """Whether name is an IPv4 or IPv6 address literal."""
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


class HostPolicy:
    """Which Host and Origin names a server without a token answers to."""

    def __init__(self, host: str, allowed: list[str]) -> None:
        """The loopback names, the bound host (unless a wildcard) and the extra allowed names."""
        bound = _name(host)
        self.any_address = bound in WILDCARD
        self.names = (LOOPBACK | {bound} | {_name(h) for h in allowed}) - WILDCARD

    def refuse(self, headers: Headers) -> ApiError | None:
        """403 when the Host or the Origin header names another server."""
        host = headers.get("host")
        if host is not None and not self._host_allowed(_host_of(host)):
            return ApiError(403, self._message(f"the Host '{host}'"), param="Host", code="host_not_allowed")
        origin = headers.get("origin")
        if origin is not None and not self._origin_allowed(origin):
            return ApiError(403, self._message(f"a page from '{origin}'"), param="Origin", code="origin_not_allowed")
        return None

    def _host_allowed(self, name: str) -> bool:
        """A known name, or any address literal when bound to every interface."""
        return name in self.names or is_loopback(name) or (self.any_address and _is_address(name))

    def _origin_allowed(self, origin: str) -> bool:
        """Only the known names: a request from another site's page is refused."""
        try:
            hostname = urlsplit(origin).hostname
        except ValueError:
            return False
        return hostname is not None and (_name(hostname) in self.names or is_loopback(hostname))

    def _message(self, what: str) -> str:
        """Why the request is refused and what to change."""
        names = ", ".join(sorted(self.names))
        return (
            f"Refused {what}: without a bearer token this server answers only to {names}. "
            "Set a token (api.token_env) or add the name to api.allowed_hosts."
        )


def json_refusal(headers: Headers) -> ApiError | None:
    """415 unless the Content-Type is application/json (with charset utf-8, if any)."""
    kind, *params = headers.get("content-type", "").split(";")
    charsets = [v.strip().strip('"').lower() for k, _, v in (p.partition("=") for p in params)
                if k.strip().lower() == "charset"]
    if kind.strip().lower() == "application/json" and all(c in ("utf-8", "utf8") for c in charsets):
        return None
    return ApiError(
        415, "Request bodies must be JSON: send Content-Type: application/json (UTF-8).",
        param="Content-Type", code="unsupported_media_type",
    )


class Guard:
    """ASGI middleware: auth or Host/Origin checks, JSON bodies, size limit, and a 500 in the OpenAI shape."""

    def __init__(self, app: ASGIApp, api: ApiSettings, token: str | None) -> None:
        """Wrap app; token None means no auth, and then Host and Origin are checked."""
        self.app, self.token, self.max_body_bytes = app, token, api.max_body_bytes
        self.hosts = HostPolicy(api.host, api.allowed_hosts)
        self.too_large = ApiError(
            413, f"The request body is larger than {api.max_body_bytes} bytes.", code="request_too_large"
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the request, then run the app with the buffered body."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self._refuse(scope)
        body = b"" if refusal is not None else await self._read_body(receive)
        if body is None:
            return  # the client went away
        if refusal is None and len(body) > self.max_body_bytes:
            refusal = self.too_large
        if refusal is not None:
            extra = {"WWW-Authenticate": "Bearer"} if refusal.status == 401 else None
            await refusal.response(extra)(scope, receive, send)
            return
        await self._run(scope, _replay(body, receive), send)

    def _refuse(self, scope: Scope) -> ApiError | None:
        """401 (token) or 403 (Host, Origin); 415 for a body that is not JSON; 413 for a declared size too large."""
        headers = Headers(scope=scope)
        if self.token is not None:
            if not token_matches(headers.get("authorization", ""), self.token):
                return ApiError(401, "Missing or invalid bearer token.", code="invalid_api_key")
        elif refusal := self.hosts.refuse(headers):
            return refusal
        if scope.get("method") in BODY_METHODS and (refusal := json_refusal(headers)):
            return refusal
        length = headers.get("content-length")
        if length is not None:
            if not length.strip().isdigit():
                return ApiError(400, "Invalid Content-Length header.", code="invalid_request")
            if int(length) > self.max_body_bytes:
                return self.too_large
        return None

    async def _read_body(self, receive: Receive) -> bytes | None:
        """Read the body, stopping just past the limit; None when the client disconnects."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            chunks.append(chunk)
            size += len(chunk)
            if size > self.max_body_bytes or not message.get("more_body", False):
                return b"".join(chunks)

    async def _run(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the app; an unexpected exception is logged and answered with a plain 500."""
        started = False

        async def tracking_send(message: Message) -> None:
            """Send, remembering whether the response has started."""
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            log.exception("unexpected error in %s %s", scope.get("method"), scope.get("path"))
            if not started:
                error = ApiError(500, "Internal server error.", "server_error", code="internal_error")
                await error.response()(scope, receive, send)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive callable that yields the buffered body once, then defers to the server."""
    sent = False

    async def replay() -> Message:
        """The body first, then the server's own messages (disconnect)."""
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay
