"""kill -9 during removes and re-ingests: removed content is never retrieved, and the stores agree after the check.

Also: a killed ingest leaves no parse worker or resource tracker behind.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from assistant.service import Assistant
from assistant.settings import Settings
from tests.conftest import ROOT

# the child slows every vector delete a little, so kills land between the manifest commit and the delete too
CHILD = """
import sys, time
from pathlib import Path
import tests.conftest  # registers the fake embedder
from assistant.service import Assistant
from assistant.settings import Settings
settings = Settings(index_dir=Path(sys.argv[1]), embedder="fake", ingest_lock_wait_s=60)
assistant = Assistant(settings)
real_delete = assistant.store.delete
assistant.store.delete = lambda ids: (time.sleep(0.03), real_delete(ids))
ingestor = assistant.ingestor()
print("ready", flush=True)
for source in sorted(assistant.documents()):
    ingestor.remove(source)
    if sys.argv[3] == "both":
        ingestor.run([Path(source)], progress=False)
        ingestor.remove(source)
"""
INGEST_CHILD = """
import sys
from pathlib import Path
import tests.conftest
from assistant.service import Assistant
from assistant.settings import Settings
settings = Settings(index_dir=Path(sys.argv[1]), embedder="fake", ingest_workers=1)
print("ready", flush=True)
Assistant(settings).ingest([Path(sys.argv[2])], progress=False)
"""


def _corpus(folder: Path, files: int = 30) -> None:
    """Files that each hold one word no other file has (zq<i>x), so retrieval can tell them apart."""
    folder.mkdir(exist_ok=True)
    for i in range(files):
        body = " ".join(f"The barge zq{i}x carried {j} crates to dock {j}." for j in range(40))
        (folder / f"log{i:02d}.md").write_text(f"# Log {i}\n\n{body}\n")


def _check(settings: Settings, files: int) -> bool:
    """Nothing removed is retrieved; after the start-up check both stores hold exactly the manifest's chunks.

    Returns whether the kill left a delete intent to finish.
    """
    assistant = Assistant(settings)
    interrupted = bool(assistant.lexical.pending_deletes())
    present = {Path(s).name for s in assistant.documents()}
    for i in range(files):
        found = {Path(h.chunk.source).name for h in assistant.retriever.retrieve(f"barge zq{i}x crates", 4)}
        assert found <= present, f"removed content retrieved: {found - present}"
    assistant.check_index()
    listed = set().union(*(set(assistant.lexical.file_chunks(s)) for s in assistant.documents()))
    assert assistant.store.ids() == assistant.lexical.ids() == listed
    assert not assistant.lexical.pending_deletes()
    return interrupted


def test_kill_nine_during_removes_at_random_points(fake_settings: Settings, tmp_path: Path) -> None:
    rng = random.Random(11)
    folder, index = tmp_path / "docs", fake_settings.index_dir
    _corpus(folder)
    deadline = time.monotonic() + 600  # a hang guard
    interrupted = 0
    for trial in range(20):
        Assistant(fake_settings).ingest([folder], progress=False)
        order = "both" if trial % 2 else "remove"
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(index), str(folder), order], cwd=ROOT, stdout=subprocess.PIPE, text=True
        )
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 1.0))
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        interrupted += _check(fake_settings, 30)
        assert time.monotonic() < deadline, f"hung: {trial} trials"
    assert interrupted, "no kill landed between a remove's commit and its vector delete"


def _children(pid: int) -> list[int]:
    """Processes whose parent is pid (read from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for its new parent to reap it counts as gone)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_killed_ingest_leaves_no_processes(fake_settings: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    _corpus(folder, files=400)
    child = subprocess.Popen(
        [sys.executable, "-c", INGEST_CHILD, str(fake_settings.index_dir), str(folder)], cwd=ROOT,
        stdout=subprocess.PIPE, text=True,
    )
    assert child.stdout is not None and child.stdout.readline().strip() == "ready"
    deadline = time.monotonic() + 120
    helpers: list[int] = []
    while len(helpers) < 2 and child.poll() is None and time.monotonic() < deadline:  # a worker and the tracker
        helpers = _children(child.pid)
        time.sleep(0.05)
    assert helpers, "the ingest started no worker process"
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    deadline = time.monotonic() + 60
    while any(_alive(p) for p in helpers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [p for p in helpers if _alive(p)], "processes left running after the ingest was killed"
