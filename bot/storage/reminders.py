"""desk_reminder: a coordinator's "remind them now" presses (at most one an hour per
deliverable, period and scope: a city's press never blocks the admin or another city)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.kernel.clock import Clock, from_iso, to_iso
from bot.storage.db import Database

REMIND_INTERVAL = timedelta(hours=1)


@dataclass(frozen=True)
class Claim:
    """The outcome of a press: ``press_id`` when granted, else when it may be pressed again."""
    press_id: int | None
    again_at: datetime | None


class DeskReminders:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def again_at(self, deliverable_id: int, period: str, scope_unit_id: int | None,
                       interval: timedelta = REMIND_INTERVAL) -> datetime | None:
        """When the button may be pressed again in this scope (None: everything), or None
        when it may be pressed now. Unit ids start at 1, so 0 stands for "everything"."""
        row = await self.db.fetchone(
            "SELECT max(pressed_at) AS last FROM desk_reminder "
            "WHERE deliverable_id = ? AND period = ? AND coalesce(scope_unit_id, 0) = ?",
            (deliverable_id, period, scope_unit_id or 0),
        )
        if row is None or row["last"] is None:
            return None
        again = from_iso(row["last"]) + interval
        return again if again > self.clock() else None

    async def claim(self, deliverable_id: int, period: str, pressed_by: int,
                    scope_unit_id: int | None, interval: timedelta = REMIND_INTERVAL) -> Claim:
        """Record a press unless one was recorded in the same scope less than ``interval``
        ago (atomically)."""
        async with self.db.transaction():
            again = await self.again_at(deliverable_id, period, scope_unit_id, interval)
            if again is not None:
                return Claim(None, again)
            press_id = await self.db.execute(
                "INSERT INTO desk_reminder (deliverable_id, period, pressed_by, scope_unit_id, "
                "pressed_at) VALUES (?, ?, ?, ?, ?)",
                (deliverable_id, period, pressed_by, scope_unit_id, to_iso(self.clock())),
            )
        return Claim(press_id, None)

    async def finish(self, press_id: int, recipients: int, reached: int) -> None:
        await self.db.execute(
            "UPDATE desk_reminder SET recipients = ?, reached = ? WHERE id = ?",
            (recipients, reached, press_id),
        )
