"""Questions limited to named documents: only their passages are retrieved and cited."""

from pathlib import Path

import pytest

from assistant.errors import UnknownSourceError
from assistant.retrieval.scope import resolve_sources
from assistant.service import Assistant
from assistant.settings import Settings

DOCS = {
    "kettles.txt": "Kettles\n\nThe kettle boils water in four minutes. The kettle has a blue handle.\n",
    "toasters.txt": "Toasters\n\nThe toaster browns bread in four minutes. The toaster has a red lever.\n",
    "notes/kettles.txt": "Kettle notes\n\nThe travel kettle boils water in nine minutes.\n",
}


@pytest.fixture
def assistant(fake_settings: Settings, tmp_path: Path) -> Assistant:
    folder = tmp_path / "docs"
    for name, text in DOCS.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    a = Assistant(fake_settings)
    a.ingest([folder], progress=False)
    return a


def test_scope_limits_retrieval_to_named_documents(assistant: Assistant) -> None:
    toaster = resolve_sources(["toasters.txt"], assistant.documents())
    answer = assistant.ask("How long does it take, in minutes?", generator="extractive", sources=toaster)
    assert answer.retrieved and {h.chunk.source for h in answer.retrieved} == set(toaster)
    assert all(c.chunk.source in toaster for c in answer.citations)
    unscoped = assistant.ask("How long does it take, in minutes?", generator="extractive")
    assert len({h.chunk.source for h in unscoped.retrieved}) > 1  # the scope, not the question, narrowed it


def test_names_resolve_by_path_end_and_refuse_ambiguity(assistant: Assistant) -> None:
    known = assistant.documents()
    assert resolve_sources(["notes/kettles.txt"], known)[0].endswith("/docs/notes/kettles.txt")
    assert resolve_sources([known[0]], known) == [known[0]]
    dotted = ["/r/.github/notes.md", "/r/docs/github/notes.md"]
    assert resolve_sources([".github/notes.md"], dotted) == ["/r/.github/notes.md"]
    assert resolve_sources(["./docs/github/notes.md"], dotted) == ["/r/docs/github/notes.md"]
    with pytest.raises(UnknownSourceError, match="matches 2 documents"):
        resolve_sources(["kettles.txt"], known)
    with pytest.raises(UnknownSourceError, match="is not indexed"):
        assistant.ask("What colour is the handle?", generator="extractive", sources=["absent.txt"])


def test_empty_index_names_the_folder(fake_settings: Settings) -> None:
    from assistant.errors import IndexEmptyError

    with pytest.raises(IndexEmptyError, match=str(fake_settings.index_dir.name)):
        Assistant(fake_settings).ask("What is indexed?", generator="extractive")


def test_documents_chosen_by_their_date(fake_settings: Settings, tmp_path: Path) -> None:
    from datetime import date

    folder = tmp_path / "dated"
    folder.mkdir()
    for day, name in [("March 3, 2024", "early"), ("June 9, 2025", "late")]:
        (folder / f"{name}.md").write_text(f"---\ntitle: {name}\ndate: {day}\n---\n\nThe {name} report says hello.\n")
    (folder / "undated.txt").write_text("Undated\n\nNo date here at all, just words.\n")
    a = Assistant(fake_settings)
    a.ingest([folder], progress=False)
    dated = {Path(s).stem: s for s in a.sources_dated()}
    assert set(dated) == {"early", "late"}
    assert [Path(s).stem for s in a.sources_dated(since=date(2025, 1, 1))] == ["late"]
    assert [Path(s).stem for s in a.sources_dated(until=date(2024, 12, 31))] == ["early"]
