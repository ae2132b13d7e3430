"""The multi-domain gate: every corpus's test half with the extractive path, against the per-corpus baseline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.interfaces.cli import main
from tests.conftest import ROOT

pytestmark = pytest.mark.integration
CORPORA = ROOT / "tests" / "eval" / "corpora"
BASELINE = CORPORA / "baseline.json"


def test_every_corpus_holds_its_baseline(tmp_path: Path) -> None:
    names = json.loads(BASELINE.read_text())["corpora"]
    if not all((CORPORA / n / "docs").is_dir() for n in names):
        pytest.skip("corpora not laid out: run `bash tests/eval/corpora/install.sh` (.ci/run does)")
    argv = [
        "--index-dir",
        str(tmp_path / "index"),
        "eval",
        "--corpora",
        str(CORPORA),
        "--half",
        "test",
        "--llm",
        "extractive",
        "--report",
        str(tmp_path / "report"),
        "--baseline",
        str(BASELINE),
    ]
    assert main(argv) == 0
    rows = json.loads((tmp_path / "report" / "table.json").read_text())
    assert [r["corpus"] for r in rows] == sorted(names)
    assert all((tmp_path / "report" / n / "report.json").is_file() for n in names)
