"""scheduler_mark: how far the scheduler has processed time (survives restarts)."""

from __future__ import annotations

from datetime import datetime

from bot.kernel.clock import from_iso, to_iso
from bot.storage.db import Database

MARK = "notices"


class SchedulerMarks:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def processed_until(self) -> datetime | None:
        row = await self.db.fetchone("SELECT at FROM scheduler_mark WHERE name = ?", (MARK,))
        return from_iso(row["at"]) if row else None

    async def advance(self, moment: datetime) -> None:
        """Move the mark forward to ``moment`` (never backwards)."""
        current = await self.processed_until()
        if current is not None and current >= moment:
            return
        await self.db.execute(
            "INSERT INTO scheduler_mark (name, at) VALUES (?, ?) ON CONFLICT(name) "
            "DO UPDATE SET at = excluded.at", (MARK, to_iso(moment)),
        )

    async def campaign_created_at(self, campaign_id: int) -> datetime | None:
        """When the campaign was set up: nothing scheduled before it is ever sent."""
        row = await self.db.fetchone("SELECT created_at FROM campaign WHERE id = ?",
                                     (campaign_id,))
        return from_iso(row["created_at"]) if row else None
