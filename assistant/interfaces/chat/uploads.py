"""Uploads: safe stored names (distinct within a batch; a later upload of a name is its new version); indexing one
by one with a truthful status."""

from __future__ import annotations

import filecmp
import logging
import os
import re
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.errors import AssistantError
from assistant.ingest.pipeline import SUPPORTED, Ingestor, source_name
from assistant.interfaces.chat.indexing import writer

if TYPE_CHECKING:
    from assistant.service import Assistant

log = logging.getLogger(__name__)

UPLOAD_TYPES = SUPPORTED  # every type the loaders read
MAX_SAME_NAME = 999  # "report (999).pdf" is the last name tried


@dataclass
class Stored:
    """One upload in the uploads folder: where it is, the name it came with, and whether this upload wrote it."""

    path: Path
    name: str  # the sanitised name it was uploaded under
    new: bool  # False: the very same bytes were already stored under path
    replaced: bool = False  # an earlier upload under this name held other content: this is its new version

    @property
    def label(self) -> str:
        """How the status names it."""
        if self.path.name != self.name:
            return f"{self.path.name} (renamed: another {self.name} is in this upload)"
        return f"{self.name} (replaced the earlier upload of that name)" if self.replaced else self.name


def safe_name(name: str) -> str | None:
    """A sanitised file name (no path parts, NUL bytes or leading dots) of an allowed type, else None."""
    name = name.replace("\x00", "").replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[^\w.\- ]+", "_", name).strip().lstrip(".").strip()
    suffix = Path(name).suffix.lower()
    if not name or suffix not in UPLOAD_TYPES or not Path(name).stem.strip(" ._"):
        return None
    return Path(name).stem[:100] + suffix


def stored_name(name: str, folder: Path, data: Path, batch: set[Path] | None = None) -> tuple[str, bool] | None:
    """Where an upload goes: name, or 'stem (2).ext', ... when this batch already stored one under it.

    (candidate, True) writes it there (new, or a new version replacing an earlier upload); (candidate, False):
    those very bytes are stored there already. None: every candidate is taken by this batch.
    """
    stem, suffix = Path(name).stem, Path(name).suffix
    for n in range(1, MAX_SAME_NAME + 1):
        candidate = name if n == 1 else f"{stem} ({n}){suffix}"
        dest = folder / candidate
        if dest in (batch or set()) or dest.is_symlink() or dest.is_dir():
            continue
        same = dest.is_file() and filecmp.cmp(data, dest, shallow=False)
        return candidate, not same
    return None


def store_uploads(paths: Sequence[str], folder: Path, max_mb: float) -> tuple[list[Stored], list[str]]:
    """Copy uploads into folder under sanitised names, never over another file; return them and the problems."""
    stored: list[Stored] = []
    problems: list[str] = []
    for raw in paths:
        original = Path(raw).name
        name = safe_name(original)
        if name is None:
            problems.append(f"{original}: not indexed; only {', '.join(UPLOAD_TYPES)} files are accepted")
            continue
        if os.path.getsize(raw) > max_mb * 2**20:
            problems.append(f"{original}: not indexed; larger than the {max_mb:g} MB upload limit")
            continue
        folder.mkdir(parents=True, exist_ok=True)
        place = stored_name(name, folder, Path(raw), {item.path for item in stored})
        if place is None:
            problems.append(f"{original}: not indexed; too many stored files are named {name}")
            continue
        dest = folder / place[0]
        if dest.resolve().parent != folder.resolve():
            problems.append(f"{original}: not indexed; unsafe file name")
            continue
        if any(item.path.is_file() and filecmp.cmp(raw, item.path, shallow=False) for item in stored):
            problems.append(f"{original}: uploaded twice in this batch with the same content; indexed once")
            continue
        replaced = place[1] and dest.is_file()
        if place[1]:
            shutil.copyfile(raw, dest)
        stored.append(Stored(dest, name, new=place[1], replaced=replaced))
    return stored, problems


def save_uploads(paths: Sequence[str], folder: Path, max_mb: float) -> tuple[list[Path], list[str]]:
    """Copy uploaded files into the uploads folder under distinct sanitised names; return saved files and problems."""
    stored, problems = store_uploads(paths, folder, max_mb)
    return [item.path for item in stored], problems


def index_one(ingestor: Ingestor, path: Path) -> tuple[bool, list[str]]:
    """Index one stored upload: (whether it is in the index now, and unchanged; the problems, named by file)."""
    try:
        report = ingestor.run([path], progress=False)
    except AssistantError as exc:
        return False, [f"{path.name}: {exc.user_message()}"]
    except Exception:  # noqa: BLE001 - one bad file must not stop the others
        log.exception("indexing %s failed", path)
        return False, [f"{path.name}: could not be indexed (the error was logged)"]
    if report.errors:
        return False, list(report.errors)
    if not (report.indexed or report.unchanged):
        return False, [f"{path.name}: not indexed"]
    return bool(report.unchanged and not report.indexed), []


def index_files(assistant: Assistant, files: Sequence[str] | None) -> Iterator[tuple[str, list[str], list[str]]]:
    """Save and index uploads one by one; yield (current step, indexed names, problems); failures are not kept.

    Indexing writes through connections of its own (indexing.writer), so answers keep flowing meanwhile."""
    stored, problems = store_uploads(files or [], assistant.settings.uploads_dir, assistant.settings.ui.max_upload_mb)
    done: list[str] = []
    with writer(assistant) as ingestor:
        yield from _index_stored(assistant, ingestor, stored, done, problems)
    yield "", done, problems


def _index_stored(
    assistant: Assistant, ingestor: Ingestor, stored: Sequence[Stored], done: list[str], problems: list[str]
) -> Iterator[tuple[str, list[str], list[str]]]:
    """Index stored uploads one by one, yielding the step before each; fills done and problems."""
    for i, item in enumerate(stored, start=1):
        yield f"Indexing {i} of {len(stored)}: {item.path.name}…", done, problems
        unchanged, failed = index_one(ingestor, item.path)
        if failed:
            problems.extend(failed)
            if item.new and assistant.document(source_name(item.path)) is None:
                item.path.unlink(missing_ok=True)  # not indexed: not kept either
            continue
        done.append(item.label + (" (unchanged)" if unchanged else ""))
