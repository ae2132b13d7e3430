"""all-MiniLM-L6-v2's forward pass in NumPy: the same vectors as sentence-transformers, without importing torch.

A cold `assistant ask` spent ~10 s importing torch, transformers and sentence-transformers to embed one question.
This encoder reads the same `model.safetensors` and `tokenizer.json` (tokenizers is a small Rust wheel) and runs
the 6 BERT layers, mean pooling and normalisation with NumPy, in well under a second from a cold start.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

# Abramowitz & Stegun 7.1.26: |error| < 1.5e-7, below float32 resolution of the activations
_P, _A = 0.3275911, (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)


def _erf(x: np.ndarray) -> np.ndarray:
    """Error function, elementwise."""
    sign = np.sign(x)
    x = np.abs(x)
    t = 1.0 / (1.0 + _P * x)
    poly = t * (_A[0] + t * (_A[1] + t * (_A[2] + t * (_A[3] + t * _A[4]))))
    return sign * (1.0 - poly * np.exp(-x * x))


def _gelu(x: np.ndarray) -> np.ndarray:
    """BERT's exact (erf) GELU."""
    return 0.5 * x * (1.0 + _erf(x / np.float32(np.sqrt(2.0))))


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    """LayerNorm over the last axis."""
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


def length_batches(encodings: Sequence[Any], batch_size: int) -> Iterator[tuple[list[int], np.ndarray, np.ndarray]]:
    """Token encodings grouped by length (little padding): (their positions, ids, 0/1 mask), shortest first."""
    order = sorted(range(len(encodings)), key=lambda i: len(encodings[i].ids))
    for first in range(0, len(order), batch_size):
        part = order[first : first + batch_size]
        width = max(len(encodings[i].ids) for i in part)
        ids = np.zeros((len(part), width), dtype=np.int64)
        mask = np.zeros((len(part), width), dtype=np.int64)
        for row, i in enumerate(part):
            ids[row, : len(encodings[i].ids)] = encodings[i].ids
            mask[row, : len(encodings[i].ids)] = 1
        yield part, ids, mask


class NumpyMiniLM:
    """Mean-pooled, normalised BERT sentence embeddings from a sentence-transformers folder."""

    def __init__(self, folder: str | Path) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        folder = Path(folder)
        config = json.loads((folder / "config.json").read_text())
        st_config = json.loads((folder / "sentence_bert_config.json").read_text())
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        self.eps = float(config["layer_norm_eps"])
        weights = {k.removeprefix("bert."): v for k, v in load_file(str(folder / "model.safetensors")).items()}
        # linear layers stored as (in, out), contiguous: one GEMM per layer call
        self.w = {k: np.ascontiguousarray(v.T) if k.endswith(".weight") and v.ndim == 2 and ".layer." in k else v
                  for k, v in weights.items()}
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(int(st_config["max_seq_length"]))
        self.tokenizer.no_padding()

    def token_counts(self, texts: Sequence[str]) -> list[int]:
        """Tokens each text is encoded with (truncated as the model reads it)."""
        return [len(e.ids) for e in self.tokenizer.encode_batch(list(texts))]

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Unit vectors, one row per text; texts of similar length are batched together."""
        encodings = self.tokenizer.encode_batch(list(texts))
        out = np.zeros((len(encodings), self.w["embeddings.word_embeddings.weight"].shape[1]), dtype=np.float32)
        for part, ids, mask in length_batches(encodings, batch_size):
            out[part] = self._forward(ids, mask.astype(np.float32))
        return out

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Embeddings → encoder layers → masked mean → L2 normalisation."""
        w = self.w
        x = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][: ids.shape[1]]
             + w["embeddings.token_type_embeddings.weight"][0])
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self.eps)
        bias = ((1.0 - mask) * np.finfo(np.float32).min)[:, None, None, :]
        for n in range(self.layers):
            x = self._layer(x, bias, f"encoder.layer.{n}.")
        pooled = (x * mask[:, :, None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)

    def _dense(self, x: np.ndarray, name: str) -> np.ndarray:
        """x @ W.T + b for a named linear layer, as one 2-D GEMM."""
        weight = self.w[name + ".weight"]
        flat = x.reshape(-1, x.shape[-1]) @ weight + self.w[name + ".bias"]
        return flat.reshape(*x.shape[:-1], weight.shape[1])

    def _layer(self, x: np.ndarray, bias: np.ndarray, p: str) -> np.ndarray:
        """One BERT encoder layer (post-LayerNorm)."""
        batch, width, dim = x.shape
        head = dim // self.heads

        def split(t: np.ndarray) -> np.ndarray:
            return t.reshape(batch, width, self.heads, head).transpose(0, 2, 1, 3)

        q = split(self._dense(x, p + "attention.self.query"))
        k = split(self._dense(x, p + "attention.self.key"))
        v = split(self._dense(x, p + "attention.self.value"))
        scores = q @ k.transpose(0, 1, 3, 2) / np.float32(np.sqrt(head)) + bias
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        context = (scores / scores.sum(-1, keepdims=True)) @ v
        context = context.transpose(0, 2, 1, 3).reshape(batch, width, dim)
        x = _layer_norm(self._dense(context, p + "attention.output.dense") + x,
                        self.w[p + "attention.output.LayerNorm.weight"], self.w[p + "attention.output.LayerNorm.bias"],
                        self.eps)
        hidden = _gelu(self._dense(x, p + "intermediate.dense"))
        return _layer_norm(self._dense(hidden, p + "output.dense") + x, self.w[p + "output.LayerNorm.weight"],
                           self.w[p + "output.LayerNorm.bias"], self.eps)
