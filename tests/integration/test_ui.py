"""The chat UI answers through a real Gradio client, with the same cited answer as the service."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from assistant.service import Assistant
from assistant.settings import Settings
from assistant.ui import launch
from tests.conftest import SEEDS

pytestmark = pytest.mark.integration


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_gradio_client_gets_a_cited_answer(real_index: Path) -> None:
    from gradio_client import Client

    settings = Settings(index_dir=real_index, seeds_dir=SEEDS, ui_port=_free_port(), generator="extractive")
    app = launch(Assistant(settings), block=False)
    try:
        client = Client(f"http://127.0.0.1:{settings.ui_port}/", verbose=False)
        reply = client.predict("Who leads the Russian delegation?", "extractive", api_name="/ask")
        assert "Darchiyev" in reply and "[1]" in reply and "Sources" in reply
        none = client.predict("What is the capital of Australia?", "extractive", api_name="/ask")
        assert "don't say" in none
    finally:
        app.close()
