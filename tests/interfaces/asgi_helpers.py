"""Async helpers shared by the API tests: a hang-guarded runner and a poll-until."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import anyio
import pytest

HANG_GUARD = 20.0  # seconds: only ever hit when something hangs, never a timing assertion


def run_guarded(scenario: Callable[[], Awaitable[None]]) -> None:
    """Run an async scenario under the hang guard."""

    async def guarded() -> None:
        with anyio.fail_after(HANG_GUARD * 2):
            await scenario()

    anyio.run(guarded)


async def until(condition: Callable[[], bool], what: str) -> None:
    """Poll until condition holds; fail, naming what, after the hang guard."""
    with anyio.move_on_after(HANG_GUARD):
        while not condition():
            await anyio.sleep(0.005)
        return
    pytest.fail(f"timed out waiting for {what}")
