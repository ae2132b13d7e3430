"""The evaluation gate: the shipped seed set against the stored baseline, with the default generator."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from assistant.answering.verify import make_judge
from assistant.evaluation.runner import compare, evaluate, load_questions
from assistant.interfaces.cli import main
from assistant.models import Hit
from assistant.service import Assistant
from assistant.settings import Settings
from tests.conftest import ROOT, SEEDS
from tests.integration.servers import cli_command

pytestmark = pytest.mark.integration
QUESTIONS = ROOT / "tests" / "eval" / "seed_questions.jsonl"
BASELINE = ROOT / "tests" / "eval" / "baseline.json"
ARTIFACTS = ROOT / "test-artifacts" / "eval-report"


def test_seed_set_holds_the_baseline(real_index: Path) -> None:
    cmd = cli_command(real_index, "eval", str(QUESTIONS), "--report", str(ARTIFACTS), "--baseline", str(BASELINE))
    result = subprocess.run(
        cmd, capture_output=True, text=True, cwd=ROOT, timeout=3600, env={**os.environ, "HF_HUB_OFFLINE": "1"}
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    report = json.loads((ARTIFACTS / "report.json").read_text())
    assert report["generator"] == "local" and report["questions"] >= 40
    assert (ARTIFACTS / "report.md").read_text().count("\n| ") > 40
    assert (ARTIFACTS / "by_category.png").stat().st_size > 10_000


class _WorstFirst:
    """A deliberately broken retriever: returns the least relevant passages."""

    def __init__(self, inner: object) -> None:
        self.inner = inner

    def retrieve(self, question: str, k: int, only: object = None) -> list[Hit]:
        hits = self.inner.retrieve(question, 100, only)  # type: ignore[attr-defined]
        return list(reversed(hits))[:k]


def test_gate_fails_when_retrieval_breaks(real_index: Path) -> None:
    assistant = Assistant(Settings(index_dir=real_index, seeds_dir=SEEDS))
    assistant.retriever = _WorstFirst(assistant.retriever)  # type: ignore[assignment]
    items = load_questions(QUESTIONS)
    judge = make_judge(assistant.embedder, assistant.settings.verify)
    report = evaluate(lambda q, h: assistant.ask(q, h), items, judge, "local", progress=False)
    drops = compare(report.headline(), json.loads(BASELINE.read_text())["headline"], 0.05)
    assert any(d.startswith("recall_at_k") for d in drops), drops
    assert any(d.startswith(("accuracy", "answered_with_citation")) for d in drops), drops


def test_cli_exits_non_zero_on_a_drop(real_index: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A cheap gate: four seed questions, the extractive generator, an accuracy no run can reach (1.1)."""
    items = [i for i in load_questions(QUESTIONS) if i["id"] in {"f01", "f02", "f04", "u01"}]
    questions = tmp_path / "subset.jsonl"
    questions.write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")
    baseline = tmp_path / "baseline.json"
    baseline.write_text(json.dumps({"headline": {"accuracy": 1.1, "latency_p95_s": 0.0}}), encoding="utf-8")
    argv = [
        "--index-dir",
        str(real_index),
        "eval",
        str(questions),
        "--llm",
        "extractive",
        "--report",
        str(tmp_path / "report"),
        "--baseline",
        str(baseline),
    ]
    assert main(argv) != 0
    err = capsys.readouterr().err
    assert "REGRESSION accuracy: 1.100 ->" in err and "latency" not in err  # latency is reported, not gated
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    assert report["questions"] == 4 and report["judge"]["name"] == "verifier"
