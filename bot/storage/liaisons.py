"""liaison: one person per unit, with the attachment 1 fields."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiosqlite

from bot.kernel.clock import Clock, to_iso
from bot.storage.db import Database
from bot.storage.models import LIAISON_FORM_FIELDS, Liaison, build_all, column_list, row_to


class DecisionStale(Exception):
    """The request was already approved or rejected."""


@dataclass(frozen=True)
class Decision:
    liaison: Liaison
    replaced: Liaison | None


OPEN_LIAISON = "SELECT * FROM liaison WHERE person_id = ? AND status IN ('active', 'pending')"


class Liaisons:
    """Liaison rows are only ever written through this class (:meth:`register`,
    :meth:`update_form`, :meth:`decide`), so what the desk views read of them — the active
    liaison of the units they show, each unit's first registration — is cached here and
    dropped around each write."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        # unit id -> its active liaison (None: it has none), for the units asked about so far
        self._active: dict[int, Liaison | None] = {}
        self._first_registered: dict[int, str] | None = None    # unit id -> first registration
        self._drops = 0       # cache drops so far: a load that overlapped a write is not kept

    def _forget(self) -> None:
        self._drops += 1
        self._active = {}
        self._first_registered = None

    @asynccontextmanager
    async def _write(self) -> AsyncIterator[aiosqlite.Connection]:
        """The transaction of a write to liaison: the caches are dropped before it begins and
        after it ends, committed or not."""
        self._forget()
        try:
            async with self.db.transaction() as conn:
                yield conn
        finally:
            self._forget()

    def _may_keep(self, drops_before_load: int) -> bool:
        """Whether a load may be cached: no write began or ended while it ran, and it was not
        read inside a transaction (which could still roll back)."""
        return drops_before_load == self._drops and not self.db.in_transaction and \
            getattr(self.db, "dialect", "sqlite") == "sqlite"   # PostgreSQL: N processes write

    async def get(self, liaison_id: int) -> Liaison | None:
        row = await self.db.fetchone("SELECT * FROM liaison WHERE id = ?", (liaison_id,))
        return row_to(Liaison, row) if row else None

    async def active_for_unit(self, unit_id: int) -> Liaison | None:
        row = await self.db.fetchone(
            "SELECT * FROM liaison WHERE unit_id = ? AND status = 'active'", (unit_id,)
        )
        return row_to(Liaison, row) if row else None

    async def open_for_person(self, person_id: int) -> Liaison | None:
        """The person's active or pending liaison row, if any."""
        row = await self.db.fetchone(OPEN_LIAISON, (person_id,))
        return row_to(Liaison, row) if row else None

    async def register(self, unit_id: int, person_id: int, form: dict[str, str | None]) -> Liaison:
        """Active when the unit has no liaison yet, otherwise pending a coordinator's decision."""
        columns = ", ".join(LIAISON_FORM_FIELDS)
        marks = ", ".join("?" for _ in LIAISON_FORM_FIELDS)
        async with self._write() as conn:
            cursor = await conn.execute(
                "SELECT 1 FROM liaison WHERE unit_id = ? AND status = 'active'", (unit_id,)
            )
            taken = await cursor.fetchone() is not None
            await cursor.close()
            cursor = await conn.execute(
                f"INSERT INTO liaison (unit_id, person_id, {columns}, status, registered_at) "
                f"VALUES (?, ?, {marks}, ?, ?)",
                (unit_id, person_id, *(form.get(name) for name in LIAISON_FORM_FIELDS),
                 "pending" if taken else "active", to_iso(self.clock())),
            )
            liaison_id = cursor.lastrowid
            await cursor.close()
        liaison = await self.get(int(liaison_id))
        assert liaison is not None
        return liaison

    async def update_form(self, liaison_id: int, form: dict[str, str | None]) -> Liaison:
        assignments = ", ".join(f"{name} = ?" for name in LIAISON_FORM_FIELDS)
        async with self._write() as conn:
            await conn.execute(
                f"UPDATE liaison SET {assignments} WHERE id = ?",
                (*(form.get(name) for name in LIAISON_FORM_FIELDS), liaison_id),
            )
        liaison = await self.get(liaison_id)
        assert liaison is not None
        return liaison

    async def decide(self, liaison_id: int, approve: bool, decided_by: int) -> Decision:
        """Approve (the current liaison becomes 'replaced') or reject a pending registration."""
        now = to_iso(self.clock())
        async with self._write() as conn:
            cursor = await conn.execute(
                "SELECT unit_id FROM liaison WHERE id = ? AND status = 'pending'", (liaison_id,)
            )
            row = await cursor.fetchone()
            await cursor.close()
            if row is None:
                raise DecisionStale(liaison_id)
            replaced_id = None
            if approve:
                cursor = await conn.execute(
                    "UPDATE liaison SET status = 'replaced', decided_at = ?, decided_by = ? "
                    "WHERE unit_id = ? AND status = 'active' RETURNING id",
                    (now, decided_by, row["unit_id"]),
                )
                replaced = await cursor.fetchone()
                await cursor.close()
                replaced_id = replaced["id"] if replaced else None
            await conn.execute(
                "UPDATE liaison SET status = ?, decided_at = ?, decided_by = ? WHERE id = ?",
                ("active" if approve else "rejected", now, decided_by, liaison_id),
            )
        liaison = await self.get(liaison_id)
        assert liaison is not None
        return Decision(liaison, await self.get(replaced_id) if replaced_id else None)

    async def all_active(self) -> list[Liaison]:
        rows = await self.db.fetchall("SELECT * FROM liaison WHERE status = 'active'")
        return [row_to(Liaison, row) for row in rows]

    async def active_by_unit(self, unit_ids: Iterable[int]) -> dict[int, Liaison]:
        """unit id -> its active liaison, for the units that have one. Only the units not
        asked about before are read (and kept): /missing reads the missing units' liaisons,
        not all 10,000."""
        wanted = list(unit_ids)
        known = self._active
        unknown = [unit_id for unit_id in wanted if unit_id not in known]
        found: dict[int, Liaison] = {}
        if unknown:
            drops = self._drops
            # the ids are ints, written in: one statement for both engines at any count
            listed = ", ".join(str(int(unit_id)) for unit_id in unknown)
            rows = await self.db.fetch_values(
                f"SELECT {column_list(Liaison)} FROM liaison WHERE status = 'active' "
                f"AND unit_id IN ({listed})")
            found = {liaison.unit_id: liaison for liaison in await build_all(Liaison, rows)}
            if self._may_keep(drops):
                known.update((unit_id, found.get(unit_id)) for unit_id in unknown)
        answer = {}
        for unit_id in wanted:
            liaison = found.get(unit_id) or known.get(unit_id)
            if liaison is not None:
                answer[unit_id] = liaison
        return answer

    async def first_registered(self) -> dict[int, str]:
        """unit id -> when its first liaison registered (rejected requests do not count)."""
        found = self._first_registered
        if found is None:
            drops = self._drops
            found = dict(await self.db.fetch_values(
                "SELECT unit_id, min(registered_at) FROM liaison "
                "WHERE status != 'rejected' GROUP BY unit_id"
            ))
            if self._may_keep(drops):
                self._first_registered = found
        return dict(found)
