"""GET /v1/documents: the names a request's `sources` field may use, and those names limiting the answer."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from assistant.interfaces.api import create_app
from assistant.service import Assistant
from assistant.settings import Settings


def test_documents_lists_what_sources_may_name(fake_settings: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "pumps.md").write_text("# Pumps\n\nThe pump moves forty litres of water every minute.\n")
    (folder / "valves.md").write_text("# Valves\n\nThe valve closes within two seconds of a pressure drop.\n")
    assistant = Assistant(fake_settings.model_copy(update={"generator": "extractive"}))
    assistant.ingest([folder], progress=False)
    client = TestClient(create_app(assistant), base_url="http://127.0.0.1")
    listed = client.get("/v1/documents").json()["data"]
    assert sorted(d["title"] for d in listed) == ["Pumps", "Valves"]
    by_title = {d["title"]: d["source"] for d in listed}
    question = {"role": "user", "content": "What closes within two seconds?"}
    ask = {"model": "assistant-extractive", "messages": [question]}
    cited = client.post("/v1/chat/completions", json={**ask, "sources": [by_title["Valves"]]}).json()
    assert {c["source"] for c in cited["choices"][0]["message"]["citations"]} == {by_title["Valves"]}
    other = client.post("/v1/chat/completions", json={**ask, "sources": [by_title["Pumps"]]}).json()
    assert by_title["Valves"] not in {c["source"] for c in other["choices"][0]["message"]["citations"]}
