"""The console script as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import ROOT, SEEDS
from tests.fake_openai import GOOD, Step, serve
from tests.integration.servers import cli_command

pytestmark = pytest.mark.integration
SECRET = "sk-test-5ecret-cli-never-printed-0123456789"
CITED = "Alexander Darchiyev will lead the Russian delegation [1]."


def _run(*args: str, index: Path, **env_vars: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", **env_vars}
    cmd = cli_command(index, *args)
    return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=1800)


def test_ingest_twice_then_ask_json(tmp_path: Path) -> None:
    index = tmp_path / "index"
    first = _run("ingest", "--quiet", str(SEEDS), index=index)
    assert first.returncode == 0, first.stderr
    assert "1 indexed" in first.stdout
    second = _run("ingest", "--quiet", str(SEEDS), index=index)
    assert "0 indexed, 1 unchanged" in second.stdout and "0 chunks written" in second.stdout
    history = tmp_path / "h.json"
    history.write_text(json.dumps([{"role": "user", "content": "Who leads the Russian delegation?"}]))
    asked = _run("ask", "--json", "--history", str(history), "And the American one?", index=index)
    assert asked.returncode == 0, asked.stderr
    data = json.loads(asked.stdout)  # exactly one JSON object on stdout
    assert set(data) == {"question", "answer", "abstained", "citations", "backend", "timings_ms"}
    assert "Coulter" in data["answer"] and data["citations"][0]["id"] == 1
    assert any("Coulter" in c["text"] for c in data["citations"])


def test_errors_are_plain_messages(tmp_path: Path) -> None:
    result = _run("ask", "Who leads?", index=tmp_path / "empty")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "assistant ingest" in result.stderr
    bad = _run("ask", "--llm", "gpt-17", "Who leads?", index=tmp_path / "empty")
    assert bad.returncode == 2 and "Valid: extractive, local" in bad.stderr


def _run_openai(*args: str, index: Path, url: str) -> subprocess.CompletedProcess[str]:
    """The CLI with --llm openai at url, the API key in the variable the settings name."""
    env = {
        "ASSISTANT_OPENAI__API_KEY_ENV": "TEST_CLI_LLM_KEY",
        "TEST_CLI_LLM_KEY": SECRET,
        "ASSISTANT_OPENAI__MODEL": "m",
    }
    result = _run(*args, "--llm", "openai", "--base-url", url, index=index, **env)
    assert SECRET not in result.stdout and SECRET not in result.stderr
    return result


def test_streamed_ask_prints_a_verified_draft_once(real_index: Path) -> None:
    with serve([Step(text=CITED)]) as (url, script):
        result = _run_openai("ask", "Who leads the Russian delegation?", index=real_index, url=url)
    assert result.returncode == 0, result.stderr
    assert script.requests[0]["stream"] and script.headers[0]["authorization"] == f"Bearer {SECRET}"
    assert result.stdout.startswith(CITED + "\n") and result.stdout.count("Darchiyev will lead") == 1
    assert "verified:" not in result.stdout and "note:" not in result.stdout
    assert "\n  [1] seeds/000_7e4ab87e524eadcc.txt (" in result.stdout


def test_streamed_ask_shows_the_verified_text_when_it_differs(real_index: Path) -> None:
    with serve([Step(text=GOOD)]) as (url, _):  # no citation in the draft: the verifier adds it
        result = _run_openai("ask", "Who leads the Russian delegation?", index=real_index, url=url)
    assert result.returncode == 0, result.stderr
    draft, verified = result.stdout.split("-" * 20 + " verified:\n")
    assert draft.strip() == GOOD and verified.startswith(CITED + "\n")


def test_backends_checks_the_endpoint(real_index: Path) -> None:
    with serve([Step()]) as (url, _):
        result = _run_openai("backends", index=real_index, url=url)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = {line[2:].split()[0]: line for line in result.stdout.splitlines()}
    assert set(lines) == {"extractive", "local", "openai"}
    assert lines["openai"].startswith("* openai") and " ok " in lines["openai"] and lines["openai"].endswith(url)
    assert lines["extractive"].startswith("  extractive  ok")
