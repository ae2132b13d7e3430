"""Where ONNX cannot run, the fp32 ONNX encoder embeds with its PyTorch/NumPy twin (same vectors); int8 fails."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.adapters import minilm_onnx
from assistant.adapters.minilm_embedder import MiniLMEmbedder, packaged_model_path
from assistant.adapters.minilm_onnx import OnnxMiniLM
from assistant.ingest.consistency import encoder_identity, same_vectors


def _broken_build(*_: object) -> None:
    raise RuntimeError("exporter unavailable")


def test_fp32_falls_back_to_the_same_vectors_when_the_graph_cannot_be_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(minilm_onnx, "build", _broken_build)
    encoder, twin = OnnxMiniLM("fp32", tmp_path), MiniLMEmbedder(model_path=packaged_model_path())
    texts = ["Who maintains the package?", "The file is opened read-only."]
    assert np.allclose(encoder.embed(texts), twin.embed(texts), atol=1e-5)
    assert encoder.token_counts(texts) == twin.token_counts(texts)
    assert "ONNX encoder is not available here (RuntimeError: exporter unavailable)" in capsys.readouterr().err
    assert same_vectors(encoder_identity(encoder, "minilm-onnx"), encoder_identity(twin, "minilm"))


def test_int8_has_no_twin_and_says_why(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(minilm_onnx, "build", _broken_build)
    with pytest.raises(RuntimeError, match="exporter unavailable"):
        OnnxMiniLM("int8", tmp_path).embed(["anything"])


def test_a_cached_record_without_recipe_is_kept_for_fp32_and_rebuilt_for_int8(tmp_path: Path) -> None:
    weights, graph = tmp_path / "model.safetensors", tmp_path / "graph.onnx"
    weights.write_bytes(b"weights")
    graph.write_bytes(b"graph")
    stats = {"weights_stat": minilm_onnx._stat(weights), "graph_stat": minilm_onnx._stat(graph)}
    assert minilm_onnx._still_valid({"precision": "fp32", **stats}, tmp_path, graph)  # fp32's graph never changed
    assert not minilm_onnx._still_valid({"precision": "int8", **stats}, tmp_path, graph)  # everything quantised
    int8 = {"precision": "int8", "recipe": minilm_onnx.RECIPES["int8"], **stats}
    assert minilm_onnx._still_valid(int8, tmp_path, graph)
