"""Grounded document question answering: every claim cited and checked."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assistant.service import Assistant

__all__ = ["Assistant"]


def __getattr__(name: str) -> Any:
    """Import the service lazily so `assistant --help` starts fast."""
    if name == "Assistant":
        from assistant.service import Assistant

        return Assistant
    raise AttributeError(name)
