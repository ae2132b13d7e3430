"""Helpers shared by the browser tests: a slow test generator (so a draft can be stopped) and page actions."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from assistant.models import GenerationInput
from assistant.registry import GENERATORS
from assistant.settings import Settings

SLOW = "slow-test"  # the slow test generator's name under "Answer with"


class SlowQuoter:
    """Drafts slowly: the best evidence sentence word by word, with its marker (so the checker keeps it)."""

    name = SLOW

    def __init__(self, settings: Settings, delay: float = 0.4) -> None:
        self.delay = delay

    def stream(self, data: GenerationInput) -> Iterator[str]:
        """The first evidence sentence with its marker, one word at a time."""
        number, sentence = data.evidence[0]
        for i, word in enumerate(sentence.split()):
            time.sleep(self.delay)
            yield word if i == 0 else " " + word
        yield f" [{number}]"


@contextmanager
def slow_generator() -> Iterator[str]:
    """The slow test generator, registered while the block runs."""
    GENERATORS.register(SLOW)(SlowQuoter)
    try:
        yield SLOW
    finally:
        GENERATORS._factories.pop(SLOW, None)  # tests only: leave the registry as it was


def remove_confirmed(page: Any, name: str) -> None:
    """Press Remove on an uploaded document, then confirm it."""
    page.locator(f"#doc-list .doc-remove[data-source$='uploads/{name}']").click()
    page.locator("#doc-list .doc-confirm .doc-remove-yes").click()
