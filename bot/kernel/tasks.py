"""Stopping a background task."""

from __future__ import annotations

import asyncio
import contextlib


async def cancelled(task: asyncio.Task | None) -> None:
    """Cancel ``task`` (if any) and wait until it has ended."""
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
