"""Loopback-only binding, every UI and API route refused without credentials (plain httpx), no secrets in logs."""

from __future__ import annotations

import fcntl
import json
import logging
import re
import secrets
import socket
import struct
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.routing import Mount

from assistant.interfaces import api as api_module
from assistant.interfaces.api import create_app
from assistant.interfaces.chat.app import launch
from assistant.interfaces.chat.auth import blank_api_info
from assistant.service import Assistant
from assistant.settings import ApiSettings, Settings
from tests.conftest import SEEDS
from tests.integration.servers import free_port, serve_app

pytestmark = pytest.mark.integration

TOKEN_ENV = "ASSISTANT_TEST_ACCESS_TOKEN"  # a name nobody sets; create_app reads whichever name api.token_env gives
QUESTION = "Who leads the Russian delegation?"
# Not requested: static assets (CSS, icons, JS bundles, the PWA manifest) and the login form itself.
STATIC = re.compile(r"^/(svelte|static|assets)/|^/(favicon\.ico|theme\.css|robots\.txt|manifest\.json)$"
                    r"|^/pwa_icon|^/gradio_api/(theme\.css|custom_component/)")
LOGIN = {"/login", "/login/"}
PAGES = {"/", "/gradio_api/runs", "/gradio_api/runs/"}  # the SPA shell: may be served, but only as the bare login page
WHOAMI = {"/gradio_api/user", "/gradio_api/user/", "/gradio_api/token", "/gradio_api/token/"}  # login page's probes
FILL = {"api_name": "ask", "endpoint": "ask", "environment": "client", "size": "192", "run": "0", "component_id": "1"}
BODY = {"data": [QUESTION, "extractive"], "question": QUESTION, "session_hash": "probe0session", "event_id": "e0",
        "fn_index": 0, "trigger_id": None, "component_id": 1, "fn_name": "view_document", "prompt": "x", "code": "x",
        "hash": "x", "bucket_id": "x"}  # every field any Gradio POST body requires, so refusals are not about the body
# What gradio 6.31 leaves open with auth on: routes registered without Depends(login_check), and the page shells,
# which embed window.gradio_api_info (the /ask endpoint, its docstring, code snippets) for logged-out visitors.
# assistant.ui_auth.LoginGate closes them; listed so the route enumeration must find each one.
GRADIO_UNCHECKED = [
    ("GET", "/"), ("HEAD", "/"), ("GET", "/gradio_api/runs"), ("GET", "/gradio_api/runs/"),
    ("GET", "/openapi.json"), ("HEAD", "/openapi.json"), ("GET", "/gradio_api/startup-events"),
    ("GET", "/gradio_api/app_id"), ("GET", "/gradio_api/app_id/"), ("GET", "/gradio_api/heartbeat/{session_hash}"),
    ("POST", "/gradio_api/cancel"), ("POST", "/gradio_api/reset"), ("POST", "/gradio_api/reset/"),
    ("POST", "/gradio_api/stream/{event_id}"), ("POST", "/gradio_api/stream/{event_id}/close"),
    *(("GET", "/gradio_api/stream/{session_hash}/{run}/{component_id}/" + tail)
      for tail in ("playlist.m3u8", "{segment_id}.{ext}", "playlist-file")),
]
UI = tuple[Any, str, tuple[str, str]]  # (Blocks app, base URL, (user, password))



def _settings(index: Path, **extra: Any) -> Settings:
    """The real index, the extractive generator, the test's token variable."""
    return Settings(index_dir=index, seeds_dir=SEEDS, generator="extractive", api=ApiSettings(token_env=TOKEN_ENV),
                    **extra)


def _launch(index: Path) -> tuple[Any, str]:
    """Launch the chat UI on a free loopback port with whatever login the environment configures."""
    settings = _settings(index, ui_port=free_port())
    return launch(Assistant(settings), block=False), f"http://127.0.0.1:{settings.ui_port}"


@pytest.fixture(scope="module")
def ui(real_index: Path) -> Iterator[UI]:
    """One UI whose login comes from ASSISTANT_UI_USER / ASSISTANT_UI_PASSWORD (read at launch)."""
    login = ("reader", "ui-pass-" + secrets.token_urlsafe(12))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ASSISTANT_UI_USER", login[0])
        mp.setenv("ASSISTANT_UI_PASSWORD", login[1])
        app, base = _launch(real_index)
    try:
        yield app, base, login
    finally:
        app.close()


def _routes(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    """(method, path) of every route, descending into mounts and FastAPI's lazily included routers."""
    for route in routes:
        included = getattr(route, "original_router", None)  # fastapi 0.16x keeps include_router() routers nested
        if included is not None:
            yield from _routes(included.routes, prefix + route.include_context.prefix)
        elif isinstance(route, Mount):
            yield from _routes(list(route.routes), prefix + route.path)
        else:  # a websocket route has no methods: probed with GET, it must be refused too
            yield from ((method, prefix + route.path) for method in sorted(getattr(route, "methods", None) or {"GET"}))


def _probe(http: httpx.Client, method: str, path: str) -> tuple[int, str]:
    """Status and body (only the first chunk of an event stream) of a request made from a route pattern."""
    url = re.sub(r"\{(\w+)(:\w+)?\}", lambda m: FILL.get(m.group(1), "x"), path)
    with http.stream(method, url, json=BODY if method == "POST" else None) as response:
        body = b""
        for chunk in response.iter_bytes():
            body += chunk
            if response.headers.get("content-type", "").startswith("text/event-stream"):
                break
        return response.status_code, body.decode(errors="replace")


def _problem(method: str, path: str, status: int, body: str) -> str | None:
    """Why this unauthenticated response is not a refusal, or None when it is one."""
    if path in WHOAMI:  # "who am I" probes the login page makes: must answer "nobody"
        ok = status == 200 and json.loads(body) in (None, {"token": None, "user": None})
    elif path == "/logout":  # a bare redirect back to the login page
        ok = 300 <= status < 400 and not body
    elif path in PAGES:  # 401/403, or the bare login page: no components, no API description, no document text
        leaks = [s for s in ('"/ask"', "Answer a question", "Darchiyev", '"components":[{') if s in body]
        bare = method == "HEAD" or '"auth_required":true' in body
        ok = status in (401, 403) or (status == 200 and bare and not leaks)
    else:  # everything else is refused outright (401 from LoginGate, before any route runs)
        ok = status in (401, 403)
    return None if ok else f"{method} {path} -> {status}: {body[:200]!r}"


def test_every_ui_route_refuses_without_login(ui: UI) -> None:
    live = list(dict.fromkeys(_routes(list(ui[0].server_app.routes))))
    for needed in [("GET", "/config"), ("GET", "/gradio_api/info"), ("POST", "/gradio_api/queue/join"),
                   ("POST", "/gradio_api/call/{api_name}"), ("POST", "/gradio_api/component_server"),
                   *GRADIO_UNCHECKED]:
        assert needed in live, f"route enumeration missed {needed}"
    checked = [(m, p) for m, p in live if not STATIC.search(p) and p not in LOGIN]
    with httpx.Client(base_url=ui[1], timeout=10) as http:
        problems = [_problem(m, p, *_probe(http, m, p)) for m, p in checked]
    assert [p for p in problems if p] == [] and len(checked) >= 70  # gradio 6.31: 72 of its 85 routes


@pytest.mark.parametrize("method,path", GRADIO_UNCHECKED)
def test_routes_gradio_leaves_open_are_refused(ui: UI, method: str, path: str) -> None:
    with httpx.Client(base_url=ui[1], timeout=10) as http:
        status, body = _probe(http, method, path)
    assert _problem(method, path, status, body) is None
    if path in PAGES and method == "GET":  # the login form's shell: no API description at all
        embedded = re.findall(r"window\.gradio_api_info = (.*?);</script>", body)
        assert status == 200 and [json.loads(e) for e in embedded] == [{"named_endpoints": {}, "unnamed_endpoints": {}}]
    elif path not in PAGES:
        assert status == 401 and (method == "HEAD" or json.loads(body)["detail"]["error"] == "Not authenticated")


def test_login_page_cleaning_fails_closed() -> None:
    page = (b'<script>window.gradio_config = {"auth_required":true};</script>'
            b'<script>window.gradio_api_info = {"named_endpoints":{"/ask":{}}};</script>')
    empty = b'{"named_endpoints":{},"unnamed_endpoints":{}}'
    assert blank_api_info(200, page) == page.replace(b'{"named_endpoints":{"/ask":{}}}', empty)
    assert blank_api_info(200, page.replace(b"window.gradio_api_info", b"window.api")) is None  # a new template
    assert blank_api_info(200, page.replace(b"true", b"false")) is None  # the app's own page, not the login page
    assert blank_api_info(200, page + page) is None and blank_api_info(500, page) is None


def _ask_over_http(http: httpx.Client) -> str:
    """The answer to QUESTION from the /ask endpoint, through Gradio's plain-HTTP call API."""
    started = http.post("/gradio_api/call/ask", json={"data": [QUESTION, "extractive"]})
    assert started.status_code == 200, started.text
    events = http.get(f"/gradio_api/call/ask/{started.json()['event_id']}", timeout=120).text
    assert "event: complete" in events, events
    return str(json.loads(events.split("event: complete\ndata:", 1)[1].strip().splitlines()[0])[0])


def test_login_then_ask_gets_a_cited_answer(ui: UI) -> None:
    app, base, (user, password) = ui
    forged = {f"access-token-unsecure-{app.server_app.cookie_id}": secrets.token_urlsafe(16)}  # right name, no login
    with httpx.Client(base_url=base, timeout=30) as http:
        assert http.post("/login", data={"username": user, "password": password + "x"}).status_code == 400
        assert http.get("/config").status_code == 401
        assert [http.get(p, cookies=forged).status_code for p in ("/config", "/gradio_api/app_id")] == [401, 401]
        assert http.post("/login", data={"username": user, "password": password}).status_code == 200
        assert http.get("/config").status_code == 200 and http.get("/gradio_api/app_id").status_code == 200
        assert '"/ask"' in http.get("/").text  # the app's own page, with its API description
        assert "/ask" in http.get("/gradio_api/info").json()["named_endpoints"]
        answer, _, sources = _ask_over_http(http).partition("\n\nSources\n")
        assert http.get("/logout").status_code == 302  # ends every session of this user
        assert [http.get(p).status_code for p in ("/config", "/gradio_api/app_id")] == [401, 401]
    assert "Darchiyev" in answer and "[1]" in answer and sources.startswith("[1] ")


def _own_addresses() -> list[str]:
    """This machine's own non-loopback IPv4 addresses, asked of the kernel (nothing is sent)."""
    found = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for _, name in socket.if_nameindex():
            with suppress(OSError):  # interfaces without an IPv4 address
                packed = fcntl.ioctl(s.fileno(), 0x8915, struct.pack("256s", name.encode()))  # SIOCGIFADDR
                found.append(socket.inet_ntoa(packed[20:24]))
    return [a for a in found if not a.startswith("127.")]


def test_ui_listens_on_loopback_only(ui: UI) -> None:
    port = int(ui[1].rsplit(":", 1)[1])
    assert Settings.model_fields["ui_host"].default == "127.0.0.1" and ui[0].server_name == "127.0.0.1"
    rows = [r.split() for t in ("/proc/net/tcp", "/proc/net/tcp6") for r in Path(t).read_text().splitlines()[1:]]
    listening = [r[1].rsplit(":", 1)[0] for r in rows if r[3] == "0A" and int(r[1].rsplit(":", 1)[1], 16) == port]
    assert listening == ["0100007F"]  # 127.0.0.1 only: nothing on 0.0.0.0 or ::
    for address in _own_addresses():  # the machine's own addresses: no traffic leaves it
        with socket.socket() as wide:  # control: a wildcard listener is reachable at this address
            wide.bind(("0.0.0.0", 0))
            wide.listen()
            socket.create_connection((address, wide.getsockname()[1]), timeout=5).close()
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection((address, port), timeout=5).close()


def test_api_serve_binds_loopback_by_default(real_index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: calls.append(kwargs))
    api_module.serve(_settings(real_index))
    assert [c["host"] for c in calls] == ["127.0.0.1"] and ApiSettings().host == "127.0.0.1"


def test_every_api_route_refuses_without_the_token(real_index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    token = "api-token-" + secrets.token_urlsafe(16)
    monkeypatch.setenv(TOKEN_ENV, token)
    app = create_app(Assistant(_settings(real_index)))
    routes = list(_routes(list(app.routes)))
    assert {("GET", "/v1/models"), ("POST", "/v1/chat/completions"), ("GET", "/health")} <= set(routes)
    chat = {"model": "assistant-extractive", "messages": [{"role": "user", "content": QUESTION}]}
    wrong = [{}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Bearer {token}x"},
             {"Authorization": f"Basic {token}"}, {"Authorization": token}, {"X-Api-Key": token}]
    with serve_app(app, log_level="debug") as base, httpx.Client(base_url=base, timeout=120) as http:
        for method, path in routes + [("GET", "/nope"), ("DELETE", "/v1/models"), ("GET", "/openapi.json")]:
            for headers in wrong:
                got = http.request(method, path, headers=headers, json=chat if method == "POST" else None)
                assert got.status_code == 401, (method, path, list(headers), got.text)
                assert got.json()["error"]["code"] == "invalid_api_key" and got.headers["www-authenticate"] == "Bearer"
        right = {"Authorization": f"Bearer {token}"}
        assert "assistant-extractive" in {m["id"] for m in http.get("/v1/models", headers=right).json()["data"]}
        reply = http.post("/v1/chat/completions", headers=right, json=chat).json()["choices"][0]["message"]["content"]
        assert "Darchiyev" in reply and "[1]" in reply


@contextmanager
def _uvicorn_logging_kept() -> Iterator[None]:
    """Put uvicorn's loggers back as they were: a server started here rebinds them to this test's capture."""
    saved = {n: (lg.handlers[:], lg.level, lg.propagate) for n in ("uvicorn", "uvicorn.error", "uvicorn.access")
             for lg in [logging.getLogger(n)]}
    try:
        yield
    finally:
        for name, (handlers, level, propagate) in saved.items():
            logger = logging.getLogger(name)
            logger.handlers[:], logger.propagate = handlers, propagate
            logger.setLevel(level)


def test_secrets_never_in_logs_or_output(real_index: Path, monkeypatch: pytest.MonkeyPatch,
                                         caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]) -> None:
    caplog.set_level(logging.DEBUG)  # root at DEBUG; uvicorn's own handlers write to the stderr capfd captures
    password, token = "ui-pass-" + secrets.token_urlsafe(12), "api-token-" + secrets.token_urlsafe(16)
    typos = [password + "-typo", token + "-typo"]  # wrong credentials are often near-misses: not logged either
    for name, value in [("ASSISTANT_UI_USER", "reader"), ("ASSISTANT_UI_PASSWORD", password), (TOKEN_ENV, token)]:
        monkeypatch.setenv(name, value)
    with _uvicorn_logging_kept():
        app, base = _launch(real_index)  # launch, logins and answers all happen inside the capture
        try:
            with httpx.Client(base_url=base, timeout=30) as http:
                assert http.post("/login", data={"username": "reader", "password": typos[0]}).status_code == 400
                assert http.post("/login", data={"username": "reader", "password": password}).status_code == 200
                assert "[1]" in _ask_over_http(http)
            with serve_app(create_app(Assistant(_settings(real_index))), log_level="debug") as api:
                for bearer, status in [(typos[1], 401), (token, 200)]:
                    auth = {"Authorization": f"Bearer {bearer}"}
                    assert httpx.get(f"{api}/health", headers=auth).status_code == status
                threading.Thread(target=lambda: (print("sentinel-out"), print("sentinel-err", file=sys.stderr),
                                                 logging.getLogger("uvicorn.error").info("sentinel-uvicorn"))).start()
                time.sleep(0.5)
        finally:
            app.close()
    out, err = capfd.readouterr()
    seen = caplog.text + out + err
    assert "sentinel-out" in out and "sentinel-err" in err and "sentinel-uvicorn" in seen  # the capture is live
    assert '"GET /health HTTP/1.1" 401' in seen and "Closing server" in seen  # and sees both servers' own output
    leaked = [n for n, v in zip(["password", "token", "wrong password", "wrong token"], [password, token, *typos],
                                strict=True) if v in seen]
    assert leaked == [], f"secrets in logs or output: {leaked}"
