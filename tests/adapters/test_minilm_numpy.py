"""The NumPy MiniLM gives sentence-transformers' vectors, and the embedder picks it for small batches."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from assistant.adapters.minilm_embedder import MiniLMEmbedder, packaged_model_path
from assistant.adapters.minilm_numpy import NumpyMiniLM, _erf
from tests.conftest import SEED_FILE

pytestmark = pytest.mark.slow


def _texts() -> list[str]:
    sentences = [s.strip() for s in SEED_FILE.read_text(encoding="utf-8").split(".") if s.strip()][:20]
    return [*sentences, "Who leads the Russian delegation?", "x", "", "Ünïcødé 日本語 🎉 עברית", "word " * 400]


def test_same_vectors_as_sentence_transformers() -> None:
    from sentence_transformers import SentenceTransformer

    texts = _texts()
    ours = NumpyMiniLM(packaged_model_path()).encode(texts, batch_size=8)
    reference = SentenceTransformer(packaged_model_path(), device="cpu").encode(texts, normalize_embeddings=True)
    assert ours.shape == reference.shape == (len(texts), 384)
    assert np.abs(ours - reference).max() < 1e-5  # 256-token truncation, padding, pooling all agree


def test_erf_matches_the_standard_library() -> None:
    import math

    xs = np.linspace(-6, 6, 2001)
    assert np.abs(_erf(xs) - np.array([math.erf(x) for x in xs])).max() < 2e-7


def test_small_batches_never_import_torch() -> None:
    code = (
        "import sys; from assistant.adapters.minilm_embedder import MiniLMEmbedder\n"
        "v = MiniLMEmbedder().embed(['Who leads the Russian delegation?', 'a second text'])\n"
        "assert len(v) == 2 and len(v[0]) == 384\n"
        "print('torch' in sys.modules, 'sentence_transformers' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                          env={"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "False"]


def test_large_batches_go_through_sentence_transformers() -> None:
    embedder = MiniLMEmbedder(small_chars=sum(len(t) for t in _texts()[:2]))
    texts = _texts()[:5]
    big = np.array(embedder.embed(texts))
    assert embedder._model is not None  # loaded for the batch of 5, longer than small_chars
    small = np.array(embedder.embed(texts[:2]))
    assert np.abs(big[:2] - small).max() < 1e-5
