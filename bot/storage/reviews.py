"""submission_return and submission_comment: the review desk's records (bot/review/).

A return is open until the unit resubmits (``Submissions.add_items`` closes it, in the same
transaction as the new version's items); while it is open the submission does not deliver
(``submissions.DELIVERED``). Nothing here deletes a row: every return and comment is kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from bot.kernel.clock import Clock, to_iso
from bot.storage.db import Database
from bot.storage.models import row_to
from bot.storage.submissions import COUNTS, DELIVERED

T = TypeVar("T")


@dataclass(frozen=True)
class Return:
    id: int
    submission_id: int
    returned_by: int
    returned_at: str
    reason: str
    grace_until: str
    resubmitted_at: str | None
    resubmission_id: int | None
    original_late_seconds: int | None
    late_seconds: int | None

    @property
    def open(self) -> bool:
        return self.resubmitted_at is None


@dataclass(frozen=True)
class Comment:
    id: int
    submission_id: int
    author_id: int
    created_at: str
    text: str


@dataclass(frozen=True)
class Reviewable:
    """A submission on the review desk's walk: delivered, or returned and not yet back."""
    id: int
    unit_id: int
    period: str
    late_seconds: int | None
    returned: bool


class Reviews:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def return_submission(self, submission_id: int, returned_by: int, reason: str,
                                grace_until: datetime) -> Return | None:
        """Open a return; None when the submission does not deliver now (a nil report, all
        withdrawn, or already returned and not back)."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                f"SELECT s.late_seconds FROM submission s WHERE s.id = ? AND s.state = 'open' "
                f"AND {DELIVERED}", (submission_id,))
            row = await cursor.fetchone()
            await cursor.close()
            if row is None:
                return None
            cursor = await conn.execute(
                "INSERT INTO submission_return (submission_id, returned_by, returned_at, reason, "
                "grace_until, original_late_seconds) VALUES (?, ?, ?, ?, ?, ?) RETURNING *",
                (submission_id, returned_by, to_iso(self.clock()), reason, to_iso(grace_until),
                 row["late_seconds"]))
            created = await cursor.fetchone()
            await cursor.close()
        return row_to(Return, created)

    async def open_return(self, submission_id: int) -> Return | None:
        row = await self.db.fetchone(
            "SELECT * FROM submission_return WHERE submission_id = ? AND resubmitted_at IS NULL "
            "ORDER BY id DESC LIMIT 1", (submission_id,))
        return row_to(Return, row) if row else None

    async def get_return(self, return_id: int) -> Return | None:
        row = await self.db.fetchone("SELECT * FROM submission_return WHERE id = ?", (return_id,))
        return row_to(Return, row) if row else None

    async def returns_of(self, submission_ids: Sequence[int]) -> dict[int, list[Return]]:
        """submission id -> its returns, oldest first."""
        return await self._by_submission("submission_return", Return, submission_ids)

    async def open_returns(self) -> list[Return]:
        """Every return not yet answered (the reminders' list)."""
        rows = await self.db.fetchall(
            "SELECT * FROM submission_return WHERE resubmitted_at IS NULL ORDER BY id")
        return [row_to(Return, row) for row in rows]

    async def returned_units(self, deliverable_id: int, period: str) -> frozenset[int]:
        """Units whose submission for the period is returned and not yet resubmitted."""
        rows = await self.db.fetchall(
            "SELECT DISTINCT s.unit_id FROM submission s JOIN submission_return r "
            "ON r.submission_id = s.id WHERE s.deliverable_id = ? AND s.period = ? "
            "AND r.resubmitted_at IS NULL", (deliverable_id, period))
        return frozenset(row["unit_id"] for row in rows)

    async def returned_periods(self, unit_id: int) -> set[tuple[int, str]]:
        """(deliverable id, period) of the unit's submissions returned and not yet back."""
        rows = await self.db.fetchall(
            "SELECT s.deliverable_id, s.period FROM submission s JOIN submission_return r "
            "ON r.submission_id = s.id WHERE s.unit_id = ? AND r.resubmitted_at IS NULL",
            (unit_id,))
        return {(row["deliverable_id"], row["period"]) for row in rows}

    async def add_comment(self, submission_id: int, author_id: int, text: str) -> Comment:
        params = (submission_id, author_id, to_iso(self.clock()), text)
        row = await self.db.run(lambda conn: conn.execute(
            "INSERT INTO submission_comment (submission_id, author_id, created_at, text) "
            "VALUES (?, ?, ?, ?) RETURNING *", params).fetchone(), write=True)
        return row_to(Comment, row)

    async def comments_of(self, submission_ids: Sequence[int]) -> dict[int, list[Comment]]:
        """submission id -> its comments, oldest first."""
        return await self._by_submission("submission_comment", Comment, submission_ids)

    async def _by_submission(self, table: str, kind: type[T],
                             submission_ids: Sequence[int]) -> dict[int, list[T]]:
        """submission id -> its rows of ``table`` (returns or comments) as ``kind``, by id."""
        found: dict[int, list[T]] = {}
        for chunk in _chunks(submission_ids):
            rows = await self.db.fetchall(
                f"SELECT * FROM {table} WHERE submission_id IN "
                f"({', '.join('?' for _ in chunk)}) ORDER BY id", chunk)
            for row in rows:
                found.setdefault(row["submission_id"], []).append(row_to(kind, row))
        return found

    async def of_units(self, unit_ids: Sequence[int], deliverable_id: int | None = None,
                       period: str | None = None
                       ) -> list[tuple[int, int, str, list[Return], list[Comment]]]:
        """(unit id, deliverable id, period, returns, comments) of every submission of the
        units (optionally one deliverable and period) that has either; for the export."""
        wanted = set(unit_ids)
        where, params = "", []
        if deliverable_id is not None:
            where += " AND s.deliverable_id = ?"
            params.append(deliverable_id)
        if period is not None:
            where += " AND s.period = ?"
            params.append(period)
        rows = await self.db.fetch_values(
            f"SELECT s.id, s.unit_id, s.deliverable_id, s.period FROM submission s WHERE "
            f"(EXISTS (SELECT 1 FROM submission_return r WHERE r.submission_id = s.id) OR "
            f"EXISTS (SELECT 1 FROM submission_comment c WHERE c.submission_id = s.id)){where}",
            params)
        rows = [row for row in rows if row[1] in wanted]
        ids = [row[0] for row in rows]
        returns, comments = await self.returns_of(ids), await self.comments_of(ids)
        return [(unit_id, deliverable, period, returns.get(submission_id, []),
                 comments.get(submission_id, []))
                for submission_id, unit_id, deliverable, period in rows]

    async def reviewable(self, deliverable_id: int, period: str | None,
                         unit_ids: Sequence[int]) -> list[Reviewable]:
        """The submissions of the units for the deliverable (one period, or every period
        when None: event reports) holding an item that counts (as for delivery), returned
        or not; in no particular order."""
        if not unit_ids:
            return []
        wanted = set(unit_ids)
        params: list[object] = [deliverable_id]
        where = "s.deliverable_id = ?"
        if period is not None:
            where += " AND s.period = ?"
            params.append(period)
        rows = await self.db.fetch_values(
            f"SELECT s.id, s.unit_id, s.period, s.late_seconds, EXISTS (SELECT 1 FROM "
            f"submission_return r WHERE r.submission_id = s.id AND r.resubmitted_at IS NULL) "
            f"FROM submission s WHERE {where} AND s.state = 'open' AND EXISTS (SELECT 1 FROM "
            f"item i WHERE i.submission_id = s.id AND {COUNTS})", params)
        return [Reviewable(row[0], row[1], row[2], row[3], bool(row[4]))
                for row in rows if row[1] in wanted]


def _chunks(ids: Sequence[int], size: int = 500) -> list[list[int]]:
    ids = list(ids)
    return [ids[index:index + size] for index in range(0, len(ids), size)]
