"""`assistant ingest --watch`: poll folders by (mtime, size) and sync them through the pipeline when they change."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path

from assistant.ingest.pipeline import Ingestor, IngestReport, discover


def snapshot(paths: Iterable[Path]) -> dict[str, tuple[int, int]]:
    """(mtime_ns, size) of every supported file under the paths: the cheap change signal of --watch."""
    state: dict[str, tuple[int, int]] = {}
    for path in discover(paths, IngestReport()):
        try:
            stat = path.stat()
        except OSError:
            continue
        state[str(path)] = (stat.st_mtime_ns, stat.st_size)
    return state


class Watcher:
    """Polls folders by (mtime, size) and syncs them when something changed (the sync then checks hashes)."""

    def __init__(self, ingestor: Ingestor, paths: list[Path], progress: bool = False) -> None:
        self.ingestor = ingestor
        self.paths = paths
        self.progress = progress  # a bar for the first sync only (it may be a whole corpus)
        self._state: dict[str, tuple[int, int]] | None = None

    def poll(self) -> IngestReport | None:
        """Sync if this is the first poll or a file was added, removed or touched; None otherwise."""
        current = snapshot(self.paths)  # taken before the sync: a change made during it is seen next time
        if current == self._state:
            return None
        first, self._state = self._state is None, current
        return self.ingestor.run(self.paths, progress=self.progress and first)

    def run(self, interval: float, on_sync: Callable[[IngestReport], None]) -> None:
        """Poll forever (until KeyboardInterrupt), calling on_sync after every sync."""
        while True:
            report = self.poll()
            if report is not None:
                on_sync(report)
            time.sleep(interval)
