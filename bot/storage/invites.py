"""invite: unit join codes and one-time coordinator invitations."""

from __future__ import annotations

import secrets

from bot.kernel.clock import Clock, to_iso
from bot.storage.db import Database
from bot.storage.models import Invite, row_to

CODE_BYTES = 16  # 128 random bits, 22 URL-safe characters: fits a deep link (64 max)


def new_code() -> str:
    return secrets.token_urlsafe(CODE_BYTES)


class Invites:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def get(self, code: str) -> Invite | None:
        row = await self.db.fetchone("SELECT * FROM invite WHERE code = ?", (code,))
        return row_to(Invite, row) if row else None

    async def unit_code(self, unit_id: int) -> str | None:
        row = await self.db.fetchone(
            "SELECT code FROM invite WHERE unit_id = ? AND kind = 'unit' AND revoked_at IS NULL",
            (unit_id,),
        )
        return row["code"] if row else None

    async def issue_unit_code(self, unit_id: int, created_by: int | None) -> str:
        """A new join code for the unit; the previous one stops working."""
        code = new_code()
        now = to_iso(self.clock())
        async with self.db.transaction() as conn:
            await conn.execute(
                "UPDATE invite SET revoked_at = ? WHERE unit_id = ? AND kind = 'unit' "
                "AND revoked_at IS NULL", (now, unit_id),
            )
            await conn.execute(
                "INSERT INTO invite (code, kind, unit_id, created_by, created_at) "
                "VALUES (?, 'unit', ?, ?, ?)", (code, unit_id, created_by, now),
            )
        return code

    async def issue_coordinator_code(self, scope_unit_id: int | None, created_by: int) -> str:
        code = new_code()
        await self.db.execute(
            "INSERT INTO invite (code, kind, unit_id, created_by, created_at) "
            "VALUES (?, 'coordinator', ?, ?, ?)",
            (code, scope_unit_id, created_by, to_iso(self.clock())),
        )
        return code

    async def revoke(self, code: str) -> bool:
        changed = await self.db.execute(
            "UPDATE invite SET revoked_at = ? WHERE code = ? AND revoked_at IS NULL "
            "AND used_at IS NULL", (to_iso(self.clock()), code),
        )
        return changed > 0
