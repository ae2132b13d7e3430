"""kill -9 during ingest at random moments: the index stays consistent and the next ingest completes."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant.errors import IngestError
from assistant.ingest.consistency import ingest_lock, reconcile
from assistant.service import Assistant
from assistant.settings import Settings
from tests.conftest import ROOT

CHILD = """
import sys
from pathlib import Path
import tests.conftest  # registers the fake embedder
from assistant.service import Assistant
from assistant.settings import Settings
settings = Settings(index_dir=Path(sys.argv[1]), embedder="fake", ingest_lock_wait_s=60)
print("ready", flush=True)
Assistant(settings).ingest([Path(sys.argv[2])], progress=False)
print("done", flush=True)
"""


def _corpus(folder: Path, version: int) -> None:
    """Thirty files; every other one changes with the version, so re-ingests replace chunks."""
    folder.mkdir(exist_ok=True)
    for i in range(30):
        body = " ".join(f"Ship {i} carried {j * (version if i % 2 else 1)} crates to port {j}." for j in range(80))
        (folder / f"log{i:02d}.md").write_text(f"# Log {i}\n\n{body}\n")


def _check(settings: Settings) -> Assistant:
    """No manifest entry without all its chunks in both indexes; orphan vectors are invisible to search."""
    assistant = Assistant(settings)
    rows, vectors = assistant.lexical.ids(), assistant.store.ids()
    for source in assistant.lexical.sources():
        ids = set(assistant.lexical.file_chunks(source))
        assert ids and ids <= rows and ids <= vectors, source
    assert rows == set().union(*(set(assistant.lexical.file_chunks(s)) for s in assistant.lexical.sources()))
    return assistant


def test_kill_nine_at_random_points(fake_settings: Settings, tmp_path: Path) -> None:
    rng = random.Random(7)
    folder, index = tmp_path / "docs", fake_settings.index_dir
    deadline = time.monotonic() + 2400
    for trial in range(20):
        _corpus(folder, trial)
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(index), str(folder)], cwd=ROOT, stdout=subprocess.PIPE, text=True
        )
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 1.2))
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        _check(fake_settings)
        assert time.monotonic() < deadline, f"too slow: {trial} trials"
    assistant = Assistant(fake_settings)
    report = assistant.ingest([folder], progress=False)
    assert not report.errors and report.indexed + report.unchanged == 30
    assistant = _check(fake_settings)
    assert assistant.store.ids() == assistant.lexical.ids()
    assert len(assistant.documents()) == 30


def test_reconcile_removes_orphans_and_incomplete_files(fake_settings: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    _corpus(folder, 1)
    assistant = Assistant(fake_settings)
    assistant.ingest([folder], progress=False)
    source = assistant.documents()[0]
    chunks = assistant.lexical.file_chunks(source)
    victim = chunks[0]
    assistant.store.delete([victim])  # a vector lost: the file must be indexed again
    orphan = assistant.lexical.search("Ship 3", 1)[0]
    orphan.id = "orphan-id"
    assistant.store.upsert([orphan], assistant.embedder.embed([orphan.text]))
    repair = reconcile(assistant.store, assistant.lexical)
    # the stray vector plus the surviving vectors of the incomplete file are removed
    assert (repair.incomplete_files, repair.orphan_vectors) == (1, 1 + len(chunks) - 1)
    assert source not in assistant.documents() and "orphan-id" not in assistant.store.ids()
    report = assistant.ingest([folder], progress=False)
    assert report.indexed == 1 and assistant.store.ids() == assistant.lexical.ids()


def test_second_ingest_waits_then_says_so(fake_settings: Settings) -> None:
    with ingest_lock(fake_settings.index_dir, 1), pytest.raises(IngestError, match="Another ingest"):
        with ingest_lock(fake_settings.index_dir, 0.5):
            pass
