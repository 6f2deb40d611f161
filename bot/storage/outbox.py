"""outbox: every scheduled or broadcast message, written before it is sent (exactly once)."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.kernel.clock import Clock, to_iso
from bot.storage.db import Database

PENDING, SENDING, SENT, FAILED, UNREACHABLE = (
    "pending", "sending", "sent", "failed", "unreachable")

Buttons = Sequence[Sequence[tuple[str, str]]]

MARK_SENT = "UPDATE outbox SET state = 'sent', error = NULL, sent_at = ? WHERE id = ?"

# the order pending rows are sent in (migration 0015): what someone waits for, then the rest
FIRST, IN_TURN = 0, 1
QUEUE_ORDER = "ORDER BY priority, id"


@dataclass(frozen=True)
class Message:
    """One message to write: the unique key, the recipient and the rendered content."""
    deliverable_id: int
    period: str
    person_id: int
    kind: str
    chat_id: int
    text: str
    buttons: Buttons | None = None
    broadcast_id: int | None = None
    priority: int = IN_TURN    # FIRST: a person waits for this one (a digest, a report)


@dataclass(frozen=True)
class OutboxRow:
    id: int
    deliverable_id: int
    period: str
    person_id: int
    kind: str
    chat_id: int
    text: str
    buttons: list[list[tuple[str, str]]] | None
    broadcast_id: int | None
    state: str
    attempts: int
    error: str | None
    sent_at: str | None
    priority: int


def _row(row) -> OutboxRow:
    buttons = None
    if row["markup"]:
        buttons = [[(label, data) for label, data in line] for line in json.loads(row["markup"])]
    return OutboxRow(row["id"], row["deliverable_id"], row["period"], row["person_id"],
                     row["kind"], row["chat_id"], row["text"], buttons, row["broadcast_id"],
                     row["state"], row["attempts"], row["error"], row["sent_at"],
                     row["priority"])


class Outbox:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def add(self, messages: Iterable[Message]) -> int:
        """Write messages as pending; one already written (same key) is left alone.
        Returns how many were new."""
        now = to_iso(self.clock())
        # one encoding per keyboard object (held, so that its id stays its own)
        markups: dict[int, tuple[Buttons, str]] = {}

        def markup_of(buttons: Buttons | None) -> str | None:
            if not buttons:
                return None
            key = id(buttons)
            if key not in markups:
                markups[key] = (buttons, json.dumps([[list(button) for button in line]
                                                     for line in buttons], ensure_ascii=False))
            return markups[key][1]

        rows = [(message.deliverable_id, message.period, message.person_id, message.kind,
                 message.chat_id, message.text, markup_of(message.buttons),
                 message.broadcast_id, message.priority, now) for message in messages]
        if not rows:
            return 0

        def insert(conn: sqlite3.Connection) -> int:     # one trip for the lot
            return conn.executemany(
                "INSERT INTO outbox (deliverable_id, period, person_id, kind, chat_id, text, "
                "markup, broadcast_id, priority, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT DO NOTHING", rows).rowcount

        return await self.db.run(insert, write=True)

    async def people_with(self, deliverable_id: int, period: str, kind: str) -> set[int]:
        """Who already has this message (in any state)."""
        rows = await self.db.fetchall(
            "SELECT person_id FROM outbox WHERE deliverable_id = ? AND period = ? AND kind = ?",
            (deliverable_id, period, kind),
        )
        return {row["person_id"] for row in rows}

    async def pending(self, limit: int = 200, skip: Iterable[int] = ()) -> list[OutboxRow]:
        """The pending rows in the order they are sent (those in ``skip`` left out: being
        sent or waiting a retry)."""
        skipped = sorted(set(skip))
        marks = ", ".join("?" for _ in skipped)
        where = f" AND id NOT IN ({marks})" if skipped else ""
        rows = await self.db.fetchall(
            f"SELECT * FROM outbox WHERE state = 'pending'{where} {QUEUE_ORDER} LIMIT ?",
            (*skipped, limit),
        )
        return [_row(row) for row in rows]

    async def claim(self, row_id: int, sent_before: Sequence[int] = ()) -> bool:
        """pending -> sending (one more attempt); False when someone else has it. Rows sent
        since the last claim (``sent_before``) are marked sent in the same transaction."""
        now = to_iso(self.clock())

        def claim_one(conn: sqlite3.Connection) -> bool:
            conn.executemany(MARK_SENT, [(now, sent_id) for sent_id in sent_before])
            return conn.execute(
                "UPDATE outbox SET state = 'sending', attempts = attempts + 1 "
                "WHERE id = ? AND state = 'pending'", (row_id,),
            ).rowcount == 1

        return await self.db.run(claim_one, write=True)

    async def claim_batch(self, limit: int, skip: Iterable[int] = (),
                          sent_before: Sequence[int] = ()) -> list[OutboxRow]:
        """The next ``limit`` pending rows in the queue's order (``FIRST`` ones, then the
        rest, oldest first; those in ``skip`` left out) go to 'sending', one more attempt
        each, in one statement: a sender claims them ahead of their pacing slots and gives
        back what it did not send (`release`). Rows sent since the last claim
        (``sent_before``) are marked sent in the same transaction."""
        now = to_iso(self.clock())
        skipped = sorted(set(skip))
        marks = ", ".join("?" for _ in skipped)
        where = f" AND id NOT IN ({marks})" if skipped else ""

        def claim(conn: sqlite3.Connection) -> list[OutboxRow]:
            conn.executemany(MARK_SENT, [(now, sent_id) for sent_id in sent_before])
            rows = conn.execute(
                "UPDATE outbox SET state = 'sending', attempts = attempts + 1 WHERE id IN ("
                f"SELECT id FROM outbox WHERE state = 'pending'{where} {QUEUE_ORDER} "
                "LIMIT ?) RETURNING *", (*skipped, limit)).fetchall()
            return sorted((_row(row) for row in rows), key=lambda row: (row.priority, row.id))

        return await self.db.run(claim, write=True)

    async def release(self, row_ids: Sequence[int]) -> None:
        """Claimed rows not sent after all (the sender stopped): pending again, the attempt
        not counted."""
        await self.db.executemany(
            "UPDATE outbox SET state = 'pending', attempts = attempts - 1 "
            "WHERE id = ? AND state = 'sending'", [(row_id,) for row_id in row_ids])

    async def mark_sent(self, row_ids: Sequence[int]) -> None:
        """sending -> sent for several rows at once."""
        now = to_iso(self.clock())
        await self.db.executemany(MARK_SENT, [(now, row_id) for row_id in row_ids])

    async def finish(self, row_id: int, state: str, error: str | None = None) -> None:
        """sending -> sent / failed / unreachable, or back to pending for a retry."""
        sent_at = to_iso(self.clock()) if state == SENT else None
        await self.db.execute(
            "UPDATE outbox SET state = ?, error = ?, sent_at = ? WHERE id = ?",
            (state, error, sent_at, row_id),
        )

    async def recover_interrupted(self) -> int:
        """Rows left in 'sending' by a crash mid-send go back to 'pending': the Bot API has no
        idempotency key, so Telegram may already have delivered them, and such a row is then
        sent twice — a duplicate of the few in flight is better than a lost prompt. (A clean
        stop lets the sends in flight finish first.) Returns how many."""
        return await self.db.execute(
            "UPDATE outbox SET state = 'pending', error = 'interrupted while sending' "
            "WHERE state = 'sending'"
        )

    async def get(self, row_id: int) -> OutboxRow | None:
        row = await self.db.fetchone("SELECT * FROM outbox WHERE id = ?", (row_id,))
        return _row(row) if row else None

    async def rows(self, deliverable_id: int | None = None, period: str | None = None,
                   kind: str | None = None) -> list[OutboxRow]:
        """Rows matching what is given, in order of writing (for reports and tests)."""
        parts, values = [], []
        for column, value in (("deliverable_id", deliverable_id), ("period", period),
                              ("kind", kind)):
            if value is not None:
                parts.append(f"{column} = ?")
                values.append(value)
        where = f"WHERE {' AND '.join(parts)}" if parts else ""
        rows = await self.db.fetchall(f"SELECT * FROM outbox {where} ORDER BY id", values)
        return [_row(row) for row in rows]

    async def states_of_broadcast(self, broadcast_id: int) -> Counter[str]:
        rows = await self.db.fetchall(
            "SELECT state, count(*) AS n FROM outbox WHERE broadcast_id = ? AND kind = 'broadcast' "
            "GROUP BY state", (broadcast_id,),
        )
        return Counter({row["state"]: row["n"] for row in rows})

    async def open_count(self) -> int:
        row = await self.db.fetchone(
            "SELECT count(*) FROM outbox WHERE state IN ('pending', 'sending')")
        return int(row[0]) if row else 0
