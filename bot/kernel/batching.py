"""Items gathered for a moment and written together: one write for many under load."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class DelayedBatch(Generic[T]):
    """``add`` an item; ``delay`` seconds after the first item of a batch, ``write`` gets
    every item added until then (the inbox's "handled" marks, finished chats). ``drain`` at
    shutdown writes what is left."""

    def __init__(self, delay: float, write: Callable[[list[T]], Awaitable[None]]) -> None:
        self.delay = delay
        self._write = write
        self._items: list[T] = []
        self._soon: asyncio.Task | None = None

    def add(self, item: T) -> None:
        self._items.append(item)
        if self._soon is None:
            self._soon = asyncio.create_task(self._write_soon())

    async def _write_soon(self) -> None:
        await asyncio.sleep(self.delay)
        self._soon = None
        await self._write_now()

    async def _write_now(self) -> None:
        items, self._items = self._items, []
        if items:
            await self._write(items)

    async def drain(self) -> None:
        if self._soon is not None:
            await asyncio.gather(self._soon, return_exceptions=True)
        await self._write_now()
