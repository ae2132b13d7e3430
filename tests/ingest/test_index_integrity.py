"""One source of truth for what is indexed: canonical names, removed files gone, damage and full disks reported."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.errors import IndexDamagedError, IngestError, StorageFullError
from assistant.ingest import pipeline
from assistant.ingest.consistency import ingest_lock
from assistant.service import Assistant
from assistant.settings import Settings
from tests.conftest import ROOT

FACTS = {
    "valve.md": "# Valve\n\nThe quorvane valve opens at forty degrees every morning.\n",
    "pump.md": "# Pump\n\nThe trelliment pump runs for ninety minutes after each restart.\n",
}
INGEST_CHILD = """
import sys
from pathlib import Path
import tests.conftest  # registers the fake embedder
from assistant.service import Assistant
from assistant.settings import Settings
Assistant(Settings(index_dir=Path(sys.argv[1]), embedder="fake")).ingest([Path(sys.argv[2])], progress=False)
"""

REBUILD_CHILD = """
import sys
from pathlib import Path
import tests.conftest
from assistant.service import Assistant
from assistant.settings import Settings
settings = Settings(index_dir=Path(sys.argv[1]), embedder="fake")
Assistant.for_rebuild(settings).ingest([Path(sys.argv[2])], progress=False, rebuild=True)
"""


def _docs(folder: Path, names: tuple[str, ...] = tuple(FACTS)) -> Path:
    """A folder with the given fact files."""
    folder.mkdir(exist_ok=True)
    for name in names:
        (folder / name).write_text(FACTS[name])
    return folder


def _sources_found(assistant: Assistant, question: str) -> set[str]:
    """Names of the files whose chunks retrieval returns for a question."""
    return {Path(hit.chunk.source).name for hit in assistant.retriever.retrieve(question, 4)}


def test_removed_file_is_never_retrieved_even_when_its_vectors_survive(fake_settings: Settings, tmp_path: Path) -> None:
    assistant = Assistant(fake_settings)
    assistant.ingest([_docs(tmp_path / "docs")], progress=False)
    source = next(s for s in assistant.documents() if s.endswith("valve.md"))

    def died(ids: object) -> None:
        raise RuntimeError("killed before the vectors were deleted")

    assistant.store.delete = died  # type: ignore[method-assign]
    with pytest.raises(RuntimeError, match="killed"):
        assistant.ingestor().remove(source)
    assert source not in assistant.documents()
    assert "valve.md" not in _sources_found(assistant, "quorvane valve opens forty degrees")
    fresh = Assistant(fake_settings)
    repair = fresh.check_index()
    assert repair is not None and repair.pending_deletes > 0
    assert fresh.store.ids() == fresh.lexical.ids()


def test_deleted_file_ingested_again_by_path_is_removed(fake_settings: Settings, tmp_path: Path) -> None:
    assistant = Assistant(fake_settings)
    path = _docs(tmp_path / "docs") / "valve.md"
    assistant.ingest([path], progress=False)
    path.unlink()
    report = assistant.ingest([path], progress=False)
    assert report.removed == 1 and not report.errors
    assert not [s for s in assistant.documents() if s.endswith("valve.md")]
    assert "valve.md" not in _sources_found(assistant, "quorvane valve opens forty degrees")
    again = assistant.ingest([path], progress=False)
    assert again.errors and "no such file" in again.errors[0]


def test_same_folder_from_two_working_folders_is_indexed_once(
    fake_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = _docs(tmp_path / "docs")
    assistant = Assistant(fake_settings)
    monkeypatch.chdir(tmp_path)
    assistant.ingest([Path("docs")], progress=False)
    monkeypatch.chdir(docs)
    report = assistant.ingest([Path(".")], progress=False)
    assert report.unchanged == 2 and report.indexed == 0
    link = tmp_path / "link"
    link.symlink_to(docs)
    assert assistant.ingest([link], progress=False).indexed == 0
    assert len(assistant.documents()) == 2 and assistant.store.count() == assistant.lexical.count()


def test_a_file_reached_twice_in_one_ingest_is_indexed_once(fake_settings: Settings, tmp_path: Path) -> None:
    docs = _docs(tmp_path / "docs")
    (docs / "latest.md").symlink_to(docs / "valve.md")
    assistant = Assistant(fake_settings)
    report = assistant.ingest([docs, docs / "pump.md"], progress=False)
    assert report.indexed == 2 and not report.errors
    assert len(assistant.documents()) == 2 and assistant.store.ids() == assistant.lexical.ids()


def test_remove_waits_for_a_running_ingest(fake_settings: Settings, tmp_path: Path) -> None:
    settings = fake_settings.model_copy(update={"ingest_lock_wait_s": 0.5})
    assistant = Assistant(settings)
    assistant.ingest([_docs(tmp_path / "docs")], progress=False)
    with ingest_lock(settings.index_dir, 1), pytest.raises(IngestError, match="Another ingest"):
        assistant.ingestor().remove(assistant.documents()[0])
    assert len(assistant.documents()) == 2


def test_a_rebuild_is_seen_by_a_running_reader(fake_settings: Settings, tmp_path: Path) -> None:
    reader = Assistant(fake_settings)
    reader.ingest([_docs(tmp_path / "docs", ("valve.md",))], progress=False)
    assert "valve.md" in _sources_found(reader, "quorvane valve opens forty degrees")
    other = _docs(tmp_path / "other", ("pump.md",))
    subprocess.run(
        [sys.executable, "-c", REBUILD_CHILD, str(fake_settings.index_dir), str(other)], cwd=ROOT, check=True,
        timeout=300,
    )
    assert reader.documents() == [str((other / "pump.md").resolve())]
    assert _sources_found(reader, "quorvane valve opens forty degrees") <= {"pump.md"}
    assert "pump.md" in _sources_found(reader, "trelliment pump runs ninety minutes restart")


def test_names_from_an_older_version_are_replaced(
    fake_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = _docs(tmp_path / "docs")
    monkeypatch.chdir(tmp_path)
    relative = pipeline.source_name
    monkeypatch.setattr(pipeline, "source_name", lambda p: os.path.relpath(relative(p), tmp_path))
    assistant = Assistant(fake_settings)
    assistant.ingest([docs], progress=False)
    assert sorted(assistant.documents()) == ["docs/pump.md", "docs/valve.md"]
    monkeypatch.setattr(pipeline, "source_name", relative)
    assistant.ingest([docs], progress=False)
    assert sorted(assistant.documents()) == sorted(str(p.resolve()) for p in docs.iterdir())
    assert assistant.store.ids() == assistant.lexical.ids()


@pytest.mark.parametrize("damage", ["garbled", "truncated"])
@pytest.mark.parametrize("broken", ["lexical.sqlite", "chroma/chroma.sqlite3"])
def test_damaged_index_file_is_named_and_rebuild_works(
    fake_settings: Settings, tmp_path: Path, broken: str, damage: str
) -> None:
    docs = _docs(tmp_path / "docs")
    for i in range(30):  # enough pages that cutting the file in half loses tables
        (docs / f"extra{i}.md").write_text(f"# Extra {i}\n\n" + " ".join(f"Item q{i}z{j} ships." for j in range(300)))
    Assistant(fake_settings).ingest([docs], progress=False)
    target = fake_settings.index_dir / broken
    for tail in ("-wal", "-shm"):
        Path(f"{target}{tail}").unlink(missing_ok=True)
    if damage == "garbled":
        target.write_bytes(os.urandom(4096))
    else:
        os.truncate(target, target.stat().st_size // 2)
    with pytest.raises(IndexDamagedError) as caught:
        Assistant(fake_settings).ask("When does the valve open?", generator="extractive")
    message = caught.value.user_message()
    assert str(fake_settings.index_dir / broken.split("/")[0]) in message and "assistant ingest --rebuild" in message
    rebuilt = Assistant.for_rebuild(fake_settings)
    assert rebuilt.ingest([docs], progress=False, rebuild=True).indexed == 32
    assert "valve.md" in _sources_found(rebuilt, "quorvane valve opens forty degrees")


def test_damaged_index_is_a_message_on_the_command_line(fake_settings: Settings, tmp_path: Path) -> None:
    Assistant(fake_settings).ingest([_docs(tmp_path / "docs")], progress=False)
    for tail in ("-wal", "-shm"):
        Path(f"{fake_settings.index_dir / 'lexical.sqlite'}{tail}").unlink(missing_ok=True)
    (fake_settings.index_dir / "lexical.sqlite").write_bytes(b"not a database" * 300)
    code = (
        "import sys, tests.conftest; from assistant.interfaces.cli import main; "
        "sys.exit(main(['--index-dir', sys.argv[1], 'ask', 'When does the valve open?', '--llm', 'extractive']))"
    )
    env = {**os.environ, "ASSISTANT_EMBEDDER": "fake", "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(
        [sys.executable, "-c", code, str(fake_settings.index_dir)], cwd=ROOT, env=env, capture_output=True,
        text=True, timeout=300,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert "lexical.sqlite is damaged" in done.stderr and "--rebuild" in done.stderr


def test_full_disk_during_ingest_stops_cleanly(fake_settings: Settings, tmp_path: Path) -> None:
    assistant = Assistant(fake_settings)
    assistant.ingest([_docs(tmp_path / "docs", ("valve.md",))], progress=False)
    more = _docs(tmp_path / "more", ("pump.md",))

    def full(*_args: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    real = assistant.store.upsert
    assistant.store.upsert = full  # type: ignore[method-assign]
    with pytest.raises(StorageFullError, match="disk is full"):
        assistant.ingest([more], progress=False)
    assistant.store.upsert = real  # type: ignore[method-assign]
    assert "valve.md" in _sources_found(assistant, "quorvane valve opens forty degrees")
    assert assistant.ingest([more], progress=False).indexed == 1


def _mount_tmpfs(where: Path, size: str) -> bool:
    """A small RAM disk to fill up (root only; False when this machine cannot mount one)."""
    where.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)], capture_output=True)
    return done.returncode == 0


def test_real_full_disk_keeps_the_index_usable(fake_settings: Settings, tmp_path: Path) -> None:
    disk = tmp_path / "disk"
    if os.geteuid() != 0 or not _mount_tmpfs(disk, "6m"):
        pytest.skip("needs root to mount a small tmpfs")
    try:
        settings = fake_settings.model_copy(update={"index_dir": disk / "index"})
        assistant = Assistant(settings)
        assistant.ingest([_docs(tmp_path / "docs", ("valve.md",))], progress=False)
        bulk = tmp_path / "bulk"
        bulk.mkdir()
        for i in range(400):
            words = " ".join(f"entry{i}x{j} holds crate {j} of shipment {i}." for j in range(60))
            (bulk / f"log{i:03d}.md").write_text(f"# Log {i}\n\n{words}\n")
        with pytest.raises(StorageFullError) as caught:
            assistant.ingest([bulk], progress=False)
        assert "disk is full" in caught.value.user_message() and "Free some disk space" in caught.value.user_message()
        again = Assistant(settings)
        assert "valve.md" in _sources_found(again, "quorvane valve opens forty degrees")
        again.ask("When does the quorvane valve open?", generator="extractive")
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def test_a_running_reader_sees_what_another_process_ingested(fake_settings: Settings, tmp_path: Path) -> None:
    docs = _docs(tmp_path / "docs", ("valve.md",))
    reader = Assistant(fake_settings)
    reader.ingest([docs], progress=False)
    assert "valve.md" in _sources_found(reader, "quorvane valve opens forty degrees")
    _docs(docs, ("pump.md",))
    subprocess.run([sys.executable, "-c", INGEST_CHILD, str(fake_settings.index_dir), str(docs)], cwd=ROOT,
                   check=True, timeout=300)
    reader.ask("How long does the trelliment pump run after a restart?", generator="extractive")
    assert "pump.md" in _sources_found(reader, "trelliment pump runs ninety minutes restart")
    (docs / "valve.md").unlink()
    subprocess.run([sys.executable, "-c", INGEST_CHILD, str(fake_settings.index_dir), str(docs)], cwd=ROOT,
                   check=True, timeout=300)
    assert "valve.md" not in _sources_found(reader, "quorvane valve opens forty degrees")
