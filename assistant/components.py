"""Factories registered by name; heavy imports happen only when a component is built."""

from __future__ import annotations

from assistant.generation import ExtractiveGenerator
from assistant.prompts import load_prompt
from assistant.registry import EMBEDDERS, GENERATORS, STORES
from assistant.settings import Settings


@EMBEDDERS.register("minilm")
def _minilm(settings: Settings):  # noqa: ANN202
    from assistant.adapters.minilm_embedder import MiniLMEmbedder

    return MiniLMEmbedder(batch_size=settings.embed_batch_size)


@STORES.register("chroma")
def _chroma(settings: Settings):  # noqa: ANN202
    from assistant.adapters.chroma_store import ChromaStore

    return ChromaStore(settings.collection, path=settings.index_dir / "chroma")


@GENERATORS.register("extractive")
def _extractive(settings: Settings) -> ExtractiveGenerator:
    return ExtractiveGenerator()


@GENERATORS.register("local")
def _local(settings: Settings):  # noqa: ANN202
    from assistant.adapters.llamacpp_generator import LlamaCppGenerator

    system = load_prompt(settings.prompts_dir, "system")
    answer = load_prompt(settings.prompts_dir, "answer")
    return LlamaCppGenerator(settings.local, system, answer)
