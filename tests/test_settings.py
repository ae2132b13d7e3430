"""Settings precedence: file < environment < explicit overrides."""

from pathlib import Path

import pytest

from assistant.errors import ConfigError, IndexEmptyError, UnknownComponentError
from assistant.registry import GENERATORS
from assistant.settings import Settings, load_settings


def test_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "assistant.toml"
    config.write_text('generator = "openai"\nchunk_size = 321\n[retrieval]\ntop_k = 7\n')
    monkeypatch.setenv("ASSISTANT_CONFIG", str(config))
    settings = load_settings()
    assert (settings.generator, settings.chunk_size, settings.retrieval.top_k) == ("openai", 321, 7)
    monkeypatch.setenv("ASSISTANT_GENERATOR", "extractive")
    monkeypatch.setenv("ASSISTANT_RETRIEVAL__TOP_K", "5")
    settings = load_settings()
    assert (settings.generator, settings.retrieval.top_k) == ("extractive", 5)
    settings = load_settings(generator="local", **{"retrieval.top_k": 2})
    assert (settings.generator, settings.retrieval.top_k, settings.chunk_size) == ("local", 2, 321)


def test_unknown_generator_lists_valid_names() -> None:
    import assistant.components  # noqa: F401

    with pytest.raises(UnknownComponentError) as err:
        GENERATORS.create("gpt-17", load_settings())
    assert "extractive" in str(err.value) and "local" in str(err.value)


def _cli_settings(*argv: str) -> Settings:
    """Settings as `assistant ask` builds them from file + env + flags."""
    from assistant.interfaces.cli import _parser, _settings

    return _settings(_parser().parse_args(["ask", *argv, "q"]))


def test_cli_flags_override_env_and_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "assistant.toml"
    config.write_text('generator = "openai"\n[openai]\nmodel = "file-model"\nbase_url = "http://127.0.0.1:1/v1"\n')
    monkeypatch.setenv("ASSISTANT_CONFIG", str(config))
    assert (_cli_settings().openai.model, _cli_settings().openai.base_url) == ("file-model", "http://127.0.0.1:1/v1")
    monkeypatch.setenv("ASSISTANT_OPENAI__MODEL", "env-model")
    assert _cli_settings().openai.model == "env-model"
    flagged = _cli_settings("--model", "flag-model", "--base-url", "http://127.0.0.1:2/v1")
    assert (flagged.generator, flagged.openai.model, flagged.local.gguf_path) == ("openai", "flag-model", None)
    assert flagged.openai.base_url == "http://127.0.0.1:2/v1"
    monkeypatch.setenv("ASSISTANT_GENERATOR", "local")  # env picks local: --model is then a GGUF path
    local = _cli_settings("--model", "my.gguf")
    assert (local.generator, local.local.gguf_path, local.openai.model) == ("local", "my.gguf", "env-model")
    chosen = _cli_settings("--llm", "openai", "--model", "flag-model")
    assert (chosen.generator, chosen.openai.model, chosen.local.gguf_path) == ("openai", "flag-model", None)


# --- names that are no setting -----------------------------------------------------------------------
def test_unknown_override_names_the_setting_meant() -> None:
    from assistant.service import Assistant

    with pytest.raises(ConfigError) as err:
        Assistant.from_settings(llm="extractiv")
    assert str(err.value) == "unknown setting 'llm'; did you mean 'generator'?"
    with pytest.raises(ConfigError, match=r"unknown setting 'generatr'; did you mean 'generator'\?"):
        load_settings(generatr="extractive")
    with pytest.raises(ConfigError, match=r"unknown setting 'retrieval\.top_kk'; did you mean 'retrieval\.top_k'\?"):
        load_settings(**{"retrieval.top_kk": 3})
    with pytest.raises(ConfigError, match=r"unknown setting 'retrieval\.topk'; did you mean 'retrieval\.top_k'\?"):
        load_settings(retrieval={"topk": 3})
    with pytest.raises(ConfigError, match=r"unknown setting 'top_k'; did you mean 'retrieval\.top_k'\?"):
        load_settings(top_k=3)


def test_a_name_nothing_resembles_lists_the_valid_ones() -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(zzqqxx=1)
    assert str(err.value) == "unknown setting 'zzqqxx'"
    assert "generator" in err.value.hint and "index_dir" in err.value.hint


def test_unknown_names_in_the_settings_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "assistant.toml"
    config.write_text('generatr = "extractive"\n[retrieval]\ntop_k = 3\ntop_kk = 2\n[openai]\nmodle = "m"\n')
    monkeypatch.setenv("ASSISTANT_CONFIG", str(config))
    with pytest.raises(ConfigError) as err:
        load_settings()
    lines = str(err.value).splitlines()
    assert lines == [
        f"unknown setting 'generatr' in {config}; did you mean 'generator'?",
        f"unknown setting 'retrieval.top_kk' in {config}; did you mean 'retrieval.top_k'?",
        f"unknown setting 'openai.modle' in {config}; did you mean 'openai.model'?",
    ]
    config.write_text('generator = "extractive"\n[retrieval]\ntop_k = 3\n')
    assert load_settings().retrieval.top_k == 3


def test_settings_file_that_is_not_toml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "assistant.toml"
    config.write_text("generator = extractive\n")  # unquoted string
    monkeypatch.setenv("ASSISTANT_CONFIG", str(config))
    with pytest.raises(ConfigError, match="is not valid TOML"):
        load_settings()


@pytest.mark.parametrize(("variable", "meant"), [
    ("ASSISTANT_GENERATR", "ASSISTANT_GENERATOR"),
    ("ASSISTANT_RETRIEVAL__TOP_KK", "ASSISTANT_RETRIEVAL__TOP_K"),
    ("ASSISTANT_RETRIEVAL_TOP_K", "ASSISTANT_RETRIEVAL__TOP_K"),  # one underscore where the section ends
    ("ASSISTANT_UI__HOST", "ASSISTANT_UI_HOST"),
    ("assistant_index_dirr", "ASSISTANT_INDEX_DIR"),
])
def test_unknown_environment_variable(monkeypatch: pytest.MonkeyPatch, variable: str, meant: str) -> None:
    monkeypatch.setenv(variable, "5")
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert str(err.value) == f"unknown setting '{variable}' in the environment; did you mean '{meant}'?"


def test_every_variable_the_project_sets_is_accepted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "ASSISTANT_CONFIG": str(tmp_path / "absent.toml"),
        "ASSISTANT_API_TOKEN": "t",  # api.token_env's default
        "ASSISTANT_UI_USER": "reader",  # ui.user_env / ui.password_env defaults
        "ASSISTANT_UI_PASSWORD": "p",
        "ASSISTANT_ENCODER_CACHE_DIR": str(tmp_path / "encoders"),
        "ASSISTANT_EMBED_THREADS": "1",
        "ASSISTANT_EMBEDDER": "fake",
        "ASSISTANT_CHROMA_URL": "http://127.0.0.1:10",
        "ASSISTANT_SEEDS_DIR": str(tmp_path),
        "ASSISTANT_GENERATOR": "extractive",
        "ASSISTANT_RETRIEVAL__TOP_K": "5",
        "ASSISTANT_OPENAI__MODEL": "m",
        "ASSISTANT_API__ALLOWED_HOSTS": '["proxy.example"]',
        "ASSISTANT_OPENAI__API_KEY_ENV": "ASSISTANT_TEST_LLM_KEY",  # a variable the settings name
        "ASSISTANT_TEST_LLM_KEY": "k",
    }.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    assert (settings.embed_threads, settings.retrieval.top_k, settings.api.allowed_hosts) == (1, 5, ["proxy.example"])
    assert settings.api_key() is not None
    monkeypatch.delenv("ASSISTANT_OPENAI__API_KEY_ENV")  # nothing names ASSISTANT_TEST_LLM_KEY now
    with pytest.raises(ConfigError, match="'ASSISTANT_TEST_LLM_KEY' in the environment"):
        load_settings()


def test_a_value_of_the_wrong_kind_names_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match=r"invalid setting 'retrieval\.top_k': .*integer.*'many'"):
        load_settings(**{"retrieval.top_k": "many"})
    monkeypatch.setenv("ASSISTANT_CHUNK_SIZE", "big")
    with pytest.raises(ConfigError, match=r"invalid setting 'chunk_size'"):
        load_settings()


# --- paths in the settings file -------------------------------------------------------------------------
def test_relative_paths_in_the_file_are_relative_to_its_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    folder.mkdir()
    elsewhere.mkdir()
    config = folder / "assistant.toml"
    config.write_text(
        f'index_dir = "data/index"\nseeds_dir = "docs"\nprompts_dir = "{tmp_path}/prompts"\n'
        '[local]\ngguf_path = "models/m.gguf"\n'
    )
    monkeypatch.setenv("ASSISTANT_CONFIG", str(config))
    monkeypatch.delenv("ASSISTANT_ENCODER_CACHE_DIR")  # the session's shared cache: encoders then sit in the index
    monkeypatch.chdir(elsewhere)
    settings = load_settings()
    assert settings.index_dir == folder / "data" / "index"
    assert settings.seeds_dir == folder / "docs"
    assert settings.prompts_dir == tmp_path / "prompts"  # absolute: as written
    assert settings.local.gguf_path == str(folder / "models" / "m.gguf")
    assert settings.encoders_dir == folder / "data" / "index" / "encoders"
    assert load_settings(index_dir="here").index_dir == Path("here")  # overrides stay relative to the cwd
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", "env-index")
    assert load_settings().index_dir == Path("env-index")  # so does the environment


def test_empty_index_error_names_the_folder_from_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.service import Assistant

    folder, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    folder.mkdir()
    elsewhere.mkdir()
    (folder / "assistant.toml").write_text('index_dir = "my-index"\nembedder = "fake"\ngenerator = "extractive"\n')
    monkeypatch.setenv("ASSISTANT_CONFIG", str(folder / "assistant.toml"))
    monkeypatch.chdir(elsewhere)
    assistant = Assistant.from_settings()
    with pytest.raises(IndexEmptyError) as err:
        assistant.ask("What is indexed?")
    assert str((folder / "my-index").resolve()) in str(err.value)
    assert not (elsewhere / "my-index").exists()


def test_generator_profiles_from_the_file_and_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "assistant.toml"
    config.write_text('[profiles.local]\nreads = "passages"\ncheck = "claims"\n', encoding="utf-8")
    monkeypatch.setenv("ASSISTANT_CONFIG", str(config))
    monkeypatch.setenv("ASSISTANT_PROFILES__LOCAL__BELIEVE_ABSTENTION", "true")
    settings = load_settings()
    local = settings.profile("local")
    assert (local.reads, local.check, local.believe_abstention) == ("passages", "claims", True)
    assert settings.profile("openai").reads == "sentences"  # a generator without a profile keeps the defaults


def test_a_misspelt_profile_key_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "assistant.toml"
    config.write_text('[profiles.local]\nreeds = "passages"\n', encoding="utf-8")
    monkeypatch.setenv("ASSISTANT_CONFIG", str(config))
    with pytest.raises(ConfigError, match="profiles.local.reeds"):
        load_settings()
    monkeypatch.setenv("ASSISTANT_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("ASSISTANT_PROFILES__LOCAL__REEDS", "passages")
    with pytest.raises(ConfigError, match="profiles.local.reeds"):
        load_settings()
