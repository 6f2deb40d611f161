"""submission and item: what units delivered."""

from __future__ import annotations

from bot.clock import Clock
from bot.storage.db import Database

# A submission counts as delivered when it is a nil report or holds an item not withdrawn.
DELIVERED = """
    (s.state = 'nil' OR (s.state = 'open' AND EXISTS (
        SELECT 1 FROM item i WHERE i.submission_id = s.id AND i.withdrawn_at IS NULL)))
"""


class Submissions:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def delivered_units(self, deliverable_id: int, period: str) -> dict[int, int | None]:
        """unit id -> seconds late (None when on time) for every unit that delivered."""
        rows = await self.db.fetchall(
            f"SELECT s.unit_id, s.late_seconds FROM submission s "
            f"WHERE s.deliverable_id = ? AND s.period = ? AND {DELIVERED}",
            (deliverable_id, period),
        )
        return {row["unit_id"]: row["late_seconds"] for row in rows}
