"""One real assistant (MiniLM, embedded Chroma, SmolLM2 through llama.cpp) over the seed, shared per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.service import Assistant
from assistant.settings import Settings
from tests.conftest import SEEDS


@pytest.fixture(scope="session")
def real_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of seeds/ built once with the real embedder."""
    index = tmp_path_factory.mktemp("real") / "index"
    report = Assistant(Settings(index_dir=index, seeds_dir=SEEDS)).ingest([SEEDS], progress=False)
    assert report.indexed == 1 and not report.errors
    return index


@pytest.fixture(scope="session")
def real_assistant(real_index: Path) -> Assistant:
    """The default configuration (local LLM) on the real index."""
    return Assistant(Settings(index_dir=real_index, seeds_dir=SEEDS))
