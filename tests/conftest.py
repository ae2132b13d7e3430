"""Shared fixtures: an index in tmp_path, fakes for unit tests, the network blocked outside integration tests."""

from __future__ import annotations

import hashlib
import math
import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SEED_FILE = SEEDS / "000_7e4ab87e524eadcc.txt"


@pytest.fixture(autouse=True)
def _isolate(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Offline flags always; outside integration tests any non-loopback connection fails."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    monkeypatch.setenv("ASSISTANT_CONFIG", str(tmp_path / "absent.toml"))
    if request.node.get_closest_marker("integration"):
        return
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: object) -> object:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            raise RuntimeError(f"network access blocked in unit tests: {address!r}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


class FakeEmbedder:
    """Deterministic bag-of-words vectors: same words, similar vectors."""

    dims = 256

    def embed(self, texts: list[str]) -> list[list[float]]:
        """Hash each lower-cased word into a bucket; unit length."""
        out = []
        for text in texts:
            vec = [0.0] * self.dims
            for word in text.lower().split():
                word = word.strip('.,;:!?"()[]')
                if word:
                    vec[int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dims] += 1.0
            norm = math.sqrt(sum(v * v for v in vec)) or 1.0
            out.append([v / norm for v in vec])
        return out


class ScriptedGenerator:
    """Returns a fixed reply, streamed word by word."""

    name = "scripted"

    def __init__(self, reply: str) -> None:
        self.reply = reply

    def stream(self, data: object) -> Iterator[str]:
        """Yield the reply in pieces."""
        for i, word in enumerate(self.reply.split(" ")):
            yield word if i == 0 else " " + word


@pytest.fixture(scope="session", autouse=True)
def shared_encoder_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One cache of built ONNX encoder graphs for every index of the session (and the processes it starts)."""
    folder = tmp_path_factory.mktemp("encoders")
    saved = os.environ.get("ASSISTANT_ENCODER_CACHE_DIR")
    os.environ["ASSISTANT_ENCODER_CACHE_DIR"] = str(folder)
    yield folder
    if saved is None:
        os.environ.pop("ASSISTANT_ENCODER_CACHE_DIR", None)
    else:
        os.environ["ASSISTANT_ENCODER_CACHE_DIR"] = saved


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings with the index in a temporary folder."""
    return Settings(index_dir=tmp_path / "index", seeds_dir=SEEDS)


@pytest.fixture
def seed_copy(tmp_path: Path) -> Path:
    """A folder holding a copy of the seed article."""
    folder = tmp_path / "docs"
    folder.mkdir()
    shutil.copy(SEED_FILE, folder / SEED_FILE.name)
    return folder


def _register_fakes() -> None:
    """Make the fake embedder selectable by name in unit tests."""
    import assistant.components  # noqa: F401
    from assistant.registry import EMBEDDERS

    EMBEDDERS.register("fake")(lambda settings: FakeEmbedder())


_register_fakes()


@pytest.fixture
def fake_settings(settings: Settings) -> Settings:
    """Settings that use the fake embedder (real embedded Chroma, real SQLite)."""
    return settings.model_copy(update={"embedder": "fake"})
