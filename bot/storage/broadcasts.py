"""broadcast: a coordinator's announcement to the liaisons in scope."""

from __future__ import annotations

from dataclasses import dataclass

from bot.kernel.clock import Clock, to_iso
from bot.storage.db import Database


@dataclass(frozen=True)
class Broadcast:
    id: int
    text: str
    scope_unit_id: int | None
    created_by: int
    created_at: str
    confirmed_at: str | None
    reported_at: str | None


def _broadcast(row) -> Broadcast:
    return Broadcast(row["id"], row["text"], row["scope_unit_id"], row["created_by"],
                     row["created_at"], row["confirmed_at"], row["reported_at"])


class Broadcasts:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def draft(self, text: str, scope_unit_id: int | None, created_by: int) -> Broadcast:
        broadcast_id = await self.db.execute(
            "INSERT INTO broadcast (text, scope_unit_id, created_by, created_at) "
            "VALUES (?, ?, ?, ?)", (text, scope_unit_id, created_by, to_iso(self.clock())),
        )
        broadcast = await self.get(broadcast_id)
        assert broadcast is not None
        return broadcast

    async def get(self, broadcast_id: int) -> Broadcast | None:
        row = await self.db.fetchone("SELECT * FROM broadcast WHERE id = ?", (broadcast_id,))
        return _broadcast(row) if row else None

    async def confirm(self, broadcast_id: int) -> bool:
        """Mark confirmed; False when it already was (a second press does nothing)."""
        changed = await self.db.execute(
            "UPDATE broadcast SET confirmed_at = ? WHERE id = ? AND confirmed_at IS NULL",
            (to_iso(self.clock()), broadcast_id),
        )
        return changed == 1

    async def finished_unreported(self) -> list[Broadcast]:
        """Confirmed broadcasts whose messages are all settled and whose sender was not told."""
        rows = await self.db.fetchall(
            "SELECT b.* FROM broadcast b WHERE b.confirmed_at IS NOT NULL "
            "AND b.reported_at IS NULL AND NOT EXISTS (SELECT 1 FROM outbox o "
            "WHERE o.broadcast_id = b.id AND o.state IN ('pending', 'sending'))"
        )
        return [_broadcast(row) for row in rows]

    async def mark_reported(self, broadcast_id: int) -> bool:
        changed = await self.db.execute(
            "UPDATE broadcast SET reported_at = ? WHERE id = ? AND reported_at IS NULL",
            (to_iso(self.clock()), broadcast_id),
        )
        return changed == 1
