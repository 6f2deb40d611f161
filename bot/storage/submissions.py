"""submission and item: what units delivered.

A submission is one unit's delivery for one (deliverable, period); its items are what the
liaison sent, each with Telegram's message date. Nothing here deletes a row: a withdrawal
sets ``item.withdrawn_at``; a nil report is a submission in state 'nil' that a later real
item turns into 'open'.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.kernel.clock import Clock, from_iso, to_iso
from bot.storage.db import Database
from bot.storage.models import row_to

# A submission counts as delivered when it is a nil report or holds an item that counts, and
# it is not returned for revision (a return not yet answered by a resubmission). An item
# counts when it is current (not withdrawn, not superseded by a resubmission) and its file,
# if any, was not lost: a file that was not kept (a full disk, a download that failed its
# retries) is not "received".
COUNTS = "i.withdrawn_at IS NULL AND i.superseded_at IS NULL AND i.archived != 'failed'"
DELIVERED = f"""
    ((s.state = 'nil' OR (s.state = 'open' AND EXISTS (
        SELECT 1 FROM item i WHERE i.submission_id = s.id AND {COUNTS})))
     AND NOT EXISTS (SELECT 1 FROM submission_return r
                     WHERE r.submission_id = s.id AND r.resubmitted_at IS NULL))
"""

# The statistics table is delivered through its own form (stats_entry), not as items: a unit
# has delivered it once it has an entry for the campaign; its first entry's lateness counts.
STATISTICS_DELIVERED = """
    SELECT e.unit_id, e.late_seconds FROM stats_entry e
    JOIN deliverable d ON d.campaign_id = e.campaign_id AND d.key = 'statistics'
    WHERE d.id = ? AND e.id = (SELECT min(f.id) FROM stats_entry f
                               WHERE f.unit_id = e.unit_id AND f.campaign_id = e.campaign_id)
"""


@dataclass(frozen=True)
class Submission:
    id: int
    unit_id: int
    deliverable_id: int
    period: str
    state: str
    nil_reason: str | None
    meta: str | None
    first_received_at: str
    last_received_at: str
    late_seconds: int | None
    liaison_id: int | None

    @property
    def details(self) -> dict:
        return json.loads(self.meta) if self.meta else {}


@dataclass(frozen=True)
class Item:
    id: int
    submission_id: int
    kind: str
    text: str | None
    media_sha256: str | None
    thumb_sha256: str | None
    file_id: str | None
    file_unique_id: str | None
    file_name: str | None
    mime_type: str | None
    size: int | None
    archived: str
    media_group_id: str | None
    message_id: int | None
    received_at: str
    late_seconds: int | None
    withdrawn_at: str | None
    liaison_id: int | None
    superseded_at: str | None = None    # an earlier version, before a resubmission

    @property
    def current(self) -> bool:
        """Neither withdrawn nor replaced by a resubmission."""
        return self.withdrawn_at is None and self.superseded_at is None


@dataclass(frozen=True)
class NewItem:
    """An item about to be recorded (``archived`` is 'pending' for files, 'none' for text)."""
    kind: str
    received_at: datetime
    text: str | None = None
    file_id: str | None = None
    file_unique_id: str | None = None
    file_name: str | None = None
    mime_type: str | None = None
    size: int | None = None
    media_group_id: str | None = None
    message_id: int | None = None
    late_seconds: int | None = None


@dataclass(frozen=True)
class Resubmitted:
    """A burst that answered a return: the return's id and how the new version counts."""
    return_id: int
    late_seconds: int | None       # None: on time (on time before, and within the grace)
    superseded: int                # earlier items marked superseded


@dataclass(frozen=True)
class Added:
    submission: Submission
    item_ids: list[int]
    replaced_nil: bool
    recorded_before: frozenset[int]   # of item_ids: recorded by an earlier run (a replay)
    resubmitted: Resubmitted | None = None


@dataclass(frozen=True)
class Delivery:
    """How a unit delivered for one period, as the desk's files show it."""
    unit_id: int
    nil: bool                   # an explicit "nothing this period"
    nil_reason: str | None
    first_received_at: str


@dataclass(frozen=True)
class NilOutcome:
    submission: Submission
    recorded: bool          # False: the unit already delivered real items for the period


@dataclass(frozen=True)
class ArchivedItem:
    """An item whose media is already in the store (seeding, imports): see
    :meth:`Submissions.record_archived`."""
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


def resubmission_lateness(returned, at: datetime) -> int | None:
    """How a resubmission at ``at`` counts against its return (a ``submission_return``
    row): on time (None) when the original was on time and it arrives by the grace's end;
    else late by the seconds since the return (at least one)."""
    if returned["original_late_seconds"] is None and at <= from_iso(returned["grace_until"]):
        return None
    return max(1, int((at - from_iso(returned["returned_at"])).total_seconds()))


class Submissions:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def delivered_units(self, deliverable_id: int, period: str) -> dict[int, int | None]:
        """unit id -> seconds late (None when on time) for every unit that delivered.

        Read as one row of two JSON arrays (walked in the same order) rather than a row per
        unit: every desk view asks this, and on a big campaign thousands of row objects per
        view kept the garbage collector's full passes (tens of ms each) coming."""
        row = await self.db.fetchone(
            f"SELECT json_group_array(s.unit_id) AS units, "
            f"json_group_array(s.late_seconds) AS late FROM submission s "
            f"WHERE s.deliverable_id = ? AND s.period = ? AND {DELIVERED}",
            (deliverable_id, period),
        )
        found = dict(zip(json.loads(row["units"]), json.loads(row["late"]), strict=True))
        if period == "once":
            for row in await self.db.fetchall(STATISTICS_DELIVERED, (deliverable_id,)):
                found.setdefault(row["unit_id"], row["late_seconds"])
        return found

    async def nil_units(self, deliverable_id: int, period: str) -> dict[int, str | None]:
        """unit id -> reason for the units whose delivery is an explicit "nothing" report
        (they are in :meth:`delivered_units` too: delivered, but distinct from materials)."""
        rows = await self.db.fetchall(
            "SELECT unit_id, nil_reason FROM submission WHERE deliverable_id = ? "
            "AND period = ? AND state = 'nil'", (deliverable_id, period),
        )
        return {row["unit_id"]: row["nil_reason"] for row in rows}

    async def delivered_periods(self, unit_id: int, deliverable_id: int) -> set[str]:
        """Periods of the deliverable this unit delivered (nil reports count)."""
        return (await self.delivered_periods_of(unit_id, [deliverable_id]))[deliverable_id]

    async def delivered_periods_of(self, unit_id: int, deliverable_ids: Sequence[int]
                                   ) -> dict[int, set[str]]:
        """deliverable id -> periods this unit delivered, for several deliverables at once."""
        found: dict[int, set[str]] = {deliverable_id: set() for deliverable_id in deliverable_ids}
        if not found:
            return found
        marks = ", ".join("?" for _ in found)
        rows = await self.db.fetchall(
            f"SELECT s.deliverable_id, s.period FROM submission s WHERE s.unit_id = ? "
            f"AND s.deliverable_id IN ({marks}) AND {DELIVERED}", (unit_id, *found),
        )
        for row in rows:
            found[row["deliverable_id"]].add(row["period"])
        return found

    async def get(self, submission_id: int) -> Submission | None:
        row = await self.db.fetchone("SELECT * FROM submission WHERE id = ?", (submission_id,))
        return row_to(Submission, row) if row else None

    async def find(self, unit_id: int, deliverable_id: int, period: str) -> Submission | None:
        row = await self.db.fetchone(
            "SELECT * FROM submission WHERE unit_id = ? AND deliverable_id = ? AND period = ?",
            (unit_id, deliverable_id, period),
        )
        return row_to(Submission, row) if row else None

    async def add_items(self, unit_id: int, deliverable_id: int, period: str,
                        liaison_id: int | None, items: list[NewItem],
                        meta: dict | None = None) -> Added:
        """Create or extend the submission and record the items, in one transaction.

        An item already recorded for the same liaison and Telegram message id (an update
        replayed after a crash) is not recorded again; its id is returned as it is.

        A nil report (or a fully withdrawn submission) is replaced: the submission becomes
        'open' and its first delivery and lateness are those of these items; so are those of
        an open submission none of whose items counts (its files were not kept).

        When the submission is returned for revision (an open ``submission_return``), these
        items are its new version: the earlier items are marked superseded, the return is
        closed, and the submission counts on time if it was on time and this arrives within
        the return's grace, else late by the time since the return (``resubmission``).
        """
        first = min(items, key=lambda item: item.received_at)
        last = max(items, key=lambda item: item.received_at)

        def record(conn: sqlite3.Connection) -> Added:
            # the first delivery of a period inserts its submission in the one statement;
            # only when the row exists is it read (and then updated, the row returned)
            created = conn.execute(
                "INSERT INTO submission (unit_id, deliverable_id, period, state, meta, "
                "first_received_at, last_received_at, late_seconds, liaison_id) "
                "VALUES (?, ?, ?, 'open', ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING *",
                (unit_id, deliverable_id, period,
                 json.dumps(meta, ensure_ascii=False) if meta else None,
                 to_iso(first.received_at), to_iso(last.received_at), first.late_seconds,
                 liaison_id),
            ).fetchone()
            replaced_nil = False
            submission = created         # the row as it stands, once written
            if created is not None:
                submission_id = created["id"]
            else:
                row = conn.execute(
                    "SELECT * FROM submission WHERE unit_id = ? AND deliverable_id = ? "
                    "AND period = ?", (unit_id, deliverable_id, period),
                ).fetchone()
                submission_id = row["id"]
                if row["state"] in ("nil", "withdrawn"):
                    replaced_nil = row["state"] == "nil"
                    submission = conn.execute(
                        "UPDATE submission SET state = 'open', nil_reason = NULL, "
                        "first_received_at = ?, last_received_at = ?, late_seconds = ?, "
                        "liaison_id = ? WHERE id = ? RETURNING *",
                        (to_iso(first.received_at), to_iso(last.received_at),
                         first.late_seconds, liaison_id, submission_id),
                    ).fetchone()
                elif conn.execute(f"SELECT 1 FROM item i WHERE i.submission_id = ? "
                                  f"AND {COUNTS}", (submission_id,)).fetchone() is None:
                    # nothing of it counts (its files were not kept): delivered by these
                    submission = conn.execute(
                        "UPDATE submission SET first_received_at = ?, last_received_at = ?, "
                        "late_seconds = ?, liaison_id = ? WHERE id = ? RETURNING *",
                        (to_iso(first.received_at), to_iso(last.received_at),
                         first.late_seconds, liaison_id, submission_id),
                    ).fetchone()
                else:
                    submission = conn.execute(
                        "UPDATE submission SET last_received_at = max(last_received_at, ?) "
                        "WHERE id = ? RETURNING *", (to_iso(last.received_at), submission_id),
                    ).fetchone()
            # (a new submission has no return: submissions are never deleted, so no old
            # return can name its id)
            open_return = None if created is not None else conn.execute(
                "SELECT * FROM submission_return WHERE submission_id = ? "
                "AND resubmitted_at IS NULL ORDER BY id DESC LIMIT 1", (submission_id,),
            ).fetchone()
            resubmitted = None
            late_override: dict[str, int | None] = {}
            if open_return is not None:
                late = resubmission_lateness(open_return, first.received_at)
                late_override["late"] = late
                superseded = conn.execute(
                    "UPDATE item SET superseded_at = ? WHERE submission_id = ? "
                    "AND withdrawn_at IS NULL AND superseded_at IS NULL",
                    (to_iso(first.received_at), submission_id),
                ).rowcount
                submission = conn.execute(
                    "UPDATE submission SET state = 'open', late_seconds = ?, "
                    "last_received_at = ?, liaison_id = coalesce(?, liaison_id) WHERE id = ? "
                    "RETURNING *", (late, to_iso(last.received_at), liaison_id, submission_id),
                ).fetchone()
                resubmitted = Resubmitted(int(open_return["id"]), late, superseded)
            item_ids = []
            recorded_before = set()
            for item in items:
                # (liaison, message) is unique (migration 0013): a message already recorded
                # inserts nothing, and only then is its item looked up
                inserted = conn.execute(
                    "INSERT INTO item (submission_id, kind, text, file_id, file_unique_id, "
                    "file_name, mime_type, size, archived, media_group_id, message_id, "
                    "received_at, late_seconds, liaison_id) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (liaison_id, message_id) DO NOTHING RETURNING id",
                    (submission_id, item.kind, item.text, item.file_id, item.file_unique_id,
                     item.file_name, item.mime_type, item.size,
                     "pending" if item.file_id else "none", item.media_group_id,
                     item.message_id, to_iso(item.received_at),
                     late_override.get("late", item.late_seconds), liaison_id),
                ).fetchone()
                if inserted is not None:
                    item_ids.append(int(inserted["id"]))
                    continue
                known = conn.execute(       # the same message again: a replayed update
                    "SELECT id FROM item WHERE liaison_id = ? AND message_id = ?",
                    (liaison_id, item.message_id),
                ).fetchone()
                item_ids.append(int(known["id"]))
                recorded_before.add(int(known["id"]))
            if resubmitted is not None:
                new_ids = [item_id for item_id in item_ids if item_id not in recorded_before]
                conn.execute(
                    "UPDATE submission_return SET resubmitted_at = ?, resubmission_id = ?, "
                    "late_seconds = ? WHERE id = ?",
                    (to_iso(first.received_at), new_ids[0] if new_ids else None,
                     resubmitted.late_seconds, resubmitted.return_id),
                )
            return Added(row_to(Submission, submission), item_ids, replaced_nil,
                         frozenset(recorded_before), resubmitted)

        return await self.db.run(record, write=True)

    async def recorded_target(self, liaison_id: int, message_ids: Sequence[int]
                              ) -> tuple[str, str] | None:
        """(deliverable key, period) a message among these was recorded for, if any (an
        album an earlier run recorded but did not finish keeps its target)."""
        if not message_ids:
            return None
        marks = ", ".join("?" for _ in message_ids)
        row = await self.db.fetchone(
            f"SELECT d.key, s.period FROM item i JOIN submission s ON s.id = i.submission_id "
            f"JOIN deliverable d ON d.id = s.deliverable_id WHERE i.liaison_id = ? "
            f"AND i.message_id IN ({marks}) ORDER BY i.id LIMIT 1",
            (liaison_id, *message_ids))
        return (row["key"], row["period"]) if row else None

    async def record_nil(self, unit_id: int, deliverable_id: int, period: str,
                         liaison_id: int | None, at: datetime,
                         late_seconds: int | None) -> NilOutcome:
        """An explicit "nothing this period"; refused when real items are already there."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                f"SELECT s.*, {DELIVERED} AS delivered FROM submission s "
                f"WHERE s.unit_id = ? AND s.deliverable_id = ? AND s.period = ?",
                (unit_id, deliverable_id, period),
            )
            row = await cursor.fetchone()
            await cursor.close()
            if row is not None and row["state"] == "open" and row["delivered"]:
                return NilOutcome(row_to(Submission, row), False)
            if row is None:
                await conn.execute(
                    "INSERT INTO submission (unit_id, deliverable_id, period, state, "
                    "first_received_at, last_received_at, late_seconds, liaison_id) "
                    "VALUES (?, ?, ?, 'nil', ?, ?, ?, ?)",
                    (unit_id, deliverable_id, period, to_iso(at), to_iso(at), late_seconds,
                     liaison_id),
                )
            elif row["state"] != "nil":
                await conn.execute(
                    "UPDATE submission SET state = 'nil', first_received_at = ?, "
                    "last_received_at = ?, late_seconds = ?, liaison_id = ? WHERE id = ?",
                    (to_iso(at), to_iso(at), late_seconds, liaison_id, row["id"]),
                )
        submission = await self.find(unit_id, deliverable_id, period)
        assert submission is not None
        return NilOutcome(submission, True)

    async def set_nil_reason(self, submission_id: int, reason: str) -> bool:
        changed = await self.db.execute(
            "UPDATE submission SET nil_reason = ? WHERE id = ? AND state = 'nil'",
            (reason, submission_id),
        )
        return changed > 0

    async def items(self, submission_id: int) -> list[Item]:
        rows = await self.db.fetchall(
            "SELECT * FROM item WHERE submission_id = ? ORDER BY received_at, id",
            (submission_id,),
        )
        return [row_to(Item, row) for row in rows]

    async def item(self, item_id: int) -> Item | None:
        row = await self.db.fetchone("SELECT * FROM item WHERE id = ?", (item_id,))
        return row_to(Item, row) if row else None

    async def of_unit(self, unit_id: int) -> list[Submission]:
        """The unit's submissions, by deliverable position then period."""
        rows = await self.db.fetchall(
            "SELECT s.* FROM submission s JOIN deliverable d ON d.id = s.deliverable_id "
            "WHERE s.unit_id = ? ORDER BY d.position, s.period, s.id", (unit_id,),
        )
        return [row_to(Submission, row) for row in rows]

    async def set_archived(self, item_id: int, archived: str, media_sha256: str | None = None,
                           thumb_sha256: str | None = None, size: int | None = None) -> None:
        await self.db.execute(
            "UPDATE item SET archived = ?, media_sha256 = ?, thumb_sha256 = ?, "
            "size = coalesce(?, size) WHERE id = ?",
            (archived, media_sha256, thumb_sha256, size, item_id),
        )

    async def pending_items(self) -> list[Item]:
        """Items whose file is still to be archived (an archiving cut short, or under way)."""
        rows = await self.db.fetchall(
            "SELECT * FROM item WHERE archived = 'pending' ORDER BY id")
        return [row_to(Item, row) for row in rows]

    async def count_archive_attempt(self, item_id: int) -> int | None:
        """One more try at archiving a pending item: how many so far (None: not pending)."""
        rows = await self.db.run(lambda conn: conn.execute(
            "UPDATE item SET archive_attempts = archive_attempts + 1 "
            "WHERE id = ? AND archived = 'pending' RETURNING archive_attempts",
            (item_id,)).fetchall(), write=True)
        return int(rows[0][0]) if rows else None

    async def archived_copy(self, file_unique_id: str) -> Item | None:
        """An item already archived with this Telegram file: its bytes need no new download."""
        row = await self.db.fetchone(
            "SELECT * FROM item WHERE file_unique_id = ? AND archived = 'yes' "
            "AND media_sha256 IS NOT NULL ORDER BY id LIMIT 1", (file_unique_id,),
        )
        return row_to(Item, row) if row else None

    async def withdraw(self, item_id: int) -> bool:
        """Soft withdrawal; a submission left without live items turns 'withdrawn'."""
        now = to_iso(self.clock())
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE item SET withdrawn_at = ? WHERE id = ? AND withdrawn_at IS NULL "
                "RETURNING submission_id", (now, item_id),
            )
            row = await cursor.fetchone()
            await cursor.close()
            if row is None:
                return False
            await conn.execute(
                "UPDATE submission SET state = 'withdrawn' WHERE id = ? AND state = 'open' "
                "AND NOT EXISTS (SELECT 1 FROM item WHERE submission_id = submission.id "
                "AND withdrawn_at IS NULL AND superseded_at IS NULL)", (row["submission_id"],),
            )
        return True

    async def next_event_period(self, unit_id: int, deliverable_id: int) -> str:
        """'event-<n>': each event report is its own submission, numbered per unit."""
        row = await self.db.fetchone(
            "SELECT count(*) FROM submission WHERE unit_id = ? AND deliverable_id = ?",
            (unit_id, deliverable_id),
        )
        number = int(row[0]) + 1
        while await self.find(unit_id, deliverable_id, f"event-{number}"):
            number += 1
        return f"event-{number}"

    async def record_archived(self, unit_id: int, deliverable_id: int, period: str,
                              items: Sequence[ArchivedItem], late_seconds: int | None = None,
                              liaison_id: int | None = None, state: str = "open") -> int:
        """Store a submission with its items (created, or extended when it exists)."""
        received = sorted(item.received_at for item in items) or [self.clock()]
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO submission (unit_id, deliverable_id, period, state, "
                "first_received_at, last_received_at, late_seconds, liaison_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(unit_id, deliverable_id, period) DO UPDATE SET "
                "last_received_at = max(submission.last_received_at, excluded.last_received_at) "
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
        for row in await self.db.fetchall(STATISTICS_DELIVERED, (deliverable_id,)):
            found.setdefault("once", {}).setdefault(row["unit_id"], row["late_seconds"])
        return found

    async def deliveries(self, deliverable_id: int, period: str) -> dict[int, Delivery]:
        """unit id -> how it delivered (nil or not, the reason, when first received), for
        the units :meth:`delivered_units` counts by their submissions."""
        rows = await self.db.fetchall(
            f"SELECT s.unit_id, s.state = 'nil' AS nil, s.nil_reason, s.first_received_at "
            f"FROM submission s WHERE s.deliverable_id = ? AND s.period = ? AND {DELIVERED}",
            (deliverable_id, period),
        )
        return {row["unit_id"]: Delivery(row["unit_id"], bool(row["nil"]), row["nil_reason"],
                                         row["first_received_at"]) for row in rows}

    async def desk_items(self, unit_ids: Sequence[int], deliverable_id: int | None = None,
                         period: str | None = None, kind: str | None = None
                         ) -> list[DeskItem]:
        """Items current (not withdrawn, not superseded by a resubmission) of the units'
        submissions (not withdrawn either), optionally
        of one deliverable, one period and one kind; by unit, then in order received."""
        if not unit_ids:
            return []
        conditions = ["s.state != 'withdrawn'", "i.withdrawn_at IS NULL",
                      "i.superseded_at IS NULL",
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
