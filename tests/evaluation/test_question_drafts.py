"""`assistant eval --generate`: draft questions from a user's own documents."""

import json
from pathlib import Path

import pytest

from assistant.interfaces.cli import main

DOC = """# Harbour report

The new ferry terminal in Porthaven opened on 12 March 2024 after three years of construction.

Mayor Elena Varga said the terminal would carry 4,500 passengers a day by next summer.

Engineers from Nordic Marine Works designed the floating pontoons, which rise and fall with the tide.

Read more: https://example.org/porthaven/2024/03/12/ferry-terminal-opens-after-three-years
"""


def test_generate_writes_reviewable_jsonl(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "harbour.md").write_text(DOC, encoding="utf-8")
    out = tmp_path / "drafts.jsonl"
    assert main(["eval", "--generate", str(folder), "--out", str(out)]) == 0
    assert "review them" in capsys.readouterr().err
    drafts = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(drafts) >= 3
    for draft in drafts:
        assert {"question", "answers", "evidence"} <= draft.keys() and not draft["unanswerable"]
        assert "____" in draft["question"] and draft["answers"] and draft["evidence"]
        assert all(span in DOC for span in draft["evidence"])  # evidence is quoted from the document
        assert all(answer in draft["evidence"][0] for answer in draft["answers"])
        assert "https://" not in draft["evidence"][0]  # link lines are not questions
    assert ["Elena Varga", "Varga"] in [d["answers"] for d in drafts]  # a person, not "Mayor Elena Varga"
