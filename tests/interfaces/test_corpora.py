"""The per-corpus gate: a corpus that falls more than the tolerance below its baseline is a regression."""

from pathlib import Path

import pytest

from assistant.errors import ConfigError
from assistant.interfaces.corpora import corpus_names, gate

BASE = {"a": {"answerable": "6/18", "abstained": "2/6"}, "b": {"answerable": "9/18", "abstained": "4/6"}}


def test_a_drop_beyond_tolerance_is_reported_per_corpus() -> None:
    rows = [
        {"corpus": "a", "answerable": "5/18", "abstained": "2/6"},
        {"corpus": "b", "answerable": "9/18", "abstained": "2/6"},
    ]
    assert gate(rows, BASE, tolerance=1) == ["b abstained: 4/6 -> 2/6 (tolerance 1)"]
    assert gate(rows, BASE, tolerance=2) == []
    assert gate([{"corpus": "new", "answerable": "0/18", "abstained": "0/6"}], BASE, 0) == []  # no baseline yet


def test_corpora_without_documents_say_how_to_lay_them_out(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "test.jsonl").write_text("{}\n")
    with pytest.raises(ConfigError, match="no corpora with documents") as caught:
        corpus_names(tmp_path, "test")
    assert "install.sh" in caught.value.hint
    (tmp_path / "x" / "docs").mkdir()
    assert corpus_names(tmp_path, "test") == ["x"]
