"""The chat UI answers through a real Gradio client, with the same cited answer as the CLI; examples; login from env."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from assistant.interfaces.chat.app import document_rows, examples, launch
from assistant.service import Assistant
from assistant.settings import Settings
from tests.conftest import SEEDS
from tests.integration.servers import free_port

pytestmark = pytest.mark.integration
QUESTIONS = ("Who leads the Russian delegation?", "Is Ukraine on the agenda?", "What is the capital of Australia?")
PASSAGE = re.compile(r"^\[(\d+)\] .*\(passage (.+)\[(\d+):(\d+)\]\)$", re.MULTILINE)
TITLE = "U.S.-Russia Embassy Talks Set for Thursday in Istanbul, Moscow Says"


def _cli_answer(index: Path, question: str, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    """`assistant ask --json --llm extractive QUESTION` on the index, as the CLI prints it."""
    from assistant.interfaces.cli import main

    capsys.readouterr()
    assert main(["--index-dir", str(index), "ask", "--json", "--llm", "extractive", question]) == 0
    return dict(json.loads(capsys.readouterr().out))


def _parse_reply(reply: str) -> tuple[str, list[tuple[int, str, int, int]]]:
    """The answer text and the (id, source, start, end) of each numbered source of an /ask reply."""
    text, _, sources = reply.partition("\n\nSources\n")
    cited = [(int(m[1]), m[2], int(m[3]), int(m[4])) for m in PASSAGE.finditer(sources)]
    return text.split("\n\nNotes:\n", 1)[0], cited


def test_gradio_client_gets_the_same_cited_answer_as_the_cli(
    real_index: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from gradio_client import Client

    settings = Settings(index_dir=real_index, seeds_dir=SEEDS, ui_port=free_port(), generator="extractive")
    app = launch(Assistant(settings), block=False)
    try:
        assert app.server_name == "127.0.0.1"
        client = Client(f"http://127.0.0.1:{settings.ui_port}/", verbose=False)
        assert list(client.view_api(return_format="dict", print_info=False)["named_endpoints"]) == ["/ask"]
        replies = {q: client.predict(q, "extractive", api_name="/ask") for q in QUESTIONS}
    finally:
        app.close()
    russian = replies[QUESTIONS[0]]
    assert "Darchiyev" in russian and "[1]" in russian and "\nSources\n[1] " in russian
    assert "000_7e4ab87e524eadcc.txt" in russian
    for question, reply in replies.items():
        cli = _cli_answer(real_index, question, capsys)
        text, cited = _parse_reply(reply)
        assert text == cli["answer"], question
        assert cited == [(c["id"], c["source"], c["start"], c["end"]) for c in cli["citations"]], question
        assert cli["abstained"] == ("don't say" in reply) and cli["abstained"] == (not cited), question


def test_example_questions_get_sensible_answers(real_assistant: Assistant) -> None:
    rows = document_rows(real_assistant)
    questions = [example["text"] for example in examples(rows)]
    assert questions == [f"What is “{TITLE}” about?", f"When was the article “{TITLE}” published?"]
    for question, expected in zip(questions, ["Istanbul", "April 8, 2025"], strict=True):
        answer = real_assistant.ask(question, None, "extractive")
        assert not answer.abstained and answer.citations, question
        assert {c.chunk.source for c in answer.citations} == {rows[0]["source"]}, question
        assert expected in answer.answer and TITLE not in answer.answer, (question, answer.answer)


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
