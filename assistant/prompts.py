"""Prompt templates stored as files in prompts/, each declaring its variables on its first line."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import ConfigError

_HEADER = re.compile(r"^#\s*variables:(.*)$")


@dataclass(frozen=True)
class Prompt:
    """A template and the variables it declares."""

    name: str
    template: str
    variables: frozenset[str]

    def render(self, **values: str) -> str:
        """Fill the template; every declared variable must be given."""
        missing = self.variables - values.keys()
        if missing:
            raise ConfigError(f"prompt '{self.name}' needs {', '.join(sorted(missing))}")
        return self.template.format(**{k: values[k] for k in self.variables})


def load_prompt(directory: Path, name: str) -> Prompt:
    """Read prompts/<name>.txt and check that its placeholders match its declaration."""
    path = directory / f"{name}.txt"
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"prompt file missing: {path}") from exc
    match = _HEADER.match(lines[0]) if lines else None
    if not match:
        raise ConfigError(f"{path}: first line must be '# variables: a, b'")
    declared = frozenset(v.strip() for v in match.group(1).split(",") if v.strip())
    template = "\n".join(lines[1:]).strip() + "\n"
    used = frozenset(re.findall(r"{(\w+)}", template))
    if used != declared:
        raise ConfigError(f"{path}: declares {sorted(declared)} but uses {sorted(used)}")
    return Prompt(name, template, declared)
