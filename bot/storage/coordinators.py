"""coordinator: office staff; admins come from settings and need no row."""

from __future__ import annotations

from bot.kernel.clock import Clock, to_iso
from bot.storage.db import Database
from bot.storage.models import Coordinator, row_to


class InviteUnusable(Exception):
    """The coordinator invite is unknown, revoked or already used."""


ACTIVE_COORDINATOR = "SELECT * FROM coordinator WHERE person_id = ? AND active = 1"

class Coordinators:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def get(self, person_id: int) -> Coordinator | None:
        row = await self.db.fetchone(ACTIVE_COORDINATOR, (person_id,))
        return row_to(Coordinator, row) if row else None

    async def accept_invite(self, code: str, person_id: int) -> Coordinator:
        """Use a one-time coordinator invite: atomically mark it used and add the coordinator."""
        now = to_iso(self.clock())
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE invite SET used_by = ?, used_at = ? WHERE code = ? "
                "AND kind = 'coordinator' AND used_at IS NULL AND revoked_at IS NULL "
                "RETURNING unit_id, created_by", (person_id, now, code),
            )
            row = await cursor.fetchone()
            await cursor.close()
            if row is None:
                raise InviteUnusable(code)
            await conn.execute(
                "INSERT INTO coordinator (person_id, scope_unit_id, added_by, added_at, active) "
                "VALUES (?, ?, ?, ?, 1) ON CONFLICT(person_id) DO UPDATE SET "
                "scope_unit_id = excluded.scope_unit_id, added_by = excluded.added_by, "
                "added_at = excluded.added_at, active = 1",
                (person_id, row["unit_id"], row["created_by"], now),
            )
        coordinator = await self.get(person_id)
        assert coordinator is not None
        return coordinator

    async def watching_unit(self, unit_id: int) -> list[int]:
        """Person ids of the active coordinators whose scope holds the unit (admins aside)."""
        rows = await self.db.fetchall(
            """
            WITH RECURSIVE ancestors(id, parent_id) AS (
                SELECT id, parent_id FROM unit WHERE id = :unit
                UNION ALL
                SELECT unit.id, unit.parent_id FROM unit JOIN ancestors
                    ON unit.id = ancestors.parent_id
            )
            SELECT person_id FROM coordinator WHERE active = 1 AND
                (scope_unit_id IS NULL OR scope_unit_id IN (SELECT id FROM ancestors))
            """,
            {"unit": unit_id},
        )
        return [row["person_id"] for row in rows]

    async def all_active(self) -> list[Coordinator]:
        rows = await self.db.fetchall("SELECT * FROM coordinator WHERE active = 1")
        return [row_to(Coordinator, row) for row in rows]

