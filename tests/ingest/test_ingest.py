"""Ingest: idempotent, incremental, bad files reported by name while the rest is indexed."""

import math
import os
import shutil
import sqlite3
import time
from pathlib import Path

import pytest

from assistant.ingest.pipeline import Progress
from assistant.ingest.watch import Watcher
from assistant.interfaces import cli
from assistant.models import Chunk
from assistant.retrieval.lexical import LexicalIndex, query_terms
from assistant.service import Assistant
from assistant.settings import Settings
from tests.conftest import FakeEmbedder


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


# --- scale: batched embedding, isolation, worker process, progress, --watch, lexical index -----------------
class CountingEmbedder(FakeEmbedder):
    """Records every embed call; fails on texts holding a poison word."""

    def __init__(self, poison: str = "") -> None:
        self.calls: list[list[str]] = []
        self.poison = poison

    def embed(self, texts: list[str]) -> list[list[float]]:
        self.calls.append(list(texts))
        if self.poison and any(self.poison in t for t in texts):
            raise ValueError("cannot embed this text")
        return super().embed(texts)


def _memos(folder: Path, count: int, sentences: int = 3) -> None:
    for n in range(count):
        body = " ".join(f"Memo {n} line {i} mentions topic{n}x{i} and budget{n}." for i in range(sentences))
        (folder / f"memo{n:02d}.txt").write_text(f"Memo {n}\n\n{body}\n")


def _with(settings: Settings, embedder: FakeEmbedder, **changes: object) -> Assistant:
    assistant = Assistant(settings.model_copy(update=changes))
    assistant.embedder = embedder
    return assistant


def test_chunks_of_several_files_share_embed_calls(fake_settings: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "memos"
    folder.mkdir()
    _memos(folder, 12)
    embedder = CountingEmbedder()
    assistant = _with(fake_settings, embedder, embed_batch_size=8, chunk_size=80, ingest_workers=0,
                      ingest_sentence_vectors=False)  # counts the chunk calls only
    report = assistant.ingest([folder], progress=False)
    assert report.indexed == 12 and not report.errors
    assert len(embedder.calls) == math.ceil(report.chunks / 8) < 12
    assert all(len(call) <= 8 for call in embedder.calls)
    sources = {c.source for c in assistant.lexical.search("memo", 1000)}
    assert len(sources) == 12 and assistant.store.ids() == assistant.lexical.ids()
    multi_file_calls = [call for call in embedder.calls if len({t.split()[1] for t in call}) > 1]
    assert multi_file_calls
    for chunk in assistant.lexical.search("topic3x1 topic7x2 topic11x0", 3):  # each vector went to its own chunk
        best = assistant.store.search(FakeEmbedder().embed([chunk.text])[0], 1)[0]
        assert best.chunk.id == chunk.id and best.dense > 0.999


def test_embedding_failure_is_isolated_to_its_file(fake_settings: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "memos"
    folder.mkdir()
    _memos(folder, 4)
    (folder / "memo02.txt").write_text("Memo 2\n\nThis one holds POISON that the embedder refuses.\n")
    assistant = _with(fake_settings, CountingEmbedder(poison="POISON"), ingest_workers=0)
    report = assistant.ingest([folder], progress=False)
    assert report.indexed == 3 and len(report.errors) == 1 and "memo02.txt" in report.errors[0]
    assert not [s for s in assistant.documents() if s.endswith("memo02.txt")] and len(assistant.documents()) == 3
    assert not assistant.lexical.search("POISON", 5) and assistant.store.ids() == assistant.lexical.ids()


def test_worker_process_gives_the_same_index(fake_settings: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "memos"
    folder.mkdir()
    _memos(folder, 17)
    (folder / "empty.txt").write_bytes(b"")
    states = []
    for workers, name in ((0, "inline"), (1, "pool")):
        settings = fake_settings.model_copy(update={"index_dir": tmp_path / name, "ingest_workers": workers})
        assistant = Assistant(settings)
        report = assistant.ingest([folder], progress=False)
        assert report.indexed == 17 and any("empty.txt" in e for e in report.errors)
        states.append(_state(assistant))
    assert states[0] == states[1] and len(states[0][0]) >= 17


def test_progress_bar_shows_files_and_chunks_per_second() -> None:
    bar = Progress(total=4, enabled=True)
    bar.advance(chunks=30)
    bar.advance(files=2)
    text = str(bar._bar)
    bar.close()
    assert "2/4" in text and "30 chunks" in text and "chunks/s" in text and "file" in text


def test_progress_over_bytes_credits_a_group_chunk_by_chunk_and_the_rest_when_written() -> None:
    bar = Progress(total=3, enabled=True, total_bytes=4000)
    bar.advance(files=1, nbytes=1000)  # an unchanged file
    bar.start_group(3000, chunks=30)
    bar.advance(chunks=10)
    assert bar._bar.n == 2000 and "1/3 files, 10 chunks" in str(bar._bar)
    bar.advance(chunks=40)  # more than the group announced: never past its bytes
    assert bar._bar.n == 4000
    bar.end_group(files=2)
    text = str(bar._bar)
    bar.close()
    assert bar._bar.n == 4000 and "3/3 files, 50 chunks" in text and "chunks/s" in text


def test_ingest_progress_reaches_the_bytes_of_every_file(fake_settings: Settings, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.ingest import pipeline

    bars: list[Progress] = []

    class Kept(Progress):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]
            bars.append(self)

    monkeypatch.setattr(pipeline, "Progress", Kept)
    folder = tmp_path / "memos"
    folder.mkdir()
    _memos(folder, 3)
    (folder / "empty.txt").write_text("")
    assistant = _with(fake_settings, CountingEmbedder())
    total = sum(p.stat().st_size for p in folder.iterdir())
    assistant.ingest([folder], progress=True)
    assistant.ingest([folder], progress=True)  # unchanged files are credited too
    assert [bar._bar.total for bar in bars] == [total, total] and [bar._bar.n for bar in bars] == [total, total]


def test_watcher_syncs_only_when_files_change(fake_settings: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "memos"
    folder.mkdir()
    _memos(folder, 3)
    embedder = CountingEmbedder()
    assistant = _with(fake_settings, embedder)
    watcher = Watcher(assistant.ingestor(), [folder])
    first = watcher.poll()
    assert first is not None and first.indexed == 3
    assert watcher.poll() is None
    calls = len(embedder.calls)
    target = folder / "memo01.txt"
    later = time.time() + 5
    os.utime(target, (later, later))  # touched, same content: the hash check keeps it from being re-embedded
    touched = watcher.poll()
    assert touched is not None and (touched.indexed, touched.unchanged) == (0, 3) and len(embedder.calls) == calls
    target.write_text("Memo 1\n\nThe budget is now 99 million.\n")
    changed = watcher.poll()
    assert changed is not None and changed.indexed == 1 and assistant.lexical.search("99 million", 3)
    (folder / "memo00.txt").unlink()
    removed = watcher.poll()
    assert removed is not None and removed.removed == 1 and len(assistant.documents()) == 2


def test_cli_watch_syncs_then_stops_on_ctrl_c(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "memos"
    folder.mkdir()
    _memos(folder, 2)
    monkeypatch.setenv("ASSISTANT_EMBEDDER", "fake")
    sleeps: list[float] = []

    def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)
        if len(sleeps) == 1:
            (folder / "memo09.txt").write_text("Memo 9\n\nA new memo about the harbour.\n")
            return
        raise KeyboardInterrupt

    monkeypatch.setattr(time, "sleep", fake_sleep)
    code = cli.main(["--index-dir", str(tmp_path / "index"), "ingest", "--quiet", "--watch", "--interval", "7",
                     str(folder)])
    out = capsys.readouterr().out
    assert code == 0 and sleeps == [7.0, 7.0]
    assert "2 indexed" in out and "1 indexed, 2 unchanged" in out and out.rstrip().endswith("stopped")


def _chunk(n: int, text: str) -> Chunk:
    return Chunk(id=f"c{n}", source=f"doc{n % 3}.txt", text=text, start=0, end=len(text))


def test_lexical_replace_and_delete_by_id(tmp_path: Path) -> None:
    index = LexicalIndex(tmp_path / "lexical.sqlite")
    index.add([_chunk(n, f"passage {n} about harbour cranes") for n in range(50)])
    index.add([_chunk(7, "passage 7 rewritten about lighthouses")])  # same id: replaced, not duplicated
    index.commit()
    assert index.count() == 50 and index.ids() == {f"c{n}" for n in range(50)}
    assert [c.id for c in index.search("lighthouses", 5)] == ["c7"]
    assert "c7" not in {c.id for c in index.search("cranes", 100)}
    index.delete([f"c{n}" for n in range(0, 50, 2)])
    index.commit()
    assert index.count() == 25 and len(index.search("cranes", 100)) == 24
    assert index._db.execute("SELECT count(*) FROM passages").fetchone()[0] == 25


def test_lexical_index_written_before_the_row_map_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "lexical.sqlite"
    db = sqlite3.connect(path)
    db.execute("CREATE VIRTUAL TABLE passages USING fts5(id UNINDEXED, source UNINDEXED, meta UNINDEXED, text)")
    db.execute("INSERT INTO passages VALUES ('old1', 'a.txt', '{}', 'the old harbour')")
    db.commit()
    db.close()
    index = LexicalIndex(path)
    assert index.ids() == {"old1"} and index.search("harbour", 3)[0].id == "old1"
    index.delete(["old1"])
    assert not index.search("harbour", 3)


def test_query_terms_are_limited_to_the_longest() -> None:
    question = "What " + " ".join(f"w{n}" + "x" * n for n in range(20)) + " and w1x again?"
    terms = query_terms(question, limit=5)
    assert len(terms) == 5 and all(len(t) >= len("w15" + "x" * 15) for t in terms)
    assert query_terms("What is the harbour harbour?") == ["harbour"]


def test_embed_threads_setting_limits_both_encoders(settings: Settings) -> None:
    import torch
    from threadpoolctl import threadpool_info

    from assistant.registry import EMBEDDERS

    before = torch.get_num_threads()
    embedder = EMBEDDERS.create("minilm", settings.model_copy(update={"embed_threads": 1}))
    seen: list[int] = []
    model = embedder._small_model()
    real = model.encode

    def spy(texts: list[str], batch_size: int = 32) -> object:
        seen.extend(p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas")
        return real(texts, batch_size)

    model.encode = spy  # type: ignore[method-assign]
    try:
        torch.set_num_threads(2)
        embedder.embed(["one question"])  # NumPy path: BLAS limited while it runs
        assert seen and set(seen) == {1}
        embedder.embed(["word " * (embedder.small_chars // 5 + 1)])  # torch path: loads, then sets threads
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
