"""Ingest: idempotent, incremental, bad files reported by name while the rest is indexed."""

import shutil
from pathlib import Path

from assistant.service import Assistant
from assistant.settings import Settings


def _state(assistant: Assistant) -> tuple[set[str], set[str], list[str]]:
    return assistant.store.ids(), assistant.lexical.ids(), assistant.documents()


def test_reingest_unchanged_adds_and_changes_nothing(fake_settings: Settings, seed_copy: Path) -> None:
    assistant = Assistant(fake_settings)
    first = assistant.ingest([seed_copy], progress=False)
    assert (first.indexed, first.chunks, first.errors) == (1, first.chunks, [])
    before = _state(assistant)
    again = assistant.ingest([seed_copy], progress=False)
    assert (again.indexed, again.unchanged, again.chunks) == (0, 1, 0)
    assert _state(assistant) == before
    assert before[0] == before[1] and len(before[0]) == first.chunks


def test_changed_and_deleted_files_are_synced(fake_settings: Settings, seed_copy: Path) -> None:
    assistant = Assistant(fake_settings)
    extra = seed_copy / "memo.md"
    extra.write_text("# Memo\n\nThe budget for 2026 is 12 million euros.\n")
    assistant.ingest([seed_copy], progress=False)
    old_ids = assistant.store.ids()
    extra.write_text("# Memo\n\nThe budget for 2027 is 15 million euros.\n")
    report = assistant.ingest([seed_copy], progress=False)
    assert (report.indexed, report.unchanged) == (1, 1)
    assert any("15 million" in c.text for c in assistant.lexical.search("budget", 5))
    assert not any("12 million" in c.text for c in assistant.lexical.search("budget", 5))
    assert old_ids != assistant.store.ids()
    extra.unlink()
    report = assistant.ingest([seed_copy], progress=False)
    assert report.removed == 1
    assert not assistant.lexical.search("budget", 5)
    assert assistant.store.ids() == assistant.lexical.ids()


def test_bad_file_is_reported_and_the_rest_indexed(fake_settings: Settings, seed_copy: Path) -> None:
    (seed_copy / "broken.pdf").write_bytes(b"PK\x03\x04 not a pdf")
    (seed_copy / "empty.txt").write_bytes(b"")
    (seed_copy / "image.png").write_bytes(b"\x89PNG")
    report = Assistant(fake_settings).ingest([seed_copy], progress=False)
    assert report.indexed == 1 and report.partial
    assert any("broken.pdf" in e for e in report.errors) and any("empty.txt" in e for e in report.errors)
    assert any("image.png" in s for s in report.skipped)


def test_stored_document_round_trips(fake_settings: Settings, seed_copy: Path) -> None:
    assistant = Assistant(fake_settings)
    assistant.ingest([seed_copy], progress=False)
    source = assistant.documents()[0]
    doc = assistant.document(source)
    assert doc is not None and doc["title"].startswith("U.S.-Russia")
    for chunk in assistant.lexical.search("Darchiyev", 10):
        assert doc["text"][chunk.start : chunk.end] == chunk.text
    shutil.rmtree(seed_copy)
