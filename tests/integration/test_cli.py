"""The console script as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, SEEDS

pytestmark = pytest.mark.integration


def _run(*args: str, index: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    cmd = [sys.executable, "-m", "assistant.cli", "--index-dir", str(index), *args]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)


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
