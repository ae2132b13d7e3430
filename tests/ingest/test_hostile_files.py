"""Hostile files are reported by name with a reason; every good file is still indexed."""

from pathlib import Path

from assistant.service import Assistant
from assistant.settings import Settings
from tests.hostile import build


def test_every_bad_file_named_and_good_files_indexed(fake_settings: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "hostile"
    expected = build(folder)
    assistant = Assistant(fake_settings)
    report = assistant.ingest([folder], progress=False)
    assert report.partial
    for name, reason in expected.items():
        lines = [e for e in report.errors if name in e]
        assert lines, f"{name} not reported: {report.errors}"
        assert reason in lines[0], lines[0]
    indexed = set(assistant.documents())
    assert any(s.endswith("good.md") for s in indexed) and any(s.endswith("utf16.txt") for s in indexed)
    assert not any(Path(s).name in expected for s in indexed)
    hits = assistant.lexical.search("harbour master Port Vell", 3)
    assert hits and "Ilsa Marchetti" in hits[0].text
    assert assistant.lexical.search("lighthouse keeper", 3)[0].text.startswith("The lighthouse keeper is Tomas")
    assert assistant.store.ids() == assistant.lexical.ids()
