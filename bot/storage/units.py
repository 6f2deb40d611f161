"""unit: the reporting units, a tree (province → city → department/company)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.kernel.clock import Clock, to_iso
from bot.kernel.validation import name_key
from bot.storage.db import Database
from bot.storage.models import Unit, build_all, column_list, row_to

SUBTREE = """
WITH RECURSIVE subtree(id) AS (
    SELECT id FROM unit WHERE id = :root
    UNION ALL
    SELECT unit.id FROM unit JOIN subtree ON unit.parent_id = subtree.id
)
"""


@dataclass(frozen=True)
class UnitListing:
    """A unit with what /units shows beside it."""
    unit: Unit
    parent_name: str | None
    liaison_name: str | None
    liaison_mobile: str | None
    invite_code: str | None


class Units:
    """Units are only ever created through this class, so the lists per scope (read by every
    desk view, 10,000 rows on a big campaign) are cached here and dropped on each create."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self._in_scope: dict[int | None, tuple[Unit, ...]] = {}
        self._creates = 0     # units created so far: a load that overlapped one is not kept

    async def create(self, name: str, parent_id: int | None, created_by: int | None) -> Unit:
        unit_id = await self.db.execute(
            "INSERT INTO unit (name, parent_id, created_at, created_by) VALUES (?, ?, ?, ?)",
            (name, parent_id, to_iso(self.clock()), created_by),
        )
        self._creates += 1
        self._in_scope.clear()
        unit = await self.get(unit_id)
        assert unit is not None
        return unit

    async def get(self, unit_id: int) -> Unit | None:
        row = await self.db.fetchone("SELECT * FROM unit WHERE id = ?", (unit_id,))
        return row_to(Unit, row) if row else None

    async def by_name(self, name: str) -> Unit | None:
        row = await self.db.fetchone("SELECT * FROM unit WHERE name = ?", (name,))
        return row_to(Unit, row) if row else None

    async def same_name(self, name: str) -> Unit | None:
        """A unit whose name equals ``name`` once both are normalised
        (:func:`bot.kernel.validation.name_key`): ``零\u200b宽`` is ``零宽``, ``ＡＢＣ`` is
        ``abc``. Exact matches are found by the index; the rest by one scan of the names."""
        exact = await self.by_name(name)
        if exact is not None:
            return exact
        key = name_key(name)
        rows = await self.db.fetchall("SELECT id, name FROM unit")
        match = next((row["id"] for row in rows if name_key(row["name"]) == key), None)
        return await self.get(match) if match is not None else None

    async def name_keys(self) -> set[str]:
        """Every unit's normalised name (for a bulk import's checks)."""
        rows = await self.db.fetchall("SELECT name FROM unit")
        return {name_key(row["name"]) for row in rows}

    async def names_like(self, fragment: str, limit: int = 5) -> list[str]:
        rows = await self.db.fetchall(
            "SELECT name FROM unit WHERE instr(name, ?) > 0 ORDER BY name LIMIT ?",
            (fragment, limit),
        )
        return [row["name"] for row in rows]

    async def subtree_ids(self, root_id: int) -> set[int]:
        rows = await self.db.fetchall(SUBTREE + "SELECT id FROM subtree", {"root": root_id})
        return {row["id"] for row in rows}

    async def in_scope(self, unit_id: int, scope_unit_id: int | None) -> bool:
        """A scope of None is everything; otherwise the scope unit and those under it."""
        if scope_unit_id is None:
            return True
        row = await self.db.fetchone(
            SUBTREE + "SELECT 1 FROM subtree WHERE id = :unit",
            {"root": scope_unit_id, "unit": unit_id},
        )
        return row is not None

    async def all_in_scope(self, scope_unit_id: int | None) -> list[Unit]:
        """Every unit the scope holds (None: every unit), by name."""
        if scope_unit_id in self._in_scope:
            return list(self._in_scope[scope_unit_id])
        creates = self._creates
        columns = column_list(Unit)
        if scope_unit_id is None:
            rows = await self.db.fetch_values(f"SELECT {columns} FROM unit ORDER BY name")
        else:
            rows = await self.db.fetch_values(
                SUBTREE + f"SELECT {columns} FROM unit WHERE id IN (SELECT id FROM subtree) "
                "ORDER BY name", {"root": scope_unit_id},
            )
        found = await build_all(Unit, rows)
        if creates == self._creates and not self.db.in_transaction:
            self._in_scope[scope_unit_id] = tuple(found)
        return found

    async def count(self, scope_unit_id: int | None) -> int:
        if scope_unit_id is None:
            row = await self.db.fetchone("SELECT count(*) FROM unit")
        else:
            row = await self.db.fetchone(
                SUBTREE + "SELECT count(*) FROM subtree", {"root": scope_unit_id}
            )
        return int(row[0]) if row else 0

    async def listing(
        self, scope_unit_id: int | None, offset: int = 0, limit: int = 10
    ) -> list[UnitListing]:
        scope = "" if scope_unit_id is None else "WHERE u.id IN (SELECT id FROM subtree)"
        sql = (SUBTREE if scope_unit_id is not None else "") + f"""
            SELECT u.*, p.name AS parent_name, l.name AS liaison_name,
                   l.mobile AS liaison_mobile, i.code AS invite_code
            FROM unit u
            LEFT JOIN unit p ON p.id = u.parent_id
            LEFT JOIN liaison l ON l.unit_id = u.id AND l.status = 'active'
            LEFT JOIN invite i ON i.unit_id = u.id AND i.kind = 'unit' AND i.revoked_at IS NULL
            {scope}
            ORDER BY u.name LIMIT :limit OFFSET :offset
        """
        rows = await self.db.fetchall(
            sql, {"root": scope_unit_id, "limit": limit, "offset": offset}
        )
        return [
            UnitListing(
                unit=row_to(Unit, row), parent_name=row["parent_name"],
                liaison_name=row["liaison_name"], liaison_mobile=row["liaison_mobile"],
                invite_code=row["invite_code"],
            )
            for row in rows
        ]
