"""submission and item: what units delivered."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.clock import Clock, to_iso
from bot.storage.db import Database
from bot.storage.models import row_to

# A submission counts as delivered when it is a nil report or holds an item not withdrawn.
DELIVERED = """
    (s.state = 'nil' OR (s.state = 'open' AND EXISTS (
        SELECT 1 FROM item i WHERE i.submission_id = s.id AND i.withdrawn_at IS NULL)))
"""


@dataclass(frozen=True)
class NewItem:
    """One item to store with :meth:`Submissions.record`."""
    kind: str                      # text, photo, video, document
    received_at: datetime
    text: str | None = None
    media_sha256: str | None = None
    thumb_sha256: str | None = None
    file_name: str | None = None
    mime_type: str | None = None
    size: int | None = None
    file_unique_id: str | None = None


@dataclass(frozen=True)
class DeskItem:
    """An item as the desk's exports see it: with its unit and deliverable."""
    id: int
    unit_id: int
    deliverable_key: str
    period: str
    kind: str
    text: str | None
    media_sha256: str | None
    thumb_sha256: str | None
    file_name: str | None
    mime_type: str | None
    received_at: str


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

    async def record(self, unit_id: int, deliverable_id: int, period: str,
                     items: Sequence[NewItem], late_seconds: int | None = None,
                     liaison_id: int | None = None, state: str = "open") -> int:
        """Store a submission with its items (created, or extended when it exists)."""
        received = sorted(item.received_at for item in items) or [self.clock()]
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO submission (unit_id, deliverable_id, period, state, "
                "first_received_at, last_received_at, late_seconds, liaison_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(unit_id, deliverable_id, period) DO UPDATE SET "
                "last_received_at = max(last_received_at, excluded.last_received_at) "
                "RETURNING id",
                (unit_id, deliverable_id, period, state, to_iso(received[0]),
                 to_iso(received[-1]), late_seconds, liaison_id),
            )
            submission_id = (await cursor.fetchone())["id"]
            await cursor.close()
            for item in items:
                await conn.execute(
                    "INSERT INTO item (submission_id, kind, text, media_sha256, thumb_sha256, "
                    "file_unique_id, file_name, mime_type, size, archived, received_at, "
                    "late_seconds, liaison_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (submission_id, item.kind, item.text, item.media_sha256, item.thumb_sha256,
                     item.file_unique_id, item.file_name, item.mime_type, item.size,
                     "yes" if item.media_sha256 else "none", to_iso(item.received_at),
                     late_seconds, liaison_id),
                )
        return int(submission_id)

    async def delivered_by_period(self, deliverable_id: int) -> dict[str, dict[int, int | None]]:
        """period -> (unit id -> seconds late, None when on time), for every delivery."""
        rows = await self.db.fetchall(
            f"SELECT s.period, s.unit_id, s.late_seconds FROM submission s "
            f"WHERE s.deliverable_id = ? AND {DELIVERED}", (deliverable_id,),
        )
        found: dict[str, dict[int, int | None]] = {}
        for row in rows:
            found.setdefault(row["period"], {})[row["unit_id"]] = row["late_seconds"]
        return found

    async def desk_items(self, unit_ids: Sequence[int], deliverable_id: int | None = None,
                         period: str | None = None, kind: str | None = None
                         ) -> list[DeskItem]:
        """Items not withdrawn of the units' submissions (not withdrawn either), optionally
        of one deliverable, one period and one kind; by unit, then in order received."""
        if not unit_ids:
            return []
        conditions = ["s.state != 'withdrawn'", "i.withdrawn_at IS NULL",
                      f"s.unit_id IN ({', '.join('?' for _ in unit_ids)})"]
        params: list[object] = list(unit_ids)
        for column, value in (("s.deliverable_id", deliverable_id), ("s.period", period),
                              ("i.kind", kind)):
            if value is not None:
                conditions.append(f"{column} = ?")
                params.append(value)
        rows = await self.db.fetchall(
            "SELECT i.id, s.unit_id, d.key AS deliverable_key, s.period, i.kind, i.text, "
            "i.media_sha256, i.thumb_sha256, i.file_name, i.mime_type, i.received_at "
            "FROM item i JOIN submission s ON s.id = i.submission_id "
            "JOIN deliverable d ON d.id = s.deliverable_id "
            f"WHERE {' AND '.join(conditions)} ORDER BY s.unit_id, i.received_at, i.id",
            params,
        )
        return [row_to(DeskItem, row) for row in rows]
