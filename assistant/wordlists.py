"""Word lists and paraphrase groups: TOML files in assistant/data/, each read once. Code keeps the mechanisms."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data"


@cache
def load(name: str) -> dict[str, Any]:
    """The parsed data file `assistant/data/<name>.toml`."""
    with (DATA_DIR / f"{name}.toml").open("rb") as handle:
        return tomllib.load(handle)


def word_list(name: str, key: str) -> list[str]:
    """One list of words from a data file, in file order."""
    return list(load(name)[key])


def word_set(name: str, key: str) -> set[str]:
    """One list of words from a data file, as a set."""
    return set(load(name)[key])


def word_table(name: str, key: str) -> dict[str, str]:
    """One table (word -> replacement) from a data file, in file order."""
    return dict(load(name)[key])


def word_groups(name: str, key: str) -> tuple[tuple[str, ...], ...]:
    """One list of groups (lists of phrases) from a data file, each group a tuple."""
    return tuple(tuple(group) for group in load(name)[key])
