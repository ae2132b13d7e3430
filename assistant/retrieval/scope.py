"""Which indexed documents a question is limited to: names given by a user resolved to indexed sources."""

from __future__ import annotations

import os
from collections.abc import Sequence

from assistant.errors import UnknownSourceError


def resolve_sources(names: Sequence[str], known: Sequence[str]) -> list[str]:
    """Indexed source names for the given names: exact, by real path, or by an unambiguous file name or path end."""
    found: list[str] = []
    for name in names:
        real = os.path.realpath(name)
        tail = name.strip()
        while tail.startswith("./"):
            tail = tail[2:]
        tail = "/" + tail.lstrip("/")
        match = [s for s in known if s in (name, real)] or [s for s in known if s.endswith(tail)]
        if len(match) != 1:
            listed = ", ".join(os.path.basename(s) for s in match[:4])
            why = f"matches {len(match)} documents ({listed}); give more of its path" if match else "is not indexed"
            raise UnknownSourceError(f"The document '{name}' {why}.")
        found.append(match[0])
    return list(dict.fromkeys(found))
