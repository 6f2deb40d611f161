"""Who scheduled messages go to: units with their active liaison, and coordinators.

Read-only joins over unit, liaison, person and coordinator, shaped for the outbox.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.storage.db import Database


@dataclass(frozen=True)
class UnitContact:
    """A unit and its active liaison (the liaison fields are None when it has none)."""
    unit_id: int
    unit_name: str
    person_id: int | None
    liaison_name: str | None
    mobile: str | None
    chat_id: int | None
    language: str | None
    reachable: bool


@dataclass(frozen=True)
class CoordinatorContact:
    person_id: int
    scope_unit_id: int | None
    chat_id: int
    language: str | None   # None: the person has not talked to the bot yet


class Audience:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def units(self) -> list[UnitContact]:
        """Every unit, by name, with its active liaison if any."""
        rows = await self.db.fetchall(
            """
            SELECT u.id AS unit_id, u.name AS unit_name, l.person_id, l.name AS liaison_name,
                   l.mobile, p.chat_id, p.language, COALESCE(p.reachable, 1) AS reachable
            FROM unit u
            LEFT JOIN liaison l ON l.unit_id = u.id AND l.status = 'active'
            LEFT JOIN person p ON p.telegram_id = l.person_id
            ORDER BY u.name
            """
        )
        return [
            UnitContact(row["unit_id"], row["unit_name"], row["person_id"], row["liaison_name"],
                        row["mobile"], row["chat_id"] if row["chat_id"] is not None
                        else row["person_id"], row["language"], bool(row["reachable"]))
            for row in rows
        ]

    async def liaisons(self) -> list[UnitContact]:
        """Units that have an active liaison."""
        return [unit for unit in await self.units() if unit.person_id is not None]

    async def coordinators(self, admin_ids: frozenset[int]) -> list[CoordinatorContact]:
        """Admins (scope: everything) and active coordinators, each once."""
        rows = await self.db.fetchall(
            "SELECT c.person_id, c.scope_unit_id, p.chat_id, p.language FROM coordinator c "
            "LEFT JOIN person p ON p.telegram_id = c.person_id WHERE c.active = 1"
        )
        found: dict[int, CoordinatorContact] = {}
        for row in rows:
            found[row["person_id"]] = CoordinatorContact(
                row["person_id"], row["scope_unit_id"], row["chat_id"] or row["person_id"],
                row["language"])
        for admin_id in admin_ids:
            row = await self.db.fetchone(
                "SELECT chat_id, language FROM person WHERE telegram_id = ?", (admin_id,))
            found[admin_id] = CoordinatorContact(
                admin_id, None, row["chat_id"] if row else admin_id, row["language"] if row
                else None)
        return [found[key] for key in sorted(found)]
