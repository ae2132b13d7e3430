"""Factories registered by name; heavy imports happen only when a component is built."""

from __future__ import annotations

from functools import partial

from assistant.answering.extractive import ExtractiveGenerator
from assistant.prompts import load_prompt
from assistant.registry import EMBEDDERS, GENERATORS, STORES
from assistant.settings import Settings


@EMBEDDERS.register("minilm")
def _minilm(settings: Settings):  # noqa: ANN202
    from assistant.adapters.minilm_embedder import MiniLMEmbedder

    return MiniLMEmbedder(batch_size=settings.embed_batch_size, threads=settings.embed_threads)


def _minilm_onnx(precision: str, settings: Settings):  # noqa: ANN202
    from assistant.adapters.minilm_onnx import OnnxMiniLM

    return OnnxMiniLM(precision, settings.encoders_dir, threads=settings.embed_threads,
                      batch_size=settings.embed_batch_size)


EMBEDDERS.register("minilm-onnx")(partial(_minilm_onnx, "fp32"))
EMBEDDERS.register("minilm-onnx-int8")(partial(_minilm_onnx, "int8"))


@STORES.register("chroma")
def _chroma(settings: Settings):  # noqa: ANN202
    from assistant.adapters.chroma_store import ChromaStore

    # chroma_url set: vectors live in a Chroma server; the lexical index stays in index_dir either way
    return ChromaStore(settings.collection, path=settings.index_dir / "chroma", url=settings.chroma_url)


@GENERATORS.register("extractive")
def _extractive(settings: Settings) -> ExtractiveGenerator:
    return ExtractiveGenerator()


@GENERATORS.register("local")
def _local(settings: Settings):  # noqa: ANN202
    from assistant.adapters.llamacpp_generator import LlamaCppGenerator

    system = load_prompt(settings.prompts_dir, "system")
    answer = load_prompt(settings.prompts_dir, settings.profile("local").prompt)
    return LlamaCppGenerator(settings.local, system, answer)


@GENERATORS.register("openai")
def _openai(settings: Settings):  # noqa: ANN202
    from assistant.adapters.openai_generator import OpenAIGenerator

    system = load_prompt(settings.prompts_dir, "system")
    answer = load_prompt(settings.prompts_dir, settings.profile("openai").prompt)
    return OpenAIGenerator(settings.openai, settings.api_key(), settings.openai.api_key_env, system, answer)


def check_generator(name: str, settings: Settings) -> str:
    """'ok' or why a configured generator cannot answer now."""
    import importlib.util
    from pathlib import Path

    if name == "extractive":
        return "ok"
    if name == "local":
        if importlib.util.find_spec("xllamacpp") is None:
            return "llama.cpp binding missing (pip install xllamacpp)"
        from assistant.adapters.llamacpp_generator import packaged_gguf

        try:
            path = settings.local.gguf_path or packaged_gguf()
        except Exception as exc:  # noqa: BLE001 - reported as text
            return str(exc)
        return "ok" if Path(path).is_file() else f"GGUF not found: {path} (setting local.gguf_path)"
    if name == "openai":
        from assistant.adapters.openai_generator import check_endpoint

        return check_endpoint(settings.openai, settings.api_key())
    return "unknown"
