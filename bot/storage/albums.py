"""albums: the parts of an album waiting for their quiet window, shared through the database.

A part is stored while its update is handled (so the update may be confirmed: the part is
not lost in a restart). The quiet window and the claim are wall-clock instants (Unix seconds),
compared in SQL, so that several processes on one database agree on when an album settled and
only one of them handles it.

A claim names its owner (``album.claimed_by``: the claiming process's ``bot_process`` row).
A claim that is never finished because its process died is taken over as soon as that
process is known gone — its row says it stopped (a clean stop, or a peer found its pid gone:
bot.scale.shared), or its heartbeat is older than ``CLAIM_GONE_AFTER`` — and otherwise lapses
after its lease (a claim with no owner row: a process killed before its first heartbeat).
At start-up a process releases the claims of gone owners only (:meth:`Albums.release_claims`),
never a live peer's.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.kernel.clock import to_iso
from bot.storage.db import Database
from bot.storage.processes import CLAIM_GONE_AFTER

# the album's claim is held by a process known gone: parameters (claimant, stale before)
_OWNER_GONE = (
    "(album.claimed_by IS NOT NULL AND album.claimed_by <> ? AND EXISTS (SELECT 1 FROM "
    "bot_process p WHERE p.id = album.claimed_by AND (p.stopped_at IS NOT NULL "
    "OR p.beat_at < ?)))")
_WAITING = (
    "SELECT chat_id, person_id, media_group_id, quiet_until, claimed_until, "
    f"CASE WHEN {_OWNER_GONE} THEN 1 ELSE 0 END AS owner_gone FROM album "
    "WHERE EXISTS (SELECT 1 FROM album_part p WHERE p.album_id = album.id AND p.done = 0)")


def stale_before(now: float) -> str:
    """A heartbeat older than this (``bot_process.beat_at``) is a gone owner's."""
    return to_iso(datetime.fromtimestamp(now, UTC) - CLAIM_GONE_AFTER)


@dataclass(frozen=True)
class Waiting:
    """An album with parts not handled yet: when it settles, or when its claim lapses."""
    chat_id: int
    person_id: int
    media_group_id: str
    due: float
    claimed: bool = False      # a claim is on it (its owner's, live or gone, or lapsed)


@dataclass(frozen=True)
class Claimed:
    id: int
    chat_id: int
    person_id: int
    media_group_id: str
    purpose: str
    data: dict
    attempts: int
    parts: list[tuple[int, dict]]     # (message id, the Incoming's JSON), in message order


class Albums:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add_part(self, chat_id: int, person_id: int, media_group_id: str, purpose: str,
                       data: dict, message_id: int, incoming: dict,
                       quiet_until: float) -> bool:
        """Store a part and move the album's quiet window on; False when the part was
        stored before (a replayed update), which leaves the window as it is."""
        def add(conn: sqlite3.Connection) -> bool:
            row = conn.execute(
                "SELECT id FROM album WHERE chat_id = ? AND media_group_id = ?",
                (chat_id, media_group_id)).fetchone()
            if row is None:
                album_id = conn.execute(
                    "INSERT INTO album (chat_id, person_id, media_group_id, purpose, data, "
                    "quiet_until) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                    (chat_id, person_id, media_group_id, purpose,
                     json.dumps(data, ensure_ascii=False), quiet_until)).fetchone()[0]
            else:
                album_id = row[0]
            inserted = conn.execute(
                "INSERT INTO album_part (album_id, message_id, incoming) VALUES (?, ?, ?) "
                "ON CONFLICT (album_id, message_id) DO NOTHING",
                (album_id, message_id, json.dumps(incoming, ensure_ascii=False))).rowcount
            if inserted and row is not None:
                conn.execute("UPDATE album SET quiet_until = max(quiet_until, ?) WHERE id = ?",
                             (quiet_until, album_id))
            return bool(inserted)

        return await self.db.run(add, write=True)

    async def claim(self, chat_id: int, media_group_id: str, now: float, lease: float,
                    owner: str) -> Claimed | Waiting | None:
        """The album's waiting parts, claimed for ``owner`` (a ``bot_process`` id) until
        ``now + lease``, once it is quiet and no one else holds it (a gone owner's claim is
        taken over); else when to look again (:class:`Waiting`), or None when no part
        waits."""
        def take(conn: sqlite3.Connection) -> Claimed | Waiting | None:
            stale = stale_before(now)
            row = conn.execute(
                "UPDATE album SET claimed_until = ?, claimed_by = ?, attempts = attempts + 1 "
                "WHERE chat_id = ? AND media_group_id = ? AND quiet_until <= ? "
                f"AND (claimed_until IS NULL OR claimed_until < ? OR {_OWNER_GONE}) "
                "AND EXISTS (SELECT 1 FROM album_part p WHERE p.album_id = album.id "
                "AND p.done = 0) "
                "RETURNING id, chat_id, person_id, media_group_id, purpose, data, attempts",
                (now + lease, owner, chat_id, media_group_id, now, now, owner,
                 stale)).fetchone()
            if row is None:
                waiting = conn.execute(
                    f"{_WAITING} AND chat_id = ? AND media_group_id = ?",
                    (owner, stale, chat_id, media_group_id)).fetchone()
                return _waiting(waiting) if waiting else None
            parts = conn.execute(
                "SELECT message_id, incoming FROM album_part WHERE album_id = ? AND done = 0 "
                "ORDER BY message_id", (row["id"],)).fetchall()
            return Claimed(row["id"], row["chat_id"], row["person_id"], row["media_group_id"],
                           row["purpose"], json.loads(row["data"] or "{}"), row["attempts"],
                           [(part[0], json.loads(part[1])) for part in parts])

        return await self.db.run(take, write=True)

    async def finish(self, album_id: int, message_ids: list[int]) -> bool:
        """The claimed parts are handled; True when other parts came meanwhile."""
        def done(conn: sqlite3.Connection) -> bool:
            conn.executemany("UPDATE album_part SET done = 1 WHERE album_id = ? "
                             "AND message_id = ?",
                             [(album_id, message_id) for message_id in message_ids])
            conn.execute("UPDATE album SET claimed_until = NULL, claimed_by = NULL, "
                         "attempts = 0 WHERE id = ?", (album_id,))
            return conn.execute("SELECT 1 FROM album_part WHERE album_id = ? AND done = 0",
                                (album_id,)).fetchone() is not None

        return await self.db.run(done, write=True)

    async def release_claims(self, claimant: str, now: float, every: bool = False) -> int:
        """At start-up: the claims of gone owners lapse at once (``every``: all claims, for
        the one process of a SQLite file); how many."""
        if every:
            return await self.db.execute("UPDATE album SET claimed_until = NULL, "
                                         "claimed_by = NULL WHERE claimed_until IS NOT NULL")
        return await self.db.execute(
            "UPDATE album SET claimed_until = NULL, claimed_by = NULL "
            f"WHERE claimed_until IS NOT NULL AND {_OWNER_GONE}", (claimant, stale_before(now)))

    async def waiting(self, claimant: str, now: float) -> list[Waiting]:
        """Every album with parts not handled yet (to arm their windows at start-up, and to
        pick up those whose claim lapsed or whose owner is gone), as ``claimant`` sees
        them."""
        rows = await self.db.fetchall(f"{_WAITING} ORDER BY id", (claimant, stale_before(now)))
        return [_waiting(row) for row in rows]

    async def prune(self, before: float) -> None:
        """Forget albums fully handled whose last part came before ``before``."""
        def forget(conn: sqlite3.Connection) -> None:
            old = "SELECT a.id FROM album a WHERE a.quiet_until < ? AND NOT EXISTS " \
                  "(SELECT 1 FROM album_part p WHERE p.album_id = a.id AND p.done = 0)"
            conn.execute(f"DELETE FROM album_part WHERE album_id IN ({old})", (before,))
            conn.execute(f"DELETE FROM album WHERE id IN ({old})", (before,))

        await self.db.run(forget, write=True)


def _waiting(row: sqlite3.Row) -> Waiting:
    """Due when quiet, or when a live owner's claim lapses."""
    claimed = 0.0 if row["owner_gone"] else (row["claimed_until"] or 0.0)
    return Waiting(row["chat_id"], row["person_id"], row["media_group_id"],
                   max(row["quiet_until"], claimed), row["claimed_until"] is not None)
