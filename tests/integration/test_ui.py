"""The chat UI answers through a real Gradio client, with the same cited answer as the service; login from env."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.service import Assistant
from assistant.settings import Settings
from assistant.ui import launch
from tests.conftest import SEEDS
from tests.integration.servers import free_port

pytestmark = pytest.mark.integration



def test_gradio_client_gets_a_cited_answer(real_index: Path) -> None:
    from gradio_client import Client

    settings = Settings(index_dir=real_index, seeds_dir=SEEDS, ui_port=free_port(), generator="extractive")
    app = launch(Assistant(settings), block=False)
    try:
        assert app.server_name == "127.0.0.1"
        client = Client(f"http://127.0.0.1:{settings.ui_port}/", verbose=False)
        assert list(client.view_api(return_format="dict", print_info=False)["named_endpoints"]) == ["/ask"]
        reply = client.predict("Who leads the Russian delegation?", "extractive", api_name="/ask")
        assert "Darchiyev" in reply and "[1]" in reply and "Sources" in reply
        sources = reply.split("\nSources\n", 1)[1]
        assert sources.startswith("[1] ") and "000_7e4ab87e524eadcc.txt" in sources and "Darchiyev" in sources
        none = client.predict("What is the capital of Australia?", "extractive", api_name="/ask")
        assert "don't say" in none and "[1]" not in none
    finally:
        app.close()


def test_login_is_required_when_both_env_vars_are_set(real_index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import httpx
    from gradio_client import Client
    from gradio_client.exceptions import AuthenticationError

    monkeypatch.setenv("ASSISTANT_UI_USER", "reader")
    monkeypatch.setenv("ASSISTANT_UI_PASSWORD", "s3cret-pass")
    settings = Settings(index_dir=real_index, seeds_dir=SEEDS, ui_port=free_port(), generator="extractive")
    app = launch(Assistant(settings), block=False)
    base = f"http://127.0.0.1:{settings.ui_port}"
    try:
        with httpx.Client(base_url=base) as http:
            assert http.get("/config").status_code == 401
            bad = http.post("/login", data={"username": "reader", "password": "wrong"})
            assert bad.status_code == 400 and http.get("/config").status_code == 401
            good = http.post("/login", data={"username": "reader", "password": "s3cret-pass"})
            assert good.status_code == 200 and http.get("/config").status_code == 200
        with pytest.raises(AuthenticationError):
            Client(f"{base}/", verbose=False)
        client = Client(f"{base}/", auth=("reader", "s3cret-pass"), verbose=False)  # heartbeat, reset: session too
        try:
            reply = client.predict("Who leads the Russian delegation?", "extractive", api_name="/ask")
            assert "Darchiyev" in reply and "[1]" in reply
        finally:
            client.close()
    finally:
        app.close()
