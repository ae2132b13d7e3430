"""The data files behind the word lists: each parses, and no list or group repeats an entry."""

from __future__ import annotations

import tomllib
from collections import Counter

import pytest

from assistant import wordlists

FILES = sorted(wordlists.DATA_DIR.glob("*.toml"))


def test_there_are_data_files() -> None:
    assert {f.stem for f in FILES} >= {"lexicon", "words", "questions"}


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_file_parses_without_duplicates(path) -> None:  # noqa: ANN001
    data = tomllib.loads(path.read_text(encoding="utf-8"))  # duplicate table keys are a parse error
    assert data
    for key, value in data.items():
        if isinstance(value, dict):
            assert all(isinstance(k, str) and isinstance(v, str) and v for k, v in value.items()), key
            continue
        assert isinstance(value, list) and value, key
        if all(isinstance(v, list) for v in value):  # groups: no entry in two groups, none twice in one
            repeated = [e for e, n in Counter(e for group in value for e in group).items() if n > 1]
        else:
            repeated = [e for e, n in Counter(value).items() if n > 1]
        assert not repeated, f"{path.name} {key}: {repeated}"


def test_loaded_once() -> None:
    assert wordlists.load("lexicon") is wordlists.load("lexicon")
