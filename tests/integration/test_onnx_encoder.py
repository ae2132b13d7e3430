"""The ONNX encoders built from the packaged weights agree with the packaged model's own vectors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from assistant.adapters.minilm_embedder import packaged_model_path
from assistant.adapters.minilm_numpy import NumpyMiniLM
from assistant.adapters.minilm_onnx import OnnxMiniLM, build, sha256
from assistant.text import sentence_spans
from tests.conftest import ROOT, SEED_FILE

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def sentences() -> list[str]:
    """A few hundred real sentences: the seed article's and the evaluation questions and evidence."""
    text = SEED_FILE.read_text(encoding="utf-8")
    out = [text[a:b] for a, b in sentence_spans(text)]
    for path in sorted((ROOT / "tests" / "eval").rglob("*.jsonl"))[:12]:
        for line in path.read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            out += [item["question"], *item.get("evidence", [])]
    return list(dict.fromkeys(s for s in out if s.strip()))[:400]


@pytest.fixture(scope="module")
def reference(sentences: list[str]) -> np.ndarray:
    return NumpyMiniLM(packaged_model_path()).encode(sentences)


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("encoders")


@pytest.mark.parametrize(("precision", "floor"), [("fp32", 0.9999), ("int8", 0.99)])
def test_vectors_agree_with_the_packaged_model(precision: str, floor: float, sentences: list[str],
                                               reference: np.ndarray, cache: Path) -> None:
    encoder = OnnxMiniLM(precision, cache)
    vectors = np.asarray(encoder.embed(sentences))
    assert len(sentences) >= 300 and vectors.shape == reference.shape
    cosines = (vectors * reference).sum(axis=1)
    assert float(cosines.mean()) >= floor, (precision, float(cosines.mean()), float(cosines.min()))
    identity = encoder.identity()
    assert identity["precision"] == precision and identity["model"] == "all-MiniLM-L6-v2"
    assert identity["weights_sha256"] == sha256(Path(packaged_model_path()) / "model.safetensors")


def test_a_cached_graph_is_reused_and_an_altered_one_rebuilt(cache: Path) -> None:
    model = Path(packaged_model_path())
    path, record = build(model, cache, "int8")
    assert record["sha256"] == sha256(path)
    stamp = path.stat().st_mtime_ns
    assert build(model, cache, "int8")[0].stat().st_mtime_ns == stamp  # reused, not rebuilt
    with path.open("r+b") as handle:  # a damaged file no longer matches its recorded checksum
        handle.seek(1000)
        handle.write(b"\0" * 64)
    rebuilt, again = build(model, cache, "int8")
    assert again["sha256"] == sha256(rebuilt) == record["sha256"]


def test_int8_keeps_the_feed_forward_outputs_fp32_and_a_graph_of_another_recipe_is_rebuilt(cache: Path) -> None:
    import onnx

    model = Path(packaged_model_path())
    path, record = build(model, cache, "int8")
    nodes = onnx.load(str(path)).graph.node
    kinds = [node.op_type for node in nodes]
    assert kinds.count("MatMul") == 6 and kinds.count("MatMulInteger") == 12, sorted(set(kinds))
    assert kinds.count("QAttention") == 6  # attention's projections are quantised
    record_path = cache / "minilm-int8.json"
    stale = {k: v for k, v in json.loads(record_path.read_text(encoding="utf-8")).items() if k != "recipe"}
    record_path.write_text(json.dumps(stale), encoding="utf-8")  # as cached before recipes were recorded
    stamp = path.stat().st_mtime_ns
    rebuilt, again = build(model, cache, "int8")
    assert rebuilt.stat().st_mtime_ns != stamp and again["recipe"] == record["recipe"]
    assert OnnxMiniLM("int8", cache).identity()["quantisation"] == record["recipe"]


def test_a_lone_text_runs_on_one_thread_with_the_same_vector(cache: Path, sentences: list[str]) -> None:
    encoder = OnnxMiniLM("fp32", cache)
    together = np.asarray(encoder.embed(sentences[:8]))
    assert encoder._solo is None  # a batch uses the session of every core
    alone = np.asarray([encoder.embed([s])[0] for s in sentences[:8]])
    assert encoder._solo is not None and encoder._solo is not encoder._session
    assert np.allclose(alone, together, atol=1e-5)
