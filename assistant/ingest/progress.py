"""The ingest's progress bar: over the bytes of the files to sync (its ETA follows the work), files, chunks/s."""

from __future__ import annotations

import time

from tqdm import tqdm


class Progress:
    """A tqdm bar over bytes (over files when no size is known), showing files done, chunks and chunks/s.

    Files differ tenfold in size, so an ETA counted in files jumps; one counted in bytes follows the work. A group
    of files being embedded is credited chunk by chunk (its bytes shared among its chunks), the rest when written.
    """

    def __init__(self, total: int, enabled: bool, total_bytes: int = 0) -> None:
        self._by_bytes = total_bytes > 0
        self._bar = tqdm(total=total_bytes if self._by_bytes else total, desc="Indexing", disable=not enabled,
                         unit="B" if self._by_bytes else "file", unit_scale=self._by_bytes, unit_divisor=1024,
                         leave=False)
        self._start = time.perf_counter()
        self._files_total, self._files, self._chunks = total, 0, 0
        self._group_left, self._per_chunk = 0.0, 0.0

    def start_group(self, nbytes: int, chunks: int) -> None:
        """A group of files of this many bytes and chunks starts embedding."""
        self._group_left, self._per_chunk = float(nbytes), nbytes / max(chunks, 1)

    def end_group(self, files: int) -> None:
        """The group is written: its files are done and the rest of its bytes credited."""
        left, self._group_left = self._group_left, 0.0
        self.advance(files=files, nbytes=left)

    def advance(self, files: int = 0, chunks: int = 0, nbytes: float = 0.0) -> None:
        """Count finished files, embedded chunks and the bytes they stand for."""
        if chunks and self._group_left:
            share = min(self._group_left, chunks * self._per_chunk)
            self._group_left -= share
            nbytes += share
        self._files += files
        self._chunks += chunks
        seconds = max(time.perf_counter() - self._start, 1e-9)
        self._bar.set_postfix_str(f"{self._files}/{self._files_total} files, {self._chunks} chunks, "
                                  f"{self._chunks / seconds:.1f} chunks/s", refresh=False)
        self._bar.update(nbytes if self._by_bytes else files)

    def close(self) -> None:
        """Remove the bar."""
        self._bar.close()
