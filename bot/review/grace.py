"""How long a returned submission may take to come back and still count as it did."""

from __future__ import annotations

from datetime import timedelta

from bot.storage import Storage


async def return_grace(storage: Storage) -> timedelta:
    """The grace a return gives from now: the scoring rules' ``return_grace_days``."""
    return timedelta(days=(await storage.scoring.current()).rules.return_grace_days)
