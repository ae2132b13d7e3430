"""Registries keyed by name: an unknown name lists the valid ones."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from assistant.errors import UnknownComponentError


class Registry:
    """A name -> factory map for one kind of component."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._factories: dict[str, Callable[..., Any]] = {}

    def register(self, name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Decorator that registers a factory under a name."""

        def wrap(factory: Callable[..., Any]) -> Callable[..., Any]:
            self._factories[name] = factory
            return factory

        return wrap

    def names(self) -> list[str]:
        """Registered names, sorted."""
        return sorted(self._factories)

    def create(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """Build the component registered under name."""
        if name not in self._factories:
            valid = ", ".join(self.names())
            raise UnknownComponentError(f"Unknown {self.kind} '{name}'. Valid: {valid}.")
        return self._factories[name](*args, **kwargs)


EMBEDDERS = Registry("embedder")
STORES = Registry("store")
GENERATORS = Registry("generator")
