"""Fixtures shared by the answering tests: a small manual indexed once with the real encoder."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.service import Assistant
from assistant.settings import Settings

MANUAL = """# Backup tool manual

## Schedule

The backup tool writes a compressed archive of the home directories to /var/backups every night at 02:00.
Each archive is named after the date on which it was made.

## Retention

Archives older than 30 days are deleted by the cleanup job. The cleanup job runs once a week, on Sunday.

## Restoring

To restore a single file, run restore-file with the name of the archive and the path of the file.
"""


@pytest.fixture(scope="package")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One index of the manual (real encoder), shared by the answering tests."""
    root = tmp_path_factory.mktemp("reading")
    (root / "docs").mkdir()
    (root / "docs" / "backup.md").write_text(MANUAL, encoding="utf-8")
    Assistant(Settings(index_dir=root / "index")).ingest([root / "docs"], progress=False)
    return root / "index"
